// Serial ECG comparison: a patient's earlier ECG (signed) and today's, whose heart is slower with longer
// intervals. The ECG reader opens today's ECG, compares it with the previous one: both 12-lead tracings, the
// measurements side by side, and the changes that matter highlighted.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { openBrowser, login, waitForRoute, canvasDarkFraction, token, api, URL } from '../lib/harness.mjs';
import { ecgVariant } from '../lib/ecg.mjs';
import { sendExam, readAndSign } from '../lib/flows.mjs';

// The thresholds of the comparison (web/js/ecgcompare.js): a change this large is highlighted.
const LIMITS = { heart_rate_bpm: 10, pr_ms: 20, qrs_ms: 20, qt_ms: 40, qtc_bazett_ms: 30, p_axis_deg: 30, qrs_axis_deg: 30, t_axis_deg: 30 };
let b;
let earlier;
let today;

/** The task's machine measurements once the server's ECG analysis has run. */
async function measurements(id) {
  const tok = await token('ecg-lead');
  for (let i = 0; i < 50; i++) {
    const r = await api('GET', `/api/tasks/${id}`, { token: tok });
    if (r.json && r.json.machine_flags && r.json.machine_flags.measurements) return r.json.machine_flags.measurements;
    await sleep(200);
  }
  throw new Error(`task ${id} has no machine analysis`);
}

before(async () => {
  const stamp = Date.now();
  earlier = await sendExam('clinic3-tech', [{ name: 'ecg-2025.dcm', bytes: ecgVariant(stamp, '1000') }], { reason: '体检心电图' });
  await readAndSign('ecg-reader2', earlier, { findings: '窦性心律。', impression: '窦性心律，正常心电图。' });
  today = await sendExam('clinic3-tech', [{ name: 'ecg-today.dcm', bytes: ecgVariant(stamp + 1, '800') }], { reason: '心悸乏力', priority: 'urgent' });
  b = await openBrowser('ecg-serial', { width: 1600, height: 1000 });
});
after(async () => {
  await b.close();
});

test('the ECG reader compares today\'s ECG with the previous one: both tracings and the measurements', async () => {
  const p = b.page;
  await login(p, 'ecg-reader1');
  await waitForRoute(p, '/worklist');
  await p.goto(`${URL}/#/read/${today}`);
  await p.waitForSelector('#ecg-viewer[data-ready="1"]', { timeout: 15000 });
  await p.waitForSelector(`.prior-compare[data-prior="${earlier}"]`);
  assert.match(await p.textContent(`.prior-item[data-prior="${earlier}"]`), /正常心电图/);
  await p.click(`.prior-compare[data-prior="${earlier}"]`);
  await p.waitForSelector('#ecg-serial #ecg-prior-viewer[data-ready="1"]', { timeout: 15000 });
  const dark = await canvasDarkFraction(p, '#ecg-prior-canvas');
  assert.ok(dark > 0.003, `the previous tracing is drawn too (dark fraction ${dark.toFixed(4)})`);
  assert.ok(await p.$('#ecg-viewer #ecg-canvas'), 'today\'s tracing stays on screen');
  await b.shot('ecg-serial');
});

test('the differences in rate, intervals and axes are highlighted where they exceed the limits', async () => {
  const p = b.page;
  const now = await measurements(today);
  const before = await measurements(earlier);
  console.log(`# HR ${before.heart_rate_bpm} -> ${now.heart_rate_bpm} bpm, QRS ${before.qrs_ms} -> ${now.qrs_ms} ms, ` +
    `QT ${before.qt_ms} -> ${now.qt_ms} ms, QTc ${before.qtc_bazett_ms} -> ${now.qtc_bazett_ms} ms`);
  const rows = await p.$$eval('#ecg-compare-table tbody tr', (trs) => trs.map((tr) => ({
    key: tr.dataset.key, changed: tr.classList.contains('changed'), cells: [...tr.cells].map((c) => c.textContent),
  })));
  assert.equal(rows.length, Object.keys(LIMITS).length);
  let highlighted = 0;
  for (const row of rows) {
    const a = now[row.key];
    const c = before[row.key];
    if (a == null || c == null) {
      assert.equal(row.changed, false, `${row.key}: nothing to compare`);
      continue;
    }
    let d = a - c;
    if (row.key.endsWith('_axis_deg')) d = ((((d + 180) % 360) + 360) % 360) - 180;
    assert.equal(row.changed, Math.abs(Math.round(d)) >= LIMITS[row.key], `${row.key}: ${c} -> ${a}`);
    assert.match(row.cells[1], new RegExp(`^${Math.round(a)} `), `${row.key}: today's value`);
    assert.match(row.cells[2], new RegExp(`^${Math.round(c)} `), `${row.key}: the previous value`);
    if (row.changed) highlighted++;
  }
  assert.ok(highlighted >= 2, 'a heart read 20% slower shows at least the rate and the QT as changed');
  const qt = rows.find((r) => r.key === 'qt_ms');
  assert.equal(qt.changed, true);
  assert.match(qt.cells[3], /^\+\d+ ms$/);
  // The statements that came or went, by their Chinese names; the machine's sentence with its details, in Chinese
  // too, is the tooltip.
  const said = await p.$$eval('.new .statement, .gone .statement', (xs) => xs.map((x) => ({
    text: x.textContent, title: x.title, code: x.dataset.code, gone: !!x.closest('.gone'),
  })));
  assert.ok(said.some((x) => x.gone && x.code === 'sinus_rhythm' && x.text === '窦性心律' && /^窦性心律，\d+ 次\/分$/.test(x.title)),
    JSON.stringify(said));
  for (const x of said) assert.doesNotMatch(x.text, /[a-z]{4,}/, `${x.code} is named, not the machine text`);
});

test('the comparison closes and today\'s ECG stays', async () => {
  const p = b.page;
  await p.click('#prior-close');
  await p.waitForSelector('#ecg-serial', { state: 'detached' });
  assert.equal(await p.$('#ecg-prior-viewer'), null);
  await p.waitForSelector('#ecg-viewer[data-ready="1"]');
});

test('no console errors', () => {
  b.assertClean();
});
