// An 18-lead ECG (the twelve plus V3R-V5R and V7-V9, recorded in Chinese chest-pain work-ups) of a posterior
// infarction: ST elevation in V7-V9, its mirror image (ST depression) in V1-V2. The machine flags a posterior STEMI
// from V7-V9, so the reader must see those leads: on the viewer's 3×4 and 6×2 pages, in the ST table, and on the
// printed tracing. The same ECG stored as a cart stores 18 leads in DICOM (two rhythm groups) reads the same.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openBrowser, login, waitForRoute, token, api, URL } from '../lib/harness.mjs';
import { sendExam } from '../lib/flows.mjs';
import { analysedTask as whenAnalysed, ecgDicom, gaussian, leadsCsv } from '../lib/ecg.mjs';

const FS = 500;
const SECONDS = 10;
const NAMES = ['I', 'II', 'III', 'aVR', 'aVL', 'aVF', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6', 'V3R', 'V4R', 'V5R', 'V7', 'V8', 'V9'];
const ADDED = ['V3R', 'V4R', 'V5R', 'V7', 'V8', 'V9'];
let b;
let taskId;

/** Sinus rhythm at 75/min; per lead P, R, S, T and the ST shift at J+60 (mV). Returns {lead: Float64Array (mV)}. */
function synthetic() {
  const amp = {
    I: [0.08, 0.7, -0.1, 0.2, 0], II: [0.12, 1.1, -0.1, 0.3, 0], III: [0.05, 0.4, -0.05, 0.1, 0], aVR: [-0.1, -0.8, 0.1, -0.25, 0],
    aVL: [0.02, 0.15, -0.05, 0.05, 0], aVF: [0.09, 0.75, -0.08, 0.2, 0], V1: [0.05, 0.2, -0.9, -0.05, -0.12],
    V2: [0.06, 0.4, -1.2, 0.1, -0.15], V3: [0.06, 0.7, -0.8, 0.2, -0.1], V4: [0.07, 1.2, -0.4, 0.35, 0], V5: [0.07, 1.3, -0.2, 0.3, 0],
    V6: [0.07, 1.0, -0.1, 0.25, 0], V3R: [0.04, 0.2, -0.6, -0.05, 0], V4R: [0.04, 0.2, -0.5, -0.05, 0], V5R: [0.04, 0.2, -0.4, -0.05, 0],
    V7: [0.05, 0.5, -0.2, 0.15, 0.2], V8: [0.05, 0.4, -0.2, 0.12, 0.2], V9: [0.04, 0.3, -0.15, 0.1, 0.18],
  };
  const n = FS * SECONDS;
  const sig = Object.fromEntries(NAMES.map((k) => [k, new Float64Array(n)]));
  const bump = (s, t, a, sd) => gaussian(s, FS, t, a, sd);
  for (let t = 0.5; t < SECONDS - 0.5; t += 0.8) {
    for (const k of NAMES) {
      const [p, r, sw, tw, st] = amp[k];
      const s = sig[k];
      bump(s, t - 0.16, p, 0.02);
      bump(s, t - 0.012, -0.05 * Math.abs(r), 0.006);
      bump(s, t, r, 0.009);
      bump(s, t + 0.025, sw, 0.01);
      bump(s, t + 0.27, tw, 0.05);
      // The ST shift: from the J point, rising into the T wave.
      for (let m = Math.round((t + 0.05) * FS); m < Math.round((t + 0.3) * FS); m++) {
        const x = (m / FS - (t + 0.05)) / 0.25;
        s[m] += st * Math.sin((Math.PI * Math.min(1, x * 1.6 + 0.2)) / 1.4);
      }
    }
  }
  return sig;
}

function syntheticCsv() {
  return leadsCsv(synthetic(), NAMES, FS);
}

/** MDC lead codes (ISO/IEEE 11073-10101, the SCP-ECG numbering). */
const MDC = { I: 1, II: 2, V1: 3, V2: 4, V3: 5, V4: 6, V5: 7, V6: 8, V7: 9, V3R: 11, V4R: 12, V5R: 13, III: 61, aVR: 62, aVL: 63, aVF: 64, V8: 66, V9: 67 };

/**
 * The same ECG as a cart stores 18 leads in the 12-lead IOD: a median-beat group first, then the twelve in one rhythm
 * group and the six added leads in a second one recorded together (13 channels a group at most).
 */
function eighteenLeadDicom() {
  const sig = synthetic();
  const group = (label, names, from, to) => ({
    label, rate: FS, channels: names.map((x) => ({ code: `2:${MDC[x]}`, meaning: `MDC_ECG_LEAD_${x.toUpperCase()}` })),
    samples: names.map((x) => Array.from(sig[x].subarray(from, to), (v) => v * 1000)),
  });
  return ecgDicom([group('MEDIAN BEAT', NAMES.slice(0, 12), 0, 600), group('RHYTHM', NAMES.slice(0, 12), 0, FS * SECONDS),
    group('RHYTHM', ADDED, 0, FS * SECONDS)], { patientName: 'Qian^Zheng=钱^正', patientId: 'E2E-18-DCM' });
}

/** The task once the server's ECG analysis has raised its critical flags (15 s at most). */
const analysedTask = (id) => whenAnalysed(id, (t) => t.machine_flags.critical);

/** Width and height of a PNG from its IHDR. */
function pngSize(bytes) {
  const v = new DataView(bytes.buffer, bytes.byteOffset);
  return { width: v.getUint32(16), height: v.getUint32(20) };
}

before(async () => {
  b = await openBrowser('ecg-18-lead', { width: 1440, height: 900 });
});
after(async () => {
  await b.close();
});

test('an 18-lead CSV of a posterior infarction becomes a stat ECG task flagged from V7-V9', async () => {
  const tok = await token('clinic1-tech');
  const up = await api('POST', '/api/uploads', { token: tok, body: { reason: '胸痛1小时，18导联 (e2e 18-lead)', patient: { name: '钱正' } } });
  const r = await fetch(`${URL}/api/uploads/${up.json.upload_id}/files?name=ecg18.csv`, {
    method: 'POST', headers: { Authorization: 'Bearer ' + tok, 'Content-Type': 'text/csv' }, body: syntheticCsv(),
  });
  assert.equal(r.status, 200, await r.text());
  assert.equal((await api('POST', `/api/uploads/${up.json.upload_id}/complete`, { token: tok })).status, 200);
  taskId = (await api('GET', '/api/tasks?sort=newest&limit=1', { token: tok })).json.tasks[0].id;
  const task = await analysedTask(taskId);
  const critical = task.machine_flags.critical.map((c) => c.code);
  assert.ok(critical.includes('critical_stemi'), `critical flags: ${critical.join(', ')}`);
  assert.match(JSON.stringify(task.machine_flags.critical), /V7, V8, V9/);
  assert.equal(task.priority, 'stat');
});

test('the reader sees V3R-V5R and V7-V9 on the 3×4 and 6×2 pages and in the ST table', async () => {
  const p = b.page;
  await login(p, 'ecg-reader1');
  await waitForRoute(p, '/worklist');
  await p.goto(`${URL}/#/read/${taskId}`);
  await p.waitForSelector('#ecg-viewer[data-ready="1"]', { timeout: 15000 });
  const shown = () => p.$eval('#ecg-viewer', (v) => ({ layout: v.dataset.layout, leads: v.dataset.leads.split(',') }));
  let view = await shown();
  assert.equal(view.layout, '3x4');
  assert.equal(view.leads.length, 19, `eighteen leads and the rhythm strip: ${view.leads}`);
  for (const lead of ADDED) assert.ok(view.leads.includes(lead), `${lead} on the 3×4 page`);
  await b.shot('ecg-18-lead-3x4');
  await p.click('[data-seg="layout"] button[data-v="6x2"]');
  view = await shown();
  assert.equal(view.layout, '6x2');
  assert.deepEqual([...view.leads].sort(), [...NAMES].sort(), 'the eighteen leads, no rhythm strip');
  await p.click('[data-seg="layout"] button[data-v="strips"]');
  assert.equal((await shown()).leads.length, 18);
  const stHeads = await p.$$eval('.ecg-st-table th', (ths) => ths.map((x) => x.textContent));
  // No cart statements in a CSV: the panel goes from its heading to the measurements, with no stray "null".
  assert.doesNotMatch(await p.textContent('#ecg-viewer .ecg-analysis'), /null/);
  for (const lead of ['V7', 'V8', 'V9']) assert.ok(stHeads.includes(lead), `ST at J+60 of ${lead}: ${stHeads}`);
});

test('the printed tracing has two more rows for the added leads and fits A4 landscape at 25 mm/s', async () => {
  const tok = await token('ecg-reader1');
  const r = await fetch(`${URL}/api/tasks/${taskId}/ecg.png`, { headers: { Authorization: 'Bearer ' + tok } });
  assert.equal(r.status, 200);
  const { width, height } = pngSize(new Uint8Array(await r.arrayBuffer()));
  // The page is (12 + 250 + 5) mm wide at 25 mm/s; 3×4 with a rhythm strip and two header lines of statements is
  // (36 + 4 × 30 + 8) mm high. The two rows of added leads make it taller, up to what A4 landscape prints (192 mm).
  const heightMm = height / (width / 267);
  assert.ok(heightMm > 36 + 4 * 30 + 8 + 20 && heightMm <= 192.5, `page ${width} × ${height} px: ${heightMm.toFixed(0)} mm high`);
});

test('the same ECG as a DICOM of two rhythm groups and a median beat reads as the 18 leads, flagged alike', async () => {
  const id = await sendExam('clinic1-tech', [{ name: 'ecg18.dcm', bytes: eighteenLeadDicom() }], { reason: '胸痛，18导联 DICOM (e2e 18-lead)' });
  const task = await analysedTask(id);
  assert.match(JSON.stringify(task.machine_flags.critical), /V7, V8, V9/, 'the second group\'s leads are analysed');
  const p = b.page;
  await p.goto(`${URL}/#/read/${id}`);
  await p.waitForSelector('#ecg-viewer[data-ready="1"]', { timeout: 15000 });
  const view = await p.$eval('#ecg-viewer', (v) => ({ layout: v.dataset.layout, leads: v.dataset.leads.split(','), t0: v.dataset.t0 }));
  assert.equal(view.layout, '3x4', 'a 12-lead page, not the median beat as strips');
  assert.equal(view.leads.length, 19, `eighteen leads and the rhythm strip: ${view.leads}`);
  for (const lead of ADDED) assert.ok(view.leads.includes(lead), `${lead} from the second group`);
  await b.shot('ecg-18-lead-dicom');
});

test('no console errors', () => {
  b.assertClean();
});
