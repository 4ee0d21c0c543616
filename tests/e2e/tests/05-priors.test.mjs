// Prior exams side by side: a patient's earlier CT (signed) and a CT from another clinic matched by national ID
// are listed on the reading page; the reader opens the signed prior beside the current CT, scrolls in step
// (by slice location) from either side, unlinks the scrolling, reads the prior's report, and closes the comparison.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openBrowser, login, waitForRoute, canvasInk, URL } from '../lib/harness.mjs';
import { writeCtSeries } from '../lib/dicom.mjs';
import { sendExam, readAndSign } from '../lib/flows.mjs';

const WORK = mkdtempSync(join(tmpdir(), 'teledx-e2e-priors-'));
const NID = '33010219550617001X';
let b;
let priorId;
let otherClinicId;
let currentId;

before(async () => {
  const older = writeCtSeries(join(WORK, 'older'), { slices: 4, patientName: 'Qian^Jun=钱^军', patientId: 'PRIOR-7', description: '胸部CT 2025' });
  priorId = await sendExam('clinic1-tech', older.files, { reason: '体检发现结节', national_id: NID });
  await readAndSign('img-reader2', priorId, { findings: '右肺上叶见磨玻璃结节，直径约6mm。', impression: '右肺上叶磨玻璃结节，建议三个月后复查。' });
  const elsewhere = writeCtSeries(join(WORK, 'elsewhere'), { slices: 2, patientName: 'Qian^Jun=钱^军', patientId: 'HK-991' });
  otherClinicId = await sendExam('clinic2-tech', elsewhere.files, { reason: '外院胸片复查', national_id: NID });
  const now = writeCtSeries(join(WORK, 'now'), { slices: 6, patientName: 'Qian^Jun=钱^军', patientId: 'PRIOR-7', description: '胸部CT 复查' });
  currentId = await sendExam('clinic1-tech', now.files, { reason: '结节复查', national_id: NID });
  b = await openBrowser('priors', { width: 1600, height: 900 });
});
after(async () => {
  await b.close();
  rmSync(WORK, { recursive: true, force: true });
});

test('the reading page lists the patient\'s prior exams, from this clinic and by national ID', async () => {
  const p = b.page;
  await login(p, 'img-reader1');
  await waitForRoute(p, '/worklist');
  await p.goto(`${URL}/#/read/${currentId}`);
  await p.waitForSelector('#viewer-stage[data-ready="1"]', { timeout: 15000 });
  await p.waitForFunction(() => document.querySelectorAll('#priors-panel .prior-item').length === 2);
  const own = await p.textContent(`.prior-item[data-prior="${priorId}"]`);
  assert.match(own, /右肺上叶磨玻璃结节/, 'the signed impression is shown');
  const other = await p.textContent(`.prior-item[data-prior="${otherClinicId}"]`);
  assert.match(other, /身份证匹配/);
});

test('the reader opens the prior beside the current CT and both scroll together', async () => {
  const p = b.page;
  await p.click(`.prior-compare[data-prior="${priorId}"]`);
  await p.waitForSelector('#prior-stage[data-ready="1"]', { timeout: 15000 });
  assert.ok(await p.$('.reading-left.compare-img'));
  await p.waitForTimeout(200);
  const ink = await canvasInk(p, '#prior-stage .vw-canvas');
  assert.ok(ink > 0.1, `the prior is drawn (lit fraction ${ink.toFixed(3)})`);
  assert.equal(await p.getAttribute('#prior-stage', 'data-count'), '4');
  // Scrolling the current CT to its last slice (z -75) moves the prior to its nearest slice (z -65, the 4th).
  const box = await (await p.$('#viewer-stage')).boundingBox();
  await p.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await p.keyboard.press('End');
  await p.waitForFunction(() => document.querySelector('#viewer-stage').dataset.index === '5');
  await p.waitForFunction(() => document.querySelector('#prior-stage').dataset.index === '3');
  await p.keyboard.press('Home');
  await p.waitForFunction(() => document.querySelector('#prior-stage').dataset.index === '0');
  // Two slices down (z -60) the prior follows to z -60 as well.
  await p.keyboard.press('ArrowDown');
  await p.keyboard.press('ArrowDown');
  await p.waitForFunction(() => document.querySelector('#prior-stage').dataset.index === '2');
  await b.shot('prior-side-by-side');
});

