// ECG machine flags: a clinic sends a Philips ECG of an acute inferior MI, whose automatic analysis raises the
// critical STEMI flag. The ECG reader sees the flags in a panel labelled as a machine suggestion (not a
// diagnosis), confirms the STEMI flag with a note (which opens the critical-value dialog: sent) and dismisses
// another, reloads and finds both decisions with their author; after signing they can no longer change. The ECG center's lead sees the agreement statistic.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openBrowser, login, logout, waitForRoute, token, api, URL } from '../lib/harness.mjs';
import { sendExam } from '../lib/flows.mjs';

const PHILIPS_MI = join(import.meta.dirname, '../../data/ecg/philips_129DYPRG.xml');
const CRITICAL = 'critical_stemi';
let b;
let taskId;
let other; // a second (non-critical) flag of the same ECG, dismissed by the reader

/** The task's machine flags once the server's ECG analysis has run. */
async function machineFlags(id) {
  const tok = await token('ecg-lead');
  for (let i = 0; i < 75; i++) {
    const r = await api('GET', `/api/tasks/${id}/ecg-flags`, { token: tok });
    if (r.status === 200 && r.json.flags.length) return r.json;
    await sleep(200);
  }
  throw new Error(`task ${id} has no machine flags`);
}

before(async () => {
  taskId = await sendExam('clinic1-tech', [PHILIPS_MI], { reason: '胸痛2小时 (e2e flags)', priority: 'urgent' });
  b = await openBrowser('ecg-flags', { width: 1366, height: 768 });
});
after(async () => {
  await b.close();
});

test('the analysis of the MI recording raises the critical STEMI flag, undecided', async () => {
  const flags = await machineFlags(taskId);
  const codes = flags.flags.map((f) => f.code);
  assert.ok(codes.includes(CRITICAL), `flags: ${codes.join(', ')}`);
  assert.equal(flags.pending, flags.flags.length, 'nothing is decided yet');
  // Each flag's sentence in both languages, with the same details (the inferior leads).
  const stemi = flags.flags.find((f) => f.code === CRITICAL);
  assert.match(stemi.text, /inferior \(II, aVF, III\)/, stemi.text);
  assert.match(stemi.text_zh, /下壁（II、aVF、III）/, stemi.text_zh);
  // The cart calls it an inferior infarct: the Q waves of II and aVF are a statement of their own.
  const q = flags.flags.find((f) => f.code === 'pathological_q_waves');
  assert.ok(q, `flags: ${codes.join(', ')}`);
  assert.match(q.text_zh, /异常 Q 波（下壁）：II（Q \d+ ms/, q.text_zh);
  other = flags.flags.find((f) => f.category !== 'critical');
  assert.ok(other, `a rhythm statement besides the critical flag (flags: ${codes.join(', ')})`);
});

