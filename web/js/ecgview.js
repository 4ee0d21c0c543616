// The ECG viewer: the standard paper grid (1 mm / 5 mm) at 25 or 50 mm/s and 5/10/20 mm/mV, layouts 3×4 with a
// lead II rhythm strip, 6×2 and 12×1 for a 12-lead ECG (an 18-lead ECG's added leads in rows below), full-width
// strips of the recorded leads for any other lead set (a two-lead Holter's MLII and V1), a calibration pulse, zoom,
// a caliper for time and amplitude, and paging through recordings longer than one 10-s page (ecgnav.js).
// The automatic measurements and statements (the task's machine flags) are listed under the tracing.
import { h, clear } from './dom.js';
import { t, tOr, machineText, getLang } from './i18n.js';
import { errorText } from './api.js';
import { loadEcg, standardLeads, hasTwelveLeads, deviceStatements, measurementDifference } from './ecgdata.js';
import { createEcgNav } from './ecgnav.js';
import { removeMains } from './ecgfilter.js';

const LAYOUTS = {
  '3x4': { cols: [['I', 'II', 'III'], ['aVR', 'aVL', 'aVF'], ['V1', 'V2', 'V3'], ['V4', 'V5', 'V6']], rhythm: 'II' },
  '6x2': { cols: [['I', 'II', 'III', 'aVR', 'aVL', 'aVF'], ['V1', 'V2', 'V3', 'V4', 'V5', 'V6']], rhythm: null },
  '12x1': { cols: [['I', 'II', 'III', 'aVR', 'aVL', 'aVF', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6']], rhythm: null },
};
/**
 * The leads recorded beyond the twelve, one group per family: right-sided (V2R-V6R), posterior (V7-V9), any other.
 * An 18-lead ECG adds V3R-V5R and V7-V9, where right ventricular and posterior infarction show.
 */
function additionalLeadGroups(names) {
  const standard = new Set(LAYOUTS['12x1'].cols[0]);
  const groups = [[], [], []];
  for (const n of names)
    if (!standard.has(n)) groups[/^V[2-6]R$/.test(n) ? 0 : /^V[7-9]$/.test(n) ? 1 : 2].push(n);
  return groups.filter((g) => g.length);
}

/**
 * A paper layout with the additional leads below the standard ones, as the printed page has them: in 3×4 rows of
 * four, each family on its own row; in 6×2 one family per column; in 12×1 one row each. Empty cells are null.
 */
function layoutWith(key, names) {
  const base = LAYOUTS[key];
  const extra = additionalLeadGroups(names);
  if (!extra.length) return base;
  const cols = base.cols.map((c) => c.slice());
  if (key === '3x4') {
    for (const g of extra)
      for (let i = 0; i < g.length; i += 4) cols.forEach((c, ci) => c.push(g[i + ci] ?? null));
  } else if (key === '6x2') {
    const all = extra.flat();
    const two = extra.length <= 2 ? [extra[0], extra[1] || []] : [all.slice(0, Math.ceil(all.length / 2)), all.slice(Math.ceil(all.length / 2))];
    for (let r = 0; r < Math.max(two[0].length, two[1].length); r++) cols.forEach((c, ci) => c.push(two[ci][r] ?? null));
  } else {
    cols[0].push(...extra.flat());
  }
  return { cols, rhythm: base.rhythm };
}
const MARGIN_MM = 12; // left margin: lead labels and the calibration pulse
const PAGE_S = 10; // one page of paper: what the layouts show at a time

// The automatic analysis as a reader reads it: the interval measurements with units (and the recording device's
// own beside them; qtc_ms is only the device's, by its own formula), then the machine's
// statements (rhythm, critical, signal quality) by name, ST deviation at J+60 per lead, and the beat counts.
// Statements keep their own text as a tooltip; codes without a translation show that text.
const MEASUREMENTS = [
  ['heart_rate_bpm', 'bpm'], ['rr_ms', 'ms'], ['pr_ms', 'ms'], ['p_duration_ms', 'ms'], ['qrs_ms', 'ms'], ['qt_ms', 'ms'],
  ['qtc_bazett_ms', 'ms'], ['qtc_fridericia_ms', 'ms'], ['qtc_ms', 'ms'], ['p_axis_deg', 'deg'], ['qrs_axis_deg', 'deg'], ['t_axis_deg', 'deg'],
  ['rv5_uv', 'mv'], ['sv1_uv', 'mv'], ['rv5_plus_sv1_uv', 'mv'],
];
const ST_LEADS = ['I', 'II', 'III', 'aVR', 'aVL', 'aVF', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6'];

// How far the cart's value may stand from ours before the reader is pointed at it (about twice the spread between
// two sound programs on one ECG): past it, one of the two measured something else, worth a look with the caliper.
const DEVICE_TOLERANCE = {
  heart_rate_bpm: 5, rr_ms: 60, pr_ms: 20, p_duration_ms: 20, qrs_ms: 20, qt_ms: 30, p_axis_deg: 30, qrs_axis_deg: 30,
  t_axis_deg: 30, rv5_uv: 200, sv1_uv: 200, rv5_plus_sv1_uv: 300,
};

/**
 * Where our value `v` stands against the normal range the statements judged it by (the analysis's normal_ranges:
 * a child's by its age): 'low', 'high' or null. A neonate's QRS axis range runs past 180° (+190°), which the axis,
 * kept in (-180°, 180°], reads as -170°.
 */
function outOfRange(key, v, range) {
  if (v == null || !range) return null;
  const x = key.endsWith('_deg') && v < range.low && v + 360 <= range.high ? v + 360 : v;
  return x < range.low ? 'low' : x > range.high ? 'high' : null;
}

/** The measurement rows: ours, and beside them the recording device's own where the file carried them. */
function measurementTable(m, cart, ranges = {}) {
  // The cart gives RV5 and SV1 (Philips per lead); their sum is set beside ours as the report gives it.
  const device = cart.rv5_uv != null && cart.sv1_uv != null ? { ...cart, rv5_plus_sv1_uv: cart.rv5_uv + cart.sv1_uv } : cart;
  const withDevice = Object.keys(device).length > 0;
  const rows = MEASUREMENTS.filter(([k]) => m[k] != null || device[k] != null);
  if (!rows.length) return h('p.muted', t('ecg.no_measurements'));
  // Amplitudes in mV as a Chinese report writes them (µV in the analysis).
  const shown = (v, unit) => (v == null ? '—' : unit === 'mv' ? (v / 1000).toFixed(2) : String(Math.round(v)));
  return h('table.ecg-measurements',
    withDevice ? h('thead', h('tr', h('th'), h('th.num', t('ecgm.ours')), h('th.num', t('ecgm.device')), h('th'))) : null,
    h('tbody', rows.map(([k, unit]) => {
      const d = device[k];
      const apart = measurementDifference(k, d, m[k]);
      const differs = apart != null && Math.abs(apart) > (DEVICE_TOLERANCE[k] ?? Infinity);
      // Ours outside the range of the patient's age: an arrow, and the range on hover.
      const range = ranges[k];
      const out = outOfRange(k, m[k], range);
      const limits = range ? t('ecgm.normal_range', { low: range.low, high: range.high, unit: t('ecgm.unit.' + unit),
        age: range.age ? t('ecgm.normal_range_age', { age: getLang() === 'zh-CN' ? range.age : range.age_en }) : '' }) : null;
      return h('tr', { 'data-key': k },
        h('th', t('ecgm.' + k)), h('td.num', { class: out ? 'out-of-range ' + out : null, 'data-range': out, title: limits },
          shown(m[k], unit) + (out === 'low' ? ' ↓' : out === 'high' ? ' ↑' : '')),
        withDevice ? h('td.num.device', { class: differs ? 'differs' : null,
          title: differs ? t('ecgm.device_differs') : null }, shown(d, unit)) : null,
        h('td.unit', t('ecgm.unit.' + unit)));
    })));
}

function analysisView(a) {
  if (!a || !a.measurements) return null;
  const measurements = measurementTable(a.measurements, a.device_measurements || {}, a.normal_ranges || {});
  const statementList = (key, list) => (list && list.length
    ? h('tr', { 'data-key': key }, h('th', t('ecgm.' + key)), h('td', list.map((x) => h('span.chip.ecg-statement',
      { title: machineText(x) || x.code, class: 'sev-' + (x.severity || 'info') },
      tOr('ecgflag.code.' + x.code, machineText(x) || x.code) + (x.lead ? ` (${x.lead})` : '')))))
    : null);
  const st = a.st_j60_uv || {};
  // The standard twelve in order, then any other lead measured (V3R-V5R, V7-V9 of an 18-lead ECG).
  const stLeads = ST_LEADS.filter((l) => st[l] != null).concat(Object.keys(st).filter((l) => !ST_LEADS.includes(l)));
  const beats = a.beats || {};
  return h('div.ecg-analysis-body',
    measurements,
    h('table.ecg-statements', h('tbody',
      statementList('critical', a.critical), statementList('rhythm', a.rhythm), statementList('quality', a.quality),
      beats.count != null ? h('tr', { 'data-key': 'beats' }, h('th', t('ecgm.beats')),
        h('td', t('ecgm.beats_text', { n: beats.count, normal: beats.normal || 0, v: beats.ventricular || 0 }))) : null)),
    stLeads.length ? h('div.ecg-st', h('div.sub', t('ecgm.st_j60')), h('table.ecg-st-table',
      h('tr', stLeads.map((l) => h('th', l))),
      h('tr', stLeads.map((l) => {
        const mv = st[l] / 1000;
        return h('td.num', { class: Math.abs(mv) >= 0.1 ? 'st-dev' : null }, (mv > 0 ? '+' : '') + mv.toFixed(2));
      })))) : null,
    h('div.sub.ecg-tech', t('ecgm.tech', { hz: a.sample_rate_hz, s: (a.duration_s || 0).toFixed(1),
      mains: a.mains_removed_hz ? t('ecgm.mains', { hz: a.mains_removed_hz }) : '' })));
}

/**
 * The times (s) of the machine's ventricular beats: from its beat list, or for a record too long for that list
 * (over 2,000 beats), from the times it keeps of those beats alone. Empty when the task has neither.
 */
function ventricularTimes(task) {
  const beats = task && task.machine_flags && task.machine_flags.beats;
  if (!beats) return [];
  if (beats.list) return beats.list.filter((b) => b && b.type === 'V').map((b) => b.t_s);
  return beats.ventricular_t_s || [];
}

/** createEcgViewer(host, {studyUid, task, id, analysis}): `id` prefixes the element ids (a prior ECG shown beside
 * the current one uses 'ecg-prior'); `analysis: false` leaves out the measurement list (the comparison shows it). */
export function createEcgViewer(host, { studyUid, task, id = 'ecg', analysis: withAnalysis = true }) {
  // zoom 0 = fit the width; t0: page start (s); filter: 'mains' draws the leads with the mains hum the analysis found
  // removed (as a cart prints them), 'raw' as stored.
  const mainsHz = (task && task.machine_flags && task.machine_flags.mains_removed_hz) || 0;
  const view = { layout: '3x4', speed: 25, gain: 10, zoom: 0, t0: 0, filter: mainsHz ? 'mains' : 'raw' };
  let ecg = null;
  let leads = [];
  let filtered = null; // the leads with the mains removed, made on first use
  let nav = null; // paging, for a recording longer than a page
  let caliper = null; // {x0, y0, x1, y1} in mm
  let geom = null; // {pxmm, widthMm, heightMm}
  const canvas = h('canvas.ecg-canvas', { id: `${id}-canvas` });
  const scroller = h('div.ecg-scroll', canvas);
  const readout = h('span.ecg-readout', { id: `${id}-readout` });
  const message = h('div.ecg-message');
  const segs = {};
  const setSeg = (key, v) => {
    view[key] = v;
    for (const b of segs[key].children) b.classList.toggle('on', b.dataset.v === String(v));
  };
  const seg = (key, options, label) => (segs[key] = h('div.seg', { title: label, 'data-seg': key }, options.map(([v, text]) =>
    h('button' + (view[key] === v ? '.on' : ''), { type: 'button', 'data-v': String(v), onclick: () => {
      setSeg(key, v);
      draw();
    } }, text))));
  const toolbar = h('div.ecg-toolbar',
    seg('layout', [['3x4', '3×4+II'], ['6x2', '6×2'], ['12x1', '12×1'], ['strips', t('ecg.strips')]], t('ecg.layout')),
    seg('speed', [[25, '25 mm/s'], [50, '50 mm/s']], t('ecg.speed')),
    seg('gain', [[5, '5 mm/mV'], [10, '10 mm/mV'], [20, '20 mm/mV']], t('ecg.gain')),
    mainsHz ? seg('filter', [['mains', t('ecg.filter_mains', { hz: mainsHz })], ['raw', t('ecg.filter_raw')]], t('ecg.filter')) : null,
    h('div.seg', h('button', { type: 'button', onclick: () => zoom(1 / 1.25) }, '−'),
      h('button', { type: 'button', onclick: () => { view.zoom = 0; draw(); } }, t('viewer.fit')),
      h('button', { type: 'button', onclick: () => zoom(1.25) }, '+')),
    readout);
  const analysis = h('div.ecg-analysis', { hidden: !withAnalysis });
  const navHost = h('div.ecg-nav-host');
  const root = h('div.ecg-viewer', { id: `${id}-viewer` }, toolbar, navHost, scroller, message, analysis);
  host.append(root);

  function zoom(k) {
    if (!geom) return;
    view.zoom = Math.min(12, Math.max(1.5, geom.pxmm * k));
    draw();
  }

  function layoutRows() {
    // Strips: every recorded lead across the whole page, in the file's order and under its own name.
    const L = view.layout === 'strips' ? { cols: [leads.map((l) => l.name)], rhythm: null } : layoutWith(view.layout, leads.map((l) => l.name));
    const rowMm = view.layout === '12x1' ? Math.max(12, view.gain * 1.6) : Math.max(18, view.gain * 2.5);
    const rows = Math.max(...L.cols.map((c) => c.length)) + (L.rhythm ? 1 : 0);
    return { L, rowMm, rows };
  }

  function draw() {
    if (!ecg) return;
    const { L, rowMm, rows } = layoutRows();
    const seconds = Math.min(ecg.seconds, PAGE_S);
    const t0 = view.t0;
    const widthMm = MARGIN_MM + seconds * view.speed;
    const heightMm = rows * rowMm + 4;
    const avail = Math.max(300, scroller.clientWidth - 4);
    const pxmm = view.zoom || Math.max(1.5, avail / widthMm);
    geom = { pxmm, widthMm, heightMm };
    const dpr = window.devicePixelRatio || 1;
    canvas.style.width = `${widthMm * pxmm}px`;
    canvas.style.height = `${heightMm * pxmm}px`;
    canvas.width = Math.round(widthMm * pxmm * dpr);
    canvas.height = Math.round(heightMm * pxmm * dpr);
    const ctx = canvas.getContext('2d');
    ctx.setTransform(dpr * pxmm, 0, 0, dpr * pxmm, 0, 0); // drawing units: millimetres
    ctx.fillStyle = '#fffdfd';
    ctx.fillRect(0, 0, widthMm, heightMm);
    grid(ctx, widthMm, heightMm, pxmm);
    if (view.filter === 'mains' && !filtered)
      filtered = leads.map((l) => ({ ...l, samples: removeMains(l.samples, ecg.rate, mainsHz) }));
    const byName = Object.fromEntries((view.filter === 'mains' ? filtered : leads).map((l) => [l.name, l.samples]));
    const off = new Set(ecg.leads.filter((l) => l.disconnected).map((l) => l.name));
    const colSec = seconds / L.cols.length;
    ctx.lineJoin = 'round';
    L.cols.forEach((col, ci) => col.forEach((name, ri) => {
      if (!name) return; // an empty cell after a short row of additional leads
      const base = ri * rowMm + rowMm / 2 + 2;
      const x0 = MARGIN_MM + ci * colSec * view.speed;
      if (off.has(name)) label(ctx, `${name}  ${t('ecg.unconnected')}`, x0 + 1, base - rowMm / 2 + 3.5);
      else {
        trace(ctx, byName[name], t0 + ci * colSec, colSec, x0, base);
        label(ctx, name, x0 + 1, base - rowMm / 2 + 3.5);
      }
      if (ci > 0) separator(ctx, x0, base);
    }));
    for (let r = 0; r < rows; r++) pulse(ctx, r * rowMm + rowMm / 2 + 2);
    if (L.rhythm && byName[L.rhythm]) {
      const base = (rows - 1) * rowMm + rowMm / 2 + 2;
      trace(ctx, byName[L.rhythm], t0, seconds, MARGIN_MM, base);
      label(ctx, L.rhythm, MARGIN_MM + 1, base - rowMm / 2 + 3.5);
    }
    pvcMarks(ctx, t0, seconds);
    if (caliper) drawCaliper(ctx);
    // What is on the paper, for tests and for whoever reads the page's markup.
    root.dataset.layout = view.layout;
    root.dataset.leads = L.cols.flat().concat(L.rhythm && byName[L.rhythm] ? [L.rhythm] : []).filter((n) => byName[n]).join(',');
    root.dataset.t0 = t0.toFixed(2);
    root.dataset.filter = view.filter === 'mains' ? `mains-${mainsHz}` : 'raw';
    root.dataset.unconnected = [...off].join(',');
    root.dataset.ready = '1';
  }

  /** The machine's ventricular beats on this page, a small red V above the top row. */
  function pvcMarks(ctx, t0, seconds) {
    ctx.fillStyle = '#c0262d';
    ctx.font = 'bold 2.6px system-ui, sans-serif';
    ctx.textAlign = 'center';
    for (const s of ventricularTimes(task))
      if (s >= t0 && s < t0 + seconds) ctx.fillText('V', MARGIN_MM + (s - t0) * view.speed, 2.4);
    ctx.textAlign = 'start';
  }

  function grid(ctx, w, hgt, pxmm) {
    const line = (x0, y0, x1, y1) => { ctx.moveTo(x0, y0); ctx.lineTo(x1, y1); };
    if (pxmm >= 2.5) {
      ctx.beginPath();
      for (let x = 0; x <= w; x += 1) line(x, 0, x, hgt);
      for (let y = 0; y <= hgt; y += 1) line(0, y, w, y);
      ctx.strokeStyle = '#f7d4d4';
      ctx.lineWidth = 0.5 / pxmm;
      ctx.stroke();
    }
    ctx.beginPath();
    for (let x = 0; x <= w; x += 5) line(x, 0, x, hgt);
    for (let y = 0; y <= hgt; y += 5) line(0, y, w, y);
    ctx.strokeStyle = '#eba7a7';
    ctx.lineWidth = 1 / pxmm;
    ctx.stroke();
  }

  function trace(ctx, samples, fromSec, durSec, x0, base) {
    if (!samples) return;
    const i0 = Math.floor(fromSec * ecg.rate);
    const i1 = Math.min(samples.length, Math.floor((fromSec + durSec) * ecg.rate));
    const mmPerSample = view.speed / ecg.rate;
    ctx.beginPath();
    for (let i = i0; i < i1; i++) {
      const x = x0 + (i - i0) * mmPerSample;
      const y = base - samples[i] * view.gain;
      if (i === i0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    }
    ctx.strokeStyle = '#111';
    ctx.lineWidth = 0.25;
    ctx.stroke();
  }

  function label(ctx, text, x, y) {
    ctx.fillStyle = '#222';
    ctx.font = '3px system-ui, sans-serif';
    ctx.fillText(text, x, y);
  }

  function separator(ctx, x, base) {
    ctx.beginPath();
    ctx.moveTo(x, base - 2.5);
    ctx.lineTo(x, base + 2.5);
    ctx.strokeStyle = '#111';
    ctx.lineWidth = 0.25;
    ctx.stroke();
  }

  /** The 1 mV calibration pulse, 0.2 s wide, at the start of a row. */
  function pulse(ctx, base) {
    const w = 0.2 * view.speed;
    const x = 2;
    ctx.beginPath();
    ctx.moveTo(x - 1, base);
    ctx.lineTo(x, base);
    ctx.lineTo(x, base - view.gain);
    ctx.lineTo(x + w, base - view.gain);
    ctx.lineTo(x + w, base);
    ctx.lineTo(x + w + 1, base);
    ctx.strokeStyle = '#111';
    ctx.lineWidth = 0.25;
    ctx.stroke();
  }

  function drawCaliper(ctx) {
    const { x0, y0, x1, y1 } = caliper;
    ctx.strokeStyle = '#1d6fd6';
    ctx.lineWidth = 0.3;
    ctx.setLineDash([1, 0.6]);
    ctx.beginPath();
    ctx.moveTo(x0, 0); ctx.lineTo(x0, geom.heightMm);
    ctx.moveTo(x1, 0); ctx.lineTo(x1, geom.heightMm);
    ctx.moveTo(x0, y0); ctx.lineTo(x1, y0);
    ctx.moveTo(x1, y0); ctx.lineTo(x1, y1);
    ctx.stroke();
    ctx.setLineDash([]);
  }

  function updateReadout() {
    if (!caliper) {
      readout.textContent = t('ecg.caliper_hint');
      return;
    }
    const ms = (Math.abs(caliper.x1 - caliper.x0) / view.speed) * 1000;
    const mv = (caliper.y0 - caliper.y1) / view.gain;
    readout.textContent = t('ecg.caliper', { ms: Math.round(ms), mv: mv.toFixed(2), bpm: ms > 0 ? Math.round(60000 / ms) : '—' });
  }

  const toMm = (e) => {
    const r = canvas.getBoundingClientRect();
    return { x: (e.clientX - r.left) / geom.pxmm, y: (e.clientY - r.top) / geom.pxmm };
  };
  canvas.addEventListener('pointerdown', (e) => {
    if (!geom) return;
    canvas.setPointerCapture(e.pointerId);
    const p = toMm(e);
    caliper = { x0: p.x, y0: p.y, x1: p.x, y1: p.y, dragging: true };
    draw();
    updateReadout();
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!caliper || !caliper.dragging) return;
    const p = toMm(e);
    caliper.x1 = p.x;
    caliper.y1 = p.y;
    draw();
    updateReadout();
  });
  canvas.addEventListener('pointerup', () => { if (caliper) caliper.dragging = false; });
  const onKey = (e) => {
    if (e.key === 'Escape' && caliper) { caliper = null; draw(); updateReadout(); }
    // ←/→ page through a long recording, unless the reader is typing or a dialog is open.
    if (nav && (e.key === 'ArrowLeft' || e.key === 'ArrowRight') && !e.target.closest('input, textarea, select, [contenteditable]') &&
        !document.querySelector('.modal-back') && root.isConnected) {
      e.preventDefault();
      nav.moveTo(nav.at() + (e.key === 'ArrowRight' ? PAGE_S : -PAGE_S));
    }
  };
  document.addEventListener('keydown', onKey);
  const ro = new ResizeObserver(() => { if (!view.zoom) draw(); });
  ro.observe(scroller);

  function drawAnalysis() {
    clear(analysis);
    // The cart's own statements beside ours (a Philips or GE cart's "acute inferior MI"): the reader weighs both.
    const device = ecg ? deviceStatements(ecg.meta) : [];
    // Element.append writes a null as the text "null" (it did, under the heading, for every ECG without a cart's
    // statements): only the parts present are appended.
    analysis.append(...[h('h3', t('ecg.analysis'), h('span.chip.machine', t('ecgm.machine'))),
      device.length ? h('div.ecg-device', h('span.sub', t('ecg.device_statements')),
        h('ul.ecg-device-statements', device.map((x) => h('li', x)))) : null,
      analysisView(task && task.machine_flags) || h('p.muted', t('ecg.no_measurements'))].filter(Boolean));
  }

  (async () => {
    message.textContent = t('viewer.loading');
    try {
      ecg = await loadEcg(studyUid);
      if (!ecg) {
        message.textContent = t('ecg.no_waveform');
        return;
      }
      // A 12-lead ECG (stored or derived) in the paper layouts; any other lead set as strips of what was recorded.
      const twelve = hasTwelveLeads(ecg);
      leads = twelve ? standardLeads(ecg) : ecg.leads;
      for (const b of segs.layout.children) b.disabled = !twelve && b.dataset.v !== 'strips';
      if (!twelve) setSeg('layout', 'strips');
      if (ecg.seconds > PAGE_S + 1) {  // a 10.5-s cart ECG is one page
        nav = createEcgNav({ id, seconds: ecg.seconds, page: PAGE_S, pvcs: ventricularTimes(task),
          onMove: (at) => { view.t0 = at; caliper = null; updateReadout(); draw(); } });
        navHost.append(nav.el);
      }
      message.textContent = '';
      updateReadout();
      draw();
      drawAnalysis();  // now with the device's statements, which come with the waveform
    } catch (e) {
      message.textContent = errorText(e);
    }
  })();
  drawAnalysis();

  return {
    setTask(next) {
      task = next;
      drawAnalysis();
    },
    destroy() {
      ro.disconnect();
      document.removeEventListener('keydown', onKey);
      root.remove();
    },
  };
}
