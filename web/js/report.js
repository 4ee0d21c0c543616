// The report editor: template, structured fields, findings and impression with autosave, critical-value flag,
// exam quality grade, and signing (one step, or submit / approve / return with two-level review).
import { h, clear, debounce, toast, modal, confirmDialog } from './dom.js';
import { t, tOr, bilingual, getLang } from './i18n.js';
import { get, put, post, errorText } from './api.js';
import { session, isSenior } from './session.js';
import { dateTime } from './format.js';
import { CRITICAL_CATEGORIES, QUALITY_REASONS, criticalCategory } from './tasks.js';

/** Flattened numeric measurements from the machine analysis, keyed like template fields (heart_rate, qtc...). */
function machineMeasurements(task) {
  const out = {};
  const walk = (o) => {
    for (const [k, v] of Object.entries(o || {})) {
      if (typeof v === 'number' || (typeof v === 'string' && k !== 'statements')) out[k] = String(v);
      else if (v && typeof v === 'object' && !Array.isArray(v)) walk(v);
    }
  };
  walk(task.machine_flags);
  // The machine writes its rhythm statement in English ("Sinus rhythm, 61/min"); a Chinese report takes the
  // statement's name instead (the rate has its own field), so the reader does not retype every prefilled rhythm.
  const first = task.machine_flags && Array.isArray(task.machine_flags.rhythm) ? task.machine_flags.rhythm[0] : null;
  if (out.rhythm && first && first.code && getLang() === 'zh-CN') out.rhythm = tOr('ecgflag.code.' + first.code, out.rhythm);
  return out;
}

/**
 * Whether the machine analysis of an ECG found it plainly normal: sinus rhythm and nothing else said, no critical flag,
 * no fault in the recording. Only then does a template's normal text ("窦性心律。" / "正常心电图。") prefill the report:
 * on a machine STEMI or AF it would be one keystroke (Ctrl+Enter) from a signed "normal ECG".
 */
function machineSaysNormal(task) {
  const f = task.machine_flags || {};
  if (!f.machine_generated) return true; // no ECG analysis (an imaging exam): the template as written
  const rhythm = (f.rhythm || []).map((x) => x && x.code);
  const faults = (f.quality || []).filter((q) => q && q.severity === 'warning');
  return !(f.critical || []).length && !faults.length && rhythm.length === 1 && rhythm[0] === 'sinus_rhythm';
}

/**
 * createReportEditor(host, task, {onChange}) -> {flush, destroy}. onChange(task) after any move of the task.
 * Call only when the caller may edit (holder of the task, or reviewing senior).
 */
