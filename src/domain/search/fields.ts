/**
 * The searchable fields of a book. Each field's terms are stored as lexemes with its own
 * prefix ("t:量子", "c:python"), so a query can name exactly the fields in scope, and each
 * field belongs to a ranking tier: a title match outranks an author, tag or publisher match,
 * which outranks an intro match, which outranks a match in the content only.
 */
export const SEARCH_FIELDS = ['title', 'author', 'publisher', 'tags', 'book_intro', 'author_intro', 'content'] as const;
export type SearchField = (typeof SEARCH_FIELDS)[number];

export const FIELD_PREFIX: Record<SearchField, string> = {
  title: 't:',
  author: 'a:',
  publisher: 'p:',
  tags: 'g:',
  book_intro: 'b:',
  author_intro: 'i:',
  content: 'c:',
};

export const TIERS = [1, 2, 3, 4] as const;
export type Tier = (typeof TIERS)[number];

/** 1 ranks highest. */
export const FIELD_TIER: Record<SearchField, Tier> = {
  title: 1,
  author: 2,
  publisher: 2,
  tags: 2,
  book_intro: 3,
  author_intro: 3,
  content: 4,
};

/**
 * Every term is also indexed once per tier at or below its best field's tier, behind that
 * tier's prefix: "x2:量子" means 量子 is in the title, author, publisher or tags; "x:量子"
 * means it is in some field. (Tier 1 is the title alone, whose own prefix serves.)
 */
export const UP_TO_TIER_PREFIX: Record<Tier, string> = { 1: 't:', 2: 'x2:', 3: 'x3:', 4: 'x:' };
export const ANY_FIELD_PREFIX = UP_TO_TIER_PREFIX[4];

/** The store a listing belongs to is a lexeme too, so a store-scoped search is one index scan. */
export const STORE_PREFIX = 's:';
