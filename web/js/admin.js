// The admin console: users, institutions with their DICOM AE titles, and the audit log.
import { h, clear, toast, modal, field } from './dom.js';
import { t, bilingual } from './i18n.js';
import { get, post, patch, del, errorText } from './api.js';
import { navigate } from './router.js';
import { dateTime } from './format.js';
import { loadInstitutions, loadUsers } from './directory.js';

const ROLES = ['clinic_tech', 'clinic_doctor', 'imaging_reader', 'ecg_reader', 'senior_reader', 'center_lead', 'admin'];
const TABS = ['users', 'institutions', 'audit'];

export function render(el, { tab }) {
  if (!TABS.includes(tab)) return navigate('/admin/users', { replace: true });
  const content = h('div');
  el.append(h('div.page',
    h('div.page-head', h('h1', t('admin.title'))),
    h('nav.tabs', TABS.map((x) => h('a' + (x === tab ? '.active' : ''), { href: '#/admin/' + x }, t('nav.' + x)))),
    content));
  ({ users, institutions, audit })[tab](content);
  return undefined;
}

const instLabel = (i) => `${bilingual(i.name)} (${i.code})`;

async function users(box) {
  let list;
  let insts;
  try {
    [list, insts] = await Promise.all([loadUsers(true), loadInstitutions(true)]);
  } catch (e) {
    box.append(h('div.form-error', errorText(e)));
    return;
  }
  const inst = (id) => insts.find((i) => i.id === id);
  const username = h('input#new-username', { autocomplete: 'off' });
  const display = h('input#new-display');
  const password = h('input#new-password', { type: 'password', autocomplete: 'new-password', minlength: 8 });
  const role = h('select#new-role', ROLES.map((r) => h('option', { value: r }, t('role.' + r))));
  const institution = h('select#new-institution', insts.map((i) => h('option', { value: i.id }, instLabel(i))));
  const err = h('div.form-error', { hidden: true });
  const form = h('form.panel.panel-pad', {
    onsubmit: async (e) => {
      e.preventDefault();
      try {
        await post('/api/users', { username: username.value.trim(), display_name: display.value.trim() || username.value.trim(),
          password: password.value, role: role.value, institution_id: +institution.value });
        toast(t('admin.user_created'), 'ok');
        clear(box);
        users(box);
      } catch (ex) {
        err.textContent = errorText(ex);
        err.hidden = false;
      }
    },
  }, h('h2', t('admin.new_user')),
  h('div.form-grid', field(t('admin.username'), username), field(t('admin.display_name'), display),
    field(t('admin.password'), password, t('admin.password_hint')), field(t('admin.role'), role),
    field(t('admin.institution'), institution)),
  err, h('button.btn.primary', { type: 'submit' }, t('admin.create')));

  const rows = list.map((u) => {
    const i = inst(u.institution_id);
    return h('tr', { 'data-user': u.username },
      h('td.mono', u.username), h('td', bilingual(u.display_name)), h('td', t('role.' + u.role)),
      h('td', i ? bilingual(i.name) : u.institution_id),
      h('td', h('span.chip' + (u.active ? '.st-done' : '.st-returned'), u.active ? t('admin.active') : t('admin.inactive'))),
      h('td', h('div.btn-row',
        h('button.btn.small', { type: 'button', onclick: async () => {
          try {
            await patch(`/api/users/${u.id}`, { active: !u.active });
            clear(box);
            users(box);
          } catch (e) { toast(errorText(e), 'error'); }
        } }, u.active ? t('admin.deactivate') : t('admin.activate')),
        h('button.btn.small', { type: 'button', onclick: () => resetPassword(u) }, t('admin.reset_password')))));
  });
  box.append(h('div.panel', h('table.grid#user-table',
    h('thead', h('tr', ['admin.username', 'admin.display_name', 'admin.role', 'admin.institution', 'admin.status', ''].map((k) => h('th', k ? t(k) : '')))),
    h('tbody', rows))), form);
}

async function resetPassword(u) {
  const pw = h('input', { type: 'password', autocomplete: 'new-password' });
  const err = h('div.form-error', { hidden: true });
  await modal({
    title: t('admin.reset_password') + ' — ' + u.username,
    body: h('div', field(t('admin.password'), pw, t('admin.password_hint')), err),
    actions: [{ label: t('common.cancel'), value: false }, { label: t('common.save'), value: true, kind: 'primary',
      validate: async () => {
        try {
          await patch(`/api/users/${u.id}`, { password: pw.value });
          toast(t('admin.password_set'), 'ok');
          return true;
        } catch (e) {
          err.textContent = errorText(e);
          err.hidden = false;
          return false;
        }
      } }],
  });
}