export async function createReportEditor(host, task, { onChange } = {}) {
  const me = session().user;
  const [report, templates, settings] = await Promise.all([
    get(`/api/tasks/${task.id}/report`),
    get('/api/report-templates', { kind: task.kind }).then((r) => r.templates).catch(() => []),
    get(`/api/centers/${task.center_id}/settings`).catch(() => ({})),
  ]);
  const twoLevel = !!settings.two_level_signing;
  const draft = report.draft;
  let baseVersion = draft ? draft.version : 0;
  let templateId = draft && draft.template_id;
  let fieldsDef = [];
  let destroyed = false;
  const templateText = machineSaysNormal(task);
  const templateNote = h('p.sub.template-note#template-note', { hidden: true }, t('report.template_abnormal'));

  const state = h('span.save-state#save-state', draft ? t('report.saved_at', { at: dateTime(draft.updated_at) }) : t('report.not_saved'));
  const findings = h('textarea.findings#findings', { placeholder: t('report.findings_ph'), value: draft ? draft.findings : '' });
  const impression = h('textarea.impression#impression', { placeholder: t('report.impression_ph'), value: draft ? draft.impression : '' });
  const struct = h('div.struct');
  const fieldInputs = new Map();
  const suitable = templates.filter((tp) => !tp.modality || !task.modality || task.modality.split('\\').includes(tp.modality));
  const list = suitable.length ? suitable : templates;
  const tplSelect = h('select#template', { onchange: () => applyTemplate(+tplSelect.value) },
    h('option', { value: '' }, t('report.template_pick')),
    list.map((tp) => h('option', { value: tp.id, selected: tp.id === templateId }, bilingual(tp.name))));

  function buildFields(def, values) {
    fieldsDef = def || [];
    fieldInputs.clear();
    clear(struct);
    const measured = machineMeasurements(task);
    for (const f of fieldsDef) {
      const input = h('input', { value: (values && values[f.key]) || measured[f.key] || '', 'data-key': f.key, oninput: () => save() });
      fieldInputs.set(f.key, input);
      struct.append(h('label.field', h('span.field-label', bilingual(f.label) + (f.unit ? ` (${bilingual(f.unit)})` : '')), input));
    }
    struct.hidden = !fieldsDef.length;
  }

  async function applyTemplate(id) {
    const tp = templates.find((x) => x.id === id);
    if (!tp) return;
    if ((findings.value.trim() || impression.value.trim()) && !(await confirmDialog(t('report.template_replace')))) {
      tplSelect.value = templateId || '';
      return;
    }
    templateId = tp.id;
    findings.value = templateText ? tp.findings || '' : '';
    impression.value = templateText ? tp.impression || '' : '';
    templateNote.hidden = templateText || !(tp.findings || tp.impression);
    buildFields(tp.fields, {});
    save();
    findings.focus();
  }

  const initialTemplate = templates.find((x) => x.id === templateId);
  buildFields(initialTemplate ? initialTemplate.fields : [], draft ? draft.fields : {});

  let saving = Promise.resolve();
  async function saveNow() {
    const body = { base_version: baseVersion, findings: findings.value, impression: impression.value,
      fields: Object.fromEntries([...fieldInputs].map(([k, i]) => [k, i.value])), template_id: templateId || null };
    state.textContent = t('report.saving');
    state.classList.remove('error');
    try {
      const d = await put(`/api/tasks/${task.id}/report/draft`, body);
      baseVersion = d.version;
      state.textContent = t('report.saved_at', { at: dateTime(d.updated_at) });
      if (task.state === 'claimed') {
        task.state = 'in_report';
        if (onChange) onChange(null);
      }
    } catch (e) {
      state.textContent = errorText(e);
      state.classList.add('error');
      throw e;
    }
  }
  const save = debounce(() => {
    if (!destroyed) saving = saving.then(saveNow, saveNow).catch(() => {});
  }, 1200);
  findings.addEventListener('input', () => { state.textContent = t('report.unsaved'); save(); });
  impression.addEventListener('input', () => { state.textContent = t('report.unsaved'); save(); });

  async function flush() {
    save.cancel();
    saving = saving.then(saveNow, saveNow);
    await saving;
  }

  async function sign() {
    if (!findings.value.trim() && !impression.value.trim()) return toast(t('report.empty'), 'error');
    try {
      await flush();
      if (task.state === 'pending_review') {
        const r = await post(`/api/tasks/${task.id}/report/approve`, {});
        toast(t('report.approved'), 'ok');
        return onChange && onChange(r.task);
      }
      if (twoLevel && !isSenior()) {
        const r = await post(`/api/tasks/${task.id}/report/submit`, {});
        toast(t('report.submitted'), 'ok');
        return onChange && onChange(r);
      }
      const r = await post(`/api/tasks/${task.id}/report/sign`, {});
      toast(t('report.signed', { code: r.report.verification_code }), 'ok');
      return onChange && onChange(r.task);
    } catch (e) {
      toast(errorText(e), 'error');
    }
    return undefined;
  }

  async function returnForRevision() {
    const comment = h('textarea', { rows: 3 });
    const ok = await modal({ title: t('report.return_revision'), body: h('label.field', h('span.field-label', t('report.comment')), comment),
      actions: [{ label: t('common.cancel'), value: false }, { label: t('report.return_revision'), value: true, kind: 'primary',
        validate: () => !!comment.value.trim() }] });
    if (!ok) return;
    try {
      const r = await post(`/api/tasks/${task.id}/report/return-for-revision`, { comment: comment.value.trim() });
      onChange && onChange(r);
    } catch (e) {
      toast(errorText(e), 'error');
    }
  }

  const criticalBtn = h('button.btn.small#flag-critical', { type: 'button', onclick: () => flagCritical() },
    task.critical ? '⚠ ' + criticalCategory(task.critical.category) : t('report.flag_critical'));
  if (task.critical) criticalBtn.disabled = true;
  /** preset: {category, note} when the reader has just confirmed a critical machine flag (ecgflags.js). */
  async function flagCritical(preset = {}) {
    if (task.critical) return;
    const cat = h('select#critical-category', CRITICAL_CATEGORIES.map((c) => h('option', { value: c }, criticalCategory(c))));
    if (preset.category && CRITICAL_CATEGORIES.includes(preset.category)) cat.value = preset.category;
    const note = h('textarea#critical-note', { rows: 3 }, preset.note || '');
    const err = h('div.form-error', { hidden: true });
    const ok = await modal({
      title: t('report.flag_critical'),
      body: h('div', h('p.sub', t('report.critical_text')),
        h('label.field', h('span.field-label', t('critical.category')), cat),
        h('label.field', h('span.field-label', t('critical.note')), note), err),
      actions: [{ label: t('common.cancel'), value: false }, { label: t('report.flag_critical'), value: true, kind: 'danger',
        validate: async () => {
          try {
            const r = await post(`/api/tasks/${task.id}/critical`, { category: cat.value, note: note.value.trim() });
            task.critical = r.critical;
            return true;
          } catch (e) {
            err.textContent = errorText(e);
            err.hidden = false;
            return false;
          }
        } }],
    });
    if (ok) {
      criticalBtn.textContent = '⚠ ' + criticalCategory(task.critical.category);
      criticalBtn.disabled = true;
      toast(t('report.critical_sent'), 'ok');
    }
  }

  const gradeSeg = h('div.seg#quality-grade', ['A', 'B', 'C'].map((g) => h('button' + (task.quality && task.quality.grade === g ? '.on' : ''),
    { type: 'button', 'data-grade': g, title: t('quality.grade.' + g), onclick: () => grade(g) }, g)));
  async function grade(g) {
    let reasons = [];
    let comment = '';
    if (g !== 'A') {
      const boxes = QUALITY_REASONS.map((r) => h('label.btn-row', h('input', { type: 'checkbox', value: r }), t('quality.reason.' + r)));
      const c = h('textarea', { rows: 2 });
      const ok = await modal({ title: t('quality.grade.' + g), body: h('div', boxes, h('label.field', h('span.field-label', t('report.comment')), c)),
        actions: [{ label: t('common.cancel'), value: false }, { label: t('common.save'), value: true, kind: 'primary',
          validate: () => g !== 'C' || boxes.some((b) => b.querySelector('input').checked) }] });
      if (!ok) return;
      reasons = boxes.map((b) => b.querySelector('input')).filter((i) => i.checked).map((i) => i.value);
      comment = c.value.trim();
    }
    try {
      const r = await put(`/api/tasks/${task.id}/quality`, { grade: g, reasons, comment });
      task.quality = r.quality;
      for (const b of gradeSeg.children) b.classList.toggle('on', b.dataset.grade === g);
      toast(t('quality.saved'), 'ok');
    } catch (e) {
      toast(errorText(e), 'error');
    }
  }

  const reviewing = task.state === 'pending_review';
  const signLabel = reviewing ? t('report.approve') : twoLevel && !isSenior() ? t('report.submit') : t('report.sign');
  const signBtn = h('button.btn.primary#sign-report', { type: 'button', onclick: sign, title: 'Ctrl+Enter' }, signLabel);
  host.append(h('div.report-editor#report-editor',
    h('div.btn-row', h('span.section-title', t('report.title')), h('div', { style: { flex: 1 } }), state),
    h('label.field', h('span.field-label', t('report.template')), tplSelect),
    templateNote,
    struct,
    h('label.field', h('span.field-label', t('report.findings')), findings),
    h('label.field', h('span.field-label', t('report.impression')), impression),
    h('div.extras', criticalBtn, h('span.sub', { style: { alignSelf: 'center' } }, t('report.quality')), gradeSeg),
    h('div.sign-row', signBtn,
      reviewing ? h('button.btn', { type: 'button', onclick: returnForRevision }, t('report.return_revision')) : null,
      h('span.sub', h('span.kbd', 'Ctrl'), '+', h('span.kbd', 'Enter'), ' ', signLabel),
      draft && draft.author && draft.author.id !== me.id ? h('span.sub', t('report.by', { name: bilingual(draft.author.name) })) : null)));

  const onKey = (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key === 'Enter') {
      e.preventDefault();
      sign();
    } else if ((e.ctrlKey || e.metaKey) && e.key === 's') {
      e.preventDefault();
      flush().catch(() => {});
    }
  };
  document.addEventListener('keydown', onKey);
  if (!draft || (!draft.findings && !draft.impression)) {
    const auto = list.find((tp) => tp.body_part && task.body_part && tp.body_part === task.body_part.toUpperCase()) ||
      (list.length === 1 ? list[0] : null);
    if (auto && !templateId) {
      tplSelect.value = String(auto.id);
      templateId = auto.id;
      findings.value = templateText ? auto.findings || '' : '';
      impression.value = templateText ? auto.impression || '' : '';
      templateNote.hidden = templateText || !(auto.findings || auto.impression);
      buildFields(auto.fields, {});
    }
  }
  /**
   * A machine statement the reader confirmed goes into the impression as a line of its own ("T 波改变"), unless a line
   * says it already; dismissing it takes out that line if it is still as the editor put it. The reader edits the
   * impression as before: confirming is the reader's diagnosis, and this saves retyping it.
   */
  function confirmedStatement(line, confirmed) {
    const lines = impression.value.split('\n');
    // "2. 窦性心律。" says it already: numbering and the closing stop are the reader's way of writing the same line.
    const bare = (x) => x.trim().replace(/^\d+\s*[.、．)）]\s*/, '').replace(/[。．.;；,，]+$/, '');
    const at = lines.findIndex((x) => bare(x) === line);
    if (confirmed && at < 0) impression.value = impression.value.trimEnd() + (impression.value.trim() ? '\n' : '') + line;
    else if (!confirmed && at >= 0 && lines[at].trim() === line) impression.value = lines.filter((_, i) => i !== at).join('\n');
    else return;
    state.textContent = t('report.unsaved');
    save();
  }

  return {
    flush,
    flagCritical,
    confirmedStatement,
    /** Stops the editor; resolves once unsaved text is saved (leaving the page keeps the text). */
    destroy() {
      document.removeEventListener('keydown', onKey);
      save.cancel();
      const pending = state.textContent === t('report.unsaved') || state.textContent === t('report.saving');
      destroyed = true;
      return pending ? saving.then(saveNow, saveNow).catch(() => {}) : Promise.resolve();
    },
  };
}
