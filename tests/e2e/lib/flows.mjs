// Test set-up through the API, as the other party would do it in their own browser: a clinic sends an exam,
// a reader claims, writes and signs it, or grades its quality; and, in a clinic's browser, the acknowledgement of
// critical values that would otherwise stop the page. Each helper asserts every answer.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { token, api, URL, login, waitForRoute } from './harness.mjs';

/** Uploads files (paths or {name, bytes}) as `user` with the exam request; completes; returns the new task id. */
export async function sendExam(user, files, request = {}) {
  const tok = await token(user);
  const up = await api('POST', '/api/uploads', { token: tok, body: { reason: '复查 (e2e)', priority: 'routine', ...request } });
  assert.equal(up.status, 201, JSON.stringify(up.json));
  for (const f of files) {
    const bytes = typeof f === 'string' ? readFileSync(f) : f.bytes;
    const name = typeof f === 'string' ? f.split('/').pop() : f.name;
    const r = await fetch(`${URL}/api/uploads/${up.json.upload_id}/files?name=${encodeURIComponent(name)}`, {
      method: 'POST', headers: { Authorization: 'Bearer ' + tok, 'Content-Type': 'application/dicom' }, body: bytes,
    });
    assert.equal(r.status, 200, await r.text());
  }
  assert.equal((await api('POST', `/api/uploads/${up.json.upload_id}/complete`, { token: tok })).status, 200);
  const list = await api('GET', '/api/tasks?sort=newest&limit=1', { token: tok });
  return list.json.tasks[0].id;
}

/** A reader claims the task, writes the report and signs it. */
export async function readAndSign(reader, taskId, { findings = '未见明显异常。', impression = '未见异常。' } = {}) {
  const tok = await token(reader);
  assert.equal((await api('POST', `/api/tasks/${taskId}/claim`, { token: tok })).status, 200);
  const d = await api('PUT', `/api/tasks/${taskId}/report/draft`, { token: tok, body: { base_version: 0, findings, impression } });
  assert.equal(d.status, 200, JSON.stringify(d.json));
  const s = await api('POST', `/api/tasks/${taskId}/report/sign`, { token: tok });
  assert.equal(s.status, 200, JSON.stringify(s.json));
}

/** A reader claims the task (if still waiting) and grades the exam's quality; `sign` also signs a report. */
export async function grade(reader, taskId, grade, reasons = [], comment = '', { sign = false } = {}) {
  const tok = await token(reader);
  await api('POST', `/api/tasks/${taskId}/claim`, { token: tok });
  const r = await api('PUT', `/api/tasks/${taskId}/quality`, { token: tok, body: { grade, reasons, comment } });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  if (!sign) return;
  const d = await api('PUT', `/api/tasks/${taskId}/report/draft`, { token: tok, body: { base_version: 0, findings: '未见异常。', impression: '未见异常。' } });
  assert.equal(d.status, 200, JSON.stringify(d.json));
  assert.equal((await api('POST', `/api/tasks/${taskId}/report/sign`, { token: tok })).status, 200);
}

/**
 * Critical values of this clinic's earlier exams (from other test files) stop every page until acknowledged, as
 * they must: acknowledge them first, as the technician would, with a read-back name.
 */
export async function acknowledgeCriticals(p) {
  // The page's first check for unacknowledged critical values must have run: under load it can come after the
  // network has gone idle, and its dialog then opened over the test's next click.
  await p.waitForSelector('body[data-critical-checked]', { state: 'attached', timeout: 15000 }).catch(() => {});
  await p.waitForLoadState('networkidle');
  while (await p.$('.modal.critical-alert')) {
    await p.fill('#critical-readback', '李医生');
    await p.click('.modal.critical-alert .btn.danger');
    await p.waitForSelector('.modal.critical-alert', { state: 'detached' });
    await p.waitForLoadState('networkidle');
  }
}

/**
 * In a clinic technician's browser: the exam's row on the list carries the signal-problem chip, and its page lists
 * the problems. Returns the list's lines and their tooltips (the machine's sentences), one per line.
 */
export async function examSignalProblems(p, user, taskId) {
  await login(p, user);
  await waitForRoute(p, '/clinic');
  await acknowledgeCriticals(p);
  await p.waitForSelector(`tr[data-task="${taskId}"] .chip.signal-warn`, { timeout: 15000 });
  await p.click(`tr[data-task="${taskId}"]`);
  await waitForRoute(p, '/clinic/exam/' + taskId);
  await p.waitForSelector('#signal-problems');
  const items = await p.$$eval('#signal-problems li', (xs) => xs.map((x) => x.textContent));
  const titles = await p.$$eval('#signal-problems li', (xs) => xs.map((x) => x.title));
  return { items, titles };
}
