// A reader pages through a one-minute two-lead recording (MLII and V1, as a Holter or a MIT-BIH record has them):
// the leads show as full-width strips under their own names, the page moves by 10 s with the buttons and the
// arrow keys, and "next PVC" brings each ventricular beat the machine found onto the page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openBrowser, login, waitForRoute, canvasDarkFraction, token, api, URL } from '../lib/harness.mjs';

const FS = 250;
const SECONDS = 60;
let b;
let taskId;
let pvcTimes;

/**
 * A synthetic two-lead ECG as CSV (mV): sinus beats every 0.9 s with P, narrow QRS and T; every sixth beat comes
 * early (55 % of the interval), without P, wide (σ 28 ms) and opposite in direction, then a compensatory pause;
 * with 50-Hz mains hum on both leads.
 */
function syntheticCsv() {
  const n = FS * SECONDS;
  const mlii = new Float64Array(n);
  const v1 = new Float64Array(n);
  const bump = (sig, t, amp, sigma) => {
    const c = Math.round(t * FS);
    const w = Math.ceil(4 * sigma * FS);
    for (let k = Math.max(0, c - w); k < Math.min(n, c + w); k++) sig[k] += amp * Math.exp(-0.5 * ((k / FS - t) / sigma) ** 2);
  };
  const beats = [];
  let t = 0.6;
  for (let i = 1; t < SECONDS - 1; i++) {
    const ventricular = i % 6 === 0;
    if (ventricular) {
      const at = t - 0.9 + 0.9 * 0.55;
      bump(mlii, at, -1.1, 0.028); bump(v1, at, 1.3, 0.028);
      bump(mlii, at + 0.3, 0.35, 0.06); bump(v1, at + 0.3, -0.4, 0.06);
      beats.push({ at, v: true });
      t = at + 0.9 * 1.45; // the compensatory pause: the next sinus beat on its own time
      continue;
    }
    bump(mlii, t - 0.16, 0.12, 0.02); bump(v1, t - 0.16, 0.06, 0.02);
    bump(mlii, t, 1.2, 0.01); bump(v1, t, -0.8, 0.01);
    bump(mlii, t + 0.28, 0.3, 0.045); bump(v1, t + 0.28, 0.15, 0.045);
    beats.push({ at: t, v: false });
    t += 0.9;
  }
  // 50-Hz hum from the clinic's wiring, 0.1 mV: the analysis finds and removes it, and so does the viewer's filter.
  const hum = (k) => 0.1 * Math.sin((2 * Math.PI * 50 * k) / FS);
  let csv = `# sample_rate=${FS} units=mV\nMLII,V1\n`;
  for (let k = 0; k < n; k++) csv += `${(mlii[k] + hum(k)).toFixed(4)},${(v1[k] + hum(k)).toFixed(4)}\n`;
  return { csv, pvcs: beats.filter((x) => x.v).map((x) => x.at) };
}

before(async () => {
  b = await openBrowser('ecg-long', { width: 1440, height: 900 });
});
after(async () => {
  await b.close();
});

test('a one-minute two-lead CSV becomes an ECG task with the machine\'s ventricular beats', async () => {
  const { csv, pvcs } = syntheticCsv();
  pvcTimes = pvcs;
  const tok = await token('clinic3-tech');
  const up = await api('POST', '/api/uploads', { token: tok, body: { reason: '心悸，动态心电 (e2e long)', patient: { name: '赵敏' } } });
  const r = await fetch(`${URL}/api/uploads/${up.json.upload_id}/files?name=strip.csv`, {
    method: 'POST', headers: { Authorization: 'Bearer ' + tok, 'Content-Type': 'text/csv' }, body: csv,
  });
  assert.equal(r.status, 200, await r.text());
  assert.equal((await api('POST', `/api/uploads/${up.json.upload_id}/complete`, { token: tok })).status, 200);
  const list = await api('GET', '/api/tasks?sort=newest&limit=1', { token: tok });
  taskId = list.json.tasks[0].id;
  let task;
  for (let i = 0; i < 50 && !(task && task.machine_flags && task.machine_flags.beats); i++) {
    task = (await api('GET', `/api/tasks/${taskId}`, { token: await token('ecg-reader1') })).json;
    if (!task.machine_flags || !task.machine_flags.beats) await new Promise((res) => setTimeout(res, 200));
  }
  assert.equal(task.machine_flags.mains_removed_hz, 50, 'the analysis found the hum');
  const found = task.machine_flags.beats.list.filter((x) => x.type === 'V').map((x) => x.t_s);
  // The machine's V beats are the synthetic PVCs (within 60 ms), which is what the buttons below jump to.
  assert.ok(found.length >= pvcs.length - 1, `V beats found ${found.length} of ${pvcs.length}`);
  for (const s of found) assert.ok(pvcs.some((p) => Math.abs(p - s) < 0.06), `V beat at ${s} s is one of the PVCs`);
  pvcTimes = found;
});

