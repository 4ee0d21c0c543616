// Language: zh-CN by default, English on request; every visible string comes from the table in strings.js.
import { STRINGS as BASE } from './strings.js';
import { WORKFLOW_STRINGS } from './strings2.js';

const STRINGS = { ...BASE, ...WORKFLOW_STRINGS };

const LANGS = ['zh-CN', 'en'];
const KEY = 'teledx.lang';
let lang = LANGS.includes(localStorage.getItem(KEY)) ? localStorage.getItem(KEY) : 'zh-CN';
const listeners = new Set();
const missing = new Set();

export const getLang = () => lang;
export const languages = () => LANGS;

export function setLang(next) {
  if (!LANGS.includes(next) || next === lang) return;
  lang = next;
  localStorage.setItem(KEY, next);
  document.documentElement.lang = next;
  for (const fn of listeners) fn(next);
}

export function onLangChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** t('key', {name: 'x'}) -> the string for the current language with {name} filled in; English is the fallback. */
export function t(key, params) {
  const row = STRINGS[key];
  let s;
  if (row) s = (lang === 'zh-CN' ? row[0] : row[1]) || row[1] || row[0];
  else {
    if (!missing.has(key)) {
      missing.add(key);
      console.warn('i18n: no string for', key);
    }
    s = key;
  }
  if (params) s = s.replace(/\{(\w+)\}/g, (m, k) => (params[k] != null ? String(params[k]) : m));
  return s;
}

/** A string if the key exists, else the fallback (for values that come from the server, like categories). */
export function tOr(key, fallback) {
  const row = STRINGS[key];
  if (!row) return fallback;
  return (lang === 'zh-CN' ? row[0] : row[1]) || row[1] || fallback;
}

/**
 * A machine statement's sentence in the user's language, without the "unconfirmed machine flag" opening (the page
 * says so where it shows one). The ECG analysis gives `text` in English and `text_zh` in Chinese; an analysis stored
 * before it gave Chinese has the English only.
 */
export function machineText(x) {
  if (!x) return '';
  const said = (lang === 'zh-CN' && x.text_zh) || x.text || '';
  return said.replace(/^Machine flag \(unconfirmed\):\s*/, '').replace(/^机器提示（未经确认）：/, '');
}

/** Server names often carry both languages ("影像诊断中心 Imaging Reading Center"): show the matching half. */
export function bilingual(name) {
  if (!name) return '';
  const cjk = /[\u3400-\u9fff]/g;
  let last = -1;
  for (const m of name.matchAll(cjk)) last = m.index;
  if (last < 0) return name;
  const rest = name.slice(last + 1);
  const sp = rest.search(/\s+[A-Za-z0-9]/);
  if (sp < 0) return name;
  let zh = name.slice(0, last + 1 + sp).trim();
  const en = rest.slice(sp).trim();
  // "技师 Technician 1": keep the number the Chinese half lacks (but not after 一, 二... already there).
  const n = /\s(\d+)$/.exec(en);
  if (n && !/[\d一二三四五六七八九十]$/.test(zh)) zh += ' ' + n[1];
  return lang === 'zh-CN' ? zh : en;
}

document.documentElement.lang = lang;
