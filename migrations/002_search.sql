-- Full-text search. The lexemes are built by the application (src/search): CJK unigrams and
-- bigrams and lower-cased words, each behind a field prefix ('t:' title … 'c:' content) and
-- behind the prefixes of the ranking tiers it reaches ('x2:', 'x3:', 'x:' = any field), so
-- neither a text-search parser, a text-search configuration nor an extension is involved.
--
-- Many stores list the same book with the same description, so the searchable text is stored
-- once per distinct content (search_texts, found by a fingerprint of its lexemes) and each
-- listing points at it (search_documents). A site-wide search then reads each matching text
-- once and counts its listings from `listings`, instead of visiting every matching listing.
-- A text also holds one 's:<store_id>' lexeme per store listing it, so a store-scoped search
-- is a single index scan too. A text row takes at most a few hundred listings; more listings
-- of the same content start another row. Both tables are written by add_book, in its
-- transaction.
CREATE TABLE search_texts (
  text_id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  fingerprint  bytea NOT NULL,
  listings     integer NOT NULL CHECK (listings > 0),
  lexemes      tsvector NOT NULL,
  toast_filler text NOT NULL DEFAULT repeat(' ', 2048)
) WITH (toast_tuple_target = 256);
-- A search reads the heap row of every matching text (for text_id and listings), so heap rows
-- must stay narrow: the tsvector belongs out of line, in TOAST. PostgreSQL only moves values
-- out of line in rows longer than about 2 kB, and a book with a short description has a
-- shorter tsvector than that. toast_filler makes every row long enough: kept in the row
-- (MAIN) but compressed to a few dozen bytes, while the tsvector is moved out until the row
-- fits toast_tuple_target. Rows end up near 130 bytes instead of up to several kB.
ALTER TABLE search_texts ALTER COLUMN toast_filler SET STORAGE MAIN;
ALTER TABLE search_texts ALTER COLUMN fingerprint SET STORAGE PLAIN;
-- ANALYZE would decompress a sample of these tsvectors to gather statistics the searches do
-- not use (search_hits below always takes the GIN index).
ALTER TABLE search_texts ALTER COLUMN lexemes SET STATISTICS 0;
CREATE INDEX search_texts_fingerprint ON search_texts (fingerprint);
CREATE INDEX search_texts_lexemes ON search_texts USING gin (lexemes);

-- The texts matching each tier's query (queries[1] = tier 1 …; the tiers are disjoint), with
-- their rank: (tier, text_id) packed into one bigint. One GIN bitmap scan per tier. The
-- planner cannot tell that evaluating @@ row by row means decompressing every tsvector, so on a
-- small or narrow table it may prefer a sequential scan, many times slower: within this
-- function sequential scans are off, as are parallel workers and JIT, which only add start-up
-- time to these short scans.
CREATE FUNCTION search_hits(queries tsquery[])
  RETURNS TABLE (rank bigint, text_id bigint, listings integer)
  LANGUAGE sql STABLE
  SET enable_seqscan = off
  SET max_parallel_workers_per_gather = 0
  SET jit = off
AS $$
  SELECT (q.tier << 48) + t.text_id, t.text_id, t.listings
    FROM unnest(queries) WITH ORDINALITY AS q(query, tier)
   CROSS JOIN LATERAL (SELECT s.text_id, s.listings FROM search_texts s WHERE s.lexemes @@ q.query) AS t
$$;

-- One row per listing. doc_id (the order listings were indexed in) breaks ties in the ranking.
CREATE TABLE search_documents (
  doc_id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  store_id text NOT NULL,
  book_id  text NOT NULL,
  text_id  bigint NOT NULL REFERENCES search_texts (text_id),
  UNIQUE (store_id, book_id),
  FOREIGN KEY (store_id, book_id) REFERENCES listings (store_id, book_id)
);
-- A site-wide page expands its texts into their listings; a store search reads the store's
-- listings of the matching texts (index-only).
CREATE INDEX search_documents_text ON search_documents (text_id, doc_id);
CREATE INDEX search_documents_store ON search_documents (store_id, text_id, doc_id) INCLUDE (book_id);

-- Listings made before this migration have no search document yet: the application indexes
-- them at its next start (with its own tokenizer, which SQL does not have), then deletes this row.
CREATE TABLE search_backfill (pending boolean PRIMARY KEY CHECK (pending));
INSERT INTO search_backfill VALUES (true);
