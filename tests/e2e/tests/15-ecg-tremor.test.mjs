// A clinic technician records the ECG of a patient with a Parkinsonian tremor of the left arm: the limb leads show a
// regular 5 Hz wave, which looks like atrial flutter. The ECG center's task is not called flutter; the exam list flags
// a signal problem and the exam's page names the limb tremor and says what to do, while the patient is there.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openBrowser, token, api } from '../lib/harness.mjs';
import { examSignalProblems, sendExam } from '../lib/flows.mjs';

const LUDB = join(import.meta.dirname, '../../data/ecg/ludb');
let b;
let taskId;

/**
 * LUDB record 3 (12 leads, 10 s at 500 Hz, sinus rhythm) as a CSV in µV, with a 5 Hz tremor of 150 µV at the left-arm
 * electrode, waxing and waning: lead I gains it, III loses it, aVL gains it, aVR and aVF lose half of it, and every
 * chest lead a third of it (Wilson's central terminal is the mean of the three limb electrodes).
 */
function tremblingEcgCsv() {
  const lines = readFileSync(join(LUDB, '3.hea'), 'utf8').trim().split('\n');
  const [, nsig, fs, n] = lines[0].split(/\s+/).map(Number);
  const signals = lines.slice(1, 1 + nsig).map((line) => {
    const f = line.split(/\s+/);
    const [, gain, base] = /^([\d.]+)\((-?\d+)\)/.exec(f[2]);
    return { name: f[8], gain: Number(gain), base: Number(base) };
  });
  const dat = readFileSync(join(LUDB, '3.dat'));
  const share = { i: 1, iii: -1, avr: -0.5, avl: 1, avf: -0.5, ii: 0 };
  const names = { i: 'I', ii: 'II', iii: 'III', avr: 'aVR', avl: 'aVL', avf: 'aVF' };
  let csv = `# sample_rate=${fs}\n${signals.map((s) => names[s.name] || s.name.toUpperCase()).join(',')}\n`;
  for (let k = 0; k < n; k++) {
    const t = k / fs;
    const la = 150 * (0.6 + 0.4 * Math.sin(2 * Math.PI * 0.3 * t + 0.4)) * Math.sin(2 * Math.PI * 5 * t + 0.4);
    const row = signals.map((s, i) => {
      const uv = ((dat.readInt16LE(2 * (k * nsig + i)) - s.base) * 1000) / s.gain;
      return Math.round(uv + la * (s.name in share ? share[s.name] : -1 / 3));
    });
    csv += row.join(',') + '\n';
  }
  return csv;
}

before(async () => {
  b = await openBrowser('ecg-tremor', { width: 1440, height: 900 });
});
after(async () => {
  await b.close();
});

test('an ECG with a trembling left arm is analysed with the limb tremor named and no flutter called', async () => {
  taskId = await sendExam('clinic2-tech', [{ name: 'tremor.csv', bytes: tremblingEcgCsv() }], {
    reason: '头晕 (e2e tremor)',
    patient: { name: '周强', id: 'MZ-E2E-TREMOR', sex: 'M', birth_date: '19480101' },
  });
  const task = await api('GET', `/api/tasks/${taskId}`, { token: await token('ecg-reader1') });
  assert.equal(task.status, 200);
  const flags = task.json.machine_flags;
  const tremor = (flags.quality || []).filter((q) => q.code === 'limb_tremor');
  assert.equal(tremor.length, 1, JSON.stringify(flags.quality));
  assert.match(tremor[0].text, /5\.0 Hz/);
  assert.ok(!(flags.rhythm || []).some((r) => r.code === 'atrial_flutter'), JSON.stringify(flags.rhythm));
});

test('the technician sees it on the exam list and on the exam page, in Chinese', async () => {
  const { items, titles } = await examSignalProblems(b.page, 'clinic2-tech', taskId);
  assert.ok(items.includes('肢体震颤干扰'), 'listed by name: ' + JSON.stringify(items));
  assert.match(titles.join('\n'), /可酷似心房扑动波/, "the machine's sentence, in Chinese, says why it matters");
  assert.match(titles.join('\n'), /重新描记/, 'and asks for a repeat');
  await b.shot('tremor-exam-page');
});

test('no console errors', () => {
  b.assertClean();
});
