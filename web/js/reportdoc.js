// A signed report as a printable document (clinic result view, the reader's signed versions, print).
import { h } from './dom.js';
import { t, bilingual } from './i18n.js';
import { personName, age, sex, dateTime, dicomDate } from './format.js';
import { examText, criticalCategory } from './tasks.js';

function fieldLabel(key, templateFields) {
  const f = (templateFields || []).find((x) => x.key === key);
  return f ? bilingual(f.label) + (f.unit ? ` (${bilingual(f.unit)})` : '') : key;
}

/**
 * task: the task JSON; versions: the report's signed versions (original first, then addenda);
 * opts: {centerName, clinicName, templateFields}
 */
export function reportDoc(task, versions, opts = {}) {
  const p = task.patient || {};
  const original = [...versions].reverse().find((v) => v.kind === 'original');
  const addenda = versions.filter((v) => v.kind === 'addendum');
  const kindTitle = task.kind === 'ecg' ? t('doc.title_ecg') : t('doc.title_imaging');
  // In the template's order (heart rate, PR, QRS... as the reader filled them), keys it does not know last.
  const order = (k) => {
    const i = (opts.templateFields || []).findIndex((f) => f.key === k);
    return i < 0 ? Infinity : i;
  };
  const fields = original && original.fields
    ? Object.entries(original.fields).filter(([, v]) => v !== '').sort(([a], [b]) => order(a) - order(b)) : [];
  return h('article.report-doc#report-doc',
    h('h1', (opts.centerName ? bilingual(opts.centerName) + ' ' : '') + kindTitle),
    h('div.doc-sub', opts.clinicName ? t('doc.from', { clinic: bilingual(opts.clinicName) }) : ''),
    h('dl',
      h('dt', t('doc.name')), h('dd.doc-patient', personName(p.name) || '—'),
      h('dt', t('doc.sex')), h('dd', sex(p.sex) || '—'),
      h('dt', t('doc.age')), h('dd', age(p.birth_date, p.age) || '—'),
      h('dt', t('doc.patient_id')), h('dd', p.id || '—'),
      h('dt', t('doc.exam')), h('dd', examText(task)),
      h('dt', t('doc.accession')), h('dd', task.accession || '—'),
      h('dt', t('doc.received')), h('dd', dateTime(task.times && task.times.received) || '—'),
      h('dt', t('doc.birth')), h('dd', dicomDate(p.birth_date) || '—'),
      h('dt', t('doc.priority')), h('dd', t('prio.' + task.priority))),
    task.request && task.request.reason ? h('section', h('h3', t('doc.reason')), h('div.text', task.request.reason)) : null,
    task.request && task.request.history ? h('section', h('h3', t('doc.history')), h('div.text', task.request.history)) : null,
    fields.length ? h('section', h('h3', t('doc.measurements')),
      h('table.grid', h('tbody', fields.map(([k, v]) => h('tr', h('td', fieldLabel(k, opts.templateFields)), h('td', v)))))) : null,
    original ? h('section', h('h3', t('doc.findings')), h('div.text.doc-findings', original.findings || '—')) : null,
    original ? h('section', h('h3', t('doc.impression')), h('div.text.doc-impression', original.impression || '—')) : null,
    task.critical ? h('section', h('h3', t('doc.critical')),
      h('div.text', criticalCategory(task.critical.category) + (task.critical.note ? ' — ' + task.critical.note : ''))) : null,
    addenda.map((a) => h('div.addendum',
      h('b', t('doc.addendum', { n: a.version })), ' ', h('span.sub', dateTime(a.signed_at) + ' · ' + bilingual(a.author.name)),
      h('div.text', a.addendum))),
    original ? h('div.sign-line',
      h('span', t('doc.reporter') + t('common.colon') + bilingual(original.author.name)),
      original.approver ? h('span', t('doc.approver') + t('common.colon') + bilingual(original.approver.name)) : null,
      h('span', t('doc.signed_at') + t('common.colon') + dateTime(original.signed_at)),
      h('span.mono', t('doc.verify') + t('common.colon') + original.verification_code)) : null);
}
