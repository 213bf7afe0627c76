import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hasBalance, newUser, uid } from '../helpers/client.js';
import { expectCode } from '../helpers/core-api.js';
import { DB_KIND, useServer } from '../helpers/server.js';

describe(`auth (${DB_KIND})`, () => {
  const { api } = useServer();

  /** A token-checked call without side effects: 200 while the token is valid, 401 otherwise. */
  const tokenWorks = async (userId: string, token: string | undefined) =>
    (await api.post('/seller/query_order', { user_id: userId }, token)).status;

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

  test('register: a new user has balance 0; the same id twice → 512, even with another password', async () => {
    const id = uid('reg');
    expectCode(await api.post('/auth/register', { user_id: id, password: 'pw-1' }), 200);
    expectCode(await api.post('/auth/register', { user_id: id, password: 'pw-2' }), 512);
    // the first registration stands: its password logs in, the second one does not
    expectCode(await api.post('/auth/login', { user_id: id, password: 'pw-1', terminal: 't' }), 200);
    expectCode(await api.post('/auth/login', { user_id: id, password: 'pw-2', terminal: 't' }), 401);
    assert.ok(await hasBalance(api, { userId: id, password: 'pw-1', token: '' }, 0));
  });

  test('register: 400 for a missing or mistyped field', async () => {
    const id = uid('reg');
    expectCode(await api.post('/auth/register', { user_id: id }), 400);
    expectCode(await api.post('/auth/register', { password: 'p' }), 400);
    expectCode(await api.post('/auth/register', { user_id: 42, password: 'p' }), 400);
    expectCode(await api.post('/auth/register', { user_id: id, password: 42 }), 400);
    expectCode(await api.post('/auth/register', { user_id: '', password: 'p' }), 400);
    // nothing was created by the refused calls
    expectCode(await api.post('/auth/register', { user_id: id, password: 'p' }), 200);
  });

  test('login: 401 for a wrong password or an unknown user; the token is bound to the user', async () => {
    const u = await newUser(api);
    expectCode(await api.post('/auth/login', { user_id: u.userId, password: 'wrong', terminal: 't' }), 401);
    expectCode(await api.post('/auth/login', { user_id: uid('ghost'), password: 'x', terminal: 't' }), 401);
    expectCode(await api.post('/auth/login', { user_id: u.userId, password: u.password }), 400);
    const login = expectCode(await api.post('/auth/login', { user_id: u.userId, password: u.password, terminal: 't2' }), 200);
    assert.equal(typeof login.body.token, 'string');
    assert.ok((login.body.token as string).length > 0);
    assert.equal(await tokenWorks(u.userId, login.body.token as string), 200);
  });

  test('logout: 401 without a token, with a garbage token, for an unknown user; ends only that token', async () => {
    const u = await newUser(api);
    expectCode(await api.post('/auth/logout', { user_id: u.userId }), 401);
    expectCode(await api.post('/auth/logout', { user_id: u.userId }, 'not-a-token'), 401);
    expectCode(await api.post('/auth/logout', { user_id: u.userId }, u.token + 'x'), 401);
    expectCode(await api.post('/auth/logout', { user_id: uid('ghost') }, u.token), 401);
    assert.equal(await tokenWorks(u.userId, u.token), 200, 'refused logouts left the token valid');
    expectCode(await api.post('/auth/logout', { user_id: u.userId }, u.token), 200);
    assert.equal(await tokenWorks(u.userId, u.token), 401, 'a logged-out token is dead');
  });

  test('logout: 400 for a malformed body wins over a missing token', async () => {
    expectCode(await api.post('/auth/logout', {}), 400);
    expectCode(await api.post('/auth/logout', { user_id: 7 }, 'garbage'), 400);
  });

  test('password: 200 changes it; 401 for a wrong old password or an unknown user', async () => {
    const u = await newUser(api);
    expectCode(await api.post('/auth/password', { user_id: u.userId, oldPassword: 'wrong', newPassword: 'n' }), 401);
    expectCode(await api.post('/auth/password', { user_id: uid('ghost'), oldPassword: 'x', newPassword: 'n' }), 401);
    expectCode(await api.post('/auth/password', { user_id: u.userId, oldPassword: u.password }), 400);
    // refused calls changed nothing
    expectCode(await api.post('/auth/login', { user_id: u.userId, password: u.password, terminal: 't' }), 200);
    expectCode(await api.post('/auth/password', { user_id: u.userId, oldPassword: u.password, newPassword: 'new-pw' }), 200);
    expectCode(await api.post('/auth/login', { user_id: u.userId, password: 'new-pw', terminal: 't' }), 200);
    expectCode(await api.post('/auth/login', { user_id: u.userId, password: u.password, terminal: 't' }), 401);
  });

  test('unregister: 200, then the user cannot log in; 401 unknown user or wrong password; 526 with a balance', async () => {
    const u = await newUser(api);
    expectCode(await api.post('/auth/unregister', { user_id: uid('ghost'), password: 'x' }), 401);
    expectCode(await api.post('/auth/unregister', { user_id: u.userId, password: 'wrong' }), 401);
    expectCode(await api.post('/buyer/add_funds', { user_id: u.userId, password: u.password, add_value: 5 }), 200);
    expectCode(await api.post('/auth/unregister', { user_id: u.userId, password: u.password }), 526);
    expectCode(await api.post('/auth/login', { user_id: u.userId, password: u.password, terminal: 't' }), 200);
    expectCode(await api.post('/buyer/add_funds', { user_id: u.userId, password: u.password, add_value: -5 }), 200);
    expectCode(await api.post('/auth/unregister', { user_id: u.userId, password: u.password }), 200);
    expectCode(await api.post('/auth/login', { user_id: u.userId, password: u.password, terminal: 't' }), 401);
    expectCode(await api.post('/auth/unregister', { user_id: u.userId, password: u.password }), 401);
  });
});
