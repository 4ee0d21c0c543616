// Compressed images the browser cannot decode itself: a clinic's CT arrives as JPEG-LS lossless and RLE (made
// from the same slices by DCMTK's own dcmcjpls / dcmcrle); the reader's viewer asks the server to render them and
// shows the same picture as the uncompressed slice, scrolls through them and changes the window.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openBrowser, login, waitForRoute, canvasInk, URL } from '../lib/harness.mjs';
import { writeCtSeries } from '../lib/dicom.mjs';
import { sendExam } from '../lib/flows.mjs';

const WORK = mkdtempSync(join(tmpdir(), 'teledx-e2e-compressed-'));
let b;
let taskId;
const rendered = []; // /rendered requests the page made

before(async () => {
  const ct = writeCtSeries(join(WORK, 'ct'), { slices: 4, patientName: 'Sun^Li=孙^丽', patientId: 'JLS-1', description: '胸部CT JPEG-LS' });
  // Slices 1-2 JPEG-LS lossless, 3-4 RLE: both decoded by the server's DCMTK, neither by the browser.
  const files = ct.files.map((f, i) => {
    const out = join(WORK, `c${i}.dcm`);
    execFileSync(i < 2 ? 'dcmcjpls' : 'dcmcrle', [f, out]);
    return out;
  });
  const ts = execFileSync('dcmdump', ['+P', '0002,0010', files[0]]).toString();
  assert.match(ts, /JPEGLSLossless|1\.2\.840\.10008\.1\.2\.4\.80/, 'the first slice really is JPEG-LS lossless');
  taskId = await sendExam('clinic1-tech', files, { reason: '压缩传输 (e2e)' });
  b = await openBrowser('compressed');
  b.page.on('request', (r) => { if (r.url().includes('/rendered')) rendered.push(r.url()); });
});

after(async () => {
  if (b) await b.close();
  rmSync(WORK, { recursive: true, force: true });
});

test('the reader sees a JPEG-LS slice, rendered by the server, with the picture in it', async () => {
  const p = b.page;
  await login(p, 'img-reader1');
  await waitForRoute(p, '/worklist');
  await p.goto(`${URL}/#/read/${taskId}`);
  await p.waitForSelector('#viewer-stage[data-ready="1"]', { timeout: 15000 });
  await p.waitForFunction(() => performance.getEntriesByName('teledx-first-image').length > 0, null, { timeout: 15000 });
  assert.ok(rendered.length >= 1, 'the viewer asked the server to render the slice');
  const ink = await canvasInk(p);
  assert.ok(ink > 0.1, `the slice is drawn (lit fraction ${ink.toFixed(3)})`);
  assert.equal(await p.getAttribute('#viewer-stage', 'data-count'), '4');
  await b.shot('jpegls-slice');
});

test('scrolling reaches the RLE slices, also rendered by the server, and the window still changes', async () => {
  const p = b.page;
  const box = await (await p.$('#viewer-stage')).boundingBox();
  await p.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await p.keyboard.press('End');
  await p.waitForFunction(() => document.querySelector('#viewer-stage').dataset.index === '3', null, { timeout: 10000 });
  await p.waitForTimeout(300);
  // Every slice is compressed, so every one the viewer showed or prefetched came rendered by the server.
  const instances = new Set(rendered.map((u) => u.match(/\/instances\/([^/]+)\//)?.[1]).filter(Boolean));
  assert.equal(instances.size, 4, `rendered instances: ${[...instances].join(', ')}`);
  const inkBefore = await canvasInk(p);
  assert.ok(inkBefore > 0.1, `the RLE slice is drawn (lit fraction ${inkBefore.toFixed(3)})`);
  // Dragging with the left button changes the window: the picture changes, it does not go blank.
  const wl = await p.getAttribute('#viewer-stage', 'data-wl');
  const png1 = await p.$eval('#viewer-stage .vw-canvas', (c) => c.toDataURL());
  await p.mouse.down();
  await p.mouse.move(box.x + box.width / 2 + 120, box.y + box.height / 2 + 80, { steps: 8 });
  await p.mouse.up();
  await p.waitForFunction((w) => document.querySelector('#viewer-stage').dataset.wl !== w, wl);
  await p.waitForTimeout(300);
  const png2 = await p.$eval('#viewer-stage .vw-canvas', (c) => c.toDataURL());
  assert.notEqual(png1, png2, 'the window changed the picture');
  assert.ok(await canvasInk(p) > 0.02, 'still an image after the window change');
  await b.shot('rle-windowed');
});
