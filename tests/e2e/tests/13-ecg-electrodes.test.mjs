// A clinic technician records an ECG with two chest electrodes exchanged (V2 on V3's place and back, as happens
// when the bulbs are put on in a hurry): the exam list flags a signal problem and the exam's page tells the
// technician which two electrodes, while the patient may still be there.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openBrowser, token, api, URL } from '../lib/harness.mjs';
import { examSignalProblems } from '../lib/flows.mjs';

const LUDB = join(import.meta.dirname, '../../data/ecg/ludb');
let b;
let taskId;

/** LUDB record 3's header with the V2 and V3 signals' names exchanged: the electrodes swapped, the data as recorded. */
function headerWithChestSwap() {
  return readFileSync(join(LUDB, '3.hea'), 'utf8')
    .split('\n')
    .map((line) => line.replace(/ v2$/, ' V3_').replace(/ v3$/, ' v2').replace(/ V3_$/, ' v3'))
    .join('\n');
}

before(async () => {
  b = await openBrowser('ecg-electrodes', { width: 1440, height: 900 });
});
after(async () => {
  await b.close();
});

test('an ECG with the V2 and V3 electrodes exchanged is analysed with the swap named', async () => {
  const hea = headerWithChestSwap();
  assert.match(hea, /2480 0 v3\n[^\n]*-9873 0 v2\n/, 'the names are exchanged, the signals kept');
  // A WFDB record's header and signal file travel together, as one multipart/form-data request.
  const tok = await token('clinic2-tech');
  const up = await api('POST', '/api/uploads', { token: tok, body: {
    reason: '胸闷 (e2e electrodes)', priority: 'routine',
    patient: { name: '王芳', id: 'MZ-E2E-ELEC', sex: 'F', birth_date: '19700101' },
  } });
  assert.equal(up.status, 201, JSON.stringify(up.json));
  const form = new FormData();
  form.append('file', new Blob([hea]), '3.hea');
  form.append('file', new Blob([readFileSync(join(LUDB, '3.dat'))]), '3.dat');
  const sent = await fetch(`${URL}/api/uploads/${up.json.upload_id}/files`, {
    method: 'POST', headers: { Authorization: 'Bearer ' + tok }, body: form,
  });
  assert.equal(sent.status, 200, await sent.text());
  assert.equal((await api('POST', `/api/uploads/${up.json.upload_id}/complete`, { token: tok })).status, 200);
  taskId = (await api('GET', '/api/tasks?sort=newest&limit=1', { token: tok })).json.tasks[0].id;
  const task = await api('GET', `/api/tasks/${taskId}`, { token: await token('ecg-reader1') });
  assert.equal(task.status, 200);
  const swap = (task.json.machine_flags.quality || []).filter((q) => q.code === 'chest_lead_swap_suspected');
  assert.deepEqual(swap.map((q) => q.lead), ['V2', 'V3'], 'said for both electrodes: ' + JSON.stringify(task.json.machine_flags.quality));
  assert.match(swap[0].text, /V2 and V3/);
});

test('the technician sees it on the exam list and on the exam page, in Chinese', async () => {
  const { items, titles } = await examSignalProblems(b.page, 'clinic2-tech', taskId);
  assert.ok(items.includes('胸导联电极互换（疑似）（V2、V3）'), 'listed by name with both leads: ' + JSON.stringify(items));
  assert.match(titles.join('\n'), /V2 与 V3 电极可能互换/, 'the machine\'s sentence, in Chinese, names the pair');
  assert.equal(titles.join('\n').split('\n').length, 1, 'said once, though the statement is made for each of the two leads');
  await b.shot('chest-swap-exam-page');
});

test('no console errors', () => {
  b.assertClean();
});
