// Critical values (危急值) at the clinic: a modal that cannot be dismissed until someone confirms by name,
// with an alert sound that repeats while it waits.
import { h, modal, beep, toast } from './dom.js';
import { t, bilingual } from './i18n.js';
import { get, post, errorText } from './api.js';
import { session, isClinic } from './session.js';
import { onLiveEvent, isWorklistEvent } from './live.js';
import { personName, dateTime } from './format.js';
import { criticalCategory, examText } from './tasks.js';

let showing = null; // the open dialog's promise: a check made while it waits waits for it, rather than asking again
let showingAbort = null; // closes that dialog when the session ends (stopCriticalWatch)
const snoozed = new Set();
// Flags confirmed from this page. A task list fetched before the confirmation finished still shows the flag
// unconfirmed; without this the dialog would open a second time over the page the clinic just returned to.
const confirmedHere = new Set();
const flagKey = (task) => `${task.id}@${task.critical.marked_at}`;

export const needsAcknowledgement = (task) =>
  !!task.critical && !task.critical.acknowledged_by && !confirmedHere.has(flagKey(task));

/** Shows the alert for the first unacknowledged critical task; resolves when it was acknowledged. */
export function alertCritical(tasks) {
  if (showing) return showing;
  const task = tasks.find((x) => needsAcknowledgement(x) && !snoozed.has(x.id));
  if (!task) return Promise.resolve();
  beep();
  const repeat = setInterval(beep, 30000);
  const abort = new AbortController();
  showingAbort = abort;
  showing = acknowledgeDialog(task, abort.signal).finally(() => {
    clearInterval(repeat);
    showing = null;
    showingAbort = null;
  });
  return showing;
}

function acknowledgeDialog(task, signal) {
  const c = task.critical;
  const name = h('input#critical-readback', { value: '', placeholder: t('critical.readback_ph'), autocomplete: 'off' });
  const error = h('div.form-error', { hidden: true, role: 'alert' });
  const body = h('div',
    h('div.critical-facts',
      h('div', h('b', t('critical.patient') + t('common.colon')), personName(task.patient && task.patient.name) || '—',
        task.patient && task.patient.id ? ` (${task.patient.id})` : ''),
      h('div', h('b', t('critical.exam') + t('common.colon')), examText(task)),
      h('div', h('b', t('critical.category') + t('common.colon')), criticalCategory(c.category)),
      c.note ? h('div', h('b', t('critical.note') + t('common.colon')), c.note) : null,
      h('div', h('b', t('critical.marked_at') + t('common.colon')), dateTime(c.marked_at))),
    h('p', t('critical.instructions')),
    h('label.field', h('span.field-label', t('critical.readback')), name),
    error);
  const me = session();
  if (me) name.value = bilingual(me.user.display_name || '');
  return modal({
    title: t('critical.title'),
    className: 'critical-alert',
    dismissable: false,
    signal,
    body,
    actions: [{
      label: t('critical.confirm'),
      value: true,
      kind: 'danger',
      validate: async () => {
        if (!name.value.trim()) {
          error.textContent = t('critical.readback_missing');
          error.hidden = false;
          name.focus();
          return false;
        }
        try {
          await post(`/api/tasks/${task.id}/critical/acknowledge`, { readback_name: name.value.trim() });
          confirmedHere.add(flagKey(task));
          toast(t('critical.acknowledged'), 'ok');
          return true;
        } catch (e) {
          if (e.status === 409) { // someone else confirmed meanwhile
            confirmedHere.add(flagKey(task));
            return true;
          }
          error.textContent = errorText(e);
          error.hidden = false;
          return false;
        }
      },
    }],
  });
}

let watch = null; // {timer, inflight, off, afterDialog}

/** Watches the clinic's exams on every page: on start and on every live worklist event. */
export function startCriticalWatch() {
  if (watch || !isClinic()) return;
  const w = { timer: null, inflight: Promise.resolve(), off: null, afterDialog: false };
  watch = w;
  const check = () => {
    if (watch !== w || !isClinic()) return;
    if (showing) {
      // Every answer while the dialog waits would still hold its flag: ask once, after it closed (a flag raised on
      // another exam meanwhile is then shown next). Whoever opened it - this watch or the exam page.
      if (!w.afterDialog) {
        w.afterDialog = true;
        const after = () => { w.afterDialog = false; schedule(0); };
        showing.then(after, after);
      }
      return;
    }
    w.inflight = (async () => {
      try {
        const r = await get('/api/tasks', { limit: 100, sort: 'newest' });
        if (watch !== w) return;
        const shown = alertCritical(r.tasks);  // its dialog, if any, is on the page when this returns
        // Marks that the first check is done: a test (or a script) driving the page waits for it before it clicks,
        // or the dialog could open over its next click.
        document.body.dataset.criticalChecked = '1';
        await shown;
        // Another flag may wait behind the one just confirmed: asked again now, after the confirmation, so the
        // answer cannot be one from before it (which showed the confirmed flag a second time).
        if (watch === w && r.tasks.some((x) => needsAcknowledgement(x) && !snoozed.has(x.id))) schedule(0);
      } catch {
        /* the next event tries again */
      }
    })();
  };
  const schedule = (ms) => {
    clearTimeout(w.timer);
    w.timer = setTimeout(check, ms);
  };
  w.off = onLiveEvent((msg) => {
    if (msg.type === 'live.reconnected' || /^critical/.test(msg.type) || isWorklistEvent(msg)) schedule(200);
  });
  check();
}

/** Stops watching (signing out); resolves when no request of the watch is in flight. */
export function stopCriticalWatch() {
  const w = watch;
  watch = null;
  delete document.body.dataset.criticalChecked;
  // A session that ended under the dialog (expired, signed out elsewhere) would leave it over the login page, where
  // no one can confirm it any more; the next sign-in shows the flag again.
  if (showingAbort) showingAbort.abort();
  if (!w) return Promise.resolve();
  clearTimeout(w.timer);
  w.off();
  return w.inflight.catch(() => {});
}
