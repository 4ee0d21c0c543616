// The center lead's dispatch board: open tasks on the left, the center's readers (on duty, load) on the right;
// drag a task onto a reader, or pick one, to assign it. Below: the center's settings (SLA, lease, signing).
import { h, clear, toast, debounce } from './dom.js';
import { t, bilingual } from './i18n.js';
import { get, post, put, errorText } from './api.js';
import { session } from './session.js';
import { onLiveEvent, isWorklistEvent } from './live.js';
import { loadInstitutions, institutionName } from './directory.js';
import { OPEN_STATES, stateChip, priorityChip, patientCell, examText, slaCell, updateSla, flagChips } from './tasks.js';

export function render(el) {
  const center = session().institution.id;
  let tasks = [];
  let readers = [];
  let onDuty = [];
  const error = h('div.form-error', { hidden: true });
  const body = h('tbody');
  const readerCol = h('div#reader-list');
  const settingsBox = h('div.panel.panel-pad#center-settings');

  el.append(h('div.page.wide',
    h('div.page-head', h('h1', t('dispatch.title')), h('span.sub', t('dispatch.hint'))),
    error,
    h('div.board',
      h('div.panel', h('table.grid.wl-table#dispatch-tasks',
        h('thead', h('tr', ['wl.col.priority', 'wl.col.sla', 'wl.col.patient', 'wl.col.exam', 'wl.col.clinic', 'wl.col.state', 'dispatch.assign']
          .map((k) => h('th', t(k))))), body)),
      h('div', h('h2', t('dispatch.readers')), readerCol)),
    h('h2', { style: { marginTop: '24px' } }, t('dispatch.settings')),
    settingsBox));

  async function assign(taskId, userId) {
    try {
      await post(`/api/tasks/${taskId}/assign`, { user_id: userId });
      toast(t('dispatch.assigned'), 'ok');
    } catch (e) {
      toast(errorText(e), 'error');
    }
    load();
  }

  async function autoAssign(taskId) {
    try {
      const r = await post(`/api/tasks/${taskId}/auto-assign`, {});
      toast(t('dispatch.assigned_to', { name: bilingual(r.assignee ? r.assignee.name : '') }), 'ok');
    } catch (e) {
      toast(errorText(e), 'error');
    }
    load();
  }

  function draw() {
    clear(body);
    for (const task of tasks) {
      const pick = h('select.small', { 'data-task': task.id, onclick: (e) => e.stopPropagation(),
        onchange: () => pick.value && assign(task.id, +pick.value) },
      h('option', { value: '' }, task.assignee ? bilingual(task.assignee.name) : t('dispatch.choose')),
      readers.map((r) => h('option', { value: r.user_id }, `${bilingual(r.name)} (${r.open})`)));
      const row = h(`tr.prio-${task.priority}${task.overdue ? '.overdue' : ''}`, {
        draggable: 'true', 'data-task': task.id,
        ondragstart: (e) => e.dataTransfer.setData('text/plain', String(task.id)),
      },
      h('td', priorityChip(task.priority)), h('td', slaCell(task)), h('td', patientCell(task)),
      h('td', examText(task), flagChips(task)), h('td', institutionName(task.clinic_id)), h('td', stateChip(task.state)),
      h('td', h('div.btn-row', pick,
        task.state === 'waiting' ? h('button.btn.small', { type: 'button', onclick: () => autoAssign(task.id) }, t('dispatch.auto')) : null)));
      row._task = task;
      body.append(row);
    }
    if (!tasks.length) body.append(h('tr', h('td.empty', { colspan: 7 }, t('dispatch.no_tasks'))));
    clear(readerCol);
    for (const r of readers) {
      const mine = tasks.filter((x) => x.assignee && x.assignee.id === r.user_id);
      const card = h('div.reader-card' + (onDuty.includes(r.user_id) ? '.on-duty' : ''), { 'data-user': r.user_id },
        h('div.rc-head', h('b.rc-name', bilingual(r.name)),
          h('span.rc-load', t('dispatch.load', { open: r.open, overdue: r.overdue }))),
        mine.length ? h('div.sub', mine.map((x) => examText(x)).join('；')) : null);
      card.addEventListener('dragover', (e) => { e.preventDefault(); card.classList.add('drop'); });
      card.addEventListener('dragleave', () => card.classList.remove('drop'));
      card.addEventListener('drop', (e) => {
        e.preventDefault();
        card.classList.remove('drop');
        const id = +e.dataTransfer.getData('text/plain');
        if (id) assign(id, r.user_id);
      });
      readerCol.append(card);
    }
  }

  async function load() {
    try {
      await loadInstitutions().catch(() => null);
      const [tl, rl, shifts] = await Promise.all([
        get('/api/tasks', { state: OPEN_STATES.join(','), limit: 300 }),
        get(`/api/centers/${center}/readers`),
        get(`/api/centers/${center}/shifts`).catch(() => ({ on_duty_now: [] })),
      ]);
      tasks = tl.tasks;
      readers = rl.readers;
      onDuty = shifts.on_duty_now || [];
      error.hidden = true;
      draw();
    } catch (e) {
      error.textContent = errorText(e);
      error.hidden = false;
    }
  }

  async function loadSettings() {
    let s;
    try {
      s = await get(`/api/centers/${center}/settings`);
    } catch (e) {
      settingsBox.textContent = errorText(e);
      return;
    }
    const inputs = {};
    const grid = h('table.grid', h('thead', h('tr', h('th', t('settings.sla')), ['stat', 'urgent', 'routine'].map((p) => h('th', t('prio.' + p))))),
      h('tbody', ['imaging', 'ecg'].map((k) => h('tr', h('td', t('kind.' + k)), ['stat', 'urgent', 'routine'].map((p) => {
        const i = h('input', { type: 'number', min: 1, max: 10080, value: s.sla_minutes[k][p], style: { width: '90px' } });
        inputs[k + '.' + p] = i;
        return h('td', i);
      })))));
    const lease = h('input', { type: 'number', min: 1, max: 240, value: s.lease_minutes, style: { width: '90px' } });
    const twoLevel = h('input', { type: 'checkbox', checked: s.two_level_signing });
    const fairness = h('select', ['top_of_queue', 'priority_band', 'off'].map((f) => h('option', { value: f, selected: s.fairness === f }, t('fairness.' + f))));
    clear(settingsBox).append(grid,
      h('div.inline-form', { style: { marginTop: '12px' } },
        h('label.field', h('span.field-label', t('settings.lease')), lease),
        h('label.field', h('span.field-label', t('settings.fairness')), fairness),
        h('label.field', h('span.field-label', t('settings.two_level')), twoLevel),
        h('button.btn.primary', { type: 'button', onclick: async () => {
          const sla = { imaging: {}, ecg: {} };
          for (const [key, i] of Object.entries(inputs)) { const [k, p] = key.split('.'); sla[k][p] = +i.value; }
          try {
            await put(`/api/centers/${center}/settings`, { sla_minutes: sla, lease_minutes: +lease.value,
              two_level_signing: twoLevel.checked, fairness: fairness.value });
            toast(t('common.saved'), 'ok');
          } catch (e) {
            toast(errorText(e), 'error');
          }
        } }, t('common.save'))));
  }

  const reload = debounce(load, 300);
  const off = onLiveEvent((msg) => { if (msg.type === 'live.reconnected' || isWorklistEvent(msg)) reload(); });
  const tick = setInterval(() => {
    for (const row of body.children) if (row._task) updateSla(row.querySelector('.sla'), row._task);
  }, 1000);
  load();
  loadSettings();
  return () => {
    off();
    reload.cancel();
    clearInterval(tick);
  };
}
