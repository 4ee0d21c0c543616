// The clinic's quality feedback history: the reading center grades a clinic's exams (C for motion and
// positioning); the technician sees every graded exam with grade, problems and comment, a summary by grade and
// the most frequent problems, and a new grade appears live while the page is open.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openBrowser, login, waitForRoute } from '../lib/harness.mjs';
import { writeCtSeries } from '../lib/dicom.mjs';
import { sendExam, grade } from '../lib/flows.mjs';

const WORK = mkdtempSync(join(tmpdir(), 'teledx-e2e-quality-'));
let b;
let poor;
let good;

before(async () => {
  poor = await sendExam('clinic3-tech', writeCtSeries(join(WORK, 'a'), { slices: 2, patientName: 'Wu^Gang=吴^刚' }).files,
    { reason: '腹痛 (e2e quality)' });
  good = await sendExam('clinic3-tech', writeCtSeries(join(WORK, 'b'), { slices: 2, patientName: 'Zheng^Hui=郑^慧' }).files,
    { reason: '头晕 (e2e quality)' });
  await grade('img-reader1', poor, 'C', ['motion', 'positioning'], '扫描时请嘱患者屏气，双臂上举。');
  b = await openBrowser('quality', { width: 1366, height: 768 });
});
after(async () => {
  await b.close();
  rmSync(WORK, { recursive: true, force: true });
});

test('the clinic sees its graded exams with the grade, the problems and the reader\'s comment', async () => {
  const p = b.page;
  await login(p, 'clinic3-tech');
  await waitForRoute(p, '/clinic');
  await p.click('a.nav-link[href="#/clinic/quality"]');
  await waitForRoute(p, '/clinic/quality');
  await p.waitForSelector(`#quality-table tr[data-task="${poor}"]`);
  assert.equal(await p.$(`#quality-table tr[data-task="${good}"]`), null, 'an exam not graded is not listed');
  const row = await p.textContent(`#quality-table tr[data-task="${poor}"]`);
  assert.match(row, /丙级/);
  assert.match(row, /运动伪影、摆位不当/);
  assert.match(row, /请嘱患者屏气/);
  assert.match(row, /吴刚/);
  assert.match(row, /技师 3/, 'the technician who sent the exam');
  assert.match(await p.textContent('#quality-reasons'), /运动伪影 ×1/);
  assert.match(await p.textContent('#quality-summary .kpi.grade-C'), /1 · 100%/);
  await b.shot('quality-history');
});

test('a grade given with a signed report appears without reloading, and a row opens the exam', async () => {
  const p = b.page;
  // Grades alone are not sent to clinics (docs/events.md); the signed report that follows them is.
  await grade('img-reader1', good, 'A', [], '', { sign: true });
  await p.waitForSelector(`#quality-table tr[data-task="${good}"]`, { timeout: 8000 });
  assert.match(await p.textContent(`#quality-table tr[data-task="${good}"] [data-grade]`), /甲级/);
  assert.match(await p.textContent('#quality-summary .kpi.grade-C'), /1 · 50%/);
  await p.click(`#quality-table tr[data-task="${poor}"]`);
  await waitForRoute(p, '/clinic/exam/' + poor);
  await p.waitForSelector('#result-waiting, #report-doc');
});

test('no console errors', () => {
  b.assertClean();
});
