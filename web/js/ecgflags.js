// The ECG machine flags beside the report: what the automatic analysis suggested (never a diagnosis), and the
// reader's confirm/dismiss of each, with who decided and when. Also the machine/reader agreement table for the
// statistics page. API: GET/POST /api/tasks/{id}/ecg-flags[/{code}], GET /api/stats/ecg-flags (docs/api.md).
import { h, clear, toast } from './dom.js';
import { t, tOr, bilingual, machineText } from './i18n.js';
import { get, post, errorText } from './api.js';
import { session, isLead } from './session.js';
import { dateTime } from './format.js';
import { OPEN_STATES } from './tasks.js';

const flagName = (f) => tOr('ecgflag.code.' + f.code, machineText(f) || f.code);
// The critical-value (危急值) category a confirmed critical machine flag corresponds to (worklist's list).
const CRITICAL_CATEGORY_OF = {
  critical_stemi: 'acute_myocardial_infarction', critical_vf: 'ventricular_fibrillation',
  critical_vt: 'ventricular_tachycardia', critical_complete_av_block: 'high_degree_av_block',
  critical_bradycardia: 'severe_bradycardia', critical_pause: 'severe_bradycardia', critical_long_qtc: 'long_qt',
  critical_svt: 'other', critical_af_rapid: 'other',
};
const pct = (x) => (x == null ? '—' : `${Math.round(x * 1000) / 10}%`);

/** Whether the signed-in user may decide on this task's flags (the server checks again and says why not). */
function mayDecide(task) {
  const me = session().user;
  if (!OPEN_STATES.includes(task.state)) return false; // once signed, the verdicts are part of the report
  if (isLead()) return true;
  return !!task.assignee && task.assignee.id === me.id && task.state !== 'waiting';
}

/**
 * createFlagPanel(host, task) -> {setTask(task), destroy()}: lists the task's machine flags,
 * with Confirm / Dismiss and an optional note for whoever may decide. `task.ecg_flags` is used when present
 * (GET /api/tasks/{id} carries it); otherwise the list is fetched.
 */
