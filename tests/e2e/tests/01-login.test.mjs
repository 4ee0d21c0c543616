// Sign-in: each role lands on its page; wrong password and lockout show clear messages; the language switch
// changes the visible text; sign-out returns to the login page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openBrowser, login, logout, waitForRoute, api, token, URL } from '../lib/harness.mjs';

let b;
before(async () => {
  b = await openBrowser('login');
});
after(async () => {
  await b.close();
});

test('the login page shows in Chinese by default', async () => {
  await b.page.goto(URL + '/');
  await waitForRoute(b.page, '/login');
  assert.equal(await b.page.textContent('.login-title'), '登录');
  assert.equal(await b.page.getAttribute('html', 'lang'), 'zh-CN');
  await b.shot('login-zh');
});

test('a wrong password shows the error and keeps the user on the login page', async () => {
  await login(b.page, 'img-reader2', 'not-the-password');
  await b.page.waitForSelector('#login-error:not([hidden])');
  assert.match(await b.page.textContent('#login-error'), /用户名或密码错误/);
  assert.equal(await b.page.inputValue('#login-pass'), '');
  await waitForRoute(b.page, '/login');
  await b.shot('wrong-password');
});

test('a locked account shows the lockout message with the wait', async () => {
  const admin = await token('admin');
  const insts = (await api('GET', '/api/institutions', { token: admin })).json.institutions;
  const clinic1 = insts.find((i) => i.code === 'CLINIC1');
  const created = await api('POST', '/api/users', { token: admin, body: {
    username: 'e2e-lockout', display_name: '锁定测试 Lockout test', password: 'a-long-password', role: 'clinic_tech', institution_id: clinic1.id,
  } });
  assert.ok([201, 409].includes(created.status), 'lockout user created');
  // The server refuses from the sixth failure on (with a wait that doubles); then even the right password waits.
  let last;
  for (let i = 0; i < 8 && (!last || last.status !== 429); i++)
    last = await api('POST', '/api/login', { body: { username: 'e2e-lockout', password: 'wrong' } });
  assert.equal(last.status, 429, 'the account locks after repeated failures');
  await login(b.page, 'e2e-lockout', 'a-long-password');
  await b.page.waitForSelector('#login-error:not([hidden])');
  assert.match(await b.page.textContent('#login-error'), /锁定.*\d+ 秒/);
  await b.shot('locked');
});

test('the language switch changes the visible text and is remembered', async () => {
  await b.page.goto(URL + '/#/login');
  await b.page.click('button[data-lang="en"]');
  await b.page.waitForFunction(() => document.querySelector('.login-title')?.textContent === 'Sign in');
  assert.equal(await b.page.getAttribute('html', 'lang'), 'en');
  assert.equal(await b.page.textContent('#login-submit'), 'Sign in');
  await b.shot('login-en');
  await b.page.reload();
  await b.page.waitForSelector('.login-title');
  assert.equal(await b.page.textContent('.login-title'), 'Sign in');
  await b.page.click('button[data-lang="zh-CN"]');
  await b.page.waitForFunction(() => document.querySelector('.login-title')?.textContent === '登录');
});

const LANDINGS = [
  ['clinic1-tech', '/clinic', 'h1', '本院检查'],
  ['clinic2-doctor', '/clinic', 'h1', '本院检查'],
  ['img-reader1', '/worklist', 'h1', '工作列表'],
  ['ecg-reader1', '/worklist', 'h1', '工作列表'],
  ['img-senior', '/worklist', 'h1', '工作列表'],
  ['img-lead', '/worklist', 'h1', '工作列表'],
  ['admin', '/admin/users', 'h1', '系统管理'],
];

for (const [user, route, selector, heading] of LANDINGS) {
  test(`${user} lands on ${route}`, async () => {
    await login(b.page, user);
    await waitForRoute(b.page, route);
    await b.page.waitForFunction(([sel, text]) => {
      const el = document.querySelector(sel);
      return el && el.textContent.includes(text);
    }, [selector, heading]);
    if (user === 'img-lead') assert.ok(await b.page.$('a.nav-link[href="#/dispatch"]'), 'the lead sees the dispatch board');
    if (user === 'img-reader1') assert.equal(await b.page.$('a.nav-link[href="#/dispatch"]'), null, 'a reader has no dispatch');
    if (user === 'admin') await b.page.waitForSelector('#user-table tbody tr');
    await b.shot('landing-' + user);
    await logout(b.page);
  });
}

test('a role cannot open another role\'s page by URL', async () => {
  await login(b.page, 'clinic1-tech');
  await waitForRoute(b.page, '/clinic');
  await b.page.goto(URL + '/#/admin/users');
  await waitForRoute(b.page, '/clinic');
  await b.page.goto(URL + '/#/worklist');
  await waitForRoute(b.page, '/clinic');
  await logout(b.page);
});

test('signing out while the worklist is still loading ends without an error', async () => {
  // The task list is held back in the browser for a while, so the sign-out starts while it is on its way; the
  // session must last until it is answered (a 401 would show as an error in the console).
  const released = [];
  const refused = [];
  const on401 = (res) => {
    if (res.status() === 401 && !/\/api\/(me|login)\b/.test(res.url())) refused.push(res.url());
  };
  b.page.on('response', on401);
  const taskList = (url) => url.pathname === '/api/tasks';
  const hold = (route) => {
    const p = new Promise((r) => setTimeout(r, 700)).then(() => route.continue());
    released.push(p);
    return p;
  };
  await b.page.route(taskList, hold);
  try {
    await login(b.page, 'ecg-reader1');
    await waitForRoute(b.page, '/worklist');
    await b.page.waitForSelector('h1');
    await logout(b.page);
  } finally {
    await Promise.all(released);
    await b.page.unroute(taskList, hold);
  }
  assert.ok(released.length > 0, 'the task list was held back');
  await b.page.waitForTimeout(300); // a late answer would arrive here
  b.page.off('response', on401);
  assert.deepEqual(refused, [], 'no request of the signed-in page was refused after the sign-out');
});

test('no console errors on the way', () => {
  b.assertClean();
});
