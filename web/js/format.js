// Formatting of times, durations, DICOM dates and person names for the current language.
import { t, getLang } from './i18n.js';

let clockSkewMs = 0; // server time minus browser time, learnt from response Date headers

export function learnServerTime(dateHeader) {
  const server = Date.parse(dateHeader || '');
  if (!Number.isNaN(server)) clockSkewMs = server + 500 - Date.now(); // Date has 1 s resolution
}

/** Now on the server's clock (deadlines are computed by the server). */
export const serverNow = () => Date.now() + clockSkewMs;

const pad = (n) => String(n).padStart(2, '0');

/** "3 min ago" / "3 分钟前" from an ISO time. */
export function ago(iso) {
  if (!iso) return '';
  const s = Math.max(0, Math.round((serverNow() - Date.parse(iso)) / 1000));
  if (s < 45) return t('time.just_now');
  const m = Math.round(s / 60);
  if (m < 60) return t('time.min_ago', { n: m });
  const hrs = Math.floor(m / 60);
  if (hrs < 24) return t('time.h_ago', { h: hrs, m: m % 60 });
  return t('time.d_ago', { n: Math.floor(hrs / 24) });
}

/** A signed countdown like "12:05", "1:02:05" or "-3:10" (overdue) from milliseconds. */
export function countdown(ms) {
  const neg = ms < 0;
  let s = Math.floor(Math.abs(ms) / 1000);
  const hrs = Math.floor(s / 3600);
  s -= hrs * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const body = hrs ? `${hrs}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
  return (neg ? '-' : '') + body;
}

/** A human duration from seconds: "42 s", "7 min", "2 h 5 min". */
export function duration(seconds) {
  if (seconds == null || Number.isNaN(seconds)) return '—';
  const s = Math.round(seconds);
  if (s < 60) return t('dur.s', { n: s });
  const m = Math.round(s / 60);
  if (m < 60) return t('dur.m', { n: m });
  return t('dur.hm', { h: Math.floor(m / 60), m: m % 60 });
}

/** Local date and time, "2026-11-28 14:05" (the same in both languages: what Chinese users expect). */
export function dateTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** DICOM DA "20261128" -> "2026-11-28". */
export function dicomDate(da) {
  if (!da || da.length < 8) return da || '';
  return `${da.slice(0, 4)}-${da.slice(4, 6)}-${da.slice(6, 8)}`;
}

/** DICOM TM "140512.123" -> "14:05:12". */
export function dicomTime(tm) {
  if (!tm || tm.length < 4) return tm || '';
  return `${tm.slice(0, 2)}:${tm.slice(2, 4)}${tm.length >= 6 ? ':' + tm.slice(4, 6) : ''}`;
}

/**
 * DICOM person name for display. "Zhang^San=张三" shows the ideographic form in Chinese, the alphabetic form in
 * English; "Zhang^San" -> "Zhang San" (family name first, as in Chinese).
 */
export function personName(pn) {
  if (!pn) return '';
  if (typeof pn === 'object') pn = pn.Alphabetic || pn.Ideographic || '';
  const groups = String(pn).split('=');
  const alpha = groups[0] || '';
  const ideo = groups[1] || '';
  const pick = getLang() === 'zh-CN' ? ideo || alpha : alpha || ideo;
  const parts = pick.split('^').filter(Boolean);
  if (!parts.length) return '';
  const cjk = /[\u3400-\u9fff]/.test(pick);
  return cjk ? parts.slice(0, 2).join('') : parts.join(' ');
}

/**
 * Age from a DICOM age string ("066Y", "003M", "006W", "020D") or else a birth date ("19600302") on today's date:
 * "66岁" / "66 y"; an infant's in months, or in days in its first month ("2个月", "20天"), as a Chinese report gives it.
 */
export function age(birthDate, given) {
  const m = /^(\d{1,3})([DWMY])$/.exec(given || '');
  if (m) return t({ D: 'age.days', W: 'age.weeks', M: 'age.months', Y: 'age.years' }[m[2]], { n: +m[1] });
  if (given) return given;
  if (!birthDate || birthDate.length < 8) return '';
  const b = new Date(+birthDate.slice(0, 4), +birthDate.slice(4, 6) - 1, +birthDate.slice(6, 8));
  const now = new Date();
  let years = now.getFullYear() - b.getFullYear();
  if (now < new Date(now.getFullYear(), b.getMonth(), b.getDate())) years--;
  if (years < 0 || years >= 150) return '';
  if (years >= 1) return t('age.years', { n: years });
  let months = (now.getFullYear() - b.getFullYear()) * 12 + now.getMonth() - b.getMonth();
  if (now.getDate() < b.getDate()) months--;
  if (months >= 1) return t('age.months', { n: months });
  return t('age.days', { n: Math.floor((now - b) / 86400000) });
}

export function sex(s) {
  if (s === 'M') return t('sex.M');
  if (s === 'F') return t('sex.F');
  return s ? t('sex.O') : '';
}

export function bytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GB`;
}
