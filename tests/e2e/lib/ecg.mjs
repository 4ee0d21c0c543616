// Variants of the pydicom 12-lead ECG (tests/data/ecg/waveform_ecg.dcm) for tests that need several ECGs of one
// patient: new study/series/instance UIDs (same length, so no element length changes), and optionally another
// sampling frequency — the same samples read at 800 Hz instead of 1000 Hz are a slower heart with longer
// intervals (HR × 0.8, PR/QRS/QT × 1.25), a real change for the serial comparison to find.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { element, part10 } from './dicom.mjs';
import { api, token } from './harness.mjs';

const SOURCE = join(import.meta.dirname, '../../data/ecg/waveform_ecg.dcm');
const INSTANCE_STAMP = '.20130125105919.'; // inside the SOP instance, series and media storage UIDs
const STUDY_STAMP = '.20130125082826.'; // inside the study UID
const RATE = Buffer.from([0x3a, 0x00, 0x1a, 0x00, 0x44, 0x53, 0x04, 0x00]); // (003A,001A) DS, length 4

function replaceAll(buf, from, to) {
  const a = Buffer.from(from, 'latin1');
  const b = Buffer.from(to, 'latin1');
  if (a.length !== b.length) throw new Error('replacement must keep the length');
  let n = 0;
  for (let i = buf.indexOf(a); i >= 0; i = buf.indexOf(a, i + 1)) {
    b.copy(buf, i);
    n++;
  }
  return n;
}

/** The ECG file with fresh UIDs (from a 13-digit stamp) and the sampling frequency `rate` ("1000", "800 "). */
export function ecgVariant(stamp, rate = '1000') {
  const buf = Buffer.from(readFileSync(SOURCE));
  const s = String(stamp).padStart(13, '1').slice(-13);
  if (replaceAll(buf, INSTANCE_STAMP, `.1${s}.`) !== 3) throw new Error('instance UIDs not found');
  if (replaceAll(buf, STUDY_STAMP, `.2${s}.`) !== 1) throw new Error('study UID not found');
  let groups = 0;
  for (let i = buf.indexOf(RATE); i >= 0; i = buf.indexOf(RATE, i + 1)) {
    buf.write(rate.padEnd(4, ' '), i + RATE.length, 'latin1');
    groups++;
  }
  if (!groups) throw new Error('sampling frequency not found');
  return buf;
}

// A DICOM ECG written from scratch (explicit VR little endian), for shapes the sample file does not have: several
// multiplex groups, as a cart storing 18 leads in the 12-lead IOD (13 channels a group) must write them.
const el = (group, elem, vr, value) => element(group, elem, vr, value).bytes;

/** A sequence of items, each a list of elements (already in tag order), with explicit lengths. */
function sq(group, elem, items) {
  const body = Buffer.concat(items.map((parts) => {
    const item = Buffer.concat(parts);
    const head = Buffer.alloc(8);
    head.writeUInt16LE(0xfffe, 0);
    head.writeUInt16LE(0xe000, 2);
    head.writeUInt32LE(item.length, 4);
    return Buffer.concat([head, item]);
  }));
  return el(group, elem, 'SQ', body);
}

/**
 * A DICOM ECG file: `groups` = [{label, rate, channels: [{code, meaning}], samples: [[µV per sample] per channel]}],
 * each channel at 1 µV per unit. SOP class 12-lead ECG unless `sopClass` says otherwise.
 */
export function ecgDicom(groups, { patientName = 'Qian^Zheng', patientId = 'E2E-18', studyUid, sopClass = '1.2.840.10008.5.1.4.1.1.9.1.1' } = {}) {
  const sop = `2.25.${Date.now()}${process.pid}1`;
  const waveform = sq(0x5400, 0x0100, groups.map((g) => {
    const n = g.samples[0].length;
    const data = Buffer.alloc(n * g.channels.length * 2);
    for (let k = 0; k < n; k++)
      for (let c = 0; c < g.channels.length; c++) data.writeInt16LE(Math.round(g.samples[c][k]), (k * g.channels.length + c) * 2);
    const channels = sq(0x003a, 0x0200, g.channels.map((ch) => [
      sq(0x003a, 0x0208, [[el(0x0008, 0x0100, 'SH', ch.code), el(0x0008, 0x0102, 'SH', 'MDC'), el(0x0008, 0x0104, 'LO', ch.meaning)]]),
      el(0x003a, 0x0210, 'DS', '1'),
      sq(0x003a, 0x0211, [[el(0x0008, 0x0100, 'SH', 'uV'), el(0x0008, 0x0102, 'SH', 'UCUM'), el(0x0008, 0x0104, 'LO', 'microvolt')]]),
      el(0x003a, 0x0212, 'DS', '1'),
      el(0x003a, 0x0213, 'DS', '0'),
    ]));
    return [
      el(0x003a, 0x0005, 'US', g.channels.length),
      el(0x003a, 0x0010, 'UL', n),
      el(0x003a, 0x001a, 'DS', String(g.rate)),
      el(0x003a, 0x0020, 'SH', g.label),
      channels,
      el(0x5400, 0x1004, 'US', 16),
      el(0x5400, 0x1006, 'CS', 'SS'),
      el(0x5400, 0x1010, 'OW', data),
    ];
  }));
  const ds = Buffer.concat([
    el(0x0008, 0x0005, 'CS', 'ISO_IR 192'),
    el(0x0008, 0x0016, 'UI', sopClass),
    el(0x0008, 0x0018, 'UI', sop),
    el(0x0008, 0x0020, 'DA', '20261203'),
    el(0x0008, 0x002a, 'DT', '20261203101500'),
    el(0x0008, 0x0060, 'CS', 'ECG'),
    el(0x0008, 0x0070, 'LO', 'teledx e2e'),
    el(0x0010, 0x0010, 'PN', patientName),
    el(0x0010, 0x0020, 'LO', patientId),
    el(0x0010, 0x0030, 'DA', '19580714'),
    el(0x0010, 0x0040, 'CS', 'M'),
    el(0x0020, 0x000d, 'UI', studyUid || `${sop}.1`),
    el(0x0020, 0x000e, 'UI', `${sop}.2`),
    waveform,
  ]);
  return part10(sopClass, sop, ds);
}

/** Adds a Gaussian wave of `amp` (mV) and width `sd` (s), centred at `t` (s), to the samples `sig` at `fs` Hz. */
export function gaussian(sig, fs, t, amp, sd) {
  const c = Math.round(t * fs);
  const w = Math.ceil(4 * sd * fs);
  for (let k = Math.max(0, c - w); k < Math.min(sig.length, c + w); k++) sig[k] += amp * Math.exp(-0.5 * ((k / fs - t) / sd) ** 2);
}

/** The leads `names` of `sig` ({lead: samples in mV}) as the CSV a clinic uploads. */
export function leadsCsv(sig, names, fs) {
  let csv = `# sample_rate=${fs} units=mV\n${names.join(',')}\n`;
  for (let k = 0; k < sig[names[0]].length; k++) csv += names.map((x) => sig[x][k].toFixed(4)).join(',') + '\n';
  return csv;
}

/** The task as the ECG reader sees it once `ready(task)` holds of the server's machine analysis (15 s at most). */
export async function analysedTask(id, ready) {
  let task;
  for (let i = 0; i < 75; i++) {
    task = (await api('GET', `/api/tasks/${id}`, { token: await token('ecg-reader1') })).json;
    if (task.machine_flags && ready(task)) break;
    await sleep(200);
  }
  return task;
}
