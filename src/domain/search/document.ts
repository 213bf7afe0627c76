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
import { addDocumentTerms } from './tokenizer.js';

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
 * The lexemes of a book's searchable fields: every field's terms behind the field's prefix,
 * and each term once more behind the prefix of every tier from its best field's tier down
 * (see UP_TO_TIER_PREFIX). Fields come in tier order, so a term's first field is its best.
 */
export function fieldLexemes(book: BookInfo): string[] {
  const lexemes: string[] = [];
  const seen = new Set<string>();
  let budget = LEXEME_BUDGET_BYTES;
  for (const field of SEARCH_FIELDS) {
    const terms = new Set<string>();
    // Tags are tokenized one by one: a bigram never spans two tags.
    for (const text of fieldTexts(book, field)) addDocumentTerms(text, terms);
    const fieldTier = FIELD_TIER[field];
    for (const term of terms) {
      const add = [FIELD_PREFIX[field] + term];
      if (!seen.has(term)) {
        seen.add(term);
        for (const tier of TIERS) if (tier >= fieldTier && tier > 1) add.push(UP_TO_TIER_PREFIX[tier] + term);
      }
      const bytes = add.reduce((n, lexeme) => n + Buffer.byteLength(lexeme), 0);
      if (bytes > budget) return lexemes;
      budget -= bytes;
      lexemes.push(...add);
    }
  }
  return lexemes;
}

export const storeLexeme = (storeId: string): string => STORE_PREFIX + storeId;

/** Identifies a searchable content: listings whose lexemes are equal share one text row. */
export function textFingerprint(lexemes: readonly string[]): Buffer {
  const hash = createHash('sha256');
  for (const lexeme of [...lexemes].sort()) hash.update(lexeme).update('\u0000');
  return hash.digest();
}
