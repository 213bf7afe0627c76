import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { documentTerms, keywordWords, MAX_WORD_CHARS, wordTerms } from '../../src/domain/search/tokenizer.js';

describe('search tokenizer', () => {
  test('a run of Chinese characters gives every character and every adjacent pair', () => {
    assert.deepEqual([...documentTerms('量子力学')].sort(), ['力', '力学', '子', '子力', '学', '量', '量子'].sort());
  });

  test('other letters and digits are whole words, lower-cased and NFKC-normalized', () => {
    assert.deepEqual([...documentTerms('Python３ and CAFÉ!')].sort(), ['and', 'café', 'python3']);
    assert.deepEqual([...documentTerms('ＡＢＣ')], ['abc'], 'full-width letters become ASCII');
  });

  test('everything else only separates: symbols are never syntax', () => {
    assert.deepEqual([...documentTerms("a&b|c!d:e*(f)'g%_h")].sort(), ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']);
    assert.deepEqual([...documentTerms('   ')], []);
  });

  test('a Chinese run next to Latin letters splits into both kinds', () => {
    assert.deepEqual([...documentTerms('学Python')].sort(), ['python', '学']);
  });

  test('a keyword word asks for its pairs, a single character for itself', () => {
    assert.deepEqual(wordTerms('力学'), ['力学']);
    assert.deepEqual(wordTerms('量子力学'), ['量子', '子力', '力学']);
    assert.deepEqual(wordTerms('学'), ['学']);
    assert.deepEqual(wordTerms('Python'), ['python']);
  });

  test('keywords split on white space; separator-only and repeated words drop out', () => {
    assert.deepEqual(keywordWords('Python  &  力学 python'), [['python'], ['力学']]);
    assert.deepEqual(keywordWords('% & |'), []);
  });

  test('very long words are cut, in documents and keywords alike', () => {
    const long = 'x'.repeat(MAX_WORD_CHARS + 10);
    assert.deepEqual([...documentTerms(long)], ['x'.repeat(MAX_WORD_CHARS)]);
    assert.deepEqual(wordTerms(long), ['x'.repeat(MAX_WORD_CHARS)]);
  });
});
