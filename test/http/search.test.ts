import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { newUser, uid, type User } from '../helpers/client.js';
import { DB_KIND, useServer } from '../helpers/server.js';

type BookInfo = Record<string, unknown> & { id: string };

describe(`search (${DB_KIND})`, () => {
  const { server, api } = useServer();
  let seller: User;
  let storeA: string;
  let storeB: string;

  async function createStore(): Promise<string> {
    const storeId = uid('store');
    const res = await api.post('/seller/create_store', { user_id: seller.userId, store_id: storeId }, seller.token);
    assert.equal(res.status, 200);
    return storeId;
  }

  async function addBook(storeId: string, book: BookInfo, stock = 5): Promise<void> {
    const res = await api.post('/seller/add_book', { user_id: seller.userId, store_id: storeId, book_info: book, stock_level: stock }, seller.token);
    assert.equal(res.status, 200, JSON.stringify(res.body));
  }

  const search = (body: Record<string, unknown>) => api.post('/search/books', body);
  const ids = (res: { body: Record<string, any> }): string[] => res.body.books.map((b: { id: string }) => b.id);

  before(async () => {
    seller = await newUser(api, 'seller');
    storeA = await createStore();
    storeB = await createStore();
    await addBook(storeA, {
      id: 'qm',
      title: '量子力学导论',
      author: '曾谨言',
      publisher: '科学出版社',
      tags: ['物理', '教材'],
      book_intro: '本书系统介绍量子理论的基本概念。',
      author_intro: '北京大学物理学院教授。',
      content: '第一章 波函数\n第二章 薛定谔方程',
      price: 4500,
      pictures: ['aGVsbG8='],
      isbn: '9787030000000',
    }, 7);
    await addBook(storeA, {
      id: 'py',
      title: 'Python Programming: An Introduction',
      author: 'John Zelle',
      publisher: "O'Reilly Media",
      tags: ['programming', '编程'],
      book_intro: 'A gentle introduction to computer science using Python 3.',
      content: 'Chapter 1 Computers and Programs. Chapter 2 Writing Simple Programs.',
      price: 5999,
    });
    // The same book in another store: a separate listing.
    await addBook(storeB, { id: 'qm', title: '量子力学导论', author: '曾谨言', tags: ['物理'], price: 4300 }, 2);
  });

  test('results carry the listing fields and nothing else', async () => {
    const res = await search({ keyword: '量子力学导论', store_id: storeA });
    assert.equal(res.status, 200);
    assert.equal(res.body.message, 'ok');
    assert.deepEqual(res.body.books, [
      { id: 'qm', title: '量子力学导论', author: '曾谨言', publisher: '科学出版社', tags: ['物理', '教材'], price: 4500, store_id: storeA, stock_level: 7 },
    ]);
    assert.equal(res.body.total, 1);
    assert.equal(res.body.page, 1);
    assert.equal(res.body.page_size, 20);
  });

  test('a Chinese keyword matches as a substring, also of two or one characters', async () => {
    for (const keyword of ['力学', '量子', '导论', '子力学导', '力']) {
      const res = await search({ keyword, store_id: storeA, scope: ['title'] });
      assert.equal(res.status, 200, keyword);
      assert.deepEqual(ids(res), ['qm'], keyword);
    }
    // Characters of the title in another order are not a substring of it.
    assert.deepEqual(ids(await search({ keyword: '学力', store_id: storeA, scope: ['title'] })), []);
    assert.deepEqual(ids(await search({ keyword: '论导', store_id: storeA })), []);
  });

  test('other words match whole words, case-insensitively', async () => {
    assert.deepEqual(ids(await search({ keyword: 'PYTHON', store_id: storeA })), ['py']);
    assert.deepEqual(ids(await search({ keyword: 'python', store_id: storeA, scope: ['title'] })), ['py']);
    assert.deepEqual(ids(await search({ keyword: 'ｐｙｔｈｏｎ', store_id: storeA })), ['py'], 'full-width letters');
    assert.deepEqual(ids(await search({ keyword: 'pyth', store_id: storeA })), [], 'no prefix match');
    assert.deepEqual(ids(await search({ keyword: 'programs', store_id: storeA })), ['py']);
    assert.deepEqual(ids(await search({ keyword: 'program', store_id: storeA })), [], 'no stemming');
  });

  test('space-separated words must all match, each in any field in scope', async () => {
    assert.deepEqual(ids(await search({ keyword: '量子 导论', store_id: storeA })), ['qm']);
    assert.deepEqual(ids(await search({ keyword: '量子　薛定谔', store_id: storeA })), ['qm'], 'title + content, ideographic space');
    assert.deepEqual(ids(await search({ keyword: '量子 python', store_id: storeA })), []);
    assert.deepEqual(ids(await search({ keyword: 'python 编程 zelle', store_id: storeA })), ['py']);
    assert.deepEqual(ids(await search({ keyword: 'python zelle', store_id: storeA, scope: ['title'] })), []);
  });

  test('scope restricts the fields that may match', async () => {
    const cases: [string, string[], string[]][] = [
      ['曾谨言', ['title'], []],
      ['曾谨言', ['author'], ['qm']],
      ['科学出版社', ['publisher'], ['qm']],
      ['科学出版社', ['title', 'author', 'tags', 'book_intro', 'author_intro', 'content'], []],
      ['教材', ['tags'], ['qm']],
      ['基本概念', ['book_intro'], ['qm']],
      ['基本概念', ['author_intro'], []],
      ['物理学院', ['author_intro'], ['qm']],
      ['薛定谔', ['content'], ['qm']],
      ['薛定谔', ['title', 'book_intro'], []],
      ['reilly', ['publisher'], ['py']],
      ['9787030000000', [], []], // isbn is not a searchable field
    ];
    for (const [keyword, scope, expected] of cases) {
      const body = scope.length ? { keyword, scope, store_id: storeA } : { keyword, store_id: storeA };
      const res = await search(body);
      assert.equal(res.status, 200);
      assert.deepEqual(ids(res), expected, `${keyword} in ${scope.join(',') || 'all'}`);
    }
  });

  test('store_id searches one store; without it, the whole site', async () => {
    const inA = await search({ keyword: '量子', store_id: storeA });
    assert.deepEqual(inA.body.books.map((b: any) => [b.store_id, b.price]), [[storeA, 4500]]);
    const inB = await search({ keyword: '量子', store_id: storeB });
    assert.deepEqual(inB.body.books.map((b: any) => [b.store_id, b.price, b.stock_level]), [[storeB, 4300, 2]]);
    const site = await search({ keyword: '量子力学' });
    assert.equal(site.body.total, 2);
    assert.deepEqual(new Set(site.body.books.map((b: any) => b.store_id)), new Set([storeA, storeB]));
  });

  test('an unknown store is 513, an empty one is 200 with no books', async () => {
    const missing = await search({ keyword: '量子', store_id: uid('nostore') });
    assert.equal(missing.status, 513);
    assert.equal(typeof missing.body.message, 'string');
    const empty = await createStore();
    const res = await search({ keyword: '量子', store_id: empty });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.books, []);
    assert.equal(res.body.total, 0);
  });

  test('ranking: title, then author/tags/publisher, then intros, then content; ties in a fixed order', async () => {
    const store = await createStore();
    const word = 'zephyrine';
    // Listed worst first, so insertion order alone would give the opposite ranking.
    await addBook(store, { id: 'content-only', title: 'Alpha', content: `a ${word} b` });
    await addBook(store, { id: 'author-intro', title: 'Beta', author_intro: `${word} lives here` });
    await addBook(store, { id: 'book-intro', title: 'Gamma', book_intro: `About ${word}.` });
    await addBook(store, { id: 'publisher', title: 'Delta', publisher: `${word} press` });
    await addBook(store, { id: 'tag', title: 'Epsilon', tags: [word] });
    await addBook(store, { id: 'author', title: 'Zeta', author: `Ann ${word}`, content: word });
    await addBook(store, { id: 'title-2', title: `The ${word} Way`, content: word });
    await addBook(store, { id: 'title-1', title: `${word}`, author: word, book_intro: word, content: word });
    const res = await search({ keyword: word.toUpperCase(), store_id: store });
    const got = ids(res);
    assert.deepEqual(got.slice(0, 2).sort(), ['title-1', 'title-2']);
    assert.deepEqual(got.slice(2, 5).sort(), ['author', 'publisher', 'tag']);
    assert.deepEqual(got.slice(5, 7).sort(), ['author-intro', 'book-intro']);
    assert.deepEqual(got.slice(7), ['content-only']);
    assert.equal(res.body.total, 8);
    // Deterministic: the same request gives the same order, site-wide too.
    for (let i = 0; i < 3; i++) assert.deepEqual(ids(await search({ keyword: word, store_id: store })), got);
    assert.deepEqual(ids(await search({ keyword: word })), got);
    // Scope changes which fields count: with content only, every book with it in content.
    const contentOnly = await search({ keyword: word, store_id: store, scope: ['content'] });
    assert.deepEqual(new Set(ids(contentOnly)), new Set(['content-only', 'author', 'title-2', 'title-1']));

    // Multi-word: a listing ranks by the best tier that holds every word.
    const store2 = await createStore();
    await addBook(store2, { id: 'split', title: 'orbital', content: 'mechanics' });
    await addBook(store2, { id: 'both-in-title', title: 'mechanics orbital' });
    await addBook(store2, { id: 'both-in-intro', title: 'x', book_intro: 'orbital mechanics' });
    assert.deepEqual(ids(await search({ keyword: 'orbital mechanics', store_id: store2 })), ['both-in-title', 'both-in-intro', 'split']);
    assert.deepEqual(ids(await search({ keyword: 'orbital mechanics' })), ['both-in-title', 'both-in-intro', 'split']);
    const partial = { keyword: 'mechanics orbital', scope: ['content', 'book_intro', 'title'] };
    assert.deepEqual(ids(await search({ ...partial, store_id: store2 })), ['both-in-title', 'both-in-intro', 'split']);
    assert.deepEqual(ids(await search({ ...partial, scope: ['content', 'book_intro'] })), ['both-in-intro']);
    assert.deepEqual(ids(await search({ ...partial, scope: ['title', 'content'] })), ['both-in-title', 'split']);
    // A Chinese word's characters must be together in one field: split across fields is no match.
    await addBook(store2, { id: 'zh-split', title: '量子', content: '力学' });
    await addBook(store2, { id: 'zh-tags', title: 'x', tags: ['量子力学'] });
    await addBook(store2, { id: 'zh-title', title: '量子力学' });
    assert.deepEqual(ids(await search({ keyword: '量子力学', store_id: store2 })), ['zh-title', 'zh-tags']);
    assert.deepEqual(ids(await search({ keyword: '量子 力学', store_id: store2 })), ['zh-title', 'zh-tags', 'zh-split']);
  });

  test('pagination: totals, disjoint pages covering every match, a page past the end', async () => {
    const store = await createStore();
    const word = 'paginato';
    for (let i = 0; i < 23; i++) {
      const where = i % 3 === 0 ? { title: `${word} ${i}` } : i % 3 === 1 ? { title: `t${i}`, tags: [word] } : { title: `t${i}`, content: word };
      await addBook(store, { id: `p${String(i).padStart(2, '0')}`, ...where });
    }
    const seen: string[] = [];
    for (let page = 1; page <= 3; page++) {
      const res = await search({ keyword: word, store_id: store, page, page_size: 10 });
      assert.equal(res.status, 200);
      assert.equal(res.body.total, 23);
      assert.equal(res.body.page, page);
      assert.equal(res.body.page_size, 10);
      assert.equal(res.body.books.length, page < 3 ? 10 : 3);
      seen.push(...ids(res));
    }
    assert.equal(new Set(seen).size, 23, 'pages are disjoint');
    const all = await search({ keyword: word, store_id: store, page_size: 100 });
    assert.deepEqual(ids(all), seen, 'pages follow the ranking');
    const past = await search({ keyword: word, store_id: store, page: 4, page_size: 10 });
    assert.equal(past.status, 200);
    assert.deepEqual(past.body.books, []);
    assert.equal(past.body.total, 23);
    const get = await api.get(`/search/books?keyword=${word}&store_id=${store}&page=2&page_size=10`);
    assert.equal(get.status, 200);
    assert.deepEqual(ids(get), seen.slice(10, 20));
    assert.equal(get.body.total, 23);
  });

  test('the same book in many stores: one result per listing, every page disjoint', async () => {
    const word = 'cartographia';
    const shared = { title: `Galactic ${word}`, author: 'Vera Lind', content: 'Maps of the sky' };
    const stores = [await createStore(), await createStore(), await createStore(), await createStore()];
    for (const store of stores) await addBook(store, { id: 'gc', ...shared });
    await addBook(stores[0]!, { id: 'gc-again', ...shared }); // same content twice in one store
    await addBook(stores[1]!, { id: 'other-title', title: `${word} atlas` });
    await addBook(stores[2]!, { id: 'content-1', title: 'Sky', content: word });
    await addBook(stores[3]!, { id: 'content-2', title: 'Sea', content: `${word} and more` });
    await addBook(stores[0]!, { id: 'gc-late', ...shared }); // listed last, same content again
    const listings = 9;
    // Storage detail: the six listings of the shared content share one text row.
    const { rows } = await server.db.query<{ n: number }>(
      `SELECT count(DISTINCT text_id)::int AS n FROM search_documents WHERE store_id = ANY($1::text[]) AND book_id LIKE 'gc%'`,
      [stores],
    );
    assert.equal(rows[0]!.n, 1);

    const all = await search({ keyword: word, page_size: 100 });
    assert.equal(all.body.total, listings);
    const key = (b: any) => `${b.store_id}/${b.id}`;
    const order = all.body.books.map(key);
    assert.equal(new Set(order).size, listings);
    assert.deepEqual(all.body.books.slice(-2).map((b: any) => b.id).sort(), ['content-1', 'content-2']);

    for (const size of [1, 2, 4]) {
      const seen: string[] = [];
      for (let page = 1; seen.length < listings + size; page++) {
        const res = await search({ keyword: word, page, page_size: size });
        assert.equal(res.status, 200);
        assert.equal(res.body.total, listings, `total on page ${page} of ${size}`);
        if (res.body.books.length === 0) break;
        seen.push(...res.body.books.map(key));
      }
      assert.deepEqual(seen, order, `pages of ${size}`);
    }
    const inStore = await search({ keyword: word, store_id: stores[0] });
    assert.deepEqual(ids(inStore).sort(), ['gc', 'gc-again', 'gc-late']);
    assert.equal(inStore.body.total, 3);
    const page2 = await search({ keyword: word, store_id: stores[0], page: 2, page_size: 2 });
    assert.equal(page2.body.total, 3);
    assert.deepEqual(ids(page2), [ids(inStore)[2]]);
    const past = await search({ keyword: word, store_id: stores[0], page: 3, page_size: 2 });
    assert.deepEqual([past.body.books, past.body.total], [[], 3]);
    assert.deepEqual(ids(await search({ keyword: word, store_id: stores[3] })).sort(), ['content-2', 'gc'].sort());
  });

  test('special characters are plain text, never syntax', async () => {
    const store = await createStore();
    await addBook(store, { id: 'c', title: "Don't Panic: 100% C++ & Rust (2nd ed.) | 量子!力学*" });
    const keywords = [
      '%', '_', "'", '&', '|', '!', ':', '*', '(', ')', '\\', "''", '":*', "a' | 'b", '!(', "'; DROP TABLE books; --",
      'C++', '100%', "don't", 'rust)', '(2nd', '量子!', '*力学*', 'panic:*', 'rust:A', '&&', '<->', '<1>', "\\'", '%_%',
    ];
    for (const keyword of keywords) {
      const res = await search({ keyword, store_id: store });
      assert.equal(res.status, 200, `${keyword}: ${JSON.stringify(res.body)}`);
      const get = await api.get(`/search/books?keyword=${encodeURIComponent(keyword)}`);
      assert.equal(get.status, 200, `GET ${keyword}`);
    }
    // Punctuation separates words like a space does; the words themselves still match.
    for (const keyword of ["don't", '100%', 'C++', 'rust)', '(2nd', '量子!', '*力学*', '量子!力学', 'panic:*', "a'b"]) {
      const expected = keyword === "a'b" ? [] : ['c'];
      assert.deepEqual(ids(await search({ keyword, store_id: store })), expected, keyword);
    }
    // The longest keywords: 200 distinct Chinese characters (199 bigrams); 50 words.
    const long = Array.from({ length: 200 }, (_, i) => String.fromCodePoint(0x4e00 + i * 7)).join('');
    assert.equal((await search({ keyword: long })).status, 200);
    assert.equal((await search({ keyword: Array.from({ length: 50 }, (_, i) => `w${i}`).join(' ') })).status, 200);
    // Only punctuation: nothing to match.
    const none = await search({ keyword: '%_&|!', store_id: store });
    assert.deepEqual([none.body.books, none.body.total], [[], 0]);
    // A store id full of tsquery syntax is just an id.
    const odd = `o'dd & !x | (y):* \\ ${uid('s')}`;
    const created = await api.post('/seller/create_store', { user_id: seller.userId, store_id: odd }, seller.token);
    assert.equal(created.status, 200);
    await addBook(odd, { id: 'odd', title: 'Oddity' });
    assert.deepEqual(ids(await search({ keyword: 'oddity', store_id: odd })), ['odd']);
  });

  test('a new book is found as soon as add_book returns', async () => {
    const word = `fresh${Date.now()}`;
    assert.equal((await search({ keyword: word })).body.total, 0);
    await addBook(storeA, { id: uid('new'), title: `The ${word} book`, tags: ['新书'] });
    const res = await search({ keyword: word });
    assert.equal(res.body.total, 1);
    assert.equal(res.body.books[0].store_id, storeA);
    // A failed add_book (duplicate id) indexes nothing.
    const dup = await api.post('/seller/add_book', { user_id: seller.userId, store_id: storeA, book_info: { id: 'qm', title: `${word} dup` } }, seller.token);
    assert.equal(dup.status, 516);
    assert.equal((await search({ keyword: word })).body.total, 1);
  });

  test('listings made before search existed are indexed once, at start', async () => {
    // As a database migrated from before search: rows written without the indexer.
    const word = `legacy${Date.now()}`;
    await server.db.query('INSERT INTO listings (store_id, book_id, price, stock_level) VALUES ($1, $2, 100, 3)', [storeB, 'old-1']);
    await server.db.query(`INSERT INTO books (store_id, book_id, title, tags) VALUES ($1, $2, $3, '{旧书}')`, [storeB, 'old-1', `A ${word} book`]);
    assert.equal((await search({ keyword: word })).body.total, 0);
    await server.db.query('INSERT INTO search_backfill VALUES (true)');
    assert.equal(await server.services.search.indexMissing(2), 1);
    assert.equal(await server.services.search.indexMissing(2), 0, 'done once');
    const res = await search({ keyword: word, scope: ['title'] });
    assert.deepEqual(res.body.books.map((b: any) => [b.store_id, b.id, b.stock_level, b.tags]), [[storeB, 'old-1', 3, ['旧书']]]);
  });

  test('GET /search/books with a query string', async () => {
    const q = (s: string) => api.get(`/search/books?${s}`);
    const res = await q(`keyword=${encodeURIComponent('力学')}&store_id=${storeA}&scope=title,author&page=1&page_size=5`);
    assert.equal(res.status, 200);
    assert.deepEqual(ids(res), ['qm']);
    assert.equal(res.body.page_size, 5);
    const repeated = await q(`keyword=${encodeURIComponent('曾谨言')}&store_id=${storeA}&scope=title&scope=author`);
    assert.deepEqual(ids(repeated), ['qm']);
    assert.equal((await q(`keyword=x&store_id=${uid('nostore')}`)).status, 513);
  });

  test('bad parameters are 400 and name the field', async () => {
    const bad: [Record<string, unknown> | string, string][] = [
      [{ keyword: 'x', page_size: 101 }, 'page_size'],
      [{ keyword: 'x', page_size: 0 }, 'page_size'],
      [{ keyword: 'x', page: 0 }, 'page'],
      [{ keyword: 'x', page: -1 }, 'page'],
      [{ keyword: 'x', page: 1.5 }, 'page'],
      [{ keyword: 'x', page: '2' }, 'page'],
      [{ keyword: 'x', scope: ['price'] }, 'scope'],
      [{ keyword: 'x', scope: 'title' }, 'scope'],
      [{ keyword: 'x', scope: [] }, 'scope'],
      [{ keyword: '' }, 'keyword'],
      [{ keyword: '   ' }, 'keyword'],
      [{ keyword: 'x'.repeat(201) }, 'keyword'],
      [{ keyword: 42 }, 'keyword'],
      [{}, 'keyword'],
      [{ scope: ['title'] }, 'keyword'],
      [{ keyword: 'x', store_id: '' }, 'store_id'],
      ['not json', 'body'],
      ['[1]', 'body'],
    ];
    for (const [body, field] of bad) {
      const res = await search(body as Record<string, unknown>);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match(res.body.message, new RegExp(field), JSON.stringify(body));
    }
    // 400 wins over 513.
    assert.equal((await search({ keyword: 'x', store_id: uid('nostore'), page_size: 1000 })).status, 400);
    for (const qs of ['page_size=101', 'page=0', 'page=abc', 'scope=price', 'scope=', 'keyword=', 'keyword=%20%20']) {
      const path = qs.startsWith('keyword') ? `/search/books?${qs}` : `/search/books?keyword=x&${qs}`;
      const res = await api.get(path);
      assert.equal(res.status, 400, qs);
    }
    assert.equal((await api.get('/search/books')).status, 400, 'missing keyword');
  });
});
