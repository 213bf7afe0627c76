-- Pictures are stored as sent, never compressed: images arrive already compressed (JPEG, PNG),
-- and PostgreSQL's own compression of a picture that does compress (a 2 MiB run of one byte)
-- costs tens of ms of CPU per picture, on the embedded database's event loop at that.
ALTER TABLE book_pictures ALTER COLUMN data SET STORAGE EXTERNAL;