export function createFlagPanel(host, task, { onCriticalConfirmed, onDecided } = {}) {
  const list = h('ul.ecg-flag-list');
  const pending = h('span.chip.ecg-flag-pending');
  const error = h('div.form-error', { hidden: true });
  const root = h('section.ecg-flags#ecg-flags',
    h('div.ecg-flags-head', h('span.ecg-flags-title', '⚙ ' + t('ecgflag.title')), h('div.spacer'), pending),
    h('p.ecg-flags-hint', t('ecgflag.hint')), error, list);
  host.append(root);
  let data = null;
  let destroyed = false;
  const busy = new Set(); // codes with a request in flight: their buttons stay disabled
  const notes = new Map(); // notes typed but not yet sent survive a redraw (a live event may redraw any moment)
  let drawn = ''; // what the list shows, to skip redraws that would change nothing (and steal the focus)

  function draw() {
    if (!data) return;
    const editable = mayDecide(task);
    const key = JSON.stringify([data, editable, [...busy]]);
    if (key === drawn) return;
    drawn = key;
    clear(list);
    const n = data.pending || 0;
    pending.textContent = n ? t('ecgflag.pending', { n }) : t('ecgflag.all_decided');
    pending.classList.toggle('todo', n > 0);
    root.dataset.pending = String(n);
    if (!data.flags.length) {
      list.append(h('li.muted', t('ecgflag.none')));
      return;
    }
    for (const f of data.flags) list.append(flagItem(f, editable));
  }

  function flagItem(f, editable) {
    const d = f.decision;
    const verdict = d ? d.verdict : 'pending';
    const detail = machineText(f);
    const item = h('li.ecg-flag', { 'data-code': f.code, 'data-verdict': verdict, class: 'sev-' + (f.severity || 'info') },
      h('div.ecg-flag-line',
        h('span.chip.ecg-flag-sev', tOr('ecgflag.sev.' + f.severity, f.severity || '')),
        h('b.ecg-flag-name', flagName(f))),
      detail && detail !== flagName(f) ? h('div.ecg-flag-text', { title: f.code }, detail) : null,
      h('div.ecg-flag-decision',
        h('span.ecg-flag-verdict', t(d ? 'ecgflag.' + d.verdict : 'ecgflag.undecided')),
        d ? h('span.sub', ' · ' + t('ecgflag.by', { name: bilingual(d.by.name), at: dateTime(d.at) })) : null,
        d && d.comment && !editable ? h('div.ecg-flag-comment', d.comment) : null)); // else it is in the note field
    if (!editable) return item;
    // 500 characters stay under the server's 2000-byte limit even when every one is Chinese (3 bytes in UTF-8).
    const note = h('input.ecg-flag-note', { type: 'text', maxlength: 500, placeholder: t('ecgflag.note_ph'),
      value: notes.has(f.code) ? notes.get(f.code) : d ? d.comment : '', 'aria-label': t('ecgflag.note_ph'),
      oninput: () => notes.set(f.code, note.value) });
    const button = (decision, kind) => h(`button.btn.small.${kind}`, {
      type: 'button', 'data-decision': decision, disabled: busy.has(f.code),
      class: d && d.verdict === decision + 'ed' ? 'on' : null,
      onclick: () => decide(f, decision, note.value.trim()),
    }, t('ecgflag.' + decision));
    item.append(h('div.ecg-flag-actions', button('confirm', 'ok'), button('dismiss', 'no'), note));
    return item;
  }

  async function decide(f, decision, comment) {
    busy.add(f.code);
    draw();
    try {
      const next = await post(`/api/tasks/${task.id}/ecg-flags/${encodeURIComponent(f.code)}`, { decision, comment });
      busy.delete(f.code);
      error.hidden = true;
      if (destroyed) return;
      data = next;
      task.ecg_flags = next;
      notes.delete(f.code); // now shown as the decision's comment
      toast(t(decision === 'confirm' ? 'ecgflag.saved_confirmed' : 'ecgflag.saved_dismissed', { name: flagName(f) }), 'ok');
      // Rhythm, conduction, voltage and ST findings are the ECG's diagnosis when confirmed (the report's impression
      // lists them); the recording's quality findings are not.
      if (onDecided && f.category !== 'quality') onDecided(flagName(f), decision === 'confirm');
      // Confirming a critical finding is not yet telling the clinic: the critical-value dialog opens with the
      // matching category, and the reader sends it (or cancels, and can still use the report's button later).
      if (decision === 'confirm' && f.severity === 'critical' && !task.critical && onCriticalConfirmed) {
        onCriticalConfirmed({ category: CRITICAL_CATEGORY_OF[f.code] || 'other', note: flagName(f) + (comment ? ' — ' + comment : '') });
      }
    } catch (e) {
      busy.delete(f.code);
      // Shown in the panel (not only as a toast): the reader must see which flag was not recorded and why.
      error.textContent = `${flagName(f)}${t('common.colon')}${errorText(e)}`;
      error.hidden = false;
    }
    draw();
  }

  async function load() {
    try {
      const next = await get(`/api/tasks/${task.id}/ecg-flags`);
      if (destroyed) return;
      data = next;
      error.hidden = true;
    } catch (e) {
      error.textContent = errorText(e);
      error.hidden = false;
    }
    draw();
  }

  if (task.ecg_flags) {
    data = task.ecg_flags;
    draw();
  } else load();

  return {
    /** The task moved (claimed, released, signed): who may decide changes; the flags come along or are fetched. */
    setTask(next) {
      task = next;
      if (next.ecg_flags) {
        data = next.ecg_flags;
        draw();
      } else load();
    },
    destroy() {
      destroyed = true;
      root.remove();
    },
  };
}

/** The agreement table for the statistics page: one row per flag type and the total, for the period [from, to). */
export async function flagAgreementPanel(host, { from, to }) {
  const r = await get('/api/stats/ecg-flags', { from, to });
  clear(host);
  host.append(h('h2', t('stats.flags.title')), h('p.sub', t('stats.flags.hint')));
  if (!r.total.raised) {
    host.append(h('p.empty', t('stats.flags.none')));
    return;
  }
  const row = (x, name) => h('tr', { 'data-code': x.code },
    h('td', name), ...['raised', 'confirmed', 'dismissed', 'pending'].map((k) => h('td.num', x[k])),
    h('td.num.agreement', pct(x.agreement_rate)));
  host.append(h('table.grid.flag-agreement#flag-agreement',
    h('thead', h('tr', h('th', t('stats.flags.flag')), ...['raised', 'confirmed', 'dismissed', 'pending', 'agreement']
      .map((k) => h('th.num', t('stats.flags.' + k))))),
    h('tbody', r.flags.map((x) => row(x, flagName(x)))),
    h('tfoot', row(r.total, t('stats.flags.total')))));
}
