// The specialist's live worklist: urgency order, SLA countdown, overdue highlight, machine flags, filters,
// claim / release and "next case". Updates come over the websocket; the list is re-fetched on any event.
import { h, clear, debounce, toast } from './dom.js';
import { t, bilingual } from './i18n.js';
import { get, post, errorText } from './api.js';
import { navigate } from './router.js';
import { session, isLead, isSenior } from './session.js';
import { onLiveEvent, isWorklistEvent } from './live.js';
import { ago } from './format.js';
import { loadInstitutions, institutionName } from './directory.js';
import { OPEN_STATES, DONE_STATES, rememberTasks, requestClaim, stateChip, priorityChip, patientCell, slaCell, updateSla, flagChips } from './tasks.js';

const VIEWS = ['queue', 'mine', 'done'];
const prefs = { view: 'queue', kind: '', priority: '', modality: '', overdue: false };

/** Claims the most urgent waiting task the reader may take and opens it. */
export async function nextCase(tasks) {
  const me = session().user.id;
  const mine = tasks.find((x) => x.assignee && x.assignee.id === me && (x.state === 'claimed' || x.state === 'in_report'));
  if (mine) return navigate('/read/' + mine.id);
  let list = tasks;
  for (let round = 0; round < 2; round++) {
    for (const task of list.filter((x) => x.state === 'waiting').slice(0, 5)) {
      try {
        await post(`/api/tasks/${task.id}/claim`, {});
        return navigate('/read/' + task.id);
      } catch (e) {
        if (e.status !== 409 && e.status !== 403) return toast(errorText(e), 'error');
      }
    }
    list = (await get('/api/tasks', { state: 'waiting', limit: 20 })).tasks;
  }
  toast(t('worklist.no_next'));
  return undefined;
}