test('the reader sees the flags as a machine suggestion, confirms the STEMI flag and dismisses another', async () => {
  const p = b.page;
  await login(p, 'ecg-reader1');
  await waitForRoute(p, '/worklist');
  await p.goto(`${URL}/#/read/${taskId}`);
  await p.waitForSelector(`#ecg-flags li.ecg-flag[data-code="${CRITICAL}"]`);
  assert.match(await p.textContent('#ecg-flags .ecg-flags-title'), /机器提示，非诊断/);
  // The Philips cart's own interpretation is shown beside ours, labelled as the device's, for reference.
  await p.waitForSelector('.ecg-device-statements li');
  assert.match(await p.textContent('.ecg-device .sub'), /心电图机自带诊断/);
  const device = await p.$$eval('.ecg-device-statements li', (els) => els.map((e) => e.textContent));
  assert.ok(device.includes('Inferior infarct, acute (LCx)'), JSON.stringify(device));
  // ...and its measurements beside ours: the cart's QRS of 135 ms stands out against our 106, its QT of 476 does not
  // against our 480; its QTc (its own formula) has a row of its own.
  assert.match(await p.textContent('.ecg-measurements thead'), /本系统.*心电图机/);
  const cells = (key) => p.$$eval(`.ecg-measurements tr[data-key="${key}"] td.num`,
    (els) => els.map((e) => ({ text: e.textContent, differs: e.classList.contains('differs'), title: e.title })));
  const qrs = await cells('qrs_ms');
  assert.equal(qrs[1].text, '135', JSON.stringify(qrs));
  assert.ok(qrs[1].differs && /卡尺/.test(qrs[1].title), JSON.stringify(qrs));
  const qt = await cells('qt_ms');
  assert.equal(qt[1].text, '476', JSON.stringify(qt));
  assert.ok(!qt[1].differs, JSON.stringify(qt));
  const qtc = await cells('qtc_ms');
  assert.deepEqual(qtc.map((c) => c.text), ['—', '393']);
  // RV5 and SV1 in mV beside the cart's own per-lead amplitudes (621 and 757 µV), and their sum.
  assert.deepEqual((await cells('rv5_uv')).map((c) => c.text), ['0.62', '0.62']);
  assert.deepEqual((await cells('sv1_uv')).map((c) => c.text), ['0.76', '0.76']);
  assert.deepEqual((await cells('rv5_plus_sv1_uv')).map((c) => c.text), ['1.38', '1.38']);
  assert.match(await p.textContent('.ecg-measurements tr[data-key="rv5_plus_sv1_uv"]'), /mV/);
  await p.$eval('.ecg-measurements', (e) => e.scrollIntoView());
  await b.shot('flags-device-measurements-zh');
  assert.equal(await p.$('#ecg-flags .ecg-flag-actions'), null, 'no buttons before the reader holds the ECG');
  await p.click('#claim-task');
  const item = `#ecg-flags li.ecg-flag[data-code="${CRITICAL}"]`;
  await p.waitForSelector(`${item} button[data-decision="confirm"]`);
  // The ECG template is chosen, but not its normal text: the machine flags an acute MI, and a prefilled
  // "正常心电图。" would be one keystroke from a signed normal report.
  await p.waitForSelector('#template-note:not([hidden])');
  assert.match(await p.textContent('#template-note'), /机器分析提示异常/);
  assert.equal(await p.inputValue('#impression'), '');
  assert.match(await p.textContent(item), /ST 段抬高型心肌梗死/, 'the flag is named in Chinese');
  // ...and its details are Chinese too, not the machine's English sentence.
  const detail = await p.textContent(`${item} .ecg-flag-text`);
  assert.match(detail, /下壁（II、aVF、III）相邻导联 ST 段抬高/, detail);
  assert.doesNotMatch(detail, /[a-z]{4,}|机器提示（未经确认）/, detail);
  assert.match(await p.textContent(item), /待医师判读/);
  const pendingBefore = Number(await p.getAttribute('#ecg-flags', 'data-pending'));
  assert.ok(pendingBefore >= 2, `pending ${pendingBefore}`);

  await p.fill(`${item} .ecg-flag-note`, 'II、III、aVF ST段抬高，已电话通知');
  await p.click(`${item} button[data-decision="confirm"]`);
  await p.waitForSelector(`${item}[data-verdict="confirmed"]`);
  // A confirmed critical finding opens the critical-value (危急值) dialog with the matching category; sending it
  // is what tells the clinic.
  await p.waitForSelector('.modal #critical-category');
  assert.equal(await p.inputValue('.modal #critical-category'), 'acute_myocardial_infarction');
  assert.match(await p.inputValue('.modal #critical-note'), /已电话通知/, 'the reader\'s note comes along');
  await b.shot('flags-critical-dialog-zh');
  await p.click('.modal .btn.danger');
  await p.waitForSelector('.modal #critical-category', { state: 'detached' });
  await p.waitForSelector('#flag-critical[disabled]');
  const marked = await api('GET', `/api/tasks/${taskId}`, { token: await token('ecg-reader1') });
  assert.equal(marked.json.critical.category, 'acute_myocardial_infarction', JSON.stringify(marked.json.critical));
  const otherItem = `#ecg-flags li.ecg-flag[data-code="${other.code}"]`;
  await p.click(`${otherItem} button[data-decision="dismiss"]`);
  await p.waitForSelector(`${otherItem}[data-verdict="dismissed"]`);
  assert.equal(Number(await p.getAttribute('#ecg-flags', 'data-pending')), pendingBefore - 2);
  assert.match(await p.textContent(item), /医师已确认.*心电医师一/s);
  // The confirmed finding is a line of the impression, by its name; the dismissed one is not there.
  const impression = await p.inputValue('#impression');
  const confirmedName = await p.textContent(`${item} .ecg-flag-name`);
  const dismissedName = await p.textContent(`${otherItem} .ecg-flag-name`);
  assert.ok(impression.split('\n').includes(confirmedName), `"${confirmedName}" in the impression: ${impression}`);
  assert.ok(!impression.includes(dismissedName), `"${dismissedName}" not in the impression: ${impression}`);
  // Confirmed by mistake and dismissed again: its line goes away.
  await p.click(`${otherItem} button[data-decision="confirm"]`);
  await p.waitForSelector(`${otherItem}[data-verdict="confirmed"]`);
  assert.ok((await p.inputValue('#impression')).split('\n').includes(dismissedName));
  await p.click(`${otherItem} button[data-decision="dismiss"]`);
  await p.waitForSelector(`${otherItem}[data-verdict="dismissed"]`);
  assert.ok(!(await p.inputValue('#impression')).includes(dismissedName));
  // Written by the reader in their own way ("2. …。"), it is not added twice, and dismissing leaves the reader's line.
  const typed = (await p.inputValue('#impression')) + `\n2. ${dismissedName}。`;
  await p.fill('#impression', typed);
  await p.click(`${otherItem} button[data-decision="confirm"]`);
  await p.waitForSelector(`${otherItem}[data-verdict="confirmed"]`);
  assert.equal(await p.inputValue('#impression'), typed);
  await p.click(`${otherItem} button[data-decision="dismiss"]`);
  await p.waitForSelector(`${otherItem}[data-verdict="dismissed"]`);
  assert.equal(await p.inputValue('#impression'), typed);
  await p.waitForFunction(() => /已自动保存/.test(document.querySelector('#save-state').textContent), null, { timeout: 10000 });
  await b.shot('flags-decided-zh');
});

