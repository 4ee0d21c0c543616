// Browser half of the image-delivery benchmark (NOT a test): Debian's Chromium through playwright-core.
// A clinic uploads the 300-slice CT through the upload API; a reader, in a fresh headless Chromium, claims it
// from the worklist: time from the click to the first drawn image (performance mark 'teledx-first-image', set by the
// viewer once the image is on the canvas); then one pass through the stack to prefetch and a second, measured pass,
// one slice per animation frame via the ArrowDown key: frames per second of actually drawn slices.
// TIMELINE=1 also prints the requests between the click and the first image; PROFILE=1 a CPU profile of the
// measured pass.
// Usage (bench/render/browser.sh sets it up): TELEDX_URL=http://127.0.0.1:PORT node browser.mjs CT_DIR
import { createRequire } from 'node:module';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const { chromium } = createRequire(join(root, 'tests/e2e/package.json'))('playwright-core');
const URL = process.env.TELEDX_URL;
const ctDir = process.argv[2];

async function api(method, path, token, body, type = 'application/json') {
  const res = await fetch(URL + path, {
    method,
    headers: { Authorization: 'Bearer ' + token, ...(body ? { 'Content-Type': type } : {}) },
    body: body && type === 'application/json' ? JSON.stringify(body) : body,
  });
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
  return res.json();
}
async function login(user) {
  const res = await fetch(URL + '/api/login', { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: user, password: 'teledx-demo' }) });
  return (await res.json()).token;
}

const tech = await login('clinic1-tech');
const up = await api('POST', '/api/uploads', tech, { reason: 'render benchmark', priority: 'routine' });
const files = readdirSync(ctDir).filter((f) => f.endsWith('.dcm')).sort();
for (const f of files) await api('POST', `/api/uploads/${up.upload_id}/files?name=${f}`, tech, readFileSync(join(ctDir, f)), 'application/dicom');
await api('POST', `/api/uploads/${up.upload_id}/complete`, tech);
const taskId = (await api('GET', '/api/tasks?sort=newest&limit=1', tech)).tasks[0].id;
console.error(`uploaded ${files.length} slices, task ${taskId}`);

const profile = mkdtempSync(join(tmpdir(), 'teledx-render-bench-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  viewport: { width: 1920, height: 1080 },
  locale: 'zh-CN',
});
try {
  const p = context.pages()[0] || (await context.newPage());
  const problems = [];
  p.on('pageerror', (e) => problems.push(e.message));
  p.on('console', (m) => {
    const where = (m.location() && m.location().url) || '';
    // The login page's session probe answers 401 on purpose.
    if (m.type() === 'error' && !/\/api\/(me|login)\b/.test(where)) problems.push(`${m.text()} @ ${where}`);
  });
  await p.goto(URL + '/#/login');
  await p.fill('#login-user', 'img-reader1');
  await p.fill('#login-pass', 'teledx-demo');
  await p.click('#login-submit');
  await p.waitForSelector(`tr[data-task="${taskId}"] button.claim`, { timeout: 60000 });
  await p.evaluate(() => document.addEventListener('click', () => { window.benchClickAt = performance.now(); }, { capture: true, once: true }));
  await p.click(`tr[data-task="${taskId}"] button.claim`);
  await p.waitForSelector('#viewer-stage[data-ready="1"]', { timeout: 60000 });
  const firstMs = await p.evaluate(() => performance.getEntriesByName('teledx-first-image').pop().startTime - window.benchClickAt);
  // Where the first image's time went: every request started after the click and before the image, relative to
  // the click (start..end ms), so a chain of requests in series shows as a staircase.
  const timeline = await p.evaluate(() => {
    const t0 = window.benchClickAt;
    const first = performance.getEntriesByName('teledx-first-image').pop().startTime;
    return performance.getEntriesByType('resource').filter((r) => r.startTime >= t0 && r.startTime <= first)
      .map((r) => `  ${(r.startTime - t0).toFixed(0).padStart(4)}..${(r.responseEnd - t0).toFixed(0).padStart(4)} ms ` +
        `${String(r.transferSize || r.encodedBodySize).padStart(8)} B ${r.name.replace(/^https?:\/\/[^/]+/, '').replace(/[0-9.]{20,}/g, '…')}`);
  });
  const pass = () => p.evaluate(async () => {
    const stage = document.querySelector('#viewer-stage');
    const n = Number(stage.dataset.count);
    const t0 = performance.now();
    let drawn = 0;
    // One key per animation frame; a slice counts when the overlay shows it (drawn), at most one per frame.
    for (let i = 1; i < n; i++) {
      // Sent to the body (the viewer's key handler looks at the target's ancestors), bubbling to the document.
      document.body.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowDown', bubbles: true }));
      const started = performance.now();
      for (;;) {
        await new Promise((r) => requestAnimationFrame(r));
        if (Number(stage.dataset.index) === i) break;
        if (performance.now() - started > 10000) throw new Error(`slice ${i} not drawn within 10 s`);
      }
      drawn++;
    }
    const ms = performance.now() - t0;
    document.body.dispatchEvent(new KeyboardEvent('keydown', { key: 'Home', bubbles: true }));
    return { n, drawn, ms };
  });
  // The series strip's thumbnails are server-rendered JPEGs.
  await p.waitForSelector('canvas.vw-thumb[data-loaded="1"]', { timeout: 10000 });
  const thumbs = await p.$$eval('canvas.vw-thumb', (cs) => `${cs.filter((c) => c.dataset.loaded === '1').length}/${cs.length}`);
  const warm = await pass(); // also the prefetch: every slice fetched and decoded once
  await p.waitForFunction(() => document.querySelector('#viewer-stage').dataset.index === '0');
  // PROFILE=1: a CPU profile of the measured pass (Chrome DevTools protocol), printed as the functions with the most
  // self time: where the frames go (windowing loop, canvas, layout of the overlays, garbage collection...).
  const cdp = process.env.PROFILE ? await context.newCDPSession(p) : null;
  if (cdp) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
    await cdp.send('Profiler.start');
  }
  const hot = await pass();
  if (cdp) {
    const { profile } = await cdp.send('Profiler.stop');
    const self = new Map();
    const dt = profile.timeDeltas;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    let total = 0;
    profile.samples.forEach((id, i) => {
      const n = byId.get(id).callFrame;
      const key = `${n.functionName || '(anonymous)'} ${n.url.split('/').pop()}:${n.lineNumber + 1}`;
      self.set(key, (self.get(key) || 0) + (dt[i] || 0));
      total += dt[i] || 0;
    });
    console.log('CPU profile of the measured pass (self time):');
    for (const [k, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 15))
      console.log(`  ${(us / 1000).toFixed(0).padStart(6)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%  ${k}`);
  }
  console.log(`browser thumbnails_drawn ${thumbs}; console/page errors: ${problems.length ? problems.join(' | ') : 'none'}`);
  console.log(`browser first_image_ms ${firstMs.toFixed(0)} (target <= 300)`);
  if (process.env.TIMELINE) console.log(`requests between the click and the first image:\n${timeline.join('\n')}`);
  console.log(`browser scroll_first_pass_fps ${(warm.drawn / (warm.ms / 1000)).toFixed(1)} (${warm.drawn} slices in ${warm.ms.toFixed(0)} ms)`);
  console.log(`browser scroll_after_prefetch_fps ${(hot.drawn / (hot.ms / 1000)).toFixed(1)} (target >= 30; headless frame rate caps it at ~60)`);
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
