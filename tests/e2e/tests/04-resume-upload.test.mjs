// Resuming an upload: the connection drops while a technician sends a CT (two of four files get through), the
// page is reloaded; the technician picks the same files again and only the two missing ones are sent. What was
// received comes from the server (GET /api/uploads/{id}/files), not only from the browser's own memory.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openBrowser, login, waitForRoute, token, api } from '../lib/harness.mjs';
import { writeCtSeries } from '../lib/dicom.mjs';

const WORK = mkdtempSync(join(tmpdir(), 'teledx-e2e-resume-'));
let b;
let ct;
let uploadId;

before(async () => {
  ct = writeCtSeries(join(WORK, 'ct'), { slices: 4, patientName: 'Sun^Li=孙^丽', patientId: 'RESUME-1' });
  b = await openBrowser('resume', { width: 1366, height: 768 });
  // Uploads cut off on purpose produce network errors in the console.
  b.allowHttpErrors(/\/api\/uploads\//);
});
after(async () => {
  await b.close();
  rmSync(WORK, { recursive: true, force: true });
});

test('a wrong national ID is refused in the form before anything is sent', async () => {
  const p = b.page;
  await login(p, 'clinic3-tech');
  await waitForRoute(p, '/clinic');
  await p.goto(p.url().replace(/#.*/, '#/clinic/upload'));
  await p.waitForSelector('#exam-nid');
  await p.fill('#exam-reason', '头痛一周 (e2e resume)');
  await p.fill('#exam-nid', '12345');
  await p.setInputFiles('#file-input', ct.files);
  await p.waitForFunction(() => document.querySelectorAll('.file-row').length === 4);
  await p.click('#send-exam');
  await p.waitForSelector('.form-error:not([hidden])');
  assert.match(await p.textContent('.form-error'), /身份证号/);
  assert.equal(await p.$$eval('.file-row.done', (r) => r.length), 0);
});

test('the connection drops after two of four files; the browser remembers the session', async () => {
  const p = b.page;
  await p.fill('#exam-nid', '11010119610302123X');
  // Files 3 and 4 never reach the server: the connection is reset under them.
  await p.route(/\/files\?name=CT000[34]/, (route) => route.abort('connectionreset'));
  await p.click('#send-exam');
  await p.waitForFunction(() => document.querySelectorAll('.file-row.done').length === 2, null, { timeout: 15000 });
  await p.waitForFunction(() => document.querySelectorAll('.file-row.failed, .file-row.waiting').length === 2);
  await b.shot('dropped');
  const saved = await p.evaluate(() => {
    const key = Object.keys(localStorage).find((k) => k.startsWith('teledx.upload.'));
    return JSON.parse(localStorage.getItem(key));
  });
  uploadId = saved.id;
  assert.deepEqual(Object.keys(saved.sent).sort(), ['CT0001.dcm', 'CT0002.dcm']);
  const listed = await api('GET', `/api/uploads/${uploadId}/files`, { token: await token('clinic3-tech') });
  assert.equal(listed.status, 200);
  assert.deepEqual(listed.json.files.map((f) => f.name), ['CT0001.dcm', 'CT0002.dcm']);
  assert.ok(listed.json.files.every((f) => f.stored === 1 && f.size > 100000));
  // Forget the browser's own list: after the reload, the server's list alone must say what arrived.
  await p.evaluate(() => {
    const key = Object.keys(localStorage).find((k) => k.startsWith('teledx.upload.'));
    const v = JSON.parse(localStorage.getItem(key));
    v.sent = {};
    localStorage.setItem(key, JSON.stringify(v));
  });
});

test('after a reload only the missing files are sent and the exam is complete', async () => {
  const p = b.page;
  await p.unroute(/\/files\?name=CT000[34]/);
  await p.reload();
  await p.waitForSelector('#resume-banner:not([hidden])');
  assert.match(await p.textContent('#resume-banner'), /已收到 2 个文件/);
  assert.equal(await p.inputValue('#exam-reason'), '头痛一周 (e2e resume)', 'the request is restored');
  assert.ok(await p.$eval('#exam-reason', (x) => x.disabled), 'and cannot change: it is already on the server');
  const sent = [];
  p.on('request', (r) => { if (r.method() === 'POST' && /\/files\?name=/.test(r.url())) sent.push(decodeURIComponent(r.url().split('name=')[1])); });
  await p.setInputFiles('#file-input', ct.files);
  await p.waitForFunction(() => document.querySelectorAll('.file-row').length === 4);
  await p.waitForFunction(() => document.querySelectorAll('.file-row.done').length === 2);
  assert.match(await p.textContent('.file-list'), /此前已上传/);
  assert.match(await p.textContent('.overall'), /2 \/ 4 个文件/);
  await b.shot('resumed');
  await p.click('#send-exam');
  await p.waitForSelector('#to-list', { timeout: 30000 });
  assert.deepEqual(sent.sort(), ['CT0003.dcm', 'CT0004.dcm'], 'only the missing files went over the wire');
  const state = await api('GET', `/api/uploads/${uploadId}`, { token: await token('clinic3-tech') });
  assert.equal(state.json.completed, true);
  assert.equal(state.json.studies[0].instances, 4, 'all four images are in the exam');
  assert.equal(await p.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('teledx.upload.')).length), 0,
    'the finished session is forgotten');
  await b.shot('resumed-done');
});

test('a new visit to the upload page starts a fresh exam', async () => {
  const p = b.page;
  await p.click('#to-list');
  await waitForRoute(p, '/clinic');
  await p.goto(p.url().replace(/#.*/, '#/clinic/upload'));
  await p.waitForSelector('#exam-reason');
  assert.equal(await p.$eval('#resume-banner', (x) => x.hidden), true);
  assert.equal(await p.inputValue('#exam-reason'), '');
});

test('no console errors', () => {
  b.assertClean();
});
