// Clinic exam page: status and history of one exam, its signed report (print), critical-value confirmation,
// receipt acknowledgement, quality feedback, and resuming an exam the center returned.
import { h, clear, toast, modal, debounce } from './dom.js';
import { t, bilingual } from './i18n.js';
import { get, post, errorText } from './api.js';
import { onLiveEvent, isWorklistEvent } from './live.js';
import { dateTime, ago } from './format.js';
import { stateChip, priorityChip, patientCell, examText, stage, criticalCategory, signalProblems, signalProblemLines } from './tasks.js';
import { reportDoc } from './reportdoc.js';
import { alertCritical, needsAcknowledgement, startCriticalWatch } from './critical.js';
import { loadInstitutions } from './directory.js';
import { createEcgViewer } from './ecgview.js';

export function render(el, { id }) {
  startCriticalWatch();
  const page = h('div.page');
  el.append(page);
  let markedDelivered = false;
  // An ECG exam's tracing under its report: made once and moved into each redraw of the page (a live event redraws
  // it; the waveform is not fetched again).
  let ecgPanel = null;
  let ecgViewer = null;

  async function load() {
    let task;
    let report;
    try {
      [task, report] = await Promise.all([get(`/api/tasks/${id}`), get(`/api/tasks/${id}/report`)]);
    } catch (e) {
      clear(page).append(h('div.page-head', h('a.btn.ghost', { href: '#/clinic' }, '← ' + t('result.back'))),
        h('div.form-error#result-error', errorText(e)));
      return;
    }
    // Opening a signed report is its delivery to the clinic.
    if (task.state === 'signed' && !markedDelivered) {
      markedDelivered = true;
      try {
        await post(`/api/tasks/${id}/delivered`, {});
        // Read again: the delivery answer is the bare task, without the history it just added to.
        task = await get(`/api/tasks/${id}`);
      } catch {
        /* the server may deliver by itself */
      }
    }
    const all = await loadInstitutions().catch(() => []);
    const nameOf = (iid) => (all.find((x) => x.id === iid) || {}).name || '';
    const centerName = nameOf(task.center_id);
    const clinicName = nameOf(task.clinic_id);
    draw(task, report, centerName, clinicName);
    if (needsAcknowledgement(task)) alertCritical([task]).then(load);
  }

  function draw(task, report, centerName, clinicName) {
    const actions = h('div.result-actions.no-print',
      h('a.btn.ghost', { href: '#/clinic' }, '← ' + t('result.back')),
      h('div', { style: { flex: 1 } }),
      stateChip(task.state, true));
    const versions = report.versions || [];
    if (versions.length) actions.append(h('button.btn#print-report', { type: 'button', onclick: () => window.print() }, t('result.print')));
    // The signed report as the server's A4 PDF (with its verification code), and for an ECG the paper tracing at
    // true size (25 mm/s, 10 mm/mV), which a clinic files or prints beside the report.
    if (versions.length)
      actions.append(h('a.btn#report-pdf', { href: `/api/tasks/${task.id}/report.pdf`, target: '_blank', rel: 'noopener' }, t('result.report_pdf')));
    // The same tracing as a picture, for a clinic that files images (its EMR) or sends them to a doctor's phone.
    if (task.kind === 'ecg') {
      actions.append(h('a.btn#ecg-pdf', { href: `/api/tasks/${task.id}/ecg.pdf`, target: '_blank', rel: 'noopener' }, t('result.ecg_pdf')));
      actions.append(h('a.btn.ghost#ecg-png', { href: `/api/tasks/${task.id}/ecg.png`, download: `ecg-${task.id}.png` }, t('result.ecg_png')));
    }
    if (task.state === 'delivered')
      actions.append(h('button.btn.primary#ack-report', { type: 'button', onclick: () => act('acknowledge', t('result.acknowledged')) },
        t('result.acknowledge')));
    if (task.state === 'returned')
      actions.append(h('button.btn.primary', { type: 'button', onclick: resume }, t('result.resume')));

    const parts = [actions];
    if (task.critical) {
      const c = task.critical;
      parts.push(h('div.critical-banner.no-print',
        h('b', t('critical.short') + t('common.colon') + criticalCategory(c.category)), c.note ? ' — ' + c.note : '',
        h('div.sub', c.acknowledged_by
          ? t('result.critical_acked', { name: c.acknowledged_name, at: dateTime(c.acknowledged_at) })
          : t('result.critical_pending'))));
    }
    if (task.state === 'returned')
      parts.push(h('div.critical-banner.no-print', h('b', t('result.returned')), ' ', task.return_reason || ''));
    // What the ECG analysis found wrong with the recording itself: the technician can repeat it while the patient
    // is still there, and send the new one.
    const problems = signalProblems(task);
    if (problems.length)
      parts.push(h('div.signal-banner.no-print#signal-problems', { role: 'status' },
        h('b', t('ecgq.title')),
        h('ul', signalProblemLines(problems).map((l) => h('li', { title: l.title, 'data-code': l.code }, l.text))),
        h('div.sub', t('ecgq.hint'))));
    if (versions.length) {
      parts.push(reportDoc(task, versions, { centerName, clinicName, templateFields: report.field_labels }));
    } else {
      parts.push(h('div.panel.panel-pad', { style: { maxWidth: '820px', margin: '0 auto' } },
        h('div.btn-row', priorityChip(task.priority), patientCell(task)),
        h('p', examText(task)),
        h('p.sub', t('result.uploaded', { ago: ago(task.times.received || task.times.created) })),
        h('p#result-waiting', stage(task.state) === 'reading' ? t('result.being_read') : t('result.waiting'))));
    }
    // An ECG's tracing belongs with its report, on screen and on paper: the clinic's doctor reads the diagnosis
    // against it.
    if (task.kind === 'ecg') {
      if (!ecgPanel) {
        const host = h('div.result-ecg');
        ecgPanel = h('section.panel.result-ecg-panel', h('h3', t('result.tracing')), host);
        ecgViewer = createEcgViewer(host, { studyUid: task.study_uid, task, id: 'result-ecg', analysis: false });
      } else {
        ecgViewer.setTask(task);
      }
      parts.push(ecgPanel);
    }
    if (task.quality) {
      const q = task.quality;
      parts.push(h('div.panel.panel-pad.no-print', { style: { maxWidth: '820px', margin: '12px auto 0' } },
        h('h3', t('result.quality')),
        h('div', t('quality.grade.' + q.grade), q.reasons && q.reasons.length ? ' — ' + q.reasons.map((r) => t('quality.reason.' + r)).join('、') : ''),
        q.comment ? h('div.sub', q.comment) : null));
    }
    parts.push(h('div.panel.panel-pad.no-print', { style: { maxWidth: '820px', margin: '12px auto 0' } },
      h('h3', t('result.history')),
      h('table.grid#result-history', h('tbody', historyRows(task).map((e) =>
        h('tr', h('td.nowrap', dateTime(e.at)), h('td', t('action.' + e.action)), h('td', bilingual(e.actor.name) || t('common.system')),
          h('td.sub', e.note || '')))))));
    clear(page).append(...parts);
  }

  // The exam's history starts when the center received it (the task's own time, not a worklist event), so a clinic
  // sees its exam arrived before anyone has acted on it.
  function historyRows(task) {
    const received = task.times.received || task.times.created;
    const arrival = received ? [{ at: received, action: 'received', actor: task.technician || {}, note: '' }] : [];
    return arrival.concat(task.events || []);
  }

  async function act(action, okText) {
    try {
      await post(`/api/tasks/${id}/${action}`, {});
      toast(okText, 'ok');
      load();
    } catch (e) {
      toast(errorText(e), 'error');
    }
  }

  async function resume() {
    const note = h('textarea', { rows: 3, placeholder: t('result.resume_ph') });
    const ok = await modal({
      title: t('result.resume'),
      body: h('div', h('p', t('result.resume_text')), note),
      actions: [{ label: t('common.cancel'), value: false }, { label: t('result.resume'), value: true, kind: 'primary' }],
    });
    if (!ok) return;
    try {
      await post(`/api/tasks/${id}/resume`, note.value.trim() ? { note: note.value.trim() } : {});
      toast(t('result.resumed'), 'ok');
      load();
    } catch (e) {
      toast(errorText(e), 'error');
    }
  }

  const reload = debounce(load, 300);
  const off = onLiveEvent((msg) => {
    if (msg.type === 'live.reconnected' || (isWorklistEvent(msg) && (msg.task_id == null || String(msg.task_id) === String(id))))
      reload();
  });
  load();
  return () => {
    off();
    reload.cancel();
    if (ecgViewer) ecgViewer.destroy();
  };
}
