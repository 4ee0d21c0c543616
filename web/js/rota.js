// The center lead's rota editor (排班): a week grid, one row per reader, one column per weekday, with the shifts
// as removable chips. Shifts are added for several days at once; "Save" replaces the center's rota on the server
// (PUT /api/centers/{id}/shifts), which then drives "on duty" on the dispatch board and automatic dispatch.
import { h, clear, toast, confirmDialog } from './dom.js';
import { t, bilingual } from './i18n.js';
import { get, put, errorText } from './api.js';
import { session } from './session.js';

const DAYS = [1, 2, 3, 4, 5, 6, 7]; // ISO weekdays, as the server stores them (1 = Monday)

/** "08:30" -> 510; the end "00:00" means midnight at the end of the day (1440). */
export function toMinute(text, isEnd = false) {
  const m = /^(\d{1,2}):(\d{2})$/.exec(text || '');
  if (!m || +m[1] > 23 || +m[2] > 59) return null;
  const v = +m[1] * 60 + +m[2];
  return isEnd && v === 0 ? 1440 : v;
}

export function clock(minute) {
  const m = minute % 1440;
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

const shiftText = (s) => `${clock(s.start_minute)}–${s.end_minute === 1440 ? '24:00' : clock(s.end_minute)}` +
  (s.end_minute < s.start_minute ? ' ' + t('rota.next_day') : '');

export function render(el) {
  const center = session().institution.id;
  let readers = [];
  let shifts = []; // {user_id, weekday, start_minute, end_minute}
  let onDuty = [];
  let dirty = false;
  const error = h('div.form-error', { hidden: true, role: 'alert' });
  const grid = h('div.panel#rota-grid');
  const state = h('span.sub#rota-state');

  const who = h('select#rota-reader');
  const dayBoxes = DAYS.map((d) => h('label.rota-day', h('input', { type: 'checkbox', value: d, checked: d <= 5 }), t('rota.day.' + d)));
  const start = h('input#rota-start', { type: 'time', value: '08:00', step: 300 });
  const end = h('input#rota-end', { type: 'time', value: '17:30', step: 300 });
  const saveBtn = h('button.btn.primary#rota-save', { type: 'button', disabled: true, onclick: save }, t('rota.save'));

  el.append(h('div.page.wide',
    h('div.page-head', h('h1', t('rota.title')), h('span.sub', t('rota.hint')), h('div.spacer'), state, saveBtn),
    error,
    h('div.panel.panel-pad.rota-add',
      h('label.field', h('span.field-label', t('rota.reader')), who),
      h('div.field', h('span.field-label', t('rota.days')), h('div.rota-days', dayBoxes)),
      h('label.field', h('span.field-label', t('rota.start')), start),
      h('label.field', h('span.field-label', t('rota.end')), end),
      h('button.btn#rota-add', { type: 'button', onclick: add }, '＋ ' + t('rota.add'))),
    grid));

  function markDirty(v) {
    dirty = v;
    saveBtn.disabled = !v;
    state.textContent = v ? t('rota.unsaved') : '';
  }

  function add() {
    error.hidden = true;
    const s = toMinute(start.value);
    const e = toMinute(end.value, true);
    const days = dayBoxes.map((l) => l.firstChild).filter((c) => c.checked).map((c) => +c.value);
    if (!who.value) return showError(t('rota.pick_reader'));
    if (s == null || e == null || s === e) return showError(t('rota.bad_time'));
    if (!days.length) return showError(t('rota.pick_days'));
    let added = 0;
    for (const d of days) {
      const shift = { user_id: +who.value, weekday: d, start_minute: s, end_minute: e };
      if (shifts.some((x) => x.user_id === shift.user_id && x.weekday === d && x.start_minute === s && x.end_minute === e)) continue;
      shifts.push(shift);
      added++;
    }
    if (added) markDirty(true);
    draw();
    return undefined;
  }

  function showError(text) {
    error.textContent = text;
    error.hidden = false;
  }

  function remove(shift) {
    shifts = shifts.filter((x) => x !== shift);
    markDirty(true);
    draw();
  }

  function draw() {
    const table = h('table.grid.rota-table',
      h('thead', h('tr', h('th', t('rota.reader')), DAYS.map((d) => h('th', t('rota.day.' + d))), h('th', t('rota.hours')))),
      h('tbody', readers.map((r) => {
        const mine = shifts.filter((s) => s.user_id === r.user_id);
        const minutes = mine.reduce((sum, s) => sum + ((s.end_minute - s.start_minute + 1440) % 1440 || 1440), 0);
        return h('tr', { 'data-user': r.user_id },
          h('td', h('b', bilingual(r.name)), onDuty.includes(r.user_id) ? h('span.chip.on-duty-chip', t('rota.on_duty_now')) : null),
          DAYS.map((d) => h('td.rota-cell', { 'data-day': d },
            mine.filter((s) => s.weekday === d).sort((a, b) => a.start_minute - b.start_minute).map((s) =>
              h('span.rota-shift', shiftText(s),
                h('button.rota-del', { type: 'button', title: t('rota.remove'), 'aria-label': t('rota.remove'), onclick: () => remove(s) }, '×'))))),
          h('td.num', (minutes / 60).toFixed(1)));
      })));
    clear(grid).append(readers.length ? table : h('p.empty', t('rota.no_readers')));
  }

  async function load() {
    try {
      const [rl, sh] = await Promise.all([get(`/api/centers/${center}/readers`), get(`/api/centers/${center}/shifts`)]);
      readers = rl.readers;
      shifts = sh.shifts;
      onDuty = sh.on_duty_now || [];
      clear(who).append(h('option', { value: '' }, t('dispatch.choose')),
        ...readers.map((r) => h('option', { value: r.user_id }, bilingual(r.name))));
      markDirty(false);
      draw();
    } catch (e) {
      showError(errorText(e));
    }
  }

  async function save() {
    error.hidden = true;
    saveBtn.disabled = true;
    try {
      const r = await put(`/api/centers/${center}/shifts`, { shifts });
      shifts = r.shifts;
      const sh = await get(`/api/centers/${center}/shifts`);
      onDuty = sh.on_duty_now || [];
      markDirty(false);
      draw();
      toast(t('rota.saved'), 'ok');
    } catch (e) {
      saveBtn.disabled = false;
      showError(errorText(e));
    }
  }

  load();
  const beforeUnload = (e) => { if (dirty) e.preventDefault(); };
  window.addEventListener('beforeunload', beforeUnload);
  return async () => {
    window.removeEventListener('beforeunload', beforeUnload);
    if (dirty && (await confirmDialog(t('rota.save_before_leaving'), { okLabel: t('rota.save') }))) await save();
  };
}
