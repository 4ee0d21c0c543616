// Serial ECG comparison (与既往心电图对比): the patient's previous ECG beside the current one — its 12-lead tracing
// on the same paper grid, and the automatic measurements of both side by side with the differences that matter
// (HR, PR, QRS, QT/QTc, axes) highlighted, and the rhythm statements that are new or no longer present.
import { h } from './dom.js';
import { t, tOr, machineText } from './i18n.js';
import { dateTime } from './format.js';
import { createEcgViewer } from './ecgview.js';
import { measurementDifference } from './ecgdata.js';

// A change at least this large is highlighted: below it, measurement noise between two recordings of an
// unchanged heart (about ±10 bpm, ±20 ms for intervals, ±30 ms QTc, ±30° axis) would make every row light up.
export const SERIAL_ROWS = [
  ['heart_rate_bpm', 'bpm', 10],
  ['pr_ms', 'ms', 20],
  ['qrs_ms', 'ms', 20],
  ['qt_ms', 'ms', 40],
  ['qtc_bazett_ms', 'ms', 30],
  ['p_axis_deg', '°', 30],
  ['qrs_axis_deg', '°', 30],
  ['t_axis_deg', '°', 30],
];

const measure = (flags, key) => {
  const v = flags && flags.measurements ? flags.measurements[key] : null;
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
};

/** The change, rounded as shown (axes around the circle). */
function delta(key, now, before) {
  const d = measurementDifference(key, now, before);
  return d == null ? null : Math.round(d);
}

function statementsOf(flags) {
  const list = [];
  for (const group of ['rhythm', 'critical']) for (const s of (flags && flags[group]) || []) if (s && s.code) list.push(s);
  return list;
}

/** The comparison table and statement changes for two sets of machine flags. */
/** Statements by name in the page's language (the machine's own text, with its details, as the tooltip). */
const statementNames = (list) => list.flatMap((s, i) => [i ? '；' : '',
  h('span.statement', { title: machineText(s) || s.code, 'data-code': s.code }, tOr('ecgflag.code.' + s.code, machineText(s) || s.code))]);

export function comparisonTable(current, prior) {
  const rows = SERIAL_ROWS.map(([key, unit, limit]) => {
    const now = measure(current, key);
    const before = measure(prior, key);
    const d = delta(key, now, before);
    const changed = d != null && Math.abs(d) >= limit;
    const fmt = (v) => (v == null ? '—' : `${Math.round(v)} ${unit}`);
    return h('tr' + (changed ? '.changed' : ''), { 'data-key': key },
      h('td', t('ecgcmp.' + key)), h('td.num', fmt(now)), h('td.num', fmt(before)),
      h('td.num.delta', d == null ? '—' : `${d > 0 ? '+' : ''}${d} ${unit}`));
  });
  const nowCodes = new Map(statementsOf(current).map((s) => [s.code, s]));
  const beforeCodes = new Map(statementsOf(prior).map((s) => [s.code, s]));
  const added = [...nowCodes.values()].filter((s) => !beforeCodes.has(s.code));
  const gone = [...beforeCodes.values()].filter((s) => !nowCodes.has(s.code));
  return h('div.ecg-compare',
    h('table.grid.ecg-compare-table#ecg-compare-table',
      h('thead', h('tr', h('th', t('ecgcmp.measure')), h('th', t('ecgcmp.current')), h('th', t('ecgcmp.prior')), h('th', t('ecgcmp.delta')))),
      h('tbody', rows)),
    h('div.ecg-compare-statements#ecg-compare-statements',
      added.length ? h('div.new', h('b', t('ecgcmp.new_statements') + t('common.colon')), statementNames(added)) : null,
      gone.length ? h('div.gone', h('b', t('ecgcmp.gone_statements') + t('common.colon')), statementNames(gone)) : null,
      !added.length && !gone.length ? h('div.sub', t('ecgcmp.same_statements')) : null));
}

/** createEcgComparison(host, {task, prior, onClose}) -> {setTask, destroy}. `prior` is an entry of GET .../priors. */
export function createEcgComparison(host, { task, prior, onClose }) {
  const tableHost = h('div');
  const head = h('div.prior-head',
    h('b', t('ecgcmp.title')),
    h('span.sub', ` ${t('prior.label')} ${dateTime(prior.received_at)} · ${prior.clinic ? prior.clinic.name : ''}`),
    h('div', { style: { flex: 1 } }),
    h('button.btn.small#prior-close', { type: 'button', onclick: () => onClose && onClose() }, '✕ ' + t('prior.close')));
  const tracing = h('div.prior-tracing');
  const root = h('div.ecg-serial#ecg-serial', head, tableHost, tracing);
  host.append(root);
  const draw = () => tableHost.replaceChildren(comparisonTable(task.machine_flags, prior.machine_flags));
  draw();
  const viewer = createEcgViewer(tracing, { studyUid: prior.study_uid, task: { machine_flags: prior.machine_flags },
    id: 'ecg-prior', analysis: false });
  return {
    setTask(next) {
      task = next;
      draw();
    },
    destroy() {
      viewer.destroy();
      root.remove();
    },
  };
}
