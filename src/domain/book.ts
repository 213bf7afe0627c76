/** A book as a seller lists it (add_book's book_info); optional fields may be absent or null. */
export interface BookInfo {
  id: string;
  title?: string | null;
  author?: string | null;
  publisher?: string | null;
  original_title?: string | null;
  translator?: string | null;
  pub_year?: string | null;
  pages?: number | null;
  price?: number | null;
  currency_unit?: string | null;
  binding?: string | null;
  isbn?: string | null;
  author_intro?: string | null;
  book_intro?: string | null;
  content?: string | null;
  tags?: string[] | null;
  /** Base64 text as the API carries it, or its bytes once decoded (off the event loop, for add_book). */
  pictures?: (string | Uint8Array)[] | null;
}
