// A clinic technician sends ECG files that are not DICOM from the upload page: a WFDB record picked as its separate
// files (.hea, .dat and an annotation file, which travel together in one request) and, when the shared development
// data is present, a Contec ECG90A .ECG file from the cart common in township clinics. A file that is neither DICOM
// nor ECG is skipped and says so.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openBrowser, login, waitForRoute, token, api, URL } from '../lib/harness.mjs';
import { acknowledgeCriticals } from '../lib/flows.mjs';

const LUDB = join(import.meta.dirname, '../../data/ecg/ludb');
const SHARED = process.env.TELEDX_ECG_DATA || join(import.meta.dirname, '../../../../shared/data/ecg');
const CONTEC = join(SHARED, 'formats/contec/0000037.ECG');
const REASON = '心悸待查 (e2e ecg files)';
let b;
let dir;

before(async () => {
  b = await openBrowser('ecg-upload', { width: 1366, height: 900 });
  dir = mkdtempSync(join(tmpdir(), 'teledx-e2e-ecgfiles-'));
  writeFileSync(join(dir, 'notes.txt'), 'not an ECG');
});
after(async () => {
  await b.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The upload session's id from the page's file requests, and what the server says it received. */
function watchUploads(p) {
  const ids = new Set();
  p.on('request', (r) => {
    const m = /\/api\/uploads\/([0-9a-f]+)\/files\?name=/.exec(r.url());
    if (r.method() === 'POST' && m) ids.add(m[1]);
  });
  return async () => {
    assert.equal(ids.size, 1, 'one upload session');
    const [id] = ids;
    const tok = await token('clinic2-tech');
    return { state: (await api('GET', `/api/uploads/${id}`, { token: tok })).json, files: (await api('GET', `/api/uploads/${id}/files`, { token: tok })).json.files };
  };
}

async function openUploadPage(p) {
  await p.goto(`${URL}/#/clinic`);
  await waitForRoute(p, '/clinic');
  await acknowledgeCriticals(p);
  await p.click('#new-exam');
  await waitForRoute(p, '/clinic/upload');
}

const rowText = (p, name) => p.$eval(`.file-row span.name[title="${name}"]`, (s) => s.closest('.file-row').textContent);

/** The newest task of clinic2, as the ECG reader sees it in full. */
async function newestTask() {
  const list = await api('GET', '/api/tasks?sort=newest&limit=1', { token: await token('clinic2-tech') });
  const task = list.json.tasks[0];
  const full = await api('GET', `/api/tasks/${task.id}`, { token: await token('ecg-reader1') });
  assert.equal(full.status, 200);
  return full.json;
}

test('a WFDB record picked as separate files goes up in one request, after the page asks who the patient is', async () => {
  const p = b.page;
  const received = watchUploads(p);
  await login(p, 'clinic2-tech');
  await openUploadPage(p);
  assert.match(await p.textContent('#dropzone'), /康泰 ECG90A/, 'the drop zone names the ECG formats it takes');
  await p.fill('#exam-reason', REASON);
  // The .dat first: it waits for its header, whichever order the files come in.
  const files = [join(LUDB, '3.dat'), join(dir, 'notes.txt'), join(LUDB, '3.hea'), join(LUDB, '3.i')];
  await p.setInputFiles('#file-input', files);
  await p.waitForFunction((n) => document.querySelectorAll('.file-row').length === n, files.length);
  assert.match(await rowText(p, '3.dat'), /随 3\.hea 一起发送/);
  assert.match(await rowText(p, '3.i'), /随 3\.hea 一起发送/);
  assert.match(await rowText(p, 'notes.txt'), /不是 DICOM 或心电图文件，已跳过/);
  assert.match(await rowText(p, '3.hea'), /等待上传/);
  assert.match(await p.textContent('.overall'), /0 \/ 1 个文件/, 'one record to send');

  // A WFDB record names no patient: the page asks before anything is sent, and opens the patient fields.
  await p.click('#send-exam');
  await p.waitForSelector('.form-error:not([hidden])');
  assert.match(await p.textContent('.form-error'), /不含患者信息/);
  assert.ok(await p.$eval('#patient-box', (d) => d.open), 'the patient fields open');
  await p.fill('#patient-name', '李明');
  await p.fill('#patient-id', 'MZ20261129');
  await p.selectOption('#patient-sex', 'M');
  await p.fill('#patient-birth', '1961-03-02');
  await b.shot('wfdb-ready');
  await p.click('#send-exam');
  await p.waitForSelector('#to-list', { timeout: 30000 });
  assert.equal(await p.$$eval('.file-row.done', (r) => r.length), 3, 'the record\'s three files are done, the text file not');
  await b.shot('wfdb-done');

  const { state, files: got } = await received();
  assert.equal(state.completed, true);
  assert.deepEqual(got.map((f) => [f.name, f.stored, f.failed]), [['3.hea', 1, 0]], 'one request, one ECG stored');
  assert.equal(state.studies[0].instances, 1);
  const task = await newestTask();
  assert.equal(task.kind, 'ecg');
  assert.equal(task.request.reason, REASON);
  assert.equal(task.patient.name, '李明');
  assert.equal(task.patient.id, 'MZ20261129');
  assert.ok(task.machine_flags.measurements.heart_rate_bpm > 30, 'the machine analysis ran');
});

test('a Contec ECG90A .ECG file from the cart is sent as it is', async (t) => {
  if (!existsSync(CONTEC)) return t.skip(`Contec sample not present (${CONTEC})`);
  const p = b.page;
  const received = watchUploads(p);
  await openUploadPage(p);
  await p.fill('#exam-reason', REASON + ' contec');
  await p.setInputFiles('#file-input', [CONTEC]);
  await p.waitForFunction(() => document.querySelectorAll('.file-row').length === 1);
  assert.match(await rowText(p, '0000037.ECG'), /等待上传/);
  await p.click('#send-exam');
  await p.waitForSelector('#to-list', { timeout: 30000 });
  const { files: got } = await received();
  assert.deepEqual(got.map((f) => [f.name, f.stored]), [['0000037.ECG', 1]]);
  const task = await newestTask();
  assert.equal(task.request.reason, REASON + ' contec');
  assert.ok(task.patient.name, 'the patient named in the file');

  // This recording's chest electrodes were never connected (V1-V6 hold no signal). The technician is told on the
  // exam list and on the exam's page, while the patient may still be there.
  await p.click('#to-list');
  await waitForRoute(p, '/clinic');
  const chip = `tr[data-task="${task.id}"] .chip.signal-warn`;
  await p.waitForSelector(chip, { timeout: 15000 });
  assert.equal(await p.textContent(chip), '信号质量差，建议重新描记');
  await p.click(`tr[data-task="${task.id}"]`);
  await waitForRoute(p, '/clinic/exam/' + task.id);
  await p.waitForSelector('#signal-problems');
  const items = await p.$$eval('#signal-problems li', (xs) => xs.map((x) => x.textContent));
  assert.deepEqual(items, ['导联脱落（V1、V2、V3、V4、V5、V6）', '建议重新描记']);
  assert.match(await p.textContent('#signal-problems'), /重新描记并上传/);
  // The tracing under it names the chest leads as not connected rather than drawing them as flat lines.
  await p.waitForSelector('#result-ecg-viewer[data-ready="1"]', { timeout: 15000 });
  assert.equal(await p.$eval('#result-ecg-viewer', (v) => v.dataset.unconnected), 'V1,V2,V3,V4,V5,V6');
  await b.shot('contec-signal-problems');
});

test('no console errors', () => {
  b.assertClean();
});