export function render(el) {
  const me = session().user;
  let tasks = [];
  let loading = false;
  const counts = h('div.counts');
  const error = h('div.form-error', { hidden: true });
  const body = h('tbody');
  const empty = h('div.empty', { hidden: true }, t('worklist.empty'));
  const nextBtn = h('button.btn.primary#next-case', { type: 'button', title: 'N', onclick: () => nextCase(tasks) },
    t('worklist.next') + ' ▸');

  const seg = h('div.seg', VIEWS.map((v) => h('button' + (prefs.view === v ? '.on' : ''), {
    type: 'button', 'data-view': v,
    onclick: () => { prefs.view = v; for (const b of seg.children) b.classList.toggle('on', b.dataset.view === v); load(); },
  }, t(isLead() && v === 'queue' ? 'worklist.view.center' : 'worklist.view.' + v))));
  const kind = h('select#f-kind', { onchange: () => { prefs.kind = kind.value; load(); } },
    ['', 'imaging', 'ecg'].map((k) => h('option', { value: k, selected: prefs.kind === k }, t('kind.' + (k || 'all')))));
  const prio = h('select#f-priority', { onchange: () => { prefs.priority = prio.value; load(); } },
    ['', 'stat', 'urgent', 'routine'].map((p) => h('option', { value: p, selected: prefs.priority === p }, p ? t('prio.' + p) : t('prio.all'))));
  const modality = h('select#f-modality', { onchange: () => { prefs.modality = modality.value; load(); } },
    ['', 'CT', 'MR', 'DX', 'CR', 'US', 'MG', 'ECG'].map((m) => h('option', { value: m, selected: prefs.modality === m }, m || t('modality.all'))));
  const overdue = h('input#f-overdue', { type: 'checkbox', checked: prefs.overdue, onchange: () => { prefs.overdue = overdue.checked; load(); } });

  el.append(h('div.page.wide',
    h('div.page-head', h('h1', t('worklist.title')), counts, h('div.spacer'), nextBtn),
    h('div.wl-bar', seg, kind, prio, modality, h('label.btn-row', overdue, t('worklist.overdue_only'))),
    error,
    h('div.panel', h('table.grid.wl-table#worklist',
      h('thead', h('tr', ['wl.col.priority', 'wl.col.sla', 'wl.col.patient', 'wl.col.exam', 'wl.col.clinic',
        'wl.col.reason', 'wl.col.received', 'wl.col.state', ''].map((k) => h('th', k ? t(k) : '')))),
      body), empty)));

  function query() {
    const q = { limit: 200, kind: prefs.kind, priority: prefs.priority, modality: prefs.modality,
      overdue: prefs.overdue ? 'true' : '' };
    if (prefs.view === 'queue') q.state = OPEN_STATES.join(',');
    if (prefs.view === 'mine') { q.state = OPEN_STATES.join(','); q.assignee_id = me.id; }
    if (prefs.view === 'done') { q.state = DONE_STATES.join(','); q.assignee_id = me.id; q.sort = 'newest'; q.limit = 100; }
    return q;
  }

  async function load() {
    if (loading) return reload();
    loading = true;
    try {
      await loadInstitutions().catch(() => null);
      const r = await get('/api/tasks', query());
      tasks = r.tasks;
      rememberTasks(tasks);
      error.hidden = true;
      draw();
    } catch (e) {
      error.textContent = errorText(e);
      error.hidden = false;
    } finally {
      loading = false;
    }
    return undefined;
  }
  const reload = debounce(load, 250);

  function actionsFor(task) {
    const mineHeld = task.assignee && task.assignee.id === me.id && (task.state === 'claimed' || task.state === 'in_report');
    const stop = (fn) => (e) => { e.stopPropagation(); fn(); };
    if (task.state === 'waiting')
      return h('button.btn.small.primary.claim', { type: 'button', onclick: stop(() => claim(task)) }, t('worklist.claim'));
    if (mineHeld)
      return h('div.btn-row',
        h('button.btn.small.primary', { type: 'button', onclick: stop(() => navigate('/read/' + task.id)) }, t('worklist.open')),
        h('button.btn.small.release', { type: 'button', onclick: stop(() => release(task)) }, t('worklist.release')));
    const review = task.state === 'pending_review' && isSenior() && !mineHeld;
    return h('button.btn.small' + (review ? '.primary' : ''), { type: 'button', onclick: stop(() => navigate('/read/' + task.id)) },
      t(review ? 'worklist.review' : 'worklist.view'));
  }

  function draw() {
    clear(body);
    const open = tasks.filter((x) => OPEN_STATES.includes(x.state));
    clear(counts).append(
      h('span', t('worklist.count.waiting'), ' ', h('b', open.filter((x) => x.state === 'waiting').length)),
      h('span', t('worklist.count.mine'), ' ', h('b', open.filter((x) => x.assignee && x.assignee.id === me.id).length)),
      h('span', t('worklist.count.overdue'), ' ', h('b', open.filter((x) => x.overdue).length)));
    for (const task of tasks) {
      const mine = task.assignee && task.assignee.id === me.id;
      const row = h(`tr.clickable.prio-${task.priority}${task.overdue ? '.overdue' : ''}${mine ? '.mine' : ''}`, {
        'data-task': task.id, 'data-state': task.state,
        onclick: () => navigate('/read/' + task.id),
      },
      h('td', priorityChip(task.priority)),
      h('td', slaCell(task)),
      h('td', patientCell(task)),
      h('td', h('div', h('span.chip.kind', task.kind === 'ecg' ? 'ECG' : task.modality || '—'), ' ',
        [task.body_part, task.description].filter(Boolean).join(' · ')), flagChips(task)),
      h('td', institutionName(task.clinic_id)),
      h('td', h('div.reason', { title: task.request.reason, style: { maxWidth: '260px', overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' } },
        task.request.reason || '—')),
      h('td.nowrap.sub', ago(task.times.received || task.times.created)),
      h('td', stateChip(task.state), task.assignee && !mine ? h('div.sub', bilingual(task.assignee.name)) : null),
      h('td', actionsFor(task)));
      row._task = task;
      body.append(row);
    }
    empty.hidden = tasks.length > 0;
    empty.textContent = prefs.view === 'done' ? t('worklist.empty_done') : t('worklist.empty');
  }

  function claim(task) {
    requestClaim(task.id); // the reading page claims while the first image loads
    navigate('/read/' + task.id);
  }

  async function release(task) {
    try {
      await post(`/api/tasks/${task.id}/release`, {});
      toast(t('worklist.released'), 'ok');
      load();
    } catch (e) {
      toast(errorText(e), 'error');
    }
  }

  const off = onLiveEvent((msg) => {
    if (msg.type === 'live.reconnected' || isWorklistEvent(msg)) reload();
  });
  const tick = setInterval(() => {
    for (const row of body.children) {
      const cell = row.querySelector('.sla');
      if (cell && row._task) updateSla(cell, row._task);
    }
  }, 1000);
  const onKey = (e) => {
    if (e.target.closest('input, textarea, select') || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === 'n' || e.key === 'N') nextCase(tasks);
  };
  document.addEventListener('keydown', onKey);
  load();
  import('./reading.js').catch(() => {}); // warm the reading page's modules: the first case opens faster
  return () => {
    off();
    reload.cancel();
    clearInterval(tick);
    document.removeEventListener('keydown', onKey);
  };
}
