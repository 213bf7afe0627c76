import { Type } from 'typebox';
import { SEARCH_FIELDS } from '../domain/search/fields.js';
import { Id, Nullable, Page, PageSize, responses } from './common.js';

export const MAX_KEYWORD_CHARS = 200;

export const SearchScope = Type.Union(SEARCH_FIELDS.map((f) => Type.Literal(f)));

/** POST body, and the GET query string once its strings are read (see routes/search.ts). */
export const SearchBody = Type.Object({
  keyword: Type.String({ minLength: 1, maxLength: MAX_KEYWORD_CHARS, pattern: '^[^\\u0000]*$' }),
  scope: Nullable(Type.Array(SearchScope, { minItems: 1, maxItems: 32 })),
  store_id: Nullable(Id),
  page: Page,
  page_size: PageSize,
});

export const SearchBook = Type.Object({
  id: Type.String(),
  title: Type.Union([Type.String(), Type.Null()]),
  author: Type.Union([Type.String(), Type.Null()]),
  publisher: Type.Union([Type.String(), Type.Null()]),
  tags: Type.Array(Type.String()),
  price: Type.Integer(),
  store_id: Type.String(),
  stock_level: Type.Integer(),
});

export const SearchPage = Type.Object({
  message: Type.String(),
  books: Type.Array(SearchBook),
  total: Type.Integer(),
  page: Type.Integer(),
  page_size: Type.Integer(),
});

export const searchSchemas = {
  post: { body: SearchBody, response: responses(SearchPage, [513]) },
  get: { querystring: SearchBody, response: responses(SearchPage, [513]) },
};
