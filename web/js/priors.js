// Prior exams of the patient on the reading page (既往检查, 结果互认): the list from GET /api/tasks/{id}/priors
// (same clinic by patient ID, any clinic by national ID), each with its signed impression, the full signed
// report on request, and "compare", which opens the prior beside the current exam (images or ECG).
import { h, modal } from './dom.js';
import { t, bilingual } from './i18n.js';
import { get, errorText } from './api.js';
import { dateTime } from './format.js';
import { stateChip } from './tasks.js';

/** The priors of a task (cached per page by the caller). */
export async function loadPriors(taskId) {
  const r = await get(`/api/tasks/${taskId}/priors`);
  return r.priors || [];
}

/** Whether a prior can be shown beside the task: the same kind, and (for images) a study to load. */
export const comparable = (task, prior) => prior.kind === task.kind && !!prior.study_uid;

async function showReport(task, prior) {
  let body;
  try {
    const r = await get(`/api/tasks/${task.id}/priors/${prior.task_id}/report`);
    body = h('div.prior-report#prior-report', r.versions.map((v) => h('div.prior-version',
      h('div.sub', `${t('prior.signed_at')} ${dateTime(v.signed_at)} · ${bilingual((v.author && v.author.name) || '')}`),
      v.findings ? h('p', h('b', t('doc.findings') + t('common.colon')), v.findings) : null,
      v.impression ? h('p', h('b', t('doc.impression') + t('common.colon')), v.impression) : null,
      v.addendum ? h('p', h('b', t('prior.addendum') + t('common.colon')), v.addendum) : null)));
  } catch (e) {
    body = h('div.form-error', errorText(e));
  }
  await modal({ title: `${t('prior.report')} · ${dateTime(prior.received_at)}`, body,
    actions: [{ label: t('common.ok'), value: true, kind: 'primary' }] });
}

/**
 * The side panel. `priors` is the loaded list; onCompare(prior) opens it beside the exam; `comparing` is the
 * task id shown now (its button reads "close").
 */
export function priorsPanel(task, priors, { onCompare, onClose, comparing }) {
  if (!priors.length) return h('div.priors-panel#priors-panel', h('div.priors-title', t('prior.title')), h('p.sub', t('prior.none')));
  return h('div.priors-panel#priors-panel',
    h('div.priors-title', t('prior.title'), h('span.sub', ` (${priors.length})`)),
    h('ul.priors-list', priors.map((p) => {
      const on = comparing === p.task_id;
      return h('li.prior-item' + (on ? '.on' : ''), { 'data-prior': p.task_id },
        h('div.prior-line',
          h('b', dateTime(p.received_at)), ' ',
          h('span', [p.modality, p.body_part, p.description].filter(Boolean).join(' · ')),
          stateChip(p.state)),
        h('div.sub', bilingual(p.clinic ? p.clinic.name : ''),
          p.matched_by === 'national_id' ? h('span.chip.kind', { title: t('prior.by_nid_hint') }, t('prior.by_nid')) : null),
        p.signed_report ? h('div.prior-impression', p.signed_report.impression || '—') : null,
        h('div.btn-row',
          comparable(task, p) ? h('button.btn.small.prior-compare', { type: 'button', 'data-prior': p.task_id,
            onclick: () => (on ? onClose() : onCompare(p)) }, on ? t('prior.close') : t('prior.compare')) : null,
          p.signed_report ? h('button.btn.small.ghost.prior-report-btn', { type: 'button', onclick: () => showReport(task, p) },
            t('prior.report')) : null));
    })));
}
