// Shared pieces of the task views: status and priority chips, patient cell, SLA countdown, machine flags.
import { h } from './dom.js';
import { t, tOr, machineText } from './i18n.js';
import { personName, age, sex, countdown, serverNow } from './format.js';

const recent = new Map(); // task id -> task, from the last lists shown

/** Remembers tasks a list showed, so that opening one can start before its own fetch returns. */
export function rememberTasks(list) {
  if (recent.size > 2000) recent.clear();
  for (const x of list) recent.set(String(x.id), x);
}

export const cachedTask = (id) => recent.get(String(id)) || null;

const claims = new Set();
/** Marks a task to be claimed by the reading page as it opens (claim and image loading then run together). */
export const requestClaim = (id) => claims.add(String(id));
export const takeClaimRequest = (id) => claims.delete(String(id));

export const OPEN_STATES = ['waiting', 'claimed', 'in_report', 'pending_review'];
export const DONE_STATES = ['signed', 'delivered', 'acknowledged', 'amended'];

/** The clinic-facing stage of a task: waiting, reading, reported, returned. */
export function stage(state) {
  if (state === 'waiting') return 'waiting';
  if (state === 'claimed' || state === 'in_report' || state === 'pending_review') return 'reading';
  if (state === 'returned') return 'returned';
  return 'reported';
}

const stateClass = {
  waiting: 'st-waiting', claimed: 'st-reading', in_report: 'st-reading', pending_review: 'st-review',
  signed: 'st-done', delivered: 'st-done', acknowledged: 'st-done', amended: 'st-done', returned: 'st-returned',
};

/** Reader view: the exact state. Clinic view (`clinic` true): the coarse stage. */
export function stateChip(state, clinic = false) {
  if (clinic) {
    const s = stage(state);
    const cls = { waiting: 'st-waiting', reading: 'st-reading', reported: 'st-done', returned: 'st-returned' }[s];
    return h('span.chip.' + cls, { 'data-state': state }, t('stage.' + s));
  }
  return h('span.chip.' + (stateClass[state] || 'st-waiting'), { 'data-state': state }, t('state.' + state));
}

export function priorityChip(p) {
  return h('span.chip.prio-' + p, t('prio.' + p));
}

export function patientCell(task) {
  const p = task.patient || {};
  const meta = [sex(p.sex), age(p.birth_date, p.age), p.id ? t('patient.id_short') + ' ' + p.id : '']
    .filter(Boolean).join(' · ');
  return h('div.patient-cell', h('div.pname', personName(p.name) || t('patient.unnamed')), h('div.pmeta', meta));
}

export function examText(task) {
  return [task.modality, task.body_part, task.description].filter(Boolean).join(' · ') || t('exam.unknown');
}

/** The SLA cell: time left until the deadline, amber when near, red and negative when overdue. */
export function slaCell(task) {
  const el = h('span.sla');
  updateSla(el, task);
  return el;
}

export function updateSla(el, task) {
  if (!OPEN_STATES.includes(task.state)) {
    el.textContent = '—';
    el.className = 'sla';
    return;
  }
  const left = task.deadline_ms - serverNow();
  el.textContent = countdown(left);
  el.className = 'sla' + (left < 0 ? ' over' : task.nearing_deadline || left < 5 * 60000 ? ' near' : '');
  el.title = left < 0 ? t('sla.overdue') : t('sla.left');
}

/**
 * The ECG analysis' signal-quality warnings (lead off, noise, lead reversal, repeat the recording), for the
 * technician who can still repeat the ECG while the patient is there. Informational findings (mains filtered,
 * baseline wander) are left out.
 */
export function signalProblems(task) {
  const flags = task.machine_flags || {};
  return flags.machine_generated ? (flags.quality || []).filter((q) => q && q.severity === 'warning') : [];
}

/**
 * The findings by name in the user's language, one line per kind with its leads ("导联脱落（V1、V2、V3）"); each
 * line's `title` is the machine's sentences.
 */
export function signalProblemLines(list) {
  const byCode = new Map();
  for (const q of list) {
    if (!byCode.has(q.code)) byCode.set(q.code, { code: q.code, leads: [], texts: [] });
    const g = byCode.get(q.code);
    if (q.lead) g.leads.push(q.lead);
    const said = machineText(q) || q.code;
    if (!g.texts.includes(said)) g.texts.push(said); // a pair of swapped electrodes is one sentence said for both
  }
  return [...byCode.values()].map((g) => ({
    code: g.code,
    text: tOr('ecgflag.code.' + g.code, g.texts[0]) + (g.leads.length ? `（${g.leads.join('、')}）` : ''),
    title: g.texts.join('\n'),
  }));
}

/** A chip for lists: "signal problem, repeat the ECG" with the findings as its tooltip; null when there is none. */
function signalChip(task) {
  const list = signalProblems(task);
  if (!list.length) return null;
  const repeat = list.some((q) => q.code === 'repeat_recording');
  return h('span.chip.signal-warn', { title: list.map(machineText).join('\n') },
    t(repeat ? 'ecgq.chip_repeat' : 'ecgq.chip', { n: list.length }));
}

/** Machine flags set by the automatic analysis (e.g. {"suspected_stemi": true}) as red chips. */
export function flagChips(task) {
  const flags = task.machine_flags || {};
  const out = [];
  if (flags.machine_generated) {
    // The ECG analysis (ecg/src/analysis_json.cpp): its critical findings and its non-routine rhythm statements
    // are flags; measurements and beat lists are not.
    for (const st of [...(flags.critical || []), ...(flags.rhythm || []).filter((x) => x && x.severity !== 'info')])
      // Named in the user's language (the machine's sentence, with its details, is the tooltip), and marked as
      // the machine's, never as a diagnosis.
      if (st && st.text) out.push(h('span.chip.flag', { title: machineText(st), 'data-code': st.code || '' },
        t('flag.machine_prefix') + tOr('ecgflag.code.' + st.code, machineText(st))));
  }
  for (const [k, v] of flags.machine_generated ? [] : Object.entries(flags)) {
    if (v === false || v == null || v === '' || (Array.isArray(v) && !v.length)) continue;
    if (Array.isArray(v)) {
      for (const item of v) out.push(h('span.chip.flag', tOr('flag.' + item, String(item))));
    } else if (typeof v === 'object') {
      continue;
    } else {
      out.push(h('span.chip.flag', { title: v === true ? '' : String(v) }, tOr('flag.' + k, k.replace(/_/g, ' '))));
    }
  }
  const signal = signalChip(task); // for the clinic to repeat, for the reader to know
  if (signal) out.push(signal);
  if (task.critical) out.push(h('span.chip.critical', t('critical.short')));
  if (task.updated) out.push(h('span.chip', t('task.updated')));
  return out.length ? h('div.flags', out) : null;
}

export function criticalCategory(c) {
  return tOr('critcat.' + c, c.replace(/_/g, ' '));
}

export const CRITICAL_CATEGORIES = [
  'acute_myocardial_infarction', 'ventricular_fibrillation', 'ventricular_tachycardia', 'high_degree_av_block',
  'severe_bradycardia', 'long_qt', 'intracranial_hemorrhage', 'large_cerebral_infarction', 'pneumothorax',
  'aortic_dissection', 'pulmonary_embolism', 'free_abdominal_air', 'ectopic_pregnancy_rupture', 'other',
];
export const QUALITY_REASONS = ['positioning', 'exposure', 'motion', 'artefact', 'missing_leads', 'noise',
  'wrong_patient_data', 'incomplete_coverage', 'other'];
