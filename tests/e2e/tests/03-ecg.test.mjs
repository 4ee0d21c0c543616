// ECG: a clinic sends a 12-lead ECG (DICOM waveform); an ECG reader opens it, sees the tracing on the paper grid,
// switches layout and gain, measures with the caliper, fills the ECG template and signs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openBrowser, login, logout, waitForRoute, canvasDarkFraction, token, api, URL } from '../lib/harness.mjs';
import { acknowledgeCriticals } from '../lib/flows.mjs';

const ECG_FILE = join(import.meta.dirname, '../../data/ecg/waveform_ecg.dcm');
let b;
let taskId;

before(async () => {
  b = await openBrowser('ecg', { width: 1600, height: 900 });
});
after(async () => {
  await b.close();
});

test('a clinic sends an ECG over the upload API', async () => {
  const tok = await token('clinic2-tech');
  const up = await api('POST', '/api/uploads', { token: tok, body: { reason: '胸闷心悸1天', priority: 'urgent' } });
  const r = await fetch(`${URL}/api/uploads/${up.json.upload_id}/files?name=ecg.dcm`, {
    method: 'POST', headers: { Authorization: 'Bearer ' + tok, 'Content-Type': 'application/dicom' }, body: readFileSync(ECG_FILE),
  });
  assert.equal(r.status, 200);
  assert.equal((await api('POST', `/api/uploads/${up.json.upload_id}/complete`, { token: tok })).status, 200);
  const list = await api('GET', '/api/tasks?sort=newest&limit=1', { token: tok });
  assert.equal(list.json.tasks[0].kind, 'ecg');
  taskId = list.json.tasks[0].id;
});

test('the ECG reader opens it and sees twelve leads on the paper grid', async () => {
  const p = b.page;
  await login(p, 'ecg-reader1');
  await waitForRoute(p, '/worklist');
  await p.waitForSelector(`tr[data-task="${taskId}"] button.claim`);
  await p.click(`tr[data-task="${taskId}"] button.claim`);
  await waitForRoute(p, '/read/' + taskId);
  await p.waitForSelector('#ecg-viewer[data-ready="1"]', { timeout: 15000 });
  const dark = () => p.$eval('#ecg-canvas', (c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] < 90 && d[i + 1] < 90 && d[i + 2] < 90) n++;
    return n / (d.length / 4);
  });
  const ink = await dark();
  assert.ok(ink > 0.005, `the tracing is drawn (dark fraction ${ink.toFixed(4)})`);
  await b.shot('ecg-3x4');
  await p.click('.ecg-toolbar button[data-v="6x2"]');
  await p.click('.ecg-toolbar button[data-v="20"]');
  const box = await (await p.$('#ecg-canvas')).boundingBox();
  await p.mouse.move(box.x + box.width * 0.3, box.y + 80);
  await p.mouse.down();
  await p.mouse.move(box.x + box.width * 0.4, box.y + 120, { steps: 4 });
  await p.mouse.up();
  assert.match(await p.textContent('#ecg-readout'), /Δt \d+ ms/);
  await b.shot('ecg-6x2-caliper');
});

test('the ECG reader fills the template and signs', async () => {
  const p = b.page;
  await p.waitForSelector('#report-editor');
  assert.equal(await p.inputValue('#findings'), '窦性心律。', 'the 12-lead template is chosen');
  assert.ok(await p.isHidden('#template-note'), 'a sinus rhythm and nothing else: the normal text is prefilled');
  assert.equal(await p.inputValue('input[data-key="rhythm"]'), '窦性心律', 'the machine rhythm prefills in Chinese');
  assert.match(await p.inputValue('input[data-key="qtc"]'), /^\d{3}$/, 'the machine QTc prefills the template');
  await p.fill('input[data-key="heart_rate"]', '72');
  await p.fill('#impression', '窦性心律，正常心电图。');
  await p.keyboard.press('Control+Enter');
  await p.waitForSelector('#report-doc', { timeout: 10000 });
  const doc = await p.textContent('#report-doc');
  assert.match(doc, /正常心电图/);
  assert.match(doc, /72/);
  await b.shot('ecg-signed');
});

test('the clinic opens the result and gets the report and the paper tracing as PDFs', async () => {
  const p = b.page;
  await logout(p);
  await login(p, 'clinic2-tech');
  await waitForRoute(p, '/clinic');
  await acknowledgeCriticals(p);
  await p.goto(`${URL}/#/clinic/exam/${taskId}`);
  await waitForRoute(p, '/clinic/exam/' + taskId);
  await p.waitForSelector('#ecg-pdf');
  await p.waitForSelector('#report-pdf');
  // The measurements under the template's names, as the reader saw them, not the template's keys.
  const doc = await p.textContent('#report-doc');
  assert.match(doc, /心率 \(次\/分\)72/);
  assert.match(doc, /测量值心律窦性心律心率 \(次\/分\)72PR间期 \(ms\)159/, "in the template's order");
  assert.doesNotMatch(doc, /heart_rate|rhythm/);
  // The tracing is there under the report, drawn, and its controls stay off the printed page.
  await p.waitForSelector('#result-ecg-viewer[data-ready="1"]', { timeout: 15000 });
  assert.equal(await p.$eval('#result-ecg-viewer', (v) => v.dataset.leads.split(',').length), 13, 'twelve leads and the rhythm strip');
  const dark = await canvasDarkFraction(p, '#result-ecg-canvas');
  assert.ok(dark > 0.003, `the tracing is drawn (dark fraction ${dark.toFixed(4)})`);
  await p.emulateMedia({ media: 'print' });
  assert.equal(await p.$eval('#result-ecg-viewer .ecg-toolbar', (x) => getComputedStyle(x).display), 'none');
  assert.notEqual(await p.$eval('#result-ecg-canvas', (x) => getComputedStyle(x).display), 'none');
  await p.emulateMedia({ media: 'screen' });
  // The links work with the page's own session cookie, as a click opening them in a new tab does.
  for (const [sel, type, magic] of [['#ecg-pdf', 'application/pdf', '%PDF-'], ['#report-pdf', 'application/pdf', '%PDF-'],
    ['#ecg-png', 'image/png', '\x89PNG\r']]) {
    const got = await p.$eval(sel, async (a) => {
      const r = await fetch(a.href);
      const body = new Uint8Array(await r.arrayBuffer());
      return { status: r.status, type: r.headers.get('content-type'), magic: String.fromCharCode(...body.slice(0, 5)), size: body.length };
    });
    assert.equal(got.status, 200, sel);
    assert.equal(got.type, type, sel);
    assert.equal(got.magic, magic, sel);
    assert.ok(got.size > 5000, `${sel}: ${got.size} bytes`);
  }
  await b.shot('ecg-clinic-result');
});

test('no console errors', () => {
  b.assertClean();
});
