// Small DOM helpers: element building, toasts and modal dialogs. No framework.
import { t } from './i18n.js';

/** h('div.class#id', {attrs, onclick}, ...children) builds an element. Children: nodes, strings, arrays, null. */
export function h(spec, attrs, ...children) {
  if (attrs == null || typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs)) {
    children.unshift(attrs);
    attrs = {};
  }
  const m = /^([a-z0-9-]+)?((?:[.#][\w-]+)*)$/i.exec(spec);
  const el = document.createElement((m && m[1]) || 'div');
  if (m && m[2]) {
    for (const part of m[2].match(/[.#][\w-]+/g)) {
      if (part[0] === '.') el.classList.add(part.slice(1));
      else el.id = part.slice(1);
    }
  }
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className += (el.className ? ' ' : '') + v;
    else if (k === 'text') el.textContent = v;
    else if (k === 'html') el.innerHTML = v;
    else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'value' || k === 'checked' || k === 'disabled' || k === 'selected') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c == null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

/** A brief message in the corner; kind is 'info', 'ok' or 'error'. */
export function toast(message, kind = 'info', ms = 4000) {
  let box = $('#toasts');
  if (!box) {
    box = h('div#toasts', { role: 'status', 'aria-live': 'polite' });
    document.body.append(box);
  }
  const el = h('div.toast.' + kind, message);
  box.append(el);
  setTimeout(() => el.classList.add('leaving'), ms);
  setTimeout(() => el.remove(), ms + 400);
}

/**
 * A modal dialog. Resolves with the value of the pressed action (or null when dismissed).
 * actions: [{label, value, kind: 'primary'|'danger'|'', validate?: () => bool}]
 */
export function modal({ title, body, actions = [], dismissable = true, className = '', signal } = {}) {
  return new Promise((resolve) => {
    const prevFocus = document.activeElement;
    let closed = false;
    const close = (value) => {
      if (closed) return;
      closed = true;
      back.remove();
      document.removeEventListener('keydown', onKey, true);
      if (prevFocus && prevFocus.focus) prevFocus.focus();
      resolve(value);
    };
    const onKey = (e) => {
      if (e.key === 'Escape' && dismissable) {
        e.stopPropagation();
        close(null);
      }
    };
    const buttons = actions.map((a) =>
      h('button.btn' + (a.kind ? '.' + a.kind : ''), {
        type: 'button',
        onclick: async () => {
          if (a.validate && !(await a.validate())) return;
          close(a.value);
        },
      }, a.label),
    );
    const dialog = h('div.modal' + (className ? '.' + className : ''), { role: 'dialog', 'aria-modal': 'true' },
      h('h2.modal-title', title),
      h('div.modal-body', body),
      h('div.modal-actions', buttons),
    );
    const back = h('div.modal-back', { onclick: (e) => { if (e.target === back && dismissable) close(null); } }, dialog);
    document.body.append(back);
    document.addEventListener('keydown', onKey, true);
    // Closed from outside (answering null), even when not dismissable: the session ended under it.
    if (signal) signal.addEventListener('abort', () => close(null), { once: true });
    const first = dialog.querySelector('input, textarea, select') || buttons[buttons.length - 1];
    if (first) first.focus();
  });
}

export function confirmDialog(message, { danger = false, okLabel } = {}) {
  return modal({
    title: t('confirm.title'),
    body: h('p', message),
    actions: [
      { label: t('common.cancel'), value: false },
      { label: okLabel || t('common.ok'), value: true, kind: danger ? 'danger' : 'primary' },
    ],
  }).then((v) => v === true);
}

/** A labelled form field. */
export function field(label, input, hint) {
  return h('label.field', h('span.field-label', label), input, hint ? h('span.field-hint', hint) : null);
}

export function select(options, value, attrs = {}) {
  return h('select', attrs, options.map(([v, label]) => h('option', { value: v, selected: String(v) === String(value) }, label)));
}

/** Debounce: the function runs once, `ms` after the last call. */
export function debounce(fn, ms) {
  let timer = null;
  const d = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  d.flush = (...args) => {
    clearTimeout(timer);
    return fn(...args);
  };
  d.cancel = () => clearTimeout(timer);
  return d;
}

/** A short two-tone alert sound made with WebAudio (no sound file needed). Silently does nothing if blocked. */
export function beep() {
  try {
    const ctx = new (window.AudioContext || window.webkitAudioContext)();
    const tone = (freq, start) => {
      const o = ctx.createOscillator();
      const g = ctx.createGain();
      o.frequency.value = freq;
      g.gain.setValueAtTime(0.0001, ctx.currentTime + start);
      g.gain.exponentialRampToValueAtTime(0.25, ctx.currentTime + start + 0.02);
      g.gain.exponentialRampToValueAtTime(0.0001, ctx.currentTime + start + 0.3);
      o.connect(g).connect(ctx.destination);
      o.start(ctx.currentTime + start);
      o.stop(ctx.currentTime + start + 0.32);
    };
    tone(880, 0);
    tone(660, 0.35);
    tone(880, 0.7);
    setTimeout(() => ctx.close(), 1500);
  } catch {
    /* no audio */
  }
}
