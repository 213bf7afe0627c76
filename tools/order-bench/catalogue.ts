import { openReadOnly } from '../../src/cli/catalogue-reader.js';
import type { Rng } from './rng.js';

/** The `book_info` object of POST /seller/add_book. */
export interface BookInfo {
  id: string;
  title: string;
  price: number;
  author?: string;
  publisher?: string;
  original_title?: string;
  translator?: string;
  pub_year?: string;
  pages?: number;
  currency_unit?: string;
  binding?: string;
  isbn?: string;
  author_intro?: string;
  book_intro?: string;
  content?: string;
  tags?: string[];
  pictures?: string[];
}

const TITLE_HEADS = ['深入理解', '图解', '现代', '经典', '实用', '人类', '城市', '海洋', '量子', '中国', '世界', '简明'];
const TITLE_TAILS = ['力学导论', '简史', '的故事', '设计模式', '数据库系统', '心理学', '经济学原理', '诗集', '旅行笔记', '建筑', '音乐史', '编程'];
const EN_TITLES = ['The Quiet River', 'Patterns of Light', 'A Short History of Maps', 'Distributed Systems', 'Night Trains', 'The Salt Road'];
const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '赵', '黄', '周', '吴', '徐', '孙'];
const GIVEN = ['伟', '芳', '娜', '敏', '静', '磊', '洋', '勇', '艳', '杰', '涛', '明', '超', '霞'];
const PUBLISHERS = ['人民文学出版社', '商务印书馆', '中华书局', '机械工业出版社', '译林出版社', '上海译文出版社', '三联书店', "O'Reilly Media"];
const TAGS = ['小说', '历史', '科普', '计算机', '经典', '文学', '传记', '哲学', '经济学', '心理学', '漫画', '旅行', '艺术', 'science', 'classic'];
const BINDINGS = ['平装', '精装'];

/** Deterministic, realistic-looking books; prices are whole cents between ¥8 and ¥128. */
export function syntheticBooks(count: number, rng: Rng): BookInfo[] {
  const books: BookInfo[] = [];
  for (let i = 0; i < count; i++) {
    const english = rng.next() < 0.15;
    const title = english ? `${rng.pick(EN_TITLES)} ${i}` : `${rng.pick(TITLE_HEADS)}${rng.pick(TITLE_TAILS)}（第${(i % 5) + 1}版）`;
    const author = `${rng.pick(SURNAMES)}${rng.pick(GIVEN)}${rng.next() < 0.5 ? rng.pick(GIVEN) : ''}`;
    const tags = Array.from(new Set([rng.pick(TAGS), rng.pick(TAGS), rng.pick(TAGS)]));
    books.push({
      id: String(2_000_000 + i),
      title,
      author,
      publisher: rng.pick(PUBLISHERS),
      pub_year: `${rng.int(1980, 2025)}-${rng.int(1, 12)}`,
      pages: rng.int(80, 900),
      price: rng.int(8, 128) * 100 + rng.pick([0, 0, 50, 80, 90]),
      currency_unit: '元',
      binding: rng.pick(BINDINGS),
      isbn: `978${String(rng.int(0, 9_999_999_999)).padStart(10, '0')}`,
      author_intro: `${author}，作家、学者，著有多部${tags[0] ?? ''}作品。`,
      book_intro: `《${title}》是一部关于${tags.join('、')}的作品，适合所有对此感兴趣的读者。`,
      content: `第一章 开端\n第二章 发展\n第三章 ${title}`,
      tags,
    });
  }
  return books;
}

const DB_COLUMNS = [
  'id', 'title', 'author', 'publisher', 'original_title', 'translator', 'pub_year', 'pages', 'price',
  'currency_unit', 'binding', 'isbn', 'author_intro', 'book_intro', 'content', 'tags',
];

/**
 * Up to `limit` books from a course book.db (table `book`), chosen with `rng` so a seed picks
 * the same ones. Pictures are read only when asked for: they are most of the file's bytes.
 */
export async function booksFromDb(path: string, limit: number, withPictures: boolean, rng: Rng): Promise<BookInfo[]> {
  // Read from the file page by page: a 40,000-book catalogue with covers is gigabytes.
  const { db, close } = openReadOnly(path);
  try {
    const ids = (db.all('SELECT id FROM book WHERE id IS NOT NULL ORDER BY id') as { id: unknown }[]).map((row) => String(row.id));
    const chosen = rng.shuffled(ids).slice(0, limit);
    const columns = withPictures ? [...DB_COLUMNS, 'picture'] : DB_COLUMNS;
    const stmt = db.prepare(`SELECT ${columns.join(', ')} FROM book WHERE id = ?`);
    const books: BookInfo[] = [];
    try {
      for (const id of chosen) {
        const row = stmt.get([id]) as Row | null;
        if (row) books.push(rowToBook(row));
      }
    } finally {
      stmt.finalize();
    }
    return books;
  } finally {
    close();
  }
}

type Row = Record<string, number | bigint | string | Uint8Array | null>;

function rowToBook(row: Row): BookInfo {
  const book: BookInfo = { id: String(row['id']), title: text(row['title']) ?? '', price: integer(row['price']) ?? 0 };
  for (const key of ['author', 'publisher', 'original_title', 'translator', 'pub_year', 'currency_unit',
    'binding', 'isbn', 'author_intro', 'book_intro', 'content'] as const) {
    const value = text(row[key]);
    if (value !== undefined) book[key] = value;
  }
  const pages = integer(row['pages']);
  if (pages !== undefined) book.pages = pages;
  const tags = text(row['tags']);
  if (tags !== undefined) book.tags = tags.split('\n').map((t) => t.trim()).filter((t) => t !== '');
  const picture = row['picture'];
  if (picture instanceof Uint8Array && picture.length > 0) book.pictures = [Buffer.from(picture).toString('base64')];
  return book;
}

function text(value: Row[string] | undefined): string | undefined {
  if (value === null || value === undefined || value instanceof Uint8Array) return undefined;
  return String(value);
}

function integer(value: Row[string] | undefined): number | undefined {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) ? Math.round(n) : undefined;
}