async function institutions(box) {
  let insts;
  try {
    insts = await loadInstitutions(true);
  } catch (e) {
    box.append(h('div.form-error', errorText(e)));
    return;
  }
  const rows = [];
  for (const i of insts) {
    const aeCell = h('td');
    if (i.kind === 'clinic') aeTitles(i, aeCell);
    const parent = insts.find((p) => p.id === i.parent_id);
    rows.push(h('tr', { 'data-inst': i.code }, h('td.mono', i.code), h('td', bilingual(i.name)),
      h('td', t('kind_inst.' + i.kind) + (i.center_type && i.center_type !== 'none' ? ' · ' + t('kind.' + i.center_type) : '')),
      h('td', parent ? bilingual(parent.name) : '—'), aeCell));
  }
  const code = h('input#new-inst-code');
  const name = h('input#new-inst-name');
  const kind = h('select', ['clinic', 'reading_center', 'hospital'].map((k) => h('option', { value: k }, t('kind_inst.' + k))));
  const ctype = h('select', ['none', 'imaging', 'ecg'].map((k) => h('option', { value: k }, k === 'none' ? '—' : t('kind.' + k))));
  const parentSel = h('select', h('option', { value: '' }, '—'),
    insts.filter((i) => i.kind === 'hospital').map((i) => h('option', { value: i.id }, instLabel(i))));
  const err = h('div.form-error', { hidden: true });
  const form = h('form.panel.panel-pad', {
    onsubmit: async (e) => {
      e.preventDefault();
      try {
        const body = { code: code.value.trim(), name: name.value.trim(), kind: kind.value, center_type: ctype.value };
        if (parentSel.value) body.parent_id = +parentSel.value;
        await post('/api/institutions', body);
        toast(t('admin.inst_created'), 'ok');
        clear(box);
        institutions(box);
      } catch (ex) {
        err.textContent = errorText(ex);
        err.hidden = false;
      }
    },
  }, h('h2', t('admin.new_institution')),
  h('div.form-grid', field(t('admin.code'), code), field(t('admin.name'), name), field(t('admin.kind'), kind),
    field(t('admin.center_type'), ctype), field(t('admin.parent'), parentSel)),
  err, h('button.btn.primary', { type: 'submit' }, t('admin.create')));
  box.append(h('div.panel', h('table.grid#inst-table',
    h('thead', h('tr', ['admin.code', 'admin.name', 'admin.kind', 'admin.parent', 'admin.ae_titles'].map((k) => h('th', t(k))))),
    h('tbody', rows))), form);
}

async function aeTitles(inst, cell) {
  clear(cell);
  let list = [];
  try {
    list = (await get(`/api/institutions/${inst.id}/ae-titles`)).ae_titles;
  } catch (e) {
    cell.textContent = errorText(e);
    return;
  }
  const input = h('input', { placeholder: 'AE', maxlength: 16, style: { width: '110px', minHeight: '28px', padding: '2px 6px' } });
  cell.append(h('div.btn-row',
    list.map((ae) => h('span.chip.kind', ae, h('button.btn.ghost.small', { type: 'button', title: t('admin.remove'), style: { height: '18px', padding: '0 4px' },
      onclick: async () => {
        try { await del(`/api/ae-titles/${encodeURIComponent(ae)}`); aeTitles(inst, cell); } catch (e) { toast(errorText(e), 'error'); }
      } }, '×'))),
    input,
    h('button.btn.small', { type: 'button', onclick: async () => {
      if (!input.value.trim()) return;
      try { await post(`/api/institutions/${inst.id}/ae-titles`, { ae_title: input.value.trim() }); aeTitles(inst, cell); } catch (e) { toast(errorText(e), 'error'); }
    } }, t('admin.add'))));
}

async function audit(box) {
  const actor = h('input#audit-actor', { placeholder: t('audit.actor') });
  const action = h('input#audit-action', { placeholder: t('audit.action') });
  const body = h('tbody');
  const more = h('button.btn', { type: 'button', hidden: true }, t('audit.older'));
  let before = 0;
  async function load(append) {
    try {
      const r = await get('/api/audit', { limit: 100, before: append ? before : '', actor: actor.value.trim(), action: action.value.trim() });
      if (!append) clear(body);
      for (const e of r.entries) {
        body.append(h('tr', h('td.mono', e.seq), h('td.nowrap', dateTime(e.at)), h('td', e.actor), h('td', h('span.chip', e.action)),
          h('td.mono', e.target), h('td', e.detail), h('td.mono', e.remote)));
      }
      if (r.entries.length) before = r.entries[r.entries.length - 1].seq;
      more.hidden = r.entries.length < 100;
    } catch (e) {
      toast(errorText(e), 'error');
    }
  }
  more.onclick = () => load(true);
  box.append(h('form.inline-form', { style: { marginBottom: '12px' }, onsubmit: (e) => { e.preventDefault(); load(false); } },
    actor, action, h('button.btn', { type: 'submit' }, t('audit.filter'))),
  h('div.panel', h('table.grid#audit-table', h('thead', h('tr', ['audit.seq', 'audit.at', 'audit.actor', 'audit.action', 'audit.target', 'audit.detail', 'audit.remote']
    .map((k) => h('th', t(k))))), body)),
  h('div.btn-row', { style: { marginTop: '12px' } }, more));
  load(false);
}
