// Statistics: turnaround by stage, SLA compliance and volumes for a period, grouped by clinic, modality,
// reader, priority or day, with CSV export. Scoped by the server (a lead sees their center, a clinic itself).
import { h, clear } from './dom.js';
import { t, bilingual } from './i18n.js';
import { get, errorText } from './api.js';
import { duration } from './format.js';
import { isAdmin, isClinic, isLead, session } from './session.js';
import { flagAgreementPanel } from './ecgflags.js';

const RANGES = { today: 0, d7: 7, d30: 30 };
const prefs = { range: 'today', group: 'day' };

function fromMs(range) {
  const d = new Date();
  d.setHours(0, 0, 0, 0);
  d.setDate(d.getDate() - RANGES[range]);
  return d.getTime();
}

const pct = (x) => (x == null ? '—' : `${Math.round(x * 1000) / 10}%`);

export function render(el) {
  const groups = ['day', 'modality', 'priority', ...(isClinic() ? [] : ['clinic', 'reader']), ...(isAdmin() ? ['center'] : [])];
  if (!groups.includes(prefs.group)) prefs.group = 'day';
  const range = h('div.seg', Object.keys(RANGES).map((r) => h('button' + (prefs.range === r ? '.on' : ''), {
    type: 'button', 'data-range': r,
    onclick: () => { prefs.range = r; for (const b of range.children) b.classList.toggle('on', b.dataset.range === r); load(); },
  }, t('stats.range.' + r))));
  const group = h('select#stats-group', { onchange: () => { prefs.group = group.value; load(); } },
    groups.map((g) => h('option', { value: g, selected: prefs.group === g }, t('stats.group.' + g))));
  const csv = h('a.btn#stats-csv', { download: 'turnaround.csv' }, t('stats.csv'));
  // The critical-value register (who confirmed, how fast) for the same period: leads and the admin only.
  const criticalCsv = isLead() || isAdmin() ? h('a.btn#critical-csv', { download: 'critical-register.csv' }, t('stats.critical_csv')) : null;
  const kpis = h('div.kpis#stats-kpis');
  const chart = h('div.panel.panel-pad.bar-chart');
  // How often the readers agree with the ECG machine flags: for the ECG center's lead and the admin.
  const ecgLead = isLead() && session().institution && session().institution.center_type === 'ecg';
  const flagPanel = ecgLead || isAdmin() ? h('div.panel.panel-pad#flag-agreement-panel') : null;
  const error = h('div.form-error', { hidden: true });
  el.append(h('div.page',
    h('div.page-head', h('h1', t('stats.title')), h('div.spacer'), range, group, csv, criticalCsv),
    error, kpis, chart, flagPanel));

  async function load() {
    const q = { from: fromMs(prefs.range), to: Date.now() + 60000 };
    const query = new URLSearchParams({ ...q, group: prefs.group, format: 'csv' });
    csv.href = '/api/stats/turnaround?' + query.toString();
    if (criticalCsv) criticalCsv.href = '/api/stats/critical-register?' + new URLSearchParams({ ...q, format: 'csv' }).toString();
    try {
      const [all, grouped] = await Promise.all([
        get('/api/stats/turnaround', { ...q, group: 'none' }),
        get('/api/stats/turnaround', { ...q, group: prefs.group }),
      ]);
      error.hidden = true;
      drawKpis(all.rows[0]);
      drawChart(grouped.rows);
      // Its own error place: a failure here should not hide the turnaround figures above.
      if (flagPanel) flagAgreementPanel(flagPanel, q).catch((e) => flagPanel.replaceChildren(h('div.form-error', errorText(e))));
    } catch (e) {
      error.textContent = errorText(e);
      error.hidden = false;
    }
  }

  function drawKpis(r) {
    clear(kpis);
    if (!r) return;
    const k = (label, value) => h('div.kpi', h('div.kpi-label', label), h('div.kpi-value', value));
    kpis.append(
      k(t('stats.tasks'), r.tasks),
      k(t('stats.signed'), r.signed),
      k(t('stats.compliance'), pct(r.sla_compliance)),
      k(t('stats.tat_p50'), duration(r.stages.received_to_signed.count ? r.stages.received_to_signed.p50_seconds : null)),
      k(t('stats.tat_p90'), duration(r.stages.received_to_signed.count ? r.stages.received_to_signed.p90_seconds : null)),
      k(t('stats.overdue'), r.open_overdue),
      k(t('stats.critical'), r.critical),
      k(t('stats.critical_ack'), duration(r.stages.critical_acknowledgement.count ? r.stages.critical_acknowledgement.p50_seconds : null)),
      k(t('stats.returned'), r.returned),
      k(t('stats.quality_poor'), r.quality_poor));
  }

  function drawChart(rows) {
    clear(chart);
    chart.append(h('h2', t('stats.by', { group: t('stats.group.' + prefs.group) })),
      h('div.legend', h('span', h('i', { style: { background: '#6aa9bd' } }), t('stats.stage.claim')),
        h('span', h('i', { style: { background: 'var(--accent)' } }), t('stats.stage.report'))));
    if (!rows.length) {
      chart.append(h('p.empty', t('stats.none')));
      return;
    }
    const max = Math.max(1, ...rows.map((r) => (r.stages.received_to_claimed.p50_seconds || 0) + (r.stages.claimed_to_signed.p50_seconds || 0)));
    for (const r of rows) {
      const a = r.stages.received_to_claimed.p50_seconds || 0;
      const b = r.stages.claimed_to_signed.p50_seconds || 0;
      chart.append(h('div.bar-row',
        h('div', { title: r.key }, h('b', bilingual(r.label) || r.key), h('div.sub', t('stats.row', { tasks: r.tasks, signed: r.signed, sla: pct(r.sla_compliance) }))),
        h('div.bar', h('span.b1', { style: { width: (a / max) * 100 + '%' } }), h('span.b2', { style: { width: (b / max) * 100 + '%' } })),
        h('div.sub', duration(r.stages.received_to_signed.count ? r.stages.received_to_signed.p50_seconds : null))));
    }
  }

  load();
}
