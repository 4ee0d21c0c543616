// Clinic portal: the clinic's exams with live status, time since upload and the way to their results.
import { h, clear, debounce } from './dom.js';
import { t } from './i18n.js';
import { get, errorText } from './api.js';
import { navigate } from './router.js';
import { onLiveEvent, isWorklistEvent } from './live.js';
import { ago, dateTime } from './format.js';
import { stage, stateChip, priorityChip, patientCell, examText, flagChips } from './tasks.js';
import { startCriticalWatch } from './critical.js';

const FILTERS = ['all', 'waiting', 'reading', 'reported', 'returned'];
let filter = 'all';

export function render(el) {
  startCriticalWatch();
  let tasks = [];
  let limit = 100;
  let hasMore = false;
  const counts = h('div.counts');
  const seg = h('div.seg', FILTERS.map((f) =>
    h('button' + (f === filter ? '.on' : ''), {
      type: 'button', 'data-filter': f,
      onclick: () => {
        filter = f;
        for (const b of seg.children) b.classList.toggle('on', b.dataset.filter === f);
        draw();
      },
    }, t('clinic.filter.' + f))));
  const body = h('tbody');
  const table = h('table.grid.exam-table',
    h('thead', h('tr', ['clinic.col.priority', 'clinic.col.patient', 'clinic.col.exam', 'clinic.col.reason',
      'clinic.col.status', 'clinic.col.uploaded', ''].map((k) => h('th', k ? t(k) : '')))),
    body);
  const more = h('button.btn', { type: 'button', hidden: true, onclick: () => { limit += 100; load(); } }, t('common.more'));
  const error = h('div.form-error', { hidden: true });
  const empty = h('div.empty', { hidden: true });

  el.append(h('div.page',
    h('div.page-head', h('h1', t('clinic.title')), counts, h('div.spacer'),
      h('a.btn.primary#new-exam', { href: '#/clinic/upload' }, '＋ ' + t('clinic.new_exam'))),
    h('div.wl-bar', seg),
    error,
    h('div.panel', table, empty),
    h('div.btn-row', { style: { marginTop: '12px' } }, more)));

  function draw() {
    clear(body);
    const shown = tasks.filter((x) => filter === 'all' || stage(x.state) === filter);
    const n = (s) => tasks.filter((x) => stage(x.state) === s).length;
    clear(counts).append(
      h('span', t('clinic.count.waiting'), ' ', h('b', n('waiting'))),
      h('span', t('clinic.count.reading'), ' ', h('b', n('reading'))),
      h('span', t('clinic.count.reported'), ' ', h('b', n('reported'))));
    for (const task of shown) {
      const reported = stage(task.state) === 'reported';
      body.append(h('tr.clickable' + (task.critical && !task.critical.acknowledged_by ? '.has-critical' : ''), {
        'data-task': task.id,
        onclick: () => navigate('/clinic/exam/' + task.id),
      },
      h('td', priorityChip(task.priority)),
      h('td.patient', patientCell(task)),
      h('td', h('div', examText(task)), flagChips(task)),
      h('td', h('div.reason', { title: task.request.reason }, task.request.reason || '—')),
      h('td', stateChip(task.state, true)),
      h('td.nowrap', h('div.ago', { 'data-iso': task.times.received || task.times.created },
        ago(task.times.received || task.times.created)),
      h('div.sub', dateTime(task.times.received || task.times.created))),
      h('td', reported ? h('a.btn.small', { href: '#/clinic/exam/' + task.id, onclick: (e) => e.stopPropagation() },
        t('clinic.view_report')) : null)));
    }
    empty.hidden = shown.length > 0;
    empty.textContent = tasks.length ? t('clinic.none_in_filter') : t('clinic.none');
    more.hidden = !hasMore;
  }

  async function load() {
    try {
      const r = await get('/api/tasks', { limit, sort: 'newest' });
      tasks = r.tasks;
      hasMore = r.has_more;
      error.hidden = true;
      draw();
    } catch (e) {
      error.textContent = errorText(e);
      error.hidden = false;
    }
  }

  const reload = debounce(load, 250);
  const off = onLiveEvent((msg) => {
    if (msg.type === 'live.reconnected' || isWorklistEvent(msg)) reload();
  });
  // Only the "time since upload" text changes with time: refresh it without asking the server.
  const tick = setInterval(() => {
    for (const a of el.querySelectorAll('.ago')) a.textContent = ago(a.dataset.iso);
  }, 20000);
  load();
  return () => {
    off();
    reload.cancel();
    clearInterval(tick);
  };
}
