import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Api, newUser, uid } from './helpers/client.js';
import { DB_KIND, startServer, type TestServer } from './helpers/server.js';

describe(`auth (${DB_KIND})`, () => {
  let server: TestServer;
  let api: Api;
  before(async () => {
    server = await startServer();
    api = new Api(server.url);
  });
  after(() => server.close());

  test('register, login, logout', async () => {
    const id = uid('u');
    assert.equal((await api.post('/auth/register', { user_id: id, password: 'p' })).status, 200);
    assert.equal((await api.post('/auth/register', { user_id: id, password: 'p' })).status, 512);
    const login = await api.post('/auth/login', { user_id: id, password: 'p', terminal: 't1' });
    assert.equal(login.status, 200);
    assert.equal(typeof login.body.token, 'string');
    assert.equal((await api.post('/auth/logout', { user_id: id }, login.body.token)).status, 200);
    assert.equal((await api.post('/auth/logout', { user_id: id }, login.body.token)).status, 401);
  });

  test('a token of another user is refused', async () => {
    const a = await newUser(api);
    const b = await newUser(api);
    assert.equal((await api.post('/auth/logout', { user_id: a.userId }, b.token)).status, 401);
  });
});
