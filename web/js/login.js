// Sign-in page: username and password, clear errors (wrong password, locked account, server unreachable).
import { h } from './dom.js';
import { t } from './i18n.js';
import { post, ApiError, errorText } from './api.js';
import { setSession, landing } from './session.js';
import { navigate } from './router.js';

function loginError(e) {
  if (e instanceof ApiError) {
    if (e.code === 'unauthenticated') return t('login.wrong');
    if (e.code === 'too_many_attempts') {
      const m = /(\d+)\s*s\b/.exec(e.message || '');
      return m ? t('login.locked_s', { s: m[1] }) : t('login.locked');
    }
    if (e.code === 'network') return t('error.network');
  }
  return errorText(e);
}

export function render(el) {
  const user = h('input#login-user', { name: 'username', autocomplete: 'username', required: true, autofocus: true,
    spellcheck: 'false', autocapitalize: 'off' });
  const pass = h('input#login-pass', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const error = h('div.form-error#login-error', { role: 'alert', hidden: true });
  const button = h('button.btn.primary.wide#login-submit', { type: 'submit' }, t('login.submit'));

  const form = h('form.login-form', {
    onsubmit: async (e) => {
      e.preventDefault();
      error.hidden = true;
      if (!user.value.trim() || !pass.value) {
        error.textContent = t('login.missing');
        error.hidden = false;
        return;
      }
      button.disabled = true;
      button.textContent = t('login.signing_in');
      try {
        const s = await post('/api/login', { username: user.value.trim(), password: pass.value });
        setSession(s);
        document.dispatchEvent(new CustomEvent('teledx:signed-in'));
        navigate(landing(), { replace: true });
      } catch (err) {
        error.textContent = loginError(err);
        error.hidden = false;
        pass.value = '';
        pass.focus();
      } finally {
        button.disabled = false;
        button.textContent = t('login.submit');
      }
    },
  },
  h('h1.login-title', t('login.title')),
  h('p.login-sub', t('login.subtitle')),
  h('label.field', h('span.field-label', t('login.username')), user),
  h('label.field', h('span.field-label', t('login.password')), pass),
  error,
  button);

  el.append(h('div.login-page', h('div.login-card', form), h('p.login-foot', t('login.foot'))));
  setTimeout(() => user.focus(), 0);
}
