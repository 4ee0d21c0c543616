// Sending an exam: the request form (reason, history, priority) and the files — dropped or picked files,
// folders or a zip — uploaded one request per file with progress per file and overall. Files that fail on the
// network are retried, and can be resent later: the upload session stays open until "complete".
// Resuming: the session id, the request and the files the server confirmed are kept in localStorage (and the
// server lists what it received), so after a reload or a lost connection the technician picks the same files or
// folder again and only the missing ones are sent.
import { h, clear, toast } from './dom.js';
import { t } from './i18n.js';
import { get, post, uploadFile, errorText } from './api.js';
import { navigate } from './router.js';
import { bytes, dateTime } from './format.js';
import { startCriticalWatch } from './critical.js';
import { session } from './session.js';

const PARALLEL = 3;
const RETRIES = 3;
const SKIP_NAMES = /^(\.|__MACOSX|Thumbs\.db$|desktop\.ini$|DICOMDIR$)/i;
const NATIONAL_ID = /^(\d{15}|\d{17}[\dXx])$/;

// One unfinished upload per user and browser: {id, reason, history, priority, nid, at, sent: {path: size}}.
const storeKey = () => `teledx.upload.${session().user.id}`;
function loadSaved() {
  try {
    const v = JSON.parse(localStorage.getItem(storeKey()) || 'null');
    return v && typeof v.id === 'string' && v.sent && typeof v.sent === 'object' ? v : null;
  } catch {
    return null;
  }
}
const forgetSaved = () => localStorage.removeItem(storeKey());

/**
 * Classifies a file by its first bytes: 'dicom' (DICM at 128), 'zip' (PK\3\4), 'ecg' or 'wfdb' (by name) or null.
 */
async function sniff(file) {
  const head = new Uint8Array(await file.slice(0, 132).arrayBuffer());
  if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) return 'zip';
  if (head.length >= 132 && head[128] === 0x44 && head[129] === 0x49 && head[130] === 0x43 && head[131] === 0x4d)
    return 'dicom';
  if (/\.(dcm|dicom|ima)$/i.test(file.name)) return 'dicom'; // files without the preamble; the server decides
  // ECG files that are not DICOM (HL7 aECG / GE MUSE / Philips XML, SCP-ECG, Contec ECG90A .ECG, CSV): the server
  // reads and converts them. A WFDB header goes with its signal and annotation files in one request (pairWfdb).
  if (/\.(xml|scp|csv|ecg)$/i.test(file.name)) return 'ecg';
  if (/\.hea$/i.test(file.name)) return 'wfdb';
  return null;
}

const stem = (path) => path.replace(/\.[^./]*$/, '');
/** Bytes an item sends: a WFDB header carries its record's other files in the same request. */
const sizeOf = (item) => item.file.size + (item.companions || []).reduce((s, c) => s + c.file.size, 0);

/** All files below a dropped folder entry (FileSystemEntry API). */
async function entryFiles(entry, path = '') {
  if (entry.isFile) {
    const file = await new Promise((res, rej) => entry.file(res, rej));
    return [{ file, path: path + file.name }];
  }
  if (!entry.isDirectory) return [];
  const reader = entry.createReader();
  const out = [];
  for (;;) {
    const batch = await new Promise((res, rej) => reader.readEntries(res, rej));
    if (!batch.length) break;
    for (const e of batch) out.push(...(await entryFiles(e, path + entry.name + '/')));
  }
  return out;
}

