// The full story in two browsers side by side: a technician sends a CT with its request; a reader sees it in the
// worklist, claims it, reads it in the viewer (scroll, window, measure), flags a critical value, writes and signs
// the report; the clinic confirms the critical value, sees the result and can print it; another clinic cannot
// open the exam by URL. Then the lead's dispatch board, statistics and the admin console.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { openBrowser, login, logout, waitForRoute, canvasInk, token, api, URL } from '../lib/harness.mjs';
import { writeCtSeries } from '../lib/dicom.mjs';

const REASON = '咳嗽发热3天，排除肺炎 (e2e)';
let clinic;
let reader;
let ct;
let taskId;
let otherTaskId; // the clinic's second exam, sent while the critical alert is open; the lead dispatches it
let liveSeen = false;
const WORK = mkdtempSync(join(tmpdir(), 'teledx-e2e-ct-')); // generated DICOM files, removed at the end

before(async () => {
  ct = writeCtSeries(join(WORK, 'ct1'), { slices: 6, patientName: 'Wang^Fang=王^芳' });
  // DCMTK, when installed, must read the generated file without complaint.
  const dump = spawnSync('dcmdump', ['-q', '+E', ct.files[0]], { encoding: 'utf8' });
  if (!dump.error) assert.equal(dump.status, 0, `dcmdump reads the generated CT: ${dump.stderr}`);
  clinic = await openBrowser('clinic', { width: 1366, height: 768 });
  reader = await openBrowser('reader', { width: 1600, height: 900 });
});
after(async () => {
  await clinic.close();
  await reader.close();
  rmSync(WORK, { recursive: true, force: true });
});

test('the reader opens the worklist before the exam arrives', async () => {
  await login(reader.page, 'img-reader1');
  await waitForRoute(reader.page, '/worklist');
  await reader.page.waitForSelector('#worklist');
  await reader.page.waitForSelector('.live-dot.live', { timeout: 5000 });
});

test('the clinic sends a CT with its request and sees it in its list', async () => {
  const p = clinic.page;
  await login(p, 'clinic1-tech');
  await waitForRoute(p, '/clinic');
  await p.click('#new-exam');
  await waitForRoute(p, '/clinic/upload');
  await p.fill('#exam-reason', REASON);
  await p.fill('#exam-history', '高血压10年');
  await p.click('label[data-prio="urgent"]');
  await p.setInputFiles('#file-input', ct.files);
  await p.waitForFunction((n) => document.querySelectorAll('.file-row').length === n, ct.files.length);
  await clinic.shot('upload-ready');
  await p.click('#send-exam');
  await p.waitForSelector('#to-list', { timeout: 30000 });
  assert.equal(await p.$$eval('.file-row.done', (r) => r.length), ct.files.length, 'every file uploaded');
  await clinic.shot('upload-done');
  await p.click('#to-list');
  await waitForRoute(p, '/clinic');
  const row = await p.waitForSelector('tr[data-task]');
  taskId = await row.getAttribute('data-task');
  const text = await row.textContent();
  assert.match(text, /王芳/);
  assert.match(text, /加急/);
  assert.match(text, /等待阅片/);
  assert.match(text, /咳嗽发热/);
  await clinic.shot('clinic-list');
  // Before anyone at the center has acted, the exam's page shows when it arrived there.
  await p.click(`tr[data-task="${taskId}"]`);
  await waitForRoute(p, '/clinic/exam/' + taskId);
  const history = await (await p.waitForSelector('#result-history tr')).textContent();
  assert.match(history, /中心已接收/);
  await p.goBack();
  await waitForRoute(p, '/clinic');
});

test('the reader sees the new exam in the worklist', async () => {
  const p = reader.page;
  try {
    await p.waitForSelector(`tr[data-task="${taskId}"]`, { timeout: 6000 });
    liveSeen = true;
  } catch {
    // The websocket event stream may not carry worklist events yet: a reload must show it.
    await p.reload();
    await p.waitForSelector(`tr[data-task="${taskId}"]`, { timeout: 6000 });
  }
  const text = await p.textContent(`tr[data-task="${taskId}"]`);
  assert.match(text, /王芳/);
  assert.match(text, /待领取/);
  await reader.shot('worklist');
  if (!liveSeen) console.log('# note: the worklist did not update live; it showed the exam after a reload');
});

test('the reader claims it and the viewer draws the CT', async () => {
  const p = reader.page;
  await p.evaluate(() => document.addEventListener('click', () => { window.e2eClickAt = performance.now(); }, { capture: true, once: true }));
  await p.click(`tr[data-task="${taskId}"] button.claim`);
  await waitForRoute(p, '/read/' + taskId);
  await p.waitForSelector('#viewer-stage[data-ready="1"]', { timeout: 15000 });
  const ms = await p.evaluate(() => performance.getEntriesByName('teledx-first-image').pop().startTime - window.e2eClickAt);
  console.log(`# first image drawn ${Math.round(ms)} ms after the claim click (claim, series, metadata and frame requests)`);
  await p.waitForTimeout(300);
  const ink = await canvasInk(p);
  assert.ok(ink > 0.1, `the canvas shows the image (lit fraction ${ink.toFixed(3)})`);
  assert.equal(await p.getAttribute('#viewer-stage', 'data-count'), String(ct.files.length));
  assert.equal(await p.getAttribute('#viewer-stage', 'data-wl'), '400/40', 'the window from the file');
  await reader.shot('viewer');
});