test('scrolling the prior moves the current CT to the same slice location, and neither bounces back', async () => {
  const p = b.page;
  const at = () => p.evaluate(() => [document.querySelector('#viewer-stage').dataset.index, document.querySelector('#prior-stage').dataset.index]);
  assert.deepEqual(await at(), ['2', '2']);
  const pbox = await (await p.$('#prior-stage')).boundingBox();
  await p.mouse.move(pbox.x + pbox.width / 2, pbox.y + pbox.height / 2);
  // Two wheel steps down on the prior: past its last slice, so it stops at the 4th (z -65); the CT follows to z -65.
  await p.mouse.wheel(0, 120);
  await p.waitForFunction(() => document.querySelector('#viewer-stage').dataset.index === '3');
  assert.equal(await p.getAttribute('#viewer-stage', 'data-moved-by'), 'prior', 'the CT says it moved for the prior');
  await p.waitForTimeout(300); // an echo of the CT's move would show up here
  assert.deepEqual(await at(), ['3', '3'], 'both stay where the reader put the prior');
  await p.mouse.wheel(0, -120);
  await p.waitForFunction(() => document.querySelector('#viewer-stage').dataset.index === '1');
  await p.waitForTimeout(300);
  assert.deepEqual(await at(), ['1', '1']);
  assert.match(await p.textContent('#viewer-stage .vw-ov.br'), /-55\.0 mm/, 'the CT shows the prior\'s slice location');
  // The CT leads again as soon as the reader scrolls it.
  await p.keyboard.press('ArrowDown');
  await p.waitForFunction(() => document.querySelector('#prior-stage').dataset.index === '2');
  assert.deepEqual(await at(), ['2', '2']);
  assert.equal(await p.getAttribute('#viewer-stage', 'data-moved-by'), '');
});

test('with syncing off the prior keeps its own place and scrolls on its own', async () => {
  const p = b.page;
  await p.uncheck('#prior-sync');
  await p.evaluate(() => document.activeElement.blur()); // the viewer's keys do not act inside a form control
  await p.keyboard.press('End');
  await p.waitForFunction(() => document.querySelector('#viewer-stage').dataset.index === '5');
  await p.waitForTimeout(200);
  assert.equal(await p.getAttribute('#prior-stage', 'data-index'), '2');
  const pbox = await (await p.$('#prior-stage')).boundingBox();
  await p.mouse.move(pbox.x + pbox.width / 2, pbox.y + pbox.height / 2);
  await p.mouse.wheel(0, -120);
  await p.waitForFunction(() => document.querySelector('#prior-stage').dataset.index !== '2');
  assert.equal(await p.getAttribute('#viewer-stage', 'data-index'), '5', 'the current CT did not move');
});

test('the prior\'s signed report opens, and the comparison closes', async () => {
  const p = b.page;
  await p.click(`.prior-item[data-prior="${priorId}"] .prior-report-btn`);
  await p.waitForSelector('#prior-report');
  assert.match(await p.textContent('#prior-report'), /直径约6mm/);
  await b.shot('prior-report');
  await p.click('.modal .btn.primary');
  await p.waitForSelector('#prior-report', { state: 'detached' });
  await p.click('#prior-close');
  await p.waitForSelector('#prior-viewer', { state: 'detached' });
  assert.equal(await p.$('.reading-left.compare'), null);
  assert.equal(await p.getAttribute('#viewer-stage', 'data-ready'), '1', 'the current CT is still shown');
});

test('the C key opens the newest comparable prior and closes it again', async () => {
  const p = b.page;
  await p.evaluate(() => document.activeElement && document.activeElement.blur());
  await p.keyboard.press('c');
  await p.waitForSelector('#prior-stage[data-ready="1"]', { timeout: 15000 });
  // The newest prior of the same kind is the other clinic's CT (matched by national ID), sent after the first.
  assert.ok(await p.$(`.prior-item.on[data-prior="${otherClinicId}"]`));
  assert.equal(await p.getAttribute('#prior-stage', 'data-count'), '2');
  await p.keyboard.press('c');
  await p.waitForSelector('#prior-viewer', { state: 'detached' });
});

test('no console errors', () => {
  b.assertClean();
});
