// The mains notch the automatic analysis applies (ecg/src/filters.cpp: RBJ notch, Q 25, run forward and backward
// for zero phase, and again at the second harmonic when that is below Nyquist), so the viewer can draw a tracing
// that a 50-Hz clinic wiring made hairy as the cart would have printed it.

function notch(fs, f0, q) {
  const w = (2 * Math.PI * f0) / fs;
  const c = Math.cos(w);
  const a = Math.sin(w) / (2 * q);
  const a0 = 1 + a;
  return { b0: 1 / a0, b1: (-2 * c) / a0, b2: 1 / a0, a1: (-2 * c) / a0, a2: (1 - a) / a0 };
}

/** One pass of the biquad, in place, started in the first sample's steady state (no step transient). */
function sweep(f, x, reverse) {
  const n = x.length;
  if (!n) return;
  const first = reverse ? n - 1 : 0;
  const step = reverse ? -1 : 1;
  const dc = (f.b0 + f.b1 + f.b2) / (1 + f.a1 + f.a2);
  let x1 = x[first];
  let x2 = x1;
  let y1 = x1 * dc;
  let y2 = y1;
  for (let i = first, k = 0; k < n; i += step, k++) {
    const v = x[i];
    const y = f.b0 * v + f.b1 * x1 + f.b2 * x2 - f.a1 * y1 - f.a2 * y2;
    x2 = x1; x1 = v; y2 = y1; y1 = y;
    x[i] = y;
  }
}

/** The length in samples of a whole number of mains periods (at most 50), or 0 when no such length is whole. */
function wholePeriods(rate, hz) {
  for (let k = 1; k <= 50; k++) {
    const len = (k * rate) / hz;
    if (Math.abs(len - Math.round(len)) < 1e-6) return Math.round(len);
  }
  return 0;
}

/**
 * A copy of `samples` with `hz` (and its second harmonic) removed; `rate` in Hz. A notch this narrow rings for a few
 * hundred milliseconds, which would leave the hum on the first and last beats: the record is extended by a second
 * at each end while filtering, continuing the hum in phase (whole mains periods repeated), or mirrored when the rate
 * holds no whole number of periods.
 */
export function removeMains(samples, rate, hz) {
  const n = samples.length;
  if (n < 3) return Float32Array.from(samples);
  const period = wholePeriods(rate, hz);
  const pad = Math.min(n - 1, Math.round(rate));
  const y = new Float32Array(n + 2 * pad);
  const mod = (a, m) => ((a % m) + m) % m;
  for (let j = 1; j <= pad; j++) {
    if (period && period <= n) {
      y[pad - j] = samples[mod(-j, period)];
      y[pad + n - 1 + j] = samples[n - period + mod(period - 1 + j, period)];
    } else {
      y[pad - j] = 2 * samples[0] - samples[j];
      y[pad + n - 1 + j] = 2 * samples[n - 1] - samples[n - 1 - j];
    }
  }
  y.set(samples, pad);
  for (const f0 of [hz, 2 * hz]) {
    if (f0 >= rate / 2 - 5) continue;
    const f = notch(rate, f0, 25);
    sweep(f, y, false);
    sweep(f, y, true);
  }
  return y.slice(pad, pad + n);
}
