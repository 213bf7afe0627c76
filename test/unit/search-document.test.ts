import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { fieldLexemes, MAX_TOKENIZED_CHARS, searchDocument, textFingerprint } from '../../src/domain/search/document.js';
import { documentTerms, TermCollector } from '../../src/domain/search/tokenizer.js';

describe('search documents: bounded work', () => {
  test('tokenizing stops at its character budget, however long the book', () => {
    const content = 'alpha '.repeat(MAX_TOKENIZED_CHARS / 6) + ' omega'.repeat(1_000_000);
    const started = performance.now();
    const lexemes = fieldLexemes({ id: 'b', title: 'Title', content });
    assert.ok(lexemes.includes('c:alpha'));
    assert.ok(!lexemes.includes('c:omega'), 'text past the budget is not read');
    assert.ok(lexemes.includes('t:title'), 'fields come in rank order: the title is read first');
    assert.ok(performance.now() - started < 30_000);
  });

  test('a text fed in slices gives the terms of the text fed whole', () => {
    const plain = '量子力学导论 Python3 '.repeat(100);
    const collector = new TermCollector();
    for (let at = 0; at < plain.length; at += 5) collector.feed(plain.slice(at, at + 5));
    collector.end();
    assert.deepEqual([...collector.terms].sort(), [...documentTerms(plain)].sort());
  });

  test('searchDocument pauses between slices and equals fieldLexemes; the fingerprint is unchanged', async () => {
    const book = { id: 'b', title: '量子力学', content: '薛定谔 wave '.repeat(20_000) };
    let pauses = 0;
    const doc = await searchDocument(book, async () => void pauses++);
    assert.deepEqual(doc.lexemes, fieldLexemes(book));
    assert.ok(pauses > 5, `${pauses} pauses`);
    // The digest of every lexeme, sorted, each followed by NUL (as rows already stored have it).
    const hash = createHash('sha256');
    for (const lexeme of [...doc.lexemes].sort()) hash.update(lexeme).update('\u0000');
    assert.deepEqual(doc.fingerprint, hash.digest());
    assert.deepEqual(textFingerprint([]), createHash('sha256').digest());
  });

  test('a book of many lexemes: the fingerprint, sorted in steps, is the one sorted at once', async () => {
    // Tens of thousands of distinct CJK bigrams and words: many sorted runs, merged over several rounds.
    const content = Array.from({ length: 60_000 }, (_, i) => String.fromCharCode(0x4e00 + ((i * 7919) % 20_000))).join('');
    const book = { id: 'big', title: 'Big', content, book_intro: Array.from({ length: 9_000 }, (_, i) => `w${i}`).join(' ') };
    const doc = await searchDocument(book, async () => {});
    assert.ok(doc.lexemes.length > 40_000, `${doc.lexemes.length} lexemes`);
    assert.deepEqual(doc.fingerprint, textFingerprint(doc.lexemes));
  });
});
