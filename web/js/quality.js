// The clinic's image quality feedback history (质控反馈): every exam the reading center graded, newest first, with
// the grade, the reasons, the reader's comment and the technician who sent it (GET /api/quality/feedback), and a
// summary of the grades and the most frequent reasons, per technician if chosen, so the technicians see what to
// improve. Refreshed on the clinic's live events (a signed report carries its grade to the clinic).
import { h, clear, debounce } from './dom.js';
import { t, bilingual } from './i18n.js';
import { get, errorText } from './api.js';
import { navigate } from './router.js';
import { onLiveEvent, isWorklistEvent } from './live.js';
import { dateTime } from './format.js';
import { patientCell, examText } from './tasks.js';
import { startCriticalWatch } from './critical.js';

const PAGE = 500; // the most recent grades shown (the server's page limit)

export function render(el) {
  startCriticalWatch();
  const summary = h('div.kpis#quality-summary');
  const reasons = h('div.sub#quality-reasons');
  const body = h('tbody');
  const empty = h('div.empty', { hidden: true }, t('quality.none'));
  const error = h('div.form-error', { hidden: true });
  let items = [];
  const tech = h('select#quality-tech', { onchange: () => draw() });
  el.append(h('div.page',
    h('div.page-head', h('h1', t('quality.title')), h('span.sub', t('quality.hint')), h('div.spacer'), tech),
    error, summary, reasons,
    h('div.panel', h('table.grid#quality-table',
      h('thead', h('tr', ['quality.col.graded', 'clinic.col.patient', 'clinic.col.exam', 'quality.col.grade',
        'quality.col.reasons', 'quality.col.comment', 'quality.col.technician'].map((k) => h('th', t(k))))), body), empty)));

  function techOptions() {
    const keep = tech.value;
    const names = new Map(items.filter((x) => x.technician && x.technician.key).map((x) => [x.technician.key, x.technician.name]));
    clear(tech).append(h('option', { value: '' }, t('quality.all_techs')),
      ...[...names].map(([key, name]) => h('option', { value: key, selected: key === keep }, bilingual(name) || key)));
  }

  function draw() {
    const graded = items.filter((x) => !tech.value || (x.technician && x.technician.key === tech.value));
    const n = (g) => graded.filter((x) => x.grade === g).length;
    const k = (label, value, cls = '') => h('div.kpi' + cls, h('div.kpi-label', label), h('div.kpi-value', value));
    const share = (g) => (graded.length ? `${Math.round((n(g) / graded.length) * 100)}%` : '—');
    clear(summary).append(k(t('quality.graded_n'), graded.length),
      ...['A', 'B', 'C'].map((g) => k(t('quality.grade.' + g), `${n(g)} · ${share(g)}`, '.grade-' + g)));
    const count = new Map();
    for (const x of graded) for (const r of x.reasons || []) count.set(r, (count.get(r) || 0) + 1);
    const top = [...count.entries()].sort((a, b) => b[1] - a[1]);
    reasons.textContent = top.length
      ? t('quality.top_reasons') + t('common.colon') + top.map(([r, c]) => `${t('quality.reason.' + r)} ×${c}`).join('、') : '';
    clear(body);
    for (const x of graded) {
      body.append(h('tr.clickable', { 'data-task': x.task_id, onclick: () => navigate('/clinic/exam/' + x.task_id) },
        h('td.nowrap', dateTime(x.graded_at)),
        h('td.patient', patientCell(x)),
        h('td', examText(x)),
        h('td', h(`span.chip.grade-chip.grade-${x.grade}`, { 'data-grade': x.grade }, t('quality.grade.' + x.grade))),
        h('td', (x.reasons || []).map((r) => t('quality.reason.' + r)).join('、') || '—'),
        h('td', x.comment || '—'),
        h('td', bilingual((x.technician && x.technician.name) || '') || '—')));
    }
    empty.hidden = graded.length > 0;
  }

  async function load() {
    try {
      items = (await get('/api/quality/feedback', { limit: PAGE })).items;
      error.hidden = true;
      techOptions();
      draw();
    } catch (e) {
      error.textContent = errorText(e);
      error.hidden = false;
    }
  }

  const reload = debounce(load, 300);
  const off = onLiveEvent((msg) => { if (msg.type === 'live.reconnected' || isWorklistEvent(msg)) reload(); });
  load();
  return () => {
    off();
    reload.cancel();
  };
}
