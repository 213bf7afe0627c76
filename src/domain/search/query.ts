import {
  ANY_FIELD_PREFIX,
  FIELD_PREFIX,
  FIELD_TIER,
  SEARCH_FIELDS,
  STORE_PREFIX,
  TIERS,
  UP_TO_TIER_PREFIX,
  type SearchField,
  type Tier,
} from './fields.js';

/**
 * A keyword becomes tsquery *values*, never tsquery syntax written by the user: every operand
 * is a quoted lexeme (quote and backslash escaped), and only this module writes & | ! ( ).
 * The text is sent as a bound parameter and cast with `$1::tsquery`, which parses without any
 * text-search configuration (no stemming, no stop words, no locale).
 */
export function quoteLexeme(lexeme: string): string {
  return `'${lexeme.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/** Every word matches in at least one of `fields`; a word's terms all in the same field. */
function matchIn(words: readonly string[][], fields: readonly SearchField[]): string {
  return words
    .map((terms) => {
      const perField = fields.map((f) => {
        const ands = terms.map((t) => quoteLexeme(FIELD_PREFIX[f] + t));
        return ands.length === 1 ? ands[0]! : `(${ands.join(' & ')})`;
      });
      return perField.length === 1 ? perField[0]! : `(${perField.join(' | ')})`;
    })
    .join(' & ');
}

/**
 * "Every word is in a field in scope of tier ≤ k", as a required part (plain lexemes, which
 * let the GIN index skip through long lists instead of merging them) and, where those are
 * not exact, the field-by-field condition. When the scope has every field of tier ≤ k, the
 * required part is the words' "x<k>:" lexemes, and it is exact on its own when every word is
 * a single term; otherwise it is the necessary "x:" lexemes.
 */
function upToTier(words: readonly string[][], scope: readonly SearchField[], tier: Tier) {
  const fields = scope.filter((f) => FIELD_TIER[f] <= tier);
  const complete = SEARCH_FIELDS.every((f) => FIELD_TIER[f] > tier || scope.includes(f));
  const terms = [...new Set(words.flat())];
  const byField = matchIn(words, fields);
  if (fields.length === 1) return { required: byField, exact: byField, full: byField };
  const required = terms.map((t) => quoteLexeme((complete ? UP_TO_TIER_PREFIX[tier] : ANY_FIELD_PREFIX) + t)).join(' & ');
  if (complete && words.every((w) => w.length === 1)) return { required, exact: required, full: required };
  return { required, exact: byField, full: `${required} & ${byField}` };
}

/**
 * One query per ranking tier that has fields in scope. Tier k's query matches the listings
 * whose words can all be found in fields of tier ≤ k, and not already in fields of a higher
 * tier, so the tiers are disjoint and together are exactly the matches: a listing ranks in
 * the best tier that satisfies the whole keyword on its own. In a store, the store's lexeme
 * is required too.
 */
export function tierQueries(
  words: readonly string[][],
  scope: readonly SearchField[],
  storeId: string | null,
): string[] {
  const store = storeId === null ? '' : ` & ${quoteLexeme(STORE_PREFIX + storeId)}`;
  const out: string[] = [];
  let previous: string | null = null;
  for (const tier of TIERS) {
    const added = scope.filter((f) => FIELD_TIER[f] === tier);
    if (added.length === 0) continue;
    const current = upToTier(words, scope, tier);
    let positive = current.full;
    if (previous !== null && words.length === 1 && current.exact !== current.required) {
      // One word: "in a field of tier ≤ k but of no higher tier" is "in a field of tier k but
      // of no higher tier", fewer lists for the index to merge.
      positive = added.length === 1 ? matchIn(words, added) : `${current.required} & ${matchIn(words, added)}`;
    }
    out.push(previous === null ? `${positive}${store}` : `${positive} & !(${previous})${store}`);
    previous = current.exact;
  }
  return out;
}