test('the reader scrolls, changes the window and measures', async () => {
  const p = reader.page;
  const stage = await p.$('#viewer-stage');
  const box = await stage.boundingBox();
  await p.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await p.mouse.wheel(0, 120);
  await p.waitForFunction(() => document.querySelector('#viewer-stage').dataset.index !== '0');
  await p.keyboard.press('End');
  await p.waitForFunction((n) => document.querySelector('#viewer-stage').dataset.index === String(n - 1), ct.files.length);
  await p.keyboard.press('1');
  await p.waitForFunction(() => document.querySelector('#viewer-stage').dataset.wl === '1500/-600');
  // Drag to change the window.
  await p.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await p.mouse.down();
  await p.mouse.move(box.x + box.width / 2 + 80, box.y + box.height / 2 + 40, { steps: 5 });
  await p.mouse.up();
  assert.notEqual(await p.getAttribute('#viewer-stage', 'data-wl'), '1500/-600', 'dragging changes the window');
  await p.keyboard.press('2');
  // A distance measurement.
  await p.keyboard.press('m');
  await p.mouse.move(box.x + box.width * 0.35, box.y + box.height * 0.5);
  await p.mouse.down();
  await p.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.5, { steps: 4 });
  await p.mouse.up();
  await p.keyboard.press('w');
  await p.click('#toggle-tags');
  await p.waitForSelector('#tag-panel:not([hidden]) td');
  assert.match(await p.textContent('#tag-panel'), /PixelSpacing/);
  await reader.shot('viewer-measured');
  await p.click('#toggle-tags');
});

test('the reader flags a critical value, writes and signs the report', async () => {
  const p = reader.page;
  await p.waitForSelector('#report-editor');
  // The chest CT template is chosen from the exam's body part.
  assert.match(await p.inputValue('#findings'), /双肺/);
  await p.click('#flag-critical');
  await p.selectOption('#critical-category', 'pneumothorax');
  await p.fill('#critical-note', '右侧气胸，肺压缩约30%');
  await p.click('.modal .btn.danger');
  await p.waitForFunction(() => document.querySelector('#flag-critical').disabled);
  await p.fill('#impression', '右侧气胸，请临床及时处理。');
  await p.click('#quality-grade button[data-grade="A"]');
  await p.waitForFunction(() => /已自动保存/.test(document.querySelector('#save-state').textContent), null, { timeout: 10000 });
  await reader.shot('report');
  await p.click('#sign-report');
  await p.waitForSelector('#report-doc', { timeout: 10000 });
  assert.match(await p.textContent('#report-doc'), /右侧气胸/);
  await reader.shot('signed');
});

test('the clinic is alerted to the critical value and must confirm it', async () => {
  const p = clinic.page;
  try {
    await p.waitForSelector('.modal.critical-alert', { timeout: 6000 });
  } catch {
    console.log('# note: the critical alert did not arrive live; it showed after a reload');
    await p.reload();
    await p.waitForSelector('.modal.critical-alert', { timeout: 6000 });
  }
  assert.match(await p.textContent('.modal.critical-alert'), /气胸/);
  await clinic.shot('critical-alert');
  // While the alert waits the page does not keep asking for the task list: every answer would still hold the flag.
  // The signing's event has reached the list under the dialog first (under CI load it once came during the count).
  await p.waitForFunction((id) => /已出报告/.test(document.querySelector(`tr[data-task="${id}"]`).textContent), taskId,
    { timeout: 10000 });
  await p.waitForTimeout(500);
  // A new exam from the same clinic while the alert is open (its doctor sends one): the list under the dialog
  // reloads at the live event and shows it; the alert's own check waits until the dialog is closed (it once asked
  // at every event too, and 151 times in 1.5 s before that).
  let asked = 0;
  const count = (req) => { if (/\/api\/tasks\?/.test(req.url())) asked += 1; };
  p.on('request', count);
  otherTaskId = await sendExamByApi('clinic1-doctor', '外伤后胸痛', 'stat');
  await p.waitForSelector(`tr[data-task="${otherTaskId}"]`, { state: 'attached', timeout: 10000 });
  await p.waitForTimeout(1000);
  p.off('request', count);
  assert.ok(asked >= 1, 'the list under the alert reloads at the live event');
  assert.ok(asked <= 1, `the task list was asked for ${asked} times while the alert was open (one live event)`);
  await p.fill('#critical-readback', '李医生');
  await p.click('.modal.critical-alert .btn.danger');
  await p.waitForSelector('.modal.critical-alert', { state: 'detached' });
  // A confirmed flag does not come back (an answer from before the confirmation once showed it again).
  await p.waitForTimeout(1000);
  assert.equal(await p.$('.modal.critical-alert'), null, 'the confirmed alert stays closed');
});

