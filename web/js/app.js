// The application shell: session check, header with navigation, language switch and logout, the routes.
import { h, clear } from './dom.js';
import { t, getLang, setLang, onLangChange, bilingual } from './i18n.js';
import { onUnauthenticated } from './api.js';
import { route, startRouter, navigate, refresh, currentPath, onRoute, unmount } from './router.js';
import { loadSession, session, logout, landing, mayOpen, isClinic, isReader, isLead, isAdmin } from './session.js';
import { startLive, stopLive, onLiveStatus, liveStatus, onLiveEvent } from './live.js';

const lazy = (module, name = 'render') => async (el, params) => {
  const m = await import(module);
  return m[name](el, params);
};

route('/login', lazy('./login.js'), { public: true });
route('/clinic', lazy('./clinic.js'), { area: 'clinic' });
route('/clinic/upload', lazy('./upload.js'), { area: 'clinic' });
route('/clinic/exam/:id', lazy('./result.js'), { area: 'clinic' });
route('/worklist', lazy('./worklist.js'), { area: 'worklist' });
route('/read/:id', lazy('./reading.js'), { area: 'read' });
route('/dispatch', lazy('./dispatch.js'), { area: 'dispatch' });
route('/rota', lazy('./rota.js'), { area: 'dispatch' });
route('/clinic/quality', lazy('./quality.js'), { area: 'clinic' });
route('/stats', lazy('./stats.js'), { area: 'stats' });
route('/admin/:tab', lazy('./admin.js'), { area: 'admin' });

function navItems() {
  const items = [];
  if (isClinic())
    items.push(['/clinic', 'nav.exams'], ['/clinic/upload', 'nav.upload'], ['/clinic/quality', 'nav.quality'], ['/stats', 'nav.stats']);
  if (isReader()) items.push(['/worklist', 'nav.worklist']);
  if (isLead()) items.push(['/dispatch', 'nav.dispatch'], ['/rota', 'nav.rota'], ['/stats', 'nav.stats']);
  if (isAdmin())
    items.push(['/admin/users', 'nav.users'], ['/admin/institutions', 'nav.institutions'],
      ['/admin/audit', 'nav.audit'], ['/stats', 'nav.stats']);
  return items;
}

function renderHeader() {
  const header = document.getElementById('app-header');
  clear(header);
  const s = session();
  const brand = h('a.brand', { href: s ? '#' + landing() : '#/login' },
    h('span.brand-mark', 'tx'), h('span.brand-name', t('app.name')));
  const langSwitch = h('div.lang-switch', { role: 'group', 'aria-label': t('app.language') },
    ['zh-CN', 'en'].map((l) =>
      h('button.lang-btn' + (getLang() === l ? '.active' : ''), {
        type: 'button', 'data-lang': l, 'aria-pressed': String(getLang() === l), onclick: () => setLang(l),
      }, l === 'zh-CN' ? '中文' : 'EN')));
  if (!s) {
    header.append(brand, h('div.header-spacer'), langSwitch);
    return;
  }
  const path = currentPath();
  const nav = h('nav.main-nav', navItems().map(([href, key]) =>
    h('a.nav-link' + (path === href || (href !== '/clinic' && path.startsWith(href + '/')) ? '.active' : ''),
      { href: '#' + href }, t(key))));
  const dot = h('span.live-dot.' + liveStatus(), { title: t('live.' + liveStatus()) });
  const who = h('div.who',
    h('span.who-name', bilingual(s.user.display_name)),
    h('span.who-inst', bilingual(s.institution.name) + ' · ' + t('role.' + s.user.role)));
  const out = h('button.btn.ghost.logout', {
    type: 'button',
    onclick: async () => {
      stopLive();
      await stopRoleServices();
      await unmount(); // the page's requests stop (and unsaved text is saved) before the session ends
      document.getElementById('toasts')?.replaceChildren();
      await logout();
      navigate('/login');
    },
  }, t('nav.logout'));
  header.append(brand, nav, h('div.header-spacer'), dot, who, langSwitch, out);
}

function guard(match, path) {
  const s = session();
  if (!match) return s ? landing() : '/login';
  if (match.meta.public) return s && path === '/login' ? landing() : null;
  if (!s) return '/login';
  if (match.meta.area && !mayOpen(match.meta.area)) return landing();
  return null;
}

/** Background duties of a role that run on every page: a clinic must see critical values wherever it is. */
async function startRoleServices() {
  if (isClinic()) (await import('./critical.js')).startCriticalWatch();
}

async function stopRoleServices() {
  await (await import('./critical.js')).stopCriticalWatch();
}

async function main() {
  await loadSession();
  if (session()) {
    startLive();
    startRoleServices();
  }
  const sessionEnded = () => {
    if (!session()) return;
    loadSession().then((s) => {
      if (s) return;
      stopLive();
      stopRoleServices();
      renderHeader();
      navigate('/login');
    });
  };
  onUnauthenticated(sessionEnded);
  onLiveEvent((msg) => {
    if (msg.type === 'live.reauthenticate') sessionEnded();
  });
  onLangChange(() => {
    document.title = t('app.title');
    renderHeader();
    refresh();
  });
  onLiveStatus(() => {
    const dot = document.querySelector('.live-dot');
    if (dot) {
      dot.className = 'live-dot ' + liveStatus();
      dot.title = t('live.' + liveStatus());
    }
  });
  onRoute(renderHeader);
  document.addEventListener('teledx:signed-in', () => {
    startLive();
    startRoleServices();
    renderHeader();
  });
  document.title = t('app.title');
  renderHeader();
  await startRouter(document.getElementById('app-main'), guard);
}

main().catch((e) => {
  console.error(e);
  document.getElementById('app-main').textContent = String(e);
});
