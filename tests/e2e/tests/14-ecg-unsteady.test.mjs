// A clinic technician records an ECG while the patient shivers and an electrode rocks on the skin: slow transients
// ride on the tracing, in the ECG's own band, where a 40 Hz noise measure does not see them. The exam list flags a
// signal problem and the exam's page names the unsteady tracing and asks for a repeat, while the patient is there.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openBrowser, token, api } from '../lib/harness.mjs';
import { examSignalProblems, sendExam } from '../lib/flows.mjs';

let b;
let taskId;

/**
 * Two leads, 10 s at 500 Hz, 75/min: a 1.2 mV R wave every 0.8 s, with electrode-motion transients (Gaussian bumps
 * 15-80 ms wide, two a second, 0.3-1 mV) from a seeded generator, so every run sends the same file.
 */
function movingEcgCsv() {
  let seed = 12345;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const n = 5000;
  const leads = [new Float64Array(n), new Float64Array(n)];
  for (let k = 0; k < n; k++) {
    const t = ((k / 500) % 0.8) - 0.4;
    leads[0][k] = 1200 * Math.exp(-(t * t) / (2 * 0.012 * 0.012));
    leads[1][k] = 0.8 * leads[0][k];
  }
  for (const x of leads) {
    for (let at = random() * 500; at < n; at += 250 * (0.5 + random())) {
      const sigma = (0.015 + 0.065 * random()) * 500, amp = (random() < 0.5 ? -1 : 1) * (300 + 700 * random());
      for (let k = Math.max(0, Math.floor(at - 4 * sigma)); k < Math.min(n, at + 4 * sigma); k++)
        x[k] += amp * Math.exp(-(((k - at) / sigma) ** 2) / 2);
    }
  }
  let csv = '# sample_rate=500\nII,V5\n';
  for (let k = 0; k < n; k++) csv += `${Math.round(leads[0][k])},${Math.round(leads[1][k])}\n`;
  return csv;
}

before(async () => {
  b = await openBrowser('ecg-unsteady', { width: 1440, height: 900 });
});
after(async () => {
  await b.close();
});

test('an ECG recorded while the electrodes moved is analysed with the unsteady tracing named', async () => {
  taskId = await sendExam('clinic2-tech', [{ name: 'moving.csv', bytes: movingEcgCsv() }], {
    reason: '心悸 (e2e unsteady)',
    patient: { name: '孙丽', id: 'MZ-E2E-UNSTEADY', sex: 'F', birth_date: '19650101' },
  });
  const task = await api('GET', `/api/tasks/${taskId}`, { token: await token('ecg-reader1') });
  assert.equal(task.status, 200);
  const unsteady = (task.json.machine_flags.quality || []).filter((q) => q.code === 'unsteady_tracing');
  assert.equal(unsteady.length, 1, JSON.stringify(task.json.machine_flags.quality));
  assert.match(unsteady[0].text, /electrode motion or poor contact/);
});

test('the technician sees it on the exam list and on the exam page, in Chinese', async () => {
  const { items, titles } = await examSignalProblems(b.page, 'clinic2-tech', taskId);
  assert.ok(items.includes('波形逐搏不稳定'), 'listed by name: ' + JSON.stringify(items));
  assert.match(titles.join('\n'), /电极移动或接触不良/, "the machine's sentence, in Chinese, says why");
  assert.match(titles.join('\n'), /重新描记/, 'and asks for a repeat');
  await b.shot('unsteady-exam-page');
});

test('no console errors', () => {
  b.assertClean();
});