test('after a reload the decisions are still there, with who decided and the note', async () => {
  const p = b.page;
  await p.reload();
  const item = `#ecg-flags li.ecg-flag[data-code="${CRITICAL}"]`;
  await p.waitForSelector(`${item}[data-verdict="confirmed"]`);
  await p.waitForSelector(`#ecg-flags li.ecg-flag[data-code="${other.code}"][data-verdict="dismissed"]`);
  const text = await p.textContent(item);
  assert.match(text, /心电医师一/);
  assert.equal(await p.inputValue(`${item} .ecg-flag-note`), 'II、III、aVF ST段抬高，已电话通知', 'the note, to edit');
  // The server agrees with what the page shows.
  const r = await api('GET', `/api/tasks/${taskId}/ecg-flags`, { token: await token('ecg-reader1') });
  const stemi = r.json.flags.find((f) => f.code === CRITICAL);
  assert.equal(stemi.decision.verdict, 'confirmed');
  assert.equal(stemi.decision.comment, 'II、III、aVF ST段抬高，已电话通知');
});

test('a decision that does not reach the server says so in the panel; the next try records it', async () => {
  const p = b.page;
  const last = (await machineFlags(taskId)).flags.find((f) => !f.decision);
  assert.ok(last, 'a flag is still undecided');
  const item = `#ecg-flags li.ecg-flag[data-code="${last.code}"]`;
  b.allowHttpErrors(/\/ecg-flags\//);
  await p.route('**/api/tasks/*/ecg-flags/*', (route) => route.abort('internetdisconnected'));
  await p.click(`${item} button[data-decision="confirm"]`);
  await p.waitForSelector('#ecg-flags .form-error:not([hidden])');
  const shown = await p.textContent('#ecg-flags .form-error');
  assert.match(shown, /无法连接服务器/, shown);
  assert.ok(shown.startsWith(await p.textContent(`${item} .ecg-flag-name`)), `names the flag: ${shown}`);
  assert.equal(await p.getAttribute(item, 'data-verdict'), 'pending', 'nothing shown as decided');
  await p.unroute('**/api/tasks/*/ecg-flags/*');
  await p.click(`${item} button[data-decision="confirm"]`);
  await p.waitForSelector(`${item}[data-verdict="confirmed"]`);
  assert.ok(await p.$eval('#ecg-flags .form-error', (el) => el.hidden), 'the error is gone');
  // The recording has more statements than the two decided above (its inferior Q waves too): the reader
  // confirms the rest in the panel, and the panel counts them all as read.
  for (const f of (await machineFlags(taskId)).flags.filter((x) => !x.decision)) {
    const rest = `#ecg-flags li.ecg-flag[data-code="${f.code}"]`;
    await p.click(`${rest} button[data-decision="confirm"]`);
    await p.waitForSelector(`${rest}[data-verdict="confirmed"]`);
  }
  assert.equal(await p.getAttribute('#ecg-flags', 'data-pending'), '0');
  assert.match(await p.textContent('#ecg-flags .ecg-flag-pending'), /已全部判读/);
});

test('in English the panel reads as a machine suggestion too', async () => {
  const p = b.page;
  await p.click('button[data-lang="en"]');
  await p.waitForFunction(() => /Machine suggestion, not a diagnosis/.test(document.querySelector('#ecg-flags')?.textContent || ''));
  const text = await p.textContent(`#ecg-flags li.ecg-flag[data-code="${CRITICAL}"]`);
  assert.match(text, /ST-elevation myocardial infarction/);
  assert.match(await p.textContent(`#ecg-flags li.ecg-flag[data-code="${CRITICAL}"] .ecg-flag-text`),
    /^ST elevation in contiguous leads, inferior \(II, aVF, III\)/);
  assert.match(text, /Confirmed by the reader/);
  await p.waitForSelector('#ecg-viewer[data-ready="1"]', { timeout: 15000 });
  await b.shot('flags-decided-en');
  await p.click('button[data-lang="zh-CN"]');
  await p.waitForFunction(() => /机器提示/.test(document.querySelector('#ecg-flags')?.textContent || ''));
});

test('once the report is signed the decisions are final: no buttons, and the server refuses a change', async () => {
  const p = b.page;
  await p.waitForSelector('#report-editor');
  // The ECG template's measurements are prefilled.
  assert.match(await p.inputValue('input[data-key="heart_rate"]'), /^\d+$/);
  // RV5/SV1 as a Chinese cart prints them, mV to the µV: the Philips ECG's 0.623 and 0.761.
  assert.match(await p.inputValue('input[data-key="rv5_sv1"]'), /^0\.62\d\/0\.76\d$/);
  assert.match(await p.inputValue('input[data-key="rv5_plus_sv1"]'), /^1\.3\d\d$/);
  assert.equal(await p.inputValue('#findings'), '');
  // The impression holds what the reader confirmed above (the STEMI), and none of the template's normal text.
  const impression = await p.inputValue('#impression');
  assert.match(impression, /ST 段抬高型心肌梗死/, impression);
  assert.doesNotMatch(impression, /正常心电图/, impression);
  await p.fill('#findings', 'II、III、aVF 导联 ST 段抬高。');
  await p.fill('#impression', '急性下壁心肌梗死（e2e）。');
  await p.keyboard.press('Control+Enter');
  await p.waitForSelector('#report-doc', { timeout: 10000 });
  await p.waitForSelector(`#ecg-flags li.ecg-flag[data-code="${CRITICAL}"][data-verdict="confirmed"]`);
  assert.equal(await p.$('#ecg-flags .ecg-flag-actions'), null);
  assert.match(await p.textContent(`#ecg-flags li.ecg-flag[data-code="${CRITICAL}"] .ecg-flag-comment`), /已电话通知/);
  const r = await api('POST', `/api/tasks/${taskId}/ecg-flags/${CRITICAL}`, { token: await token('ecg-reader1'), body: { decision: 'dismiss' } });
  assert.equal(r.status, 409);
});

test('the ECG center lead sees the agreement between the machine and the readers', async () => {
  const p = b.page;
  await logout(p);
  await login(p, 'ecg-lead');
  await waitForRoute(p, '/worklist');
  await p.goto(`${URL}/#/stats`);
  const row = `#flag-agreement tbody tr[data-code="${CRITICAL}"]`;
  await p.waitForSelector(row);
  const stats = await api('GET', `/api/stats/ecg-flags?from=${Date.now() - 86400000}`, { token: await token('ecg-lead') });
  const s = stats.json.flags.find((f) => f.code === CRITICAL);
  assert.ok(s.confirmed >= 1, JSON.stringify(s));
  const cells = await p.$$eval(`${row} td`, (tds) => tds.map((td) => td.textContent));
  assert.match(cells[0], /ST 段抬高型心肌梗死/);
  assert.equal(cells[2], String(s.confirmed), 'the confirmed count is the server\'s');
  assert.equal(cells[5], `${Math.round(s.agreement_rate * 1000) / 10}%`);
  assert.match(await p.textContent('#flag-agreement tfoot'), /合计/);
  await p.$eval('#flag-agreement-panel', (el) => el.scrollIntoView());
  await b.shot('flags-agreement-zh');
  await p.click('button[data-lang="en"]');
  await p.waitForFunction(() => /agreement with the readers/.test(document.querySelector('#flag-agreement-panel')?.textContent || ''));
  await p.waitForSelector(row);
  await p.$eval('#flag-agreement-panel', (el) => el.scrollIntoView());
  await b.shot('flags-agreement-en');
  await p.click('button[data-lang="zh-CN"]');
});

test('no console errors', () => {
  b.assertClean();
});
