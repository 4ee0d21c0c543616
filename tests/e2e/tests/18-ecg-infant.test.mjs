// An infant's ECG. At two months a heart rate of 165/min is normal (121-179/min), where an adult's would be sinus
// tachycardia. A clinic technician sends a 2-month-old's ECG from the upload page, with the baby's birth date. The
// machine reads it against the limits of that age and names them. The clinic's list and the reader show the age in
// months, not "0岁". The same recording sent for a 30-year-old is sinus tachycardia. A 2-month-old at 52/min is
// critical (under 5 years the line is 60/min, not the adult 35): the task is stat, the reader's flag names the line and
// the measurement table marks the rate below the infant's range.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openBrowser, login, logout, waitForRoute, token, api, URL } from '../lib/harness.mjs';
import { acknowledgeCriticals, sendExam } from '../lib/flows.mjs';
import { analysedTask as whenAnalysed, gaussian, leadsCsv } from '../lib/ecg.mjs';

const FS = 500;
const SECONDS = 10;
const NAMES = ['I', 'II', 'III', 'aVR', 'aVL', 'aVF', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6'];
let b;
let dir;
let infantTask;

/** Sinus rhythm at `hr`/min with an infant's short PR (about 100 ms), narrow QRS and QT, frontal axis near +70°; CSV in mV. */
function infantCsv(hr = 165) {
  const n = FS * SECONDS;
  const sig = Object.fromEntries(NAMES.map((k) => [k, new Float64Array(n)]));
  // Frontal-plane waves as vectors (size mV, angle °) projected on the limb leads; chest leads by amplitude.
  const frontal = { p: [0.15, 60], q: [0.08, 250], r: [1.2, 70], s: [0.25, 250], t: [0.3, 50] };
  const angle = { I: 0, II: 60, III: 120, aVR: -150, aVL: -30, aVF: 90 };
  const chest = {
    V1: { p: 0.06, q: 0, r: 0.9, s: -0.7, t: 0.1 }, V2: { p: 0.07, q: 0, r: 1.2, s: -0.9, t: 0.2 },
    V3: { p: 0.07, q: 0, r: 1.1, s: -0.6, t: 0.25 }, V4: { p: 0.07, q: -0.05, r: 1.2, s: -0.4, t: 0.3 },
    V5: { p: 0.06, q: -0.08, r: 1.1, s: -0.25, t: 0.3 }, V6: { p: 0.05, q: -0.08, r: 0.8, s: -0.15, t: 0.25 },
  };
  const size = (lead, wave) => {
    if (chest[lead]) return chest[lead][wave];
    const [a, deg] = frontal[wave];
    return a * Math.cos(((deg - angle[lead]) * Math.PI) / 180);
  };
  const bump = (s, t, a, sd) => gaussian(s, FS, t, a, sd);
  for (let t = 0.4; t < SECONDS - 0.3; t += 60 / hr) {
    for (const k of NAMES) {
      const s = sig[k];
      bump(s, t - 0.085, size(k, 'p'), 0.008);
      bump(s, t - 0.014, size(k, 'q'), 0.005);
      bump(s, t, size(k, 'r'), 0.007);
      bump(s, t + 0.018, size(k, 's'), 0.006);
      bump(s, t + 0.15, size(k, 't'), 0.028);
    }
  }
  return leadsCsv(sig, NAMES, FS);
}

/** A local calendar date `days` before today, as the date input takes it (YYYY-MM-DD). */
function daysAgo(days) {
  const d = new Date();
  d.setDate(d.getDate() - days);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** The task as the ECG reader sees it, once the machine analysis has stated the rhythm (15 s at most). */
const analysedTask = (id) => whenAnalysed(id, (t) => t.machine_flags.rhythm);

const rhythmZh = (task) => task.machine_flags.rhythm.map((s) => s.text_zh).join(' | ');

before(async () => {
  b = await openBrowser('ecg-infant', { width: 1440, height: 900 });
  dir = mkdtempSync(join(tmpdir(), 'teledx-e2e-infant-'));
  writeFileSync(join(dir, 'infant-ecg.csv'), infantCsv());
});
after(async () => {
  await b.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a 2-month-old\'s ECG sent with its birth date is read against an infant\'s limits, which the statement names', async () => {
  const p = b.page;
  await login(p, 'clinic1-tech');
  await p.goto(`${URL}/#/clinic`);
  await waitForRoute(p, '/clinic');
  await acknowledgeCriticals(p);
  await p.click('#new-exam');
  await waitForRoute(p, '/clinic/upload');
  await p.fill('#exam-reason', '婴儿气促，心率快 (e2e infant)');
  await p.setInputFiles('#file-input', [join(dir, 'infant-ecg.csv')]);
  await p.waitForFunction(() => document.querySelectorAll('.file-row').length === 1);
  // A CSV names no patient: the page asks, and the technician gives the baby's name, sex and birth date.
  await p.click('#send-exam');
  await p.waitForSelector('.form-error:not([hidden])');
  await p.fill('#patient-name', '王小宝');
  await p.selectOption('#patient-sex', 'M');
  await p.fill('#patient-birth', daysAgo(65));
  await p.click('#send-exam');
  await p.waitForSelector('#to-list', { timeout: 30000 });

  const newest = (await api('GET', '/api/tasks?sort=newest&limit=1', { token: await token('clinic1-tech') })).json.tasks[0];
  infantTask = newest.id;
  const task = await analysedTask(infantTask);
  const codes = task.machine_flags.rhythm.map((s) => s.code);
  assert.ok(codes.includes('sinus_rhythm'), `165/min at two months is a normal sinus rate: ${rhythmZh(task)}`);
  assert.ok(!codes.includes('sinus_tachycardia'), rhythmZh(task));
  assert.match(rhythmZh(task), /窦性心律，1\d\d 次\/分（2 个月正常范围 121–179 次\/分）/);
  assert.equal(task.priority, 'routine');

  // The clinic's exam list gives the baby's age in months.
  await p.click('#to-list');
  await waitForRoute(p, '/clinic');
  const row = `tr[data-task="${infantTask}"]`;
  await p.waitForSelector(row);
  assert.match(await p.textContent(row), /2个月/);
  await b.shot('infant-clinic-list');
});

test('the reader sees the age in months and the infant\'s range in the machine\'s statement', async () => {
  const p = b.page;
  await logout(p);
  await login(p, 'ecg-reader1');
  await waitForRoute(p, '/worklist');
  await p.goto(`${URL}/#/read/${infantTask}`);
  await p.waitForSelector('#ecg-viewer[data-ready="1"]', { timeout: 15000 });
  // The rhythm chip says sinus rhythm, not tachycardia; its full machine text, on hover, gives the infant's range.
  const rhythm = await p.$$eval('#ecg-viewer tr[data-key="rhythm"] .ecg-statement', (xs) => xs.map((x) => [x.textContent, x.title]));
  assert.deepEqual(rhythm.map(([text]) => text), ['窦性心律'], JSON.stringify(rhythm));
  assert.match(rhythm[0][1], /2 个月正常范围 121–179 次\/分/);
  // The measurement table holds the rate against the same range: within it, no mark; the range on hover.
  const rate = await p.$eval('#ecg-viewer tr[data-key="heart_rate_bpm"] td.num:not(.device)', (x) => [x.textContent, x.title, x.dataset.range]);
  assert.match(rate[0], /^1\d\d$/, JSON.stringify(rate));
  assert.equal(rate[1], '正常范围 121–179 次/分（2 个月）');
  assert.equal(rate[2], undefined);
  assert.match(await p.textContent('body'), /2个月/);
  await b.shot('infant-reader');
});

test('a 2-month-old at 52/min is a stat task, its critical flag at the infant\'s line of 60/min', async () => {
  const id = await sendExam('clinic1-tech', [{ name: 'infant-slow.csv', bytes: infantCsv(52) }],
    { reason: '婴儿喂养差，心率慢 (e2e infant, bradycardia)', patient: { name: '李小宝', sex: 'F', birth_date: daysAgo(65) } });
  const task = await whenAnalysed(id, (t) => t.machine_flags.rhythm && t.machine_flags.critical);
  const flag = task.machine_flags.critical.find((c) => c.code === 'critical_bradycardia');
  assert.ok(flag, `critical flags: ${JSON.stringify(task.machine_flags.critical)}`);
  assert.match(flag.text_zh, /心室率 5\d 次\/分（2 个月 <60 次\/分）/);
  assert.equal(task.priority, 'stat');
  // The reader (still signed in) opens it: the flag panel names the flag with both lines and gives the infant's.
  const p = b.page;
  await p.goto(`${URL}/#/read/${id}`);
  const item = '#ecg-flags li.ecg-flag[data-code="critical_bradycardia"]';
  await p.waitForSelector(item, { timeout: 15000 });
  assert.match(await p.textContent(`${item} .ecg-flag-name`), /严重心动过缓（<35次\/分，5 岁以下 <60次\/分）/);
  assert.match(await p.textContent(`${item} .ecg-flag-text`), /2 个月 <60 次\/分/);
  // In the measurement table the rate is marked below the infant's range, which the cell gives on hover.
  await p.waitForSelector('#ecg-viewer tr[data-key="heart_rate_bpm"] td.out-of-range');
  const rate = await p.$eval('#ecg-viewer tr[data-key="heart_rate_bpm"] td.out-of-range', (x) => [x.textContent, x.title, x.dataset.range]);
  assert.deepEqual(rate, ['52 ↓', '正常范围 121–179 次/分（2 个月）', 'low']);
  await b.shot('infant-bradycardia-flag');
});

test('the same recording of a 30-year-old is sinus tachycardia', async () => {
  const birth = `${new Date().getFullYear() - 30}-01-15`;
  const id = await sendExam('clinic1-tech', [{ name: 'adult-ecg.csv', bytes: infantCsv() }],
    { reason: '心悸 (e2e infant, adult twin)', patient: { name: '王大宝', sex: 'M', birth_date: birth } });
  const task = await analysedTask(id);
  assert.ok(task.machine_flags.rhythm.some((s) => s.code === 'sinus_tachycardia'), rhythmZh(task));
  assert.doesNotMatch(rhythmZh(task), /正常范围/, 'an adult\'s statement names no age range');
});

test('no console errors', () => {
  b.assertClean();
});
