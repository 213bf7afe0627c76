import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fieldLexemes, textFingerprint } from '../../src/domain/search/document.js';
import { quoteLexeme, tierQueries } from '../../src/domain/search/query.js';

describe('search queries and documents', () => {
  test('a lexeme is always quoted: quotes and backslashes are escaped, operators stay text', () => {
    assert.equal(quoteLexeme("t:o'neil"), "'t:o''neil'");
    assert.equal(quoteLexeme('t:a\\b'), "'t:a\\\\b'");
    assert.equal(quoteLexeme('t:a&b|!c'), "'t:a&b|!c'");
  });

  test('one query per tier in scope; each later tier excludes the earlier ones; a store adds its lexeme', () => {
    const all = tierQueries([['python']], ['title', 'author', 'content'], null);
    assert.equal(all.length, 3);
    assert.ok(all[1]!.includes('!('), 'tier 2 excludes tier 1');
    const inStore = tierQueries([['python']], ['title'], 's1');
    assert.deepEqual(inStore, ["'t:python' & 's:s1'"]);
  });

  test('a book is indexed field by field, behind each field and tier prefix; equal contents share a fingerprint', () => {
    const lexemes = fieldLexemes({ id: 'b1', title: 'Python', content: 'python' });
    assert.ok(lexemes.includes('t:python') && lexemes.includes('c:python') && lexemes.includes('x:python'));
    assert.deepEqual(textFingerprint(lexemes), textFingerprint([...lexemes].reverse()));
    assert.notDeepEqual(textFingerprint(lexemes), textFingerprint(fieldLexemes({ id: 'b2', title: 'Rust' })));
  });
});