test('the clinic sees the signed result and can print it', async () => {
  const p = clinic.page;
  await p.goto(URL + '/#/clinic');
  await p.waitForSelector(`tr[data-task="${taskId}"] [data-state]`);
  await p.waitForFunction((id) => /已出报告/.test(document.querySelector(`tr[data-task="${id}"]`).textContent), taskId, { timeout: 10000 });
  await p.click(`tr[data-task="${taskId}"]`);
  await waitForRoute(p, '/clinic/exam/' + taskId);
  await p.waitForSelector('#report-doc');
  const doc = await p.textContent('#report-doc');
  assert.match(doc, /右侧气胸，请临床及时处理/);
  assert.match(doc, /王芳/);
  assert.ok(await p.$('#print-report'), 'a print button');
  assert.match(await p.textContent('.critical-banner'), /李医生/);
  const history = await p.$$eval('#result-history tr', (rows) => rows.map((r) => r.textContent));
  assert.match(history[0], /中心已接收/);
  assert.ok(history.some((r) => /签发报告/.test(r)), 'the signing is in the history after the arrival: ' + history.join(' / '));
  const pdf = await p.pdf({ format: 'A4' }).catch(() => null);
  if (pdf) assert.ok(pdf.length > 1000, 'the report prints to PDF');
  await clinic.shot('result');
  await p.click('#ack-report');
  await p.waitForSelector('#ack-report', { state: 'detached' });
});

test('another clinic cannot open this exam by URL', async () => {
  const p = clinic.page;
  await logout(p);
  await login(p, 'clinic2-tech');
  await waitForRoute(p, '/clinic');
  clinic.allowHttpErrors(new RegExp(`/api/tasks/${taskId}(/report)?$`));
  await p.goto(`${URL}/#/clinic/exam/${taskId}`);
  await p.waitForSelector('#result-error');
  assert.doesNotMatch(await p.textContent('body'), /王芳/);
  await logout(p);
});

/** Sends an exam over the upload API, as a clinic's browser would; returns the new task's id. */
async function sendExamByApi(user, reason, priority) {
  const tok = await token(user);
  const files = writeCtSeries(join(WORK, 'ct2'), { slices: 2, patientName: 'Zhao^Lei=赵^磊' }).files;
  const up = await api('POST', '/api/uploads', { token: tok, body: { reason, priority } });
  for (const f of files) {
    const r = await fetch(`${URL}/api/uploads/${up.json.upload_id}/files?name=x.dcm`, {
      method: 'POST', headers: { Authorization: 'Bearer ' + tok, 'Content-Type': 'application/dicom' }, body: readFileSync(f),
    });
    assert.equal(r.status, 200);
  }
  assert.equal((await api('POST', `/api/uploads/${up.json.upload_id}/complete`, { token: tok })).status, 200);
  const list = await api('GET', '/api/tasks?sort=newest&limit=1', { token: tok });
  return list.json.tasks[0].id;
}

test('the lead dispatches a task to a reader and sees the day\'s statistics', async () => {
  const p = reader.page;
  await logout(p);
  const other = otherTaskId;
  await login(p, 'img-lead');
  await waitForRoute(p, '/worklist');
  await p.goto(URL + '/#/dispatch');
  await p.waitForSelector('#reader-list .reader-card');
  await p.waitForSelector(`#dispatch-tasks tr[data-task="${other}"]`);
  const reader2 = await p.$$eval('#reader-list .reader-card', (cards) =>
    cards.find((c) => c.querySelector('.rc-name').textContent.includes('影像医师二')).dataset.user);
  await p.selectOption(`select[data-task="${other}"]`, reader2);
  await p.waitForFunction(([id, uid]) => {
    const sel = document.querySelector(`select[data-task="${id}"]`);
    const row = document.querySelector(`#dispatch-tasks tr[data-task="${id}"]`);
    return row && /已领取/.test(row.textContent) && sel && sel.options[0].textContent.includes('二');
  }, [other, reader2]);
  await reader.shot('dispatch');
  await p.goto(URL + '/#/stats');
  await p.waitForSelector('#stats-kpis .kpi');
  assert.match(await p.textContent('#stats-kpis'), /已签发\s*1/);
  await reader.shot('stats');
  await logout(p);
});

test('the admin sees users, institutions and the audit log', async () => {
  const p = reader.page;
  await login(p, 'admin');
  await waitForRoute(p, '/admin/users');
  await p.waitForSelector('#user-table tr[data-user="clinic1-tech"]');
  await p.goto(URL + '/#/admin/institutions');
  await p.waitForSelector('#inst-table tr[data-inst="CLINIC1"]');
  await p.goto(URL + '/#/admin/audit');
  await p.waitForSelector('#audit-table tbody tr');
  assert.match(await p.textContent('#audit-table'), /sign/);
  await reader.shot('audit');
  await p.click('button[data-lang="en"]');
  await p.waitForFunction(() => document.querySelector('h1')?.textContent === 'Administration');
  await reader.shot('audit-en');
  await p.click('button[data-lang="zh-CN"]');
});

test('no console errors in either browser', () => {
  clinic.assertClean();
  reader.assertClean();
});
