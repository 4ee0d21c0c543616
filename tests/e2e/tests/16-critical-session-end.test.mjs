// A critical-value alert cannot be dismissed, but when the clinic's session ends under it (it expired, or was
// signed out elsewhere) it must not stay over the login page, where no one could confirm it: the page returns to
// the login with the alert gone, and the next sign-in shows the flag again, to be confirmed then.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openBrowser, login, waitForRoute, token, api } from '../lib/harness.mjs';
import { writeCtSeries } from '../lib/dicom.mjs';
import { sendExam } from '../lib/flows.mjs';

const WORK = mkdtempSync(join(tmpdir(), 'teledx-e2e-crit-'));
let b;
let taskId;

before(async () => {
  const ct = writeCtSeries(join(WORK, 'ct'), { slices: 2, patientName: 'Sun^Li=孙^丽' });
  taskId = await sendExam('clinic2-doctor', ct.files, { reason: '胸痛，排除气胸 (e2e session end)', priority: 'urgent' });
  const tok = await token('img-reader1');
  assert.equal((await api('POST', `/api/tasks/${taskId}/claim`, { token: tok })).status, 200);
  const marked = await api('POST', `/api/tasks/${taskId}/critical`, {
    token: tok, body: { category: 'pneumothorax', note: '左侧气胸 (e2e)' },
  });
  assert.equal(marked.status, 200, JSON.stringify(marked.json));
  b = await openBrowser('critical-session-end', { width: 1366, height: 768 });
});
after(async () => {
  await b.close();
  rmSync(WORK, { recursive: true, force: true });
});

test('the clinic signs in and the critical alert stops the page', async () => {
  const p = b.page;
  await login(p, 'clinic2-tech');
  await waitForRoute(p, '/clinic');
  await p.waitForSelector('.modal.critical-alert', { timeout: 10000 });
  assert.match(await p.textContent('.modal.critical-alert'), /孙丽|孙\s*丽/);
});

test('when the session ends under the alert, the login page comes back without it', async () => {
  const p = b.page;
  // Signed out elsewhere: the browser's session cookie is no longer valid. The page learns it at its next request,
  // here the technician's attempt to confirm, whose 401 (and the session check's) are expected.
  b.allowHttpErrors(/\/api\//);
  const out = await p.evaluate(() => fetch('/api/logout', { method: 'POST', credentials: 'same-origin' }).then((r) => r.status));
  assert.equal(out, 200);
  await p.fill('#critical-readback', '张护士');
  await p.click('.modal.critical-alert .btn.danger');
  await waitForRoute(p, '/login');
  await p.waitForSelector('#login-user');
  await p.waitForSelector('.modal.critical-alert', { state: 'detached', timeout: 5000 });
  assert.equal(await p.$('.modal-back'), null, 'nothing covers the login form');
  await p.fill('#login-user', 'clinic2-tech'); // the form can be used
});

test('the next sign-in shows the unconfirmed flag again, and it can be confirmed', async () => {
  const p = b.page;
  await login(p, 'clinic2-tech');
  await waitForRoute(p, '/clinic');
  await p.waitForSelector('.modal.critical-alert', { timeout: 10000 });
  await p.fill('#critical-readback', '张护士');
  await p.click('.modal.critical-alert .btn.danger');
  await p.waitForSelector('.modal.critical-alert', { state: 'detached' });
  const task = await api('GET', `/api/tasks/${taskId}`, { token: await token('clinic2-tech') });
  assert.equal(task.status, 200);
  assert.ok(task.json.critical && task.json.critical.acknowledged_by, 'the flag is confirmed now');
});

test('no console errors', () => {
  b.assertClean();
});
