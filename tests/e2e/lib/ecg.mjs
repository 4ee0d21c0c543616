// Variants of the pydicom 12-lead ECG (tests/data/ecg/waveform_ecg.dcm) for tests that need several ECGs of one
// patient: new study/series/instance UIDs (same length, so no element length changes), and optionally another
// sampling frequency — the same samples read at 800 Hz instead of 1000 Hz are a slower heart with longer
// intervals (HR × 0.8, PR/QRS/QT × 1.25), a real change for the serial comparison to find.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

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
