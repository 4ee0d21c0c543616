// Test harness: Debian's Chromium through playwright-core (no downloaded browsers), one fresh profile per
// browser, console-error collection, screenshots, and small helpers for the app (login, logout, API calls).
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';

export const URL = process.env.TELEDX_URL || 'http://127.0.0.1:8080';
export const SHOTS = process.env.TELEDX_E2E_SHOTS || mkdtempSync(join(tmpdir(), 'teledx-shots-'));
export const PASSWORD = 'teledx-demo';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Network failures the app provokes on purpose (checking the session, wrong passwords, lockout). */
function expectedNetworkError(msg, allowed) {
  const text = msg.text();
  const url = (msg.location() && msg.location().url) || '';
  if (!/Failed to load resource/.test(text)) return false;
  return /\/api\/(me|login)\b/.test(url) || allowed.some((re) => re.test(url));
}

/** A browser with a fresh profile; `problems` collects console errors, page errors and i18n misses. */
export async function openBrowser(name, { width = 1440, height = 900, lang = 'zh-CN' } = {}) {
  const dir = mkdtempSync(join(tmpdir(), `teledx-e2e-${name}-`));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ARGS,
    viewport: { width, height },
    locale: lang,
    acceptDownloads: true,
  });
  const page = context.pages()[0] || (await context.newPage());
  const problems = [];
  const allowed = []; // URL patterns whose HTTP errors a test provokes on purpose
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !expectedNetworkError(msg, allowed)) problems.push(`console error: ${msg.text()} @ ${msg.location().url}`);
    if (msg.type() === 'warning' && /i18n/.test(msg.text())) problems.push(`i18n: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  let shot = 0;
  return {
    context,
    page,
    problems,
    async shot(label) {
      shot += 1;
      const file = join(SHOTS, `${name}-${String(shot).padStart(2, '0')}-${label}.png`);
      await page.screenshot({ path: file });
      return file;
    },
    /** HTTP errors from URLs matching `re` are expected from now on (e.g. the 404 of someone else's exam). */
    allowHttpErrors(re) {
      allowed.push(re);
    },
    assertClean() {
      assert.deepEqual(problems, [], `${name}: no console errors`);
    },
    async close() {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function login(page, username, password = PASSWORD) {
  await page.goto(URL + '/#/login');
  await page.waitForSelector('#login-user');
  await page.fill('#login-user', username);
  await page.fill('#login-pass', password);
  await page.click('#login-submit');
}

export async function logout(page) {
  await page.click('.logout');
  await page.waitForSelector('#login-user');
}

/** Waits until location.hash starts with the given route. */
export async function waitForRoute(page, route, timeout = 10000) {
  await page.waitForFunction((r) => location.hash.startsWith('#' + r), route, { timeout });
}

/** JSON API call from the test process with a bearer token. */
export async function api(method, path, { token, body } = {}) {
  const res = await fetch(URL + path, {
    method,
    headers: { ...(token ? { Authorization: 'Bearer ' + token } : {}), ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, json };
}

export async function token(username, password = PASSWORD) {
  const r = await api('POST', '/api/login', { body: { username, password } });
  assert.equal(r.status, 200, `login ${username}`);
  return r.json.token;
}

/** Fraction of canvas pixels that are not black: proof an image was drawn. */
/** The fraction of a paper-ECG canvas's pixels that are dark: traces and labels on the pink grid. */
export async function canvasDarkFraction(page, selector) {
  return page.$eval(selector, (c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] < 90 && d[i + 1] < 90 && d[i + 2] < 90) n++;
    return n / (d.length / 4);
  });
}

export async function canvasInk(page, selector = '.vw-canvas') {
  return page.$eval(selector, (c) => {
    const ctx = c.getContext('2d');
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    let lit = 0;
    for (let i = 0; i < d.length; i += 16) if (d[i] > 16 || d[i + 1] > 16 || d[i + 2] > 16) lit++;
    return lit / (d.length / 16);
  });
}
