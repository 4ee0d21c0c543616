// ECG waveforms from DICOM (12-lead ECG / general ECG waveform IODs) over DICOMweb: the multiplex group of the
// metadata describes the channels; the samples come from the WaveformData bulk data URI.
import { get, getBinary } from './api.js';
import { value, values, num, str } from './dicomjson.js';

const LEAD_NAMES = ['I', 'II', 'III', 'aVR', 'aVL', 'aVF', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6'];

/** "Lead I (Einthoven)", "Lead aVR", "MDC_ECG_LEAD_V1", "V1" ... -> the standard name, or the text itself. */
export function leadName(text) {
  const s = String(text || '').replace(/^MDC_ECG_LEAD_/i, '').replace(/^Lead\s+/i, '').replace(/\s*\(.*\)$/, '').trim();
  const hit = LEAD_NAMES.find((n) => n.toLowerCase() === s.toLowerCase());
  return hit || s;
}

function channelLabel(ch) {
  const source = value(ch, '003A0208');
  return leadName((source && str(source, '00080104')) || str(ch, '003A0203') || '');
}

/** Microvolts per unit of the channel's sensitivity unit (uV, mV, V). */
function unitScale(ch) {
  const units = value(ch, '003A0211');
  const code = units ? str(units, '00080100') : 'uV';
  if (/^mv$/i.test(code)) return 1000;
  if (/^v$/i.test(code)) return 1e6;
  return 1;
}

/**
 * The multiplex groups that make the recording, as the server's analysis reads them: groups not labelled a median
 * beat; those recorded together (the same rate, length and start, as an 18-lead ECG split over the 12-lead IOD's
 * 13-channel groups) are joined, and of groups recorded at other times the one with the most channels, then the
 * longest, is kept. With only a median beat, that.
 */
export function recordingGroups(groups) {
  const withChannels = groups.filter((g) => num(g, '003A0005', 0) >= 1);
  const rhythm = withChannels.filter((g) => !/MEDIAN|REPRESENTATIVE/i.test(str(g, '003A0020') || ''));
  if (!rhythm.length) return withChannels.slice(0, 1);
  const together = (a, b) => ['003A001A', '003A0010', '00181068'].every((tag) => num(a, tag, 0) === num(b, tag, 0));
  const size = (list) => [list.reduce((n, g) => n + num(g, '003A0005', 0), 0), num(list[0], '003A0010', 0)];
  let kept = [rhythm[0]];
  for (const g of rhythm.slice(1)) {
    if (together(kept[0], g)) kept.push(g);
    else {
      const [gc, gn] = size([g]);
      const [kc, kn] = size(kept);
      if (gc > kc || (gc === kc && gn > kn)) kept = [g];
    }
  }
  return kept;
}

/**
 * The ECG of a study: {leads: [{name, samples: Float32Array (mV), disconnected}], rate, seconds, meta}, from the
 * groups recordingGroups() picks (a lead in two joined groups is taken once). Null when the study holds no waveform.
 */
export async function loadEcg(studyUid) {
  const enc = encodeURIComponent;
  const series = await get(`/dicom-web/studies/${enc(studyUid)}/series`);
  for (const s of series) {
    const metas = await get(`/dicom-web/studies/${enc(studyUid)}/series/${enc(str(s, '0020000E'))}/metadata`);
    for (const meta of metas) {
      const groups = recordingGroups(values(meta, '54000100'));
      if (!groups.length) continue;
      const parts = await Promise.all(groups.map((g) => decodeGroup(meta, g)));
      const leads = [];
      for (const part of parts)
        for (const l of part.leads) if (!leads.some((x) => x.name === l.name)) leads.push(l);
      return { ...parts[0], leads };
    }
  }
  return null;
}

async function decodeGroup(meta, group) {
  const channels = num(group, '003A0005', 0);
  const samples = num(group, '003A0010', 0);
  const rate = num(group, '003A001A', 500);
  const bits = num(group, '54001004', 16);
  const interp = str(group, '54001006') || 'SS';
  const data = group['54001010'];
  let bytes;
  if (data && data.BulkDataURI) {
    const url = new URL(data.BulkDataURI, location.href);
    bytes = (await getBinary(url.pathname, { accept: 'application/octet-stream' })).bytes;
  } else if (data && data.InlineBinary) {
    bytes = Uint8Array.from(atob(data.InlineBinary), (c) => c.charCodeAt(0));
  } else {
    throw new Error('The waveform has no data.');
  }
  const buf = bytes.byteOffset % 4 ? bytes.slice() : bytes;
  const n = channels * samples;
  let raw;
  if (bits === 16) raw = interp === 'US' ? new Uint16Array(buf.buffer, buf.byteOffset, n) : new Int16Array(buf.buffer, buf.byteOffset, n);
  else if (bits === 8) raw = interp === 'UB' ? new Uint8Array(buf.buffer, buf.byteOffset, n) : new Int8Array(buf.buffer, buf.byteOffset, n);
  else if (bits === 32) raw = new Int32Array(buf.buffer, buf.byteOffset, n);
  else throw new Error(`Waveform bits allocated ${bits} is not supported.`);
  const defs = values(group, '003A0200');
  const leads = [];
  for (let c = 0; c < channels; c++) {
    const ch = defs[c] || {};
    const sens = num(ch, '003A0210', 1) * num(ch, '003A0212', 1) * unitScale(ch) / 1000; // -> mV per unit
    const baseline = num(ch, '003A0213', 0);
    const out = new Float32Array(samples);
    for (let i = 0; i < samples; i++) out[i] = (raw[i * channels + c] + baseline) * sens;
    // Channel Status DISCONNECTED: the electrode was off (a cart's unconnected chest leads); flat, and said so.
    const disconnected = values(ch, '003A0205').some((v) => /DISCONNECTED/i.test(String(v)));
    leads.push({ name: channelLabel(ch) || `#${c + 1}`, samples: out, disconnected });
  }
  return { leads, rate, seconds: samples / rate, meta };
}

/**
 * The acquiring device's own interpretation: the statements it wrote as waveform annotations (0040,B020) with an
 * Unformatted Text Value (0070,0006); its measurements carry numeric values instead and are left out. Empty when none.
 */
export function deviceStatements(meta) {
  return values(meta || {}, '0040B020').map((a) => str(a, '00700006')).filter((x) => x && x.trim());
}

/**
 * `now` minus `before` for one of the analysis' measurements, axes wrapping around (170° and -170° are 20° apart);
 * null when either is missing. The serial comparison and the device column both judge differences by it.
 */
export function measurementDifference(key, now, before) {
  if (now == null || before == null) return null;
  const d = now - before;
  return key.endsWith('_axis_deg') ? ((((d + 180) % 360) + 360) % 360) - 180 : d;
}

/** True when the twelve standard leads are there, stored or computable from I and II (8-lead storage). */
export function hasTwelveLeads(ecg) {
  const by = new Set(ecg.leads.map((l) => l.name));
  const limbs = ['I', 'II', 'III', 'aVR', 'aVL', 'aVF'].every((n) => by.has(n)) || (by.has('I') && by.has('II'));
  return limbs && ['V1', 'V2', 'V3', 'V4', 'V5', 'V6'].every((n) => by.has(n));
}

/**
 * The twelve standard leads in display order (missing ones computed from I and II when possible), then any other
 * lead recorded (an 18-lead ECG's V3R-V5R and V7-V9) in the file's order.
 */
export function standardLeads(ecg) {
  const by = Object.fromEntries(ecg.leads.map((l) => [l.name, l.samples]));
  const I = by.I;
  const II = by.II;
  if (I && II) {
    const n = Math.min(I.length, II.length);
    const derive = (f) => Float32Array.from({ length: n }, (_, i) => f(I[i], II[i]));
    by.III ||= derive((a, b) => b - a);
    by.aVR ||= derive((a, b) => -(a + b) / 2);
    by.aVL ||= derive((a, b) => a - b / 2);
    by.aVF ||= derive((a, b) => b - a / 2);
  }
  const list = LEAD_NAMES.filter((n) => by[n]).map((n) => ({ name: n, samples: by[n] }));
  return list.length ? list.concat(ecg.leads.filter((l) => !LEAD_NAMES.includes(l.name))) : ecg.leads;
}
