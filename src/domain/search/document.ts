import { createHash } from 'node:crypto';
import type { BookInfo } from '../book.js';
import {
  FIELD_PREFIX,
  FIELD_TIER,
  SEARCH_FIELDS,
  STORE_PREFIX,
  TIERS,
  UP_TO_TIER_PREFIX,
  type SearchField,
} from './fields.js';
import { TermCollector } from './tokenizer.js';

/**
 * PostgreSQL refuses a tsvector whose lexemes add up to 1 MB. A text's field lexemes stay
 * under this budget, which leaves room for the store lexemes of the listings that share it
 * (at most MAX_LISTINGS_PER_TEXT of them, each at most 2 + 255 × 4 bytes). Fields are taken in
 * rank order (title first, content last): an enormous `content` loses only its own tail.
 */
export const LEXEME_BUDGET_BYTES = 700_000;
/** Listings sharing one search_texts row; more listings of the same content start a new row. */
export const MAX_LISTINGS_PER_TEXT = 256;

function fieldTexts(book: BookInfo, field: SearchField): string[] {
  if (field === 'tags') return (book.tags ?? []).filter((t): t is string => typeof t === 'string');
  const value = book[field];
  return typeof value === 'string' && value !== '' ? [value] : [];
}

/**
 * At most this many characters of a book are tokenized, whatever its size: more than a book
 * whose every field is at add_book's cap holds. Fields are read in rank order, so only the end
 * of an oversized `content` (the command-line import reads unchecked catalogues) goes unindexed.
 */
export const MAX_TOKENIZED_CHARS = 1_250_000;
/** Tokenizing pauses after each slice of this many characters, and after this many lexemes. */
const SLICE_CHARS = 16 * 1024;
const SLICE_LEXEMES = 4 * 1024;

/** Where a slice starting at `from` ends: at most `max` characters on, never before a combining mark. */
function sliceEnd(text: string, from: number, max: number): number {
  let end = Math.min(text.length, from + max);
  while (end < text.length && /[\p{M}\uDC00-\uDFFF]/u.test(text[end]!)) end++;
  return end;
}

/**
 * The work of fieldLexemes, in steps: it yields between slices, so a caller can let other work
 * run (see searchDocument), and it returns once either budget (characters read, lexeme bytes) is
 * spent.
 */
function* lexemeSteps(book: BookInfo): Generator<void, string[]> {
  const lexemes: string[] = [];
  const seen = new Set<string>();
  let budget = LEXEME_BUDGET_BYTES;
  let chars = MAX_TOKENIZED_CHARS;
  for (const field of SEARCH_FIELDS) {
    const collector = new TermCollector();
    const prefixBytes = FIELD_PREFIX[field].length;
    // Each term costs at least its bytes behind the field's prefix: past the budget, stop reading.
    const affordable = () => collector.bytes + prefixBytes * collector.terms.size <= budget;
    // Tags are tokenized one by one: a bigram never spans two tags.
    for (const text of fieldTexts(book, field)) {
      for (let at = 0; at < text.length && chars > 0 && affordable(); ) {
        const end = sliceEnd(text, at, Math.min(SLICE_CHARS, chars));
        collector.feed(text.slice(at, end));
        chars -= end - at;
        at = end;
        yield;
      }
      collector.end();
    }
    const fieldTier = FIELD_TIER[field];
    let sinceYield = 0;
    for (const term of collector.terms) {
      const add = [FIELD_PREFIX[field] + term];
      if (!seen.has(term)) {
        seen.add(term);
        for (const tier of TIERS) if (tier >= fieldTier && tier > 1) add.push(UP_TO_TIER_PREFIX[tier] + term);
      }
      const bytes = add.reduce((n, lexeme) => n + Buffer.byteLength(lexeme), 0);
      if (bytes > budget) return lexemes;
      budget -= bytes;
      lexemes.push(...add);
      if (++sinceYield === SLICE_LEXEMES) {
        sinceYield = 0;
        yield;
      }
    }
  }
  return lexemes;
}

/**
 * The lexemes of a book's searchable fields: every field's terms behind the field's prefix,
 * and each term once more behind the prefix of every tier from its best field's tier down
 * (see UP_TO_TIER_PREFIX). Fields come in tier order, so a term's first field is its best.
 */
export function fieldLexemes(book: BookInfo): string[] {
  const steps = lexemeSteps(book);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** What indexing a listing needs, computed before its transaction opens. */
export interface SearchDocument {
  lexemes: string[];
  fingerprint: Buffer;
}

/**
 * fieldLexemes and the fingerprint, with `pause()` awaited between slices: a large book takes
 * turns with other requests instead of holding the event loop for its whole tokenizing.
 */
export async function searchDocument(book: BookInfo, pause: () => Promise<void>): Promise<SearchDocument> {
  const lexemes = await stepwise(lexemeSteps(book), pause);
  // Sorting a maximal book's 100,000 lexemes at once holds the event loop for ~100 ms: in steps.
  const sorted = await stepwise(sortSteps(lexemes), pause);
  return { lexemes, fingerprint: sortedFingerprint(sorted) };
}

async function stepwise<T>(steps: Generator<void, T>, pause: () => Promise<void>): Promise<T> {
  for (;;) {
    const step = steps.next();
    await pause();
    if (step.done) return step.value;
  }
}

/** A sorted copy (the order of Array.prototype.sort): runs sorted, then merged pairwise, a step each. */
function* sortSteps(items: readonly string[]): Generator<void, string[]> {
  let runs: string[][] = [];
  for (let at = 0; at < items.length; at += SLICE_LEXEMES) {
    runs.push(items.slice(at, at + SLICE_LEXEMES).sort());
    yield;
  }
  while (runs.length > 1) {
    const merged: string[][] = [];
    for (let i = 0; i < runs.length; i += 2) {
      merged.push(i + 1 < runs.length ? mergeSorted(runs[i]!, runs[i + 1]!) : runs[i]!);
      yield;
    }
    runs = merged;
  }
  return runs[0] ?? [];
}

function mergeSorted(a: readonly string[], b: readonly string[]): string[] {
  const out = new Array<string>(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) out[k++] = b[j]! < a[i]! ? b[j++]! : a[i++]!;
  while (i < a.length) out[k++] = a[i++]!;
  while (j < b.length) out[k++] = b[j++]!;
  return out;
}

export const storeLexeme = (storeId: string): string => STORE_PREFIX + storeId;

/** Identifies a searchable content: listings whose lexemes are equal share one text row. */
export function textFingerprint(lexemes: readonly string[]): Buffer {
  return sortedFingerprint([...lexemes].sort());
}

function sortedFingerprint(sorted: readonly string[]): Buffer {
  // One update over the joined text: the same digest as one per lexeme, in a fraction of the time.
  return createHash('sha256').update(sorted.length === 0 ? '' : sorted.join('\u0000') + '\u0000').digest();
}
