import { statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { generateCatalogue } from './catalogue-gen.js';

const HELP = `Usage: npm run catalogue:gen -- --out FILE [--books N] [--picture-kb MIN-MAX] [--seed S]

Writes a new catalogue in the course's SQLite format (table "book", one cover BLOB per book) full
of synthetic books, to try \`bookstore import\` on large files without the course's book_lx.db.

  --out FILE          the new file (refuses to overwrite)
  --books N           number of books; default 1000
  --picture-kb A-B    cover size range in KB; default 30-60 (about 45 KB: 45,000 books ≈ 2 GB)
  --seed S            different seeds give different books; default 1
`;

function main(): number {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      books: { type: 'string', default: '1000' },
      'picture-kb': { type: 'string', default: '30-60' },
      seed: { type: 'string', default: '1' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const range = /^(\d+)-(\d+)$/.exec(values['picture-kb']);
  const books = Number(values.books);
  if (!values.out || !range || !Number.isSafeInteger(books) || books < 1 || Number(range[1]) > Number(range[2])) {
    process.stderr.write(HELP);
    return 2;
  }
  const started = Date.now();
  let lastLine = 0;
  const result = generateCatalogue(values.out, {
    books,
    pictureBytes: [Number(range[1]) * 1024, Number(range[2]) * 1024],
    seed: Number(values.seed),
    onProgress(done, bytes) {
      if (Date.now() - lastLine < 2000 && done < books) return;
      lastLine = Date.now();
      process.stderr.write(`catalogue-gen: ${done}/${books} books, ${(bytes / 1e6).toFixed(0)} MB of covers\n`);
    },
  });
  const size = statSync(values.out).size;
  process.stdout.write(
    `wrote ${values.out}: ${result.books} books, ${(size / 1e9).toFixed(2)} GB, in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
  return 0;
}

process.exitCode = main();