export function render(el) {
  startCriticalWatch();
  const items = []; // {file, path, kind, status: queued|sending|done|failed|skipped, loaded, row, bar, state}
  let uploadId = null;
  let running = false;
  let finished = false;
  let priority = 'routine';
  let mode = 'send'; // the main button sends, or completes with what was sent when some files failed

  const reason = h('textarea#exam-reason', { rows: 3, placeholder: t('upload.reason_ph'), maxlength: 2000 });
  const history = h('textarea#exam-history', { rows: 3, placeholder: t('upload.history_ph'), maxlength: 4000 });
  const nid = h('input#exam-nid', { type: 'text', maxlength: 18, autocomplete: 'off', placeholder: t('upload.nid_ph') });
  // Who the exam is of, for ECG files that carry no patient (WFDB, CSV, some SCP-ECG); DICOM and most cart files
  // name their patient, and the file's own data wins where it has it.
  const pName = h('input#patient-name', { type: 'text', maxlength: 64, autocomplete: 'off' });
  const pId = h('input#patient-id', { type: 'text', maxlength: 64, autocomplete: 'off' });
  const pSex = h('select#patient-sex', h('option', { value: '' }, '—'), ['M', 'F', 'O'].map((x) => h('option', { value: x }, t('sex.' + x))));
  const pBirth = h('input#patient-birth', { type: 'date' });
  const patientBox = h('details.patient-box#patient-box',
    h('summary', t('upload.patient')),
    h('div.patient-grid',
      h('label.field', h('span.field-label', t('upload.patient_name')), pName),
      h('label.field', h('span.field-label', t('upload.patient_id')), pId),
      h('label.field', h('span.field-label', t('upload.patient_sex')), pSex),
      h('label.field', h('span.field-label', t('upload.patient_birth')), pBirth)));
  const patientFields = () => {
    const out = {};
    for (const [k, el] of [['name', pName], ['id', pId], ['sex', pSex], ['birth_date', pBirth]])
      if (el.value.trim()) out[k] = el.value.trim();
    return out;
  };
  let saved = null; // the persisted session (see loadSaved)
  const resumeBox = h('div.resume-banner#resume-banner', { hidden: true, role: 'status' });
  const prio = h('div.prio-pick', ['stat', 'urgent', 'routine'].map((p) =>
    h('label.p-' + p + (p === priority ? '.on' : ''), { 'data-prio': p },
      h('input', { type: 'radio', name: 'prio', value: p, checked: p === priority,
        onchange: () => {
          priority = p;
          for (const l of prio.children) l.classList.toggle('on', l.dataset.prio === p);
        } }),
      t('prio.' + p))));
  const formError = h('div.form-error', { hidden: true, role: 'alert' });

  const fileInput = h('input#file-input', { type: 'file', multiple: true, hidden: true,
    onchange: () => { addFiles([...fileInput.files].map((f) => ({ file: f, path: f.name }))); fileInput.value = ''; } });
  const dirInput = h('input#dir-input', { type: 'file', multiple: true, webkitdirectory: true, hidden: true,
    onchange: () => { addFiles([...dirInput.files].map((f) => ({ file: f, path: f.webkitRelativePath || f.name }))); dirInput.value = ''; } });
  const list = h('div.file-list');
  const overallBar = h('span');
  const overallText = h('span');
  const overallCount = h('span');
  const overall = h('div.overall', { hidden: true },
    h('div.overall-text', overallText, overallCount), h('div.progress.big', overallBar));
  const sendBtn = h('button.btn.primary#send-exam', { type: 'button', onclick: () => (mode === 'send' ? send() : complete()) },
    t('upload.send'));
  const retryBtn = h('button.btn#retry-failed', { type: 'button', hidden: true, onclick: retryFailed }, t('upload.retry'));
  const done = h('div.panel.panel-pad', { hidden: true });

  const drop = h('div.dropzone#dropzone',
    h('div.big', t('upload.drop')),
    h('div', t('upload.drop_hint')),
    h('div.btn-row', { style: { justifyContent: 'center', marginTop: '12px' } },
      h('button.btn', { type: 'button', onclick: () => fileInput.click() }, t('upload.pick_files')),
      h('button.btn', { type: 'button', onclick: () => dirInput.click() }, t('upload.pick_folder'))),
    fileInput, dirInput);
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', async (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const entries = [...(e.dataTransfer.items || [])].map((i) => i.webkitGetAsEntry && i.webkitGetAsEntry()).filter(Boolean);
    if (entries.length) {
      const all = [];
      for (const en of entries) all.push(...(await entryFiles(en)));
      addFiles(all);
    } else {
      addFiles([...e.dataTransfer.files].map((f) => ({ file: f, path: f.name })));
    }
  });

  el.append(h('div.page',
    h('div.page-head', h('h1', t('upload.title')), h('div.spacer'), h('a.btn.ghost', { href: '#/clinic' }, t('upload.back'))),
    done,
    resumeBox,
    h('div.upload-layout#upload-form',
      h('div.panel.panel-pad',
        h('h2', t('upload.request')),
        h('label.field', h('span.field-label', t('upload.reason')), reason),
        h('label.field', h('span.field-label', t('upload.history')), history),
        h('label.field', h('span.field-label', t('upload.nid')), nid),
        patientBox,
        h('div.field', h('span.field-label', t('upload.priority')), prio),
        formError),
      h('div.panel.panel-pad',
        h('h2', t('upload.files')),
        drop, overall, list,
        h('div.btn-row', { style: { marginTop: '14px', justifyContent: 'flex-end' } }, retryBtn, sendBtn)))));

  async function addFiles(found) {
    if (finished) return;
    for (const f of found) {
      const base = f.path.split('/').pop();
      if (SKIP_NAMES.test(base) || f.path.split('/').some((p) => SKIP_NAMES.test(p) && p.startsWith('.'))) continue;
      if (items.some((x) => x.path === f.path && x.file.size === f.file.size)) continue;
      const item = { ...f, kind: await sniff(f.file), status: 'queued', loaded: 0, attempts: 0 };
      if (!item.kind) item.status = 'skipped';
      else if (saved && saved.sent[f.path] === f.file.size) {
        // The server confirmed this file before the reload: do not send it again.
        item.status = 'done';
        item.loaded = f.file.size;
        item.message = t('upload.st.already');
      }
      item.bar = h('span');
      item.state = h('span.state');
      item.row = h('div.file-row', h('span.name', { title: f.path }, f.path), h('span.sub', bytes(f.file.size)),
        h('div', h('div.progress', item.bar), item.state));
      items.push(item);
      list.append(item.row);
      paint(item);
    }
    pairWfdb();
    paintOverall();
    if (running) pump();
    else if (items.some((x) => x.status === 'queued')) {
      mode = 'send';
      sendBtn.textContent = t('upload.send');
      sendBtn.disabled = false;
    }
  }

  // A WFDB record's .dat (and .atr...) files, skipped alone, travel with the .hea of the same name and folder: the
  // server needs the header and its signal in one request.
  function pairWfdb() {
    for (const x of items) {
      if (x.kind || x.companionOf || x.status !== 'skipped') continue;
      const hea = items.find((y) => y.kind === 'wfdb' && stem(y.path) === stem(x.path));
      if (!hea || !['queued', 'failed', 'done'].includes(hea.status)) continue;
      x.companionOf = hea;
      (hea.companions = hea.companions || []).push(x);
      x.status = hea.status === 'done' ? 'done' : 'paired';
      x.message = t('upload.st.paired', { name: hea.path.split('/').pop() });
      paint(x);
    }
  }

  function paint(item) {
    const pct = sizeOf(item) ? Math.round((item.loaded / sizeOf(item)) * 100) : 100;
    item.bar.style.width = (item.status === 'done' ? 100 : ['skipped', 'paired'].includes(item.status) ? 0 : pct) + '%';
    item.row.className = 'file-row ' + item.status;
    item.bar.parentElement.className = 'progress' + (item.status === 'done' ? ' ok' : item.status === 'failed' ? ' failed' : '');
    item.state.textContent = item.status === 'sending' ? pct + '%' : item.message || t('upload.st.' + item.status);
    item.state.title = item.message || '';
  }

  function paintOverall() {
    const real = items.filter((x) => x.status !== 'skipped' && !x.companionOf);
    const total = real.reduce((s, x) => s + sizeOf(x), 0);
    const loaded = real.reduce((s, x) => s + (x.status === 'done' ? sizeOf(x) : x.loaded), 0);
    overall.hidden = !real.length;
    const pct = total ? Math.floor((loaded / total) * 100) : 0;
    overallBar.style.width = pct + '%';
    const doneN = real.filter((x) => x.status === 'done').length;
    const failed = real.filter((x) => x.status === 'failed').length;
    overallText.textContent = t('upload.overall', { pct, sent: bytes(loaded), total: bytes(total) });
    overallCount.textContent = t('upload.count', { done: doneN, all: real.length }) +
      (failed ? ' · ' + t('upload.failed_n', { n: failed }) : '');
    retryBtn.hidden = running || !failed;
  }

  async function send() {
    formError.hidden = true;
    if (!reason.value.trim()) return showError(t('upload.reason_missing'), reason);
    const nidText = nid.value.trim();
    if (nidText && !NATIONAL_ID.test(nidText)) return showError(t('upload.nid_bad'), nid);
    if (!items.some((x) => x.status !== 'skipped' && !x.companionOf)) return showError(t('upload.no_files'));
    const patient = patientFields();
    // A WFDB record or a CSV never names its patient: ask now, before the session locks the form.
    if (!uploadId && !patient.name && !patient.id &&
        items.some((x) => x.status === 'queued' && (x.kind === 'wfdb' || /\.csv$/i.test(x.path)))) {
      patientBox.open = true;
      return showError(t('upload.patient_missing'), pName);
    }
    sendBtn.disabled = true;
    try {
      if (!uploadId) {
        const body = { reason: reason.value.trim(), history: history.value.trim(), priority };
        if (nidText) body.national_id = nidText;
        if (Object.keys(patient).length) body.patient = patient;
        const r = await post('/api/uploads', body);
        uploadId = r.upload_id;
        saved = { id: uploadId, reason: body.reason, history: body.history, priority, nid: nidText, patient, at: Date.now(), sent: {} };
        persist();
        lockForm();
      }
    } catch (e) {
      sendBtn.disabled = false;
      return showError(errorText(e));
    }
    running = true;
    sendBtn.textContent = t('upload.sending');
    pump();
  }

  function showError(message, focus) {
    formError.textContent = message;
    formError.hidden = false;
    if (focus) focus.focus();
  }

  let active = 0;
  function pump() {
    while (active < PARALLEL) {
      const next = items.find((x) => x.status === 'queued');
      if (!next) break;
      active++;
      sendOne(next).finally(() => {
        active--;
        paintOverall();
        pump();
      });
    }
    if (active === 0 && running) settle();
  }

  async function sendOne(item) {
    item.status = 'sending';
    item.loaded = 0;
    item.message = '';
    paint(item);
    const url = `/api/uploads/${encodeURIComponent(uploadId)}/files?name=${encodeURIComponent(item.path)}`;
    const type = item.kind === 'zip' ? 'application/zip' : item.kind === 'ecg' ? 'application/octet-stream'
      : item.kind === 'wfdb' ? null : 'application/dicom';  // multipart: the browser writes its boundary
    let body = item.file;
    if (item.kind === 'wfdb') {
      body = new FormData();
      for (const x of [item, ...(item.companions || [])]) body.append('file', x.file, x.path.split('/').pop());
    }
    try {
      const { status, json } = await uploadFile(url, body, type, (loaded) => {
        item.loaded = loaded;
        paint(item);
        paintOverall();
      }).promise;
      if (status === 200 || status === 207) {
        item.status = 'done';
        for (const c of item.companions || []) { c.status = 'done'; paint(c); }
        if (saved) {
          saved.sent[item.path] = item.file.size;
          persist();
        }
        const failedInside = json && json.failed ? json.failed : 0;
        item.stored = json ? json.stored : 0;
        if (failedInside) item.message = t('upload.partial', { stored: json.stored, failed: failedInside });
      } else {
        item.status = 'failed';
        const f = json && json.files && json.files.find((x) => x.error);
        item.message = (f && f.error.message) || (json && json.error && json.error.message) || `HTTP ${status}`;
        if (status >= 500 && item.attempts < RETRIES) retryLater(item);
      }
    } catch (e) {
      item.status = 'failed';
      item.message = errorText(e);
      if (item.attempts < RETRIES) retryLater(item);
    }
    paint(item);
  }

  function retryLater(item) {
    item.attempts++;
    item.status = 'waiting';
    item.message = t('upload.retrying');
    setTimeout(() => {
      if (item.status === 'waiting') item.status = 'queued';
      paint(item);
      pump();
    }, 1000 * 2 ** item.attempts);
  }

  function retryFailed() {
    for (const x of items) if (x.status === 'failed') { x.status = 'queued'; x.attempts = 0; paint(x); }
    running = true;
    sendBtn.disabled = true;
    formError.hidden = true;
    pump();
  }

  async function settle() {
    if (items.some((x) => ['waiting', 'sending', 'queued'].includes(x.status))) return;
    running = false;
    paintOverall();
    const stored = items.filter((x) => x.status === 'done').length;
    const failed = items.filter((x) => x.status === 'failed').length;
    if (failed) {
      showError(t('upload.some_failed', { n: failed }));
      mode = 'finish';
      sendBtn.textContent = t('upload.finish_anyway');
      sendBtn.disabled = !stored;
      return;
    }
    await complete();
  }

  async function complete() {
    sendBtn.disabled = true;
    try {
      const r = await post(`/api/uploads/${encodeURIComponent(uploadId)}/complete`, {});
      finished = true;
      forgetSaved();
      resumeBox.hidden = true;
      document.getElementById('upload-form').hidden = true;
      clear(done).append(
        h('h2', '✓ ' + t('upload.done_title')),
        h('p', t('upload.done_text', { files: items.filter((x) => x.status === 'done').length,
          studies: r.completed_studies.length })),
        h('div.btn-row',
          h('a.btn.primary#to-list', { href: '#/clinic' }, t('upload.to_list')),
          h('button.btn', { type: 'button', onclick: () => navigate('/clinic/upload', { replace: true }) },
            t('upload.another'))));
      done.hidden = false;
      toast(t('upload.done_title'), 'ok');
    } catch (e) {
      sendBtn.disabled = false;
      showError(errorText(e));
    }
  }

  function persist() {
    try {
      localStorage.setItem(storeKey(), JSON.stringify(saved));
    } catch {
      /* storage full or disabled: resuming then relies on the server's list alone */
    }
  }

  function lockForm() {
    for (const x of [reason, history, nid, pName, pId, pSex, pBirth, ...prio.querySelectorAll('input')]) x.disabled = true;
  }

  /** Picks up an unfinished upload of this user: its request, and the files the server already has. */
  async function resume() {
    saved = loadSaved();
    if (!saved) return;
    let files;
    try {
      const [state, list] = await Promise.all([get(`/api/uploads/${encodeURIComponent(saved.id)}`),
        get(`/api/uploads/${encodeURIComponent(saved.id)}/files`)]);
      if (state.completed) throw new Error('completed');
      files = list.files;
    } catch (e) {
      // Completed meanwhile, or unknown to the server: nothing to resume. A network error keeps it for later.
      if (!(e && e.code === 'network')) forgetSaved();
      saved = null;
      return;
    }
    for (const f of files) if (f.stored > 0 && f.size >= 0) saved.sent[f.name] = f.size;
    persist();
    uploadId = saved.id;
    reason.value = saved.reason || '';
    history.value = saved.history || '';
    nid.value = saved.nid || '';
    const sp = saved.patient || {};
    [pName.value, pId.value, pSex.value, pBirth.value] = [sp.name || '', sp.id || '', sp.sex || '', sp.birth_date || ''];
    patientBox.open = Object.keys(sp).length > 0;
    priority = saved.priority || 'routine';
    for (const l of prio.children) {
      l.classList.toggle('on', l.dataset.prio === priority);
      l.querySelector('input').checked = l.dataset.prio === priority;
    }
    lockForm();
    const n = Object.keys(saved.sent).length;
    clear(resumeBox).append(
      h('div', h('b', t('upload.resume_title')), ' ', t('upload.resume_text', { time: dateTime(new Date(saved.at).toISOString()), n })),
      h('button.btn.small#resume-discard', { type: 'button', onclick: discard }, t('upload.resume_discard')));
    resumeBox.hidden = false;
    // Files already in the list (picked before the check finished) are matched now.
    for (const item of items) {
      if (item.status === 'queued' && saved.sent[item.path] === item.file.size) {
        item.status = 'done';
        item.loaded = item.file.size;
        item.message = t('upload.st.already');
        paint(item);
      }
    }
    paintOverall();
  }

  function discard() {
    forgetSaved();
    navigate('/clinic/upload', { replace: true });
  }

  resume();
  return () => {
    if (running) toast(saved ? t('upload.left_resumable') : t('upload.left_running'));
  };
}
