// The center lead's rota editor: shifts for several days at once (a whole-day shift, an overnight one), saved to
// the server, shown again after a reload, one removed; the rota then decides who is on duty on the dispatch
// board and whom automatic dispatch picks. The statistics page offers the critical-value register as CSV.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openBrowser, login, waitForRoute, token, api, URL } from '../lib/harness.mjs';
import { writeCtSeries } from '../lib/dicom.mjs';
import { sendExam } from '../lib/flows.mjs';

const WORK = mkdtempSync(join(tmpdir(), 'teledx-e2e-rota-'));
let b;
let lead;
let center;
let reader1;
let reader2;
// ISO weekday (1 = Monday) in China Standard Time, the center's rota time; `plus` days ahead.
const weekday = (plus = 0) => ((new Date(Date.now() + 8 * 3600e3).getUTCDay() + 6 + plus) % 7) + 1;

before(async () => {
  lead = await token('img-lead');
  center = (await api('GET', '/api/me', { token: lead })).json.institution.id;
  const readers = (await api('GET', `/api/centers/${center}/readers`, { token: lead })).json.readers;
  reader1 = readers.find((r) => r.name.includes('影像医师一')).user_id;
  reader2 = readers.find((r) => r.name.includes('影像医师二')).user_id;
  b = await openBrowser('rota', { width: 1600, height: 900 });
});
after(async () => {
  await api('PUT', `/api/centers/${center}/shifts`, { token: lead, body: { shifts: [] } }); // leave no rota behind
  await b.close();
  rmSync(WORK, { recursive: true, force: true });
});

async function pickDays(p, days) {
  for (let d = 1; d <= 7; d++) {
    const box = `.rota-day:nth-child(${d}) input`;
    if (days.includes(d)) await p.check(box);
    else await p.uncheck(box);
  }
}

test('the lead writes a rota: a reader on duty around the clock, another on one overnight shift', async () => {
  const p = b.page;
  await login(p, 'img-lead');
  await waitForRoute(p, '/worklist');
  await p.click('a.nav-link[href="#/rota"]');
  await waitForRoute(p, '/rota');
  await p.waitForSelector(`#rota-grid tr[data-user="${reader2}"]`);
  await p.click('#rota-add');
  assert.match(await p.textContent('.form-error'), /请选择医师/, 'a shift needs a reader');

  await p.selectOption('#rota-reader', String(reader2));
  await pickDays(p, [1, 2, 3, 4, 5, 6, 7]);
  await p.fill('#rota-start', '00:00');
  await p.fill('#rota-end', '00:00');
  await p.click('#rota-add');
  assert.equal(await p.$$eval(`tr[data-user="${reader2}"] .rota-shift`, (x) => x.length), 7);
  assert.match(await p.textContent(`tr[data-user="${reader2}"] .rota-cell[data-day="1"]`), /00:00–24:00/);

  // Three days from today, 22:00 to 06:00 the next morning: neither today nor tonight.
  const day = weekday(3);
  await p.selectOption('#rota-reader', String(reader1));
  await pickDays(p, [day]);
  await p.fill('#rota-start', '22:00');
  await p.fill('#rota-end', '06:00');
  await p.click('#rota-add');
  assert.match(await p.textContent(`tr[data-user="${reader1}"] .rota-cell[data-day="${day}"]`), /22:00–06:00 \(次日\)/);
  assert.match(await p.textContent('#rota-state'), /未保存/);
  await b.shot('rota-edited');
  await p.click('#rota-save');
  await p.waitForFunction(() => document.querySelector('#rota-save').disabled && !document.querySelector('#rota-state').textContent);

  const saved = (await api('GET', `/api/centers/${center}/shifts`, { token: lead })).json;
  assert.equal(saved.shifts.length, 8);
  assert.deepEqual(saved.on_duty_now, [reader2]);
  assert.ok(saved.shifts.some((s) => s.user_id === reader1 && s.weekday === day && s.start_minute === 1320 && s.end_minute === 360));
});

test('after a reload the rota is shown again; removing a shift and saving removes it on the server', async () => {
  const p = b.page;
  await p.reload();
  await p.waitForSelector(`tr[data-user="${reader2}"] .on-duty-chip`);
  assert.equal(await p.$$eval('#rota-grid .rota-shift', (x) => x.length), 8);
  await b.shot('rota-saved');
  await p.click('button[data-lang="en"]');
  await p.waitForFunction(() => document.querySelector('h1')?.textContent === 'Rota');
  assert.match(await p.textContent('#rota-grid thead'), /Mon.*Sun.*Hours a week/);
  assert.match(await p.textContent(`tr[data-user="${reader2}"]`), /On duty now/);
  await p.click('button[data-lang="zh-CN"]');
  await p.waitForFunction(() => document.querySelector('h1')?.textContent === '排班表');
  await p.click(`tr[data-user="${reader1}"] .rota-del`);
  await p.click('#rota-save');
  await p.waitForFunction(() => document.querySelector('#rota-save').disabled);
  const saved = (await api('GET', `/api/centers/${center}/shifts`, { token: lead })).json;
  assert.equal(saved.shifts.length, 7);
  assert.ok(saved.shifts.every((s) => s.user_id === reader2));
});

test('the dispatch board shows who is on duty, and automatic dispatch picks that reader', async () => {
  const p = b.page;
  const files = writeCtSeries(join(WORK, 'ct'), { slices: 2, patientName: 'Zhou^Min=周^敏' }).files;
  const id = await sendExam('clinic2-doctor', files, { reason: '车祸后胸痛 (e2e rota)', priority: 'stat' });
  await p.click('a.nav-link[href="#/dispatch"]');
  await waitForRoute(p, '/dispatch');
  await p.waitForSelector(`#reader-list .reader-card.on-duty[data-user="${reader2}"]`);
  assert.equal(await p.$(`#reader-list .reader-card.on-duty[data-user="${reader1}"]`), null);
  await p.click(`#dispatch-tasks tr[data-task="${id}"] button.btn.small`);
  await p.waitForFunction((tid) => /已领取/.test(document.querySelector(`#dispatch-tasks tr[data-task="${tid}"]`)?.textContent || ''), id);
  const task = (await api('GET', `/api/tasks/${id}`, { token: lead })).json;
  assert.equal(task.assignee.id, reader2);
  await b.shot('dispatch-on-duty');
  // The reader it went to finds a critical value (for the register below).
  const r = await api('POST', `/api/tasks/${id}/critical`, { token: await token('img-reader2'),
    body: { category: 'pneumothorax', note: '左侧气胸 (e2e rota)' } });
  assert.equal(r.status, 200, JSON.stringify(r.json));
});

test('the statistics page exports the critical-value register as CSV', async () => {
  const p = b.page;
  await p.goto(URL + '/#/stats');
  await p.waitForSelector('#critical-csv[href]');
  const csv = await p.evaluate(async () => {
    const r = await fetch(document.querySelector('#critical-csv').href);
    return { type: r.headers.get('Content-Type'), text: await r.text() };
  });
  assert.match(csv.type, /text\/csv/);
  assert.match(csv.text, /^\uFEFF?task_id,center,clinic/);
  assert.match(csv.text, /左侧气胸 \(e2e rota\)/, 'the critical value flagged today is in the register');
});

test('no console errors', () => {
  b.assertClean();
});
