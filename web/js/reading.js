// The reading page: the viewer (or the ECG measurements) next to the task, its actions and the report.
import { h, clear, toast, modal, debounce } from './dom.js';
import { t, bilingual } from './i18n.js';
import { get, post, errorText } from './api.js';
import { session, isLead } from './session.js';
import { onLiveEvent, isWorklistEvent } from './live.js';
import { loadInstitutions, institutionName } from './directory.js';
import { stateChip, priorityChip, patientCell, examText, slaCell, updateSla, flagChips, DONE_STATES, cachedTask, takeClaimRequest } from './tasks.js';
import { createViewer } from './viewer.js';
import { createEcgViewer } from './ecgview.js';
import { createReportEditor } from './report.js';
import { reportDoc } from './reportdoc.js';
import { nextCase } from './worklist.js';
import { loadPriors, priorsPanel, comparable } from './priors.js';
import { createFlagPanel } from './ecgflags.js';

const TOUCH_MS = 4 * 60 * 1000; // renew the claim's lease while the page is open

export async function render(el, { id }) {
  const me = session().user;
  const mainHost = h('div.reading-main');
  const priorHost = h('div.reading-prior', { hidden: true });
  const left = h('div.reading-left', mainHost, priorHost);
  const side = h('aside.reading-side');
  const layout = h('div.reading', left, side);
  el.append(layout);
  let viewer = null;
  const openViewer = (x) => {
    layout.classList.toggle('ecg', x.kind === 'ecg');
    viewer = x.kind === 'ecg' ? createEcgViewer(mainHost, { studyUid: x.study_uid, task: x }) : createViewer(mainHost, { studyUid: x.study_uid });
  };
  // The worklist knows the study already: the images start loading while the task is fetched.
  const known = cachedTask(id);
  if (known) openViewer(known);
  let task;
  let claimError = null;
  const priorsLoading = loadPriors(id).catch(() => []);
  const fetchTask = takeClaimRequest(id)
    ? post(`/api/tasks/${id}/claim`, {}).catch((e) => {
      claimError = e; // someone was faster: show the exam read-only and say so
      return get(`/api/tasks/${id}`);
    })
    : get(`/api/tasks/${id}`);
  try {
    [task] = await Promise.all([fetchTask, loadInstitutions().catch(() => null)]);
  } catch (e) {
    if (viewer) viewer.destroy();
    if (!layout.isConnected) return undefined; // the reader already moved on
    el.replaceChildren(h('div.page', h('a.btn.ghost', { href: '#/worklist' }, '← ' + t('reading.back')), h('div.form-error', errorText(e))));
    return undefined;
  }
  if (!viewer || known.study_uid !== task.study_uid) {
    if (viewer) viewer.destroy();
    openViewer(task);
  } else if (viewer.setTask) viewer.setTask(task);
  if (claimError) toast(errorText(claimError), 'error');

  let editor = null;
  let flags = null; // the ECG machine flags panel, redrawn with the side
  let sla = null;
  let priors = null; // loaded once per page, beside the task
  priorsLoading.then((list) => {
    priors = list;
    drawPriors();
  });
  let compare = null; // {id, view}: the prior shown beside the exam

  /** Opens a prior exam beside the current one: a second viewport for images, the serial comparison for ECGs. */
  async function openCompare(prior) {
    closeCompare();
    layout.classList.add('comparing');
    left.classList.add('compare', task.kind === 'ecg' ? 'compare-ecg' : 'compare-img');
    priorHost.hidden = false;
    const view = task.kind === 'ecg'
      ? (await import('./ecgcompare.js')).createEcgComparison(priorHost, { task, prior, onClose: closeCompare })
      : (await import('./priorview.js')).createPriorViewer(priorHost, { prior, mainStage: left.querySelector('#viewer-stage'), onClose: closeCompare });
    compare = { id: prior.task_id, view };
    drawPriors();
  }

  function closeCompare() {
    if (!compare) return;
    compare.view.destroy();
    compare = null;
    priorHost.hidden = true;
    layout.classList.remove('comparing');
    left.classList.remove('compare', 'compare-ecg', 'compare-img');
    drawPriors();
  }

  // "C" shows the newest comparable prior beside the exam, or closes the comparison (hot path: no mouse trip).
  const onKey = (e) => {
    if (e.key !== 'c' && e.key !== 'C') return;
    if (e.ctrlKey || e.metaKey || e.altKey || e.target.closest('input, textarea, select, [contenteditable]')) return;
    if (document.querySelector('.modal-back')) return;
    e.preventDefault();
    if (compare) closeCompare();
    else {
      const p = (priors || []).find((x) => comparable(task, x));
      if (p) openCompare(p);
    }
  };
  document.addEventListener('keydown', onKey);

  function drawPriors() {
    const old = side.querySelector('#priors-panel');
    if (!old || !priors) return;
    old.replaceWith(priorsPanel(task, priors, { onCompare: openCompare, onClose: closeCompare, comparing: compare && compare.id }));
  }
  const holds = () => task.assignee && task.assignee.id === me.id && (task.state === 'claimed' || task.state === 'in_report');
  const reviews = () => task.state === 'pending_review' && (me.role === 'senior_reader' || me.role === 'center_lead') &&
    !(task.assignee && task.assignee.id === me.id);

  async function drawSide() {
    if (editor) {
      editor.destroy();
      editor = null;
    }
    if (flags) flags.destroy();
    clear(side);
    sla = slaCell(task);
    const actions = h('div.reading-actions');
    if (task.state === 'waiting')
      actions.append(h('button.btn.primary#claim-task', { type: 'button', onclick: claim }, t('worklist.claim')));
    if (holds() || (isLead() && (task.state === 'claimed' || task.state === 'in_report')))
      actions.append(h('button.btn#release-task', { type: 'button', onclick: () => move('release', t('worklist.released')) }, t('worklist.release')));
    if (['waiting', 'claimed', 'in_report'].includes(task.state))
      actions.append(h('button.btn', { type: 'button', onclick: returnToClinic }, t('reading.return')));
    if (DONE_STATES.includes(task.state))
      actions.append(h('button.btn.primary#next-after', { type: 'button', onclick: goNext }, t('worklist.next') + ' ▸'));
    actions.append(h('a.btn.ghost', { href: '#/worklist' }, t('reading.back')));

    side.append(h('div.reading-head',
      h('div.title-row', priorityChip(task.priority), stateChip(task.state), h('div', { style: { flex: 1 } }), sla),
      h('div', { style: { marginTop: '8px' } }, patientCell(task)),
      h('div.sub', examText(task) + ' · ' + institutionName(task.clinic_id)),
      flagChips(task),
      h('div.request', h('b', t('doc.reason') + t('common.colon')), task.request.reason || '—'),
      task.request.history ? h('div.request', h('b', t('doc.history') + t('common.colon')), task.request.history) : null,
      task.assignee && !holds() ? h('div.request', h('b', t('reading.assignee') + t('common.colon')), bilingual(task.assignee.name)) : null,
      task.return_reason ? h('div.request', h('b', t('reading.returned_because') + t('common.colon')), task.return_reason) : null,
      actions));
    side.append(h('div#priors-panel'));
    drawPriors();
    // The machine's suggestions sit just above the report, where the reader decides on them before signing.
    flags = task.kind === 'ecg'
      ? createFlagPanel(side, task, {
        onCriticalConfirmed: (preset) => editor && editor.flagCritical(preset),
        onDecided: (name, confirmed) => editor && editor.confirmedStatement(name, confirmed),
      })
      : null;

    if (holds() || reviews()) {
      const host = h('div');
      side.append(host);
      try {
        editor = await createReportEditor(host, task, { onChange: (next) => (next ? reload(next) : drawHeadOnly()) });
      } catch (e) {
        host.append(h('div.form-error', errorText(e)));
      }
    } else if (DONE_STATES.includes(task.state) || task.state === 'pending_review') {
      const r = await get(`/api/tasks/${task.id}/report`).catch(() => null);
      if (r && r.versions && r.versions.length) {
        side.append(h('div.signed-box', reportDoc(task, r.versions, { templateFields: r.field_labels }),
          h('div.btn-row', { style: { marginTop: '10px' } },
            h('button.btn.small', { type: 'button', onclick: addendum }, t('reading.addendum')))));
      } else if (task.state === 'pending_review') side.append(h('p.empty', t('reading.pending_review')));
    } else if (task.state === 'waiting') {
      side.append(h('p.empty', t('reading.claim_to_report')));
    } else {
      side.append(h('p.empty', t('reading.held_by_other')));
    }
  }

  function drawHeadOnly() {
    const chip = side.querySelector('.reading-head .chip[data-state]');
    if (chip) chip.replaceWith(stateChip(task.state));
  }

  async function reload(next) {
    task = next || (await get(`/api/tasks/${id}`));
    if (viewer.setTask) viewer.setTask(task);
    if (compare && compare.view.setTask) compare.view.setTask(task);
    drawSide();
  }

  async function claim() {
    try {
      await reload(await post(`/api/tasks/${task.id}/claim`, {}));
    } catch (e) {
      toast(errorText(e), 'error');
      reload();
    }
  }

  async function move(action, okText) {
    try {
      if (editor) await editor.flush().catch(() => {});
      await reload(await post(`/api/tasks/${task.id}/${action}`, {}));
      if (okText) toast(okText, 'ok');
    } catch (e) {
      toast(errorText(e), 'error');
    }
  }

  async function returnToClinic() {
    const reason = h('textarea#return-reason', { rows: 3, placeholder: t('reading.return_ph') });
    const ok = await modal({ title: t('reading.return'), body: h('div', h('p.sub', t('reading.return_text')), reason),
      actions: [{ label: t('common.cancel'), value: false }, { label: t('reading.return'), value: true, kind: 'danger',
        validate: () => !!reason.value.trim() }] });
    if (!ok) return;
    try {
      await reload(await post(`/api/tasks/${task.id}/return-to-clinic`, { reason: reason.value.trim() }));
      toast(t('reading.returned'), 'ok');
    } catch (e) {
      toast(errorText(e), 'error');
    }
  }

  async function addendum() {
    const text = h('textarea', { rows: 5 });
    const ok = await modal({ title: t('reading.addendum'), body: text,
      actions: [{ label: t('common.cancel'), value: false }, { label: t('report.sign'), value: true, kind: 'primary', validate: () => !!text.value.trim() }] });
    if (!ok) return;
    try {
      const r = await post(`/api/tasks/${task.id}/report/addendum`, { text: text.value.trim() });
      await reload(r.task);
      toast(t('reading.addendum_signed'), 'ok');
    } catch (e) {
      toast(errorText(e), 'error');
    }
  }

  async function goNext() {
    try {
      const r = await get('/api/tasks', { state: 'waiting,claimed,in_report', limit: 50 });
      await nextCase(r.tasks.filter((x) => x.id !== task.id));
    } catch (e) {
      toast(errorText(e), 'error');
    }
  }

  await drawSide();
  const tick = setInterval(() => sla && updateSla(sla, task), 1000);
  const touch = setInterval(() => {
    if (holds()) post(`/api/tasks/${task.id}/touch`, {}).catch(() => {});
  }, TOUCH_MS);
  const refetch = debounce(async () => {
    try {
      const next = await get(`/api/tasks/${id}`);
      // Redraw only when someone else moved the task (our own moves redraw already).
      if (next.row_version !== task.row_version && (next.state !== task.state ||
        (next.assignee && next.assignee.id) !== (task.assignee && task.assignee.id))) reload(next);
      else {
        task = Object.assign(task, next);
        if (flags) flags.setTask(task); // e.g. a lead decided a flag (ecg_flag.decided)
      }
    } catch {
      /* the task may be gone from our view */
    }
  }, 400);
  const off = onLiveEvent((msg) => {
    if (msg.type === 'live.reconnected' || (isWorklistEvent(msg) && (msg.task_id == null || String(msg.task_id) === String(id))))
      refetch();
  });
  return () => {
    off();
    refetch.cancel();
    clearInterval(tick);
    clearInterval(touch);
    document.removeEventListener('keydown', onKey);
    closeCompare();
    viewer.destroy();
    return editor ? editor.destroy() : undefined;
  };
}
