/**
 * The application's own text segmentation, used both to index a book and to read a keyword, so
 * the two always agree whatever the database's locale or installed extensions.
 *
 * - Text is NFKC-normalized (full-width letters and digits become ASCII) and lower-cased.
 * - A run of CJK characters (Han, kana) yields every character (unigram) and every pair of
 *   adjacent characters (bigram). A keyword run of n ≥ 2 characters asks for all of its n-1
 *   bigrams, a one-character run for its unigram: "力学" is found inside "量子力学导论".
 * - A run of other letters, digits and combining marks is one word ("Python3", "café").
 * - Everything else (spaces, punctuation, symbols such as % _ ' & | ! : * ( )) only separates.
 */

const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\u3005\u3007\u30FC]/u;
const WORD = /[\p{L}\p{N}\p{M}]/u;

/** Longer words are cut to this many code points, in documents and keywords alike. */
export const MAX_WORD_CHARS = 64;

type Run = { cjk: boolean; chars: string[] };

function normalize(text: string): string {
  return text.normalize('NFKC').toLowerCase();
}

/** Splits text into maximal CJK runs and word runs; separators are dropped. */
function runs(text: string): Run[] {
  const out: Run[] = [];
  let current: Run | null = null;
  for (const ch of normalize(text)) {
    const cjk = CJK.test(ch);
    if (!cjk && !WORD.test(ch)) {
      current = null;
      continue;
    }
    if (current === null || current.cjk !== cjk) {
      current = { cjk, chars: [] };
      out.push(current);
    }
    current.chars.push(ch);
  }
  return out;
}

function word(chars: string[]): string {
  return (chars.length > MAX_WORD_CHARS ? chars.slice(0, MAX_WORD_CHARS) : chars).join('');
}

/**
 * Collects a document's terms from text fed a piece at a time, so a long field can be tokenized
 * in slices (with pauses between them) and abandoned once a budget is spent. Feeding a text in
 * pieces gives the terms of feeding it whole, as long as no piece starts with a combining mark.
 */
export class TermCollector {
  readonly terms: Set<string>;
  /** UTF-8 bytes of the distinct terms collected so far. */
  bytes = 0;
  /** The current word run (its first MAX_WORD_CHARS characters), or the previous CJK character. */
  private run: string[] = [];
  private cjk = false;

  constructor(into: Set<string> = new Set()) {
    this.terms = into;
  }

  feed(text: string): void {
    for (const ch of normalize(text)) {
      const cjk = CJK.test(ch);
      if (!cjk && !WORD.test(ch)) {
        this.end();
        continue;
      }
      if (this.run.length > 0 && cjk !== this.cjk) this.end();
      this.cjk = cjk;
      if (cjk) {
        this.add(ch);
        if (this.run.length > 0) this.add(this.run[0]! + ch);
        this.run = [ch];
      } else if (this.run.length < MAX_WORD_CHARS) {
        this.run.push(ch);
      }
    }
  }

  /** Ends the current run: between two texts (two tags never make one word or one bigram). */
  end(): void {
    if (!this.cjk && this.run.length > 0) this.add(this.run.join(''));
    this.run = [];
  }

  private add(term: string): void {
    if (this.terms.has(term)) return;
    this.terms.add(term);
    this.bytes += Buffer.byteLength(term);
  }
}

/** Adds the terms a document field contributes: CJK unigrams and bigrams, whole words. */
export function addDocumentTerms(text: string, into: Set<string>): void {
  const collector = new TermCollector(into);
  collector.feed(text);
  collector.end();
}

export function documentTerms(text: string): Set<string> {
  const terms = new Set<string>();
  addDocumentTerms(text, terms);
  return terms;
}

/** The terms one keyword word needs, all in the same field: bigrams (or a unigram) and words. */
export function wordTerms(text: string): string[] {
  const terms = new Set<string>();
  for (const run of runs(text)) {
    if (!run.cjk) {
      terms.add(word(run.chars));
    } else if (run.chars.length === 1) {
      terms.add(run.chars[0]!);
    } else {
      for (let i = 0; i + 1 < run.chars.length; i++) terms.add(run.chars[i]! + run.chars[i + 1]!);
    }
  }
  return [...terms];
}

/**
 * A keyword split on whitespace into words, each as its list of terms. Words made only of
 * separators (a lone "&" or "%") need nothing and are left out; duplicate words count once.
 */
export function keywordWords(keyword: string): string[][] {
  const seen = new Set<string>();
  const out: string[][] = [];
  for (const part of keyword.split(/\s+/u)) {
    const terms = wordTerms(part);
    if (terms.length === 0) continue;
    const key = [...terms].sort().join('\u0001');
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(terms);
  }
  return out;
}