test('the reader sees both leads as strips and pages through the minute', async () => {
  const p = b.page;
  await login(p, 'ecg-reader1');
  await waitForRoute(p, '/worklist');
  await p.goto(`${URL}/#/read/${taskId}`);
  await p.waitForSelector('#ecg-viewer[data-ready="1"]', { timeout: 15000 });
  const view = () => p.$eval('#ecg-viewer', (v) => ({ layout: v.dataset.layout, leads: v.dataset.leads, t0: +v.dataset.t0 }));
  assert.deepEqual(await view(), { layout: 'strips', leads: 'MLII,V1', t0: 0 });
  // Drawn with the hum removed, as the cart would print it; "raw" shows it as stored.
  const filter = () => p.$eval('#ecg-viewer', (v) => v.dataset.filter);
  assert.equal(await filter(), 'mains-50');
  assert.equal(await p.textContent('[data-seg="filter"] button.on'), '50 Hz 滤波');
  const ink = () => canvasDarkFraction(p, '#ecg-canvas');
  const clean = await ink();
  await p.click('[data-seg="filter"] button[data-v="raw"]');
  assert.equal(await filter(), 'raw');
  const hairy = await ink();
  assert.ok(hairy > clean * 1.5, `the hum draws more ink raw (${hairy.toFixed(4)}) than filtered (${clean.toFixed(4)})`);
  await p.click('[data-seg="filter"] button[data-v="mains"]');
  assert.ok(await p.$eval('[data-seg="layout"] button[data-v="3x4"]', (x) => x.disabled), 'no 12-lead layout for two leads');
  assert.equal(await p.textContent('#ecg-nav-range'), '0:00:00 – 0:00:10 / 0:01:00');
  await b.shot('strips');

  await p.click('[data-nav="forward"]');
  assert.equal((await view()).t0, 10);
  await p.keyboard.press('ArrowRight');
  assert.equal((await view()).t0, 20);
  await p.keyboard.press('ArrowLeft');
  assert.equal((await view()).t0, 10);
  await p.click('[data-nav="end"]');
  assert.equal((await view()).t0, 50);
  assert.equal(await p.textContent('#ecg-nav-range'), '0:00:50 – 0:01:00 / 0:01:00');
  await p.click('[data-nav="start"]');
  assert.equal((await view()).t0, 0);
});

test('"next PVC" brings each ventricular beat onto the page, a third of the way in', async () => {
  const p = b.page;
  const t0 = async () => +(await p.$eval('#ecg-viewer', (v) => v.dataset.t0));
  for (const [i, s] of pvcTimes.slice(0, 3).entries()) {
    await p.click('[data-nav="next-pvc"]');
    const at = await t0();
    assert.ok(s >= at && s < at + 10, `PVC ${i + 1} at ${s} s is on the page ${at}–${at + 10} s`);
    if (s > 10 / 3) assert.ok(Math.abs(at - (s - 10 / 3)) < 0.02, `a third into the page (t0 ${at})`);
    assert.match(await p.textContent('#ecg-nav-pvc'), new RegExp(`第 ${i + 1}/${pvcTimes.length} 个室早`));
  }
  await b.shot('next-pvc');
  await p.click('[data-nav="prev-pvc"]');
  const back = await t0();
  assert.ok(pvcTimes[1] >= back && pvcTimes[1] < back + 10, 'back to the second PVC');
});

test('no console errors', () => {
  b.assertClean();
});
