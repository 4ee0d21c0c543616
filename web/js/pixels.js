// Pixel data to screen: decodes a WADO-RS frame (native 8/16-bit grey or colour, or JPEG baseline through the
// browser) into stored values plus the rescale that makes them modality values, and renders them with a VOI window
// into RGBA for a canvas. Grey frames keep their integer stored values (a view on the fetched bytes when no
// masking is needed) instead of a Float32 copy: half the memory per cached CT slice, no decoding pass beyond the
// min/max scan, and windowing becomes one lookup-table read per pixel.
import { num, nums, str } from './dicomjson.js';

const NATIVE = new Set(['', '1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.1.99', '1.2.840.10008.1.2.2']);
const BROWSER_JPEG = new Set(['1.2.840.10008.1.2.4.50', '1.2.840.10008.1.2.4.51']);

export class UnsupportedFrame extends Error {
  constructor(transferSyntax) {
    super('unsupported transfer syntax ' + transferSyntax);
    this.transferSyntax = transferSyntax;
  }
}

/** What the metadata says about an instance's pixels. */
export function pixelInfo(meta) {
  const photometric = str(meta, '00280004') || 'MONOCHROME2';
  const wc = nums(meta, '00281050');
  const ww = nums(meta, '00281051');
  const spacing = nums(meta, '00280030');
  const imagerSpacing = nums(meta, '00181164');
  return {
    rows: num(meta, '00280010', 0),
    columns: num(meta, '00280011', 0),
    bitsAllocated: num(meta, '00280100', 16),
    bitsStored: num(meta, '00280101', num(meta, '00280100', 16)),
    signed: num(meta, '00280103', 0) === 1,
    samples: num(meta, '00280002', 1),
    planar: num(meta, '00280006', 0),
    photometric,
    slope: num(meta, '00281053', 1) || 1,
    intercept: num(meta, '00281052', 0),
    frames: Math.max(1, num(meta, '00280008', 1)),
    windowCenter: wc.length ? wc[0] : undefined,
    windowWidth: ww.length && ww[0] > 0 ? ww[0] : undefined,
    spacing: spacing.length === 2 ? spacing : imagerSpacing.length === 2 ? imagerSpacing : null,
    spacingKind: spacing.length === 2 ? 'patient' : imagerSpacing.length === 2 ? 'detector' : 'none',
    modality: str(meta, '00080060'),
    frameTimeMs: num(meta, '00181063', 0),
  };
}

/**
 * Decodes one frame. Returns {width, height, stored, slope, intercept, lo, hi, min, max, rgb, info}: for grey frames
 * `stored` holds integer stored values (masked and sign-extended), modality value = stored * slope + intercept,
 * lo..hi is the stored range and min..max the modality range; colour frames have `rgb` (RGBA) and stored null.
 */
export async function decodeFrame(bytes, transferSyntax, info) {
  if (BROWSER_JPEG.has(transferSyntax)) return decodeJpeg(bytes, info);
  if (!NATIVE.has(transferSyntax)) throw new UnsupportedFrame(transferSyntax);
  const { rows, columns, samples } = info;
  const n = rows * columns;
  if (samples === 3) return decodeNativeColour(bytes, info);
  let raw;
  if (info.bitsAllocated === 8) raw = bytes.subarray(0, n);
  else if (info.bitsAllocated === 16) {
    const buf = bytes.byteOffset % 2 ? bytes.slice() : bytes; // typed arrays need alignment
    raw = info.signed ? new Int16Array(buf.buffer, buf.byteOffset, n) : new Uint16Array(buf.buffer, buf.byteOffset, n);
  } else if (info.bitsAllocated === 32) {
    const buf = bytes.byteOffset % 4 ? bytes.slice() : bytes;
    raw = info.signed ? new Int32Array(buf.buffer, buf.byteOffset, n) : new Uint32Array(buf.buffer, buf.byteOffset, n);
  } else throw new UnsupportedFrame('bits allocated ' + info.bitsAllocated);
  if (raw.length < n) throw new Error(`frame too short: ${raw.length} of ${n} pixels`);
  const stored = info.bitsStored;
  let values = raw;
  if (stored < info.bitsAllocated && info.bitsAllocated <= 16) {
    // Bits above BitsStored may carry overlays or garbage: mask, then sign-extend.
    values = info.signed ? new Int16Array(n) : new Uint16Array(n);
    const mask = (1 << stored) - 1;
    const signBit = 1 << (stored - 1);
    for (let i = 0; i < n; i++) {
      let v = raw[i] & mask;
      if (info.signed && v & signBit) v -= mask + 1;
      values[i] = v;
    }
  }
  return greyImage(columns, rows, values, info.slope, info.intercept, info);
}

/** A grey image over integer stored values; finds their range (one pass, no allocation). */
function greyImage(width, height, stored, slope, intercept, info, extra) {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < stored.length; i++) {
    const v = stored[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo > hi) lo = hi = 0;
  const a = lo * slope + intercept;
  const b = hi * slope + intercept;
  return { width, height, stored, slope, intercept, lo, hi, min: Math.min(a, b), max: Math.max(a, b), rgb: null, info, ...extra };
}

/** The red channel of RGBA bytes (a browser-decoded grey JPEG or PNG) as 8-bit stored values. */
function redChannel(rgba, n, flip) {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = flip ? 255 - rgba[4 * i] : rgba[4 * i];
  return out;
}

function decodeNativeColour(bytes, info) {
  const n = info.rows * info.columns;
  const rgb = new Uint8ClampedArray(n * 4);
  const ybr = info.photometric.startsWith('YBR');
  for (let i = 0; i < n; i++) {
    let r;
    let g;
    let b;
    if (info.planar === 1) {
      r = bytes[i];
      g = bytes[i + n];
      b = bytes[i + 2 * n];
    } else {
      r = bytes[3 * i];
      g = bytes[3 * i + 1];
      b = bytes[3 * i + 2];
    }
    if (ybr) {
      const y = r;
      const cb = g - 128;
      const cr = b - 128;
      r = y + 1.402 * cr;
      g = y - 0.344136 * cb - 0.714136 * cr;
      b = y + 1.772 * cb;
    }
    rgb[4 * i] = r;
    rgb[4 * i + 1] = g;
    rgb[4 * i + 2] = b;
    rgb[4 * i + 3] = 255;
  }
  return { width: info.columns, height: info.rows, stored: null, rgb, min: 0, max: 255, info };
}

async function decodeJpeg(bytes, info) {
  const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/jpeg' }));
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(bitmap, 0, 0);
  const data = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
  bitmap.close();
  if (info.samples === 3) return { width: canvas.width, height: canvas.height, stored: null, rgb: data, min: 0, max: 255, info };
  const n = canvas.width * canvas.height;
  return greyImage(canvas.width, canvas.height, redChannel(data, n, false), info.slope, info.intercept, info);
}

/**
 * The modality-value range a server-rendered frame spans: the file's window, else everything the stored bits can
 * hold. Window/level then works inside that range (8 bits of it); values outside it are clipped.
 */
export function renderedRange(info) {
  if (info.windowWidth) return { lo: info.windowCenter - info.windowWidth / 2, hi: info.windowCenter + info.windowWidth / 2 };
  const bits = Math.min(info.bitsStored || 16, 16);
  const a = info.signed ? -(2 ** (bits - 1)) : 0;
  const b = info.signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
  const x = a * info.slope + info.intercept;
  const y = b * info.slope + info.intercept;
  return { lo: Math.min(x, y), hi: Math.max(x, y) };
}

/** A PNG rendered by the server (grey: over `range` with linear-exact, so byte v is lo + v/255 * (hi - lo)). */
export async function decodeRendered(bytes, info, range) {
  const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(bitmap, 0, 0);
  const data = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
  bitmap.close();
  const base = { width: canvas.width, height: canvas.height, info, serverRendered: true };
  if (info.samples === 3 || info.photometric === 'PALETTE COLOR') return { ...base, stored: null, rgb: data, min: 0, max: 255 };
  const n = canvas.width * canvas.height;
  // The server already inverted MONOCHROME1; undo it so the viewer's own inversion stays the only one.
  const values = redChannel(data, n, info.photometric === 'MONOCHROME1');
  return greyImage(canvas.width, canvas.height, values, (range.hi - range.lo) / 255, range.lo, info, { serverRendered: true });
}

/** The window the file suggests, else one that spans the image's values. */
export function defaultWindow(img) {
  const { info } = img;
  if (img.rgb) return { center: 127.5, width: 256 };
  if (info.windowWidth) return { center: info.windowCenter, width: info.windowWidth };
  // Skip the extremes (padding values outside the scan circle, hot pixels) with a coarse histogram.
  const { stored, slope, intercept, min, max } = img;
  if (max <= min) return { center: min, width: 1 };
  const bins = new Uint32Array(256);
  const scale = 255 / (max - min);
  const step = Math.max(1, Math.floor(stored.length / 65536));
  let total = 0;
  for (let i = 0; i < stored.length; i += step) {
    bins[Math.floor((stored[i] * slope + intercept - min) * scale)]++;
    total++;
  }
  let lo = 0;
  let hi = 255;
  for (let acc = 0; lo < 255 && (acc += bins[lo]) < total * 0.005; ) lo++;
  for (let acc = 0; hi > 0 && (acc += bins[hi]) < total * 0.005; ) hi--;
  const a = min + lo / scale;
  const b = min + (hi + 1) / scale;
  return { center: (a + b) / 2, width: Math.max(1, b - a) };
}

const LUT_MAX = 1 << 20; // stored-value ranges wider than this (32-bit data) are windowed pixel by pixel
const OPAQUE = 0xff000000; // RGBA little-endian as one Uint32: alpha in the top byte
const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * A window/level lookup table over stored values: stored value v -> one opaque grey RGBA pixel as a Uint32.
 * Building it costs one evaluation per possible value (4,096 for 12-bit CT) instead of one per pixel (262,144
 * for 512x512), and the per-pixel loop becomes a single read and store. `cache` keeps the last table: slices
 * of a series usually share rescale and range, so scrolling reuses it.
 */
function windowLut(img, center, width, flip, cache) {
  const { lo, hi, slope, intercept } = img;
  const c = cache && cache.lut;
  if (c && c.slope === slope && c.intercept === intercept && c.center === center && c.width === width && c.flip === flip &&
      c.lo <= lo && c.hi >= hi) return c;
  // Cover the union with the previous table's range, so slices with slightly different ranges share one table.
  const from = c && c.slope === slope && c.intercept === intercept ? Math.min(lo, c.lo) : lo;
  const to = c && c.slope === slope && c.intercept === intercept ? Math.max(hi, c.hi) : hi;
  const table = new Uint32Array(to - from + 1);
  // PS3.3 C.11.2.1.2 linear VOI function.
  const cc = center - 0.5;
  const w = Math.max(1, width - 1);
  const k = 255 / w;
  const base = (w / 2 - cc) * k;
  for (let v = from; v <= to; v++) {
    let y = (v * slope + intercept) * k + base;
    y = y < 0 ? 0 : y > 255 ? 255 : Math.round(y);
    if (flip) y = 255 - y;
    table[v - from] = OPAQUE | (y << 16) | (y << 8) | y;
  }
  const lut = { table, lo: from, hi: to, slope, intercept, center, width, flip };
  if (cache) cache.lut = lut;
  return lut;
}

/**
 * Renders into `out` (ImageData of the image's size) with the VOI window; MONOCHROME1 and invert flip it.
 * `cache` (any object kept by the caller) holds the last lookup table between calls.
 */
export function renderInto(out, img, center, width, invert, cache) {
  const dst = out.data;
  if (img.rgb) {
    const src = img.rgb;
    if (!invert && center === 127.5 && width === 256) {
      dst.set(src); // the default colour window is the identity
      return;
    }
    const lo = center - width / 2;
    const k = 255 / width;
    for (let i = 0; i < src.length; i += 4) {
      for (let c = 0; c < 3; c++) {
        let v = (src[i + c] - lo) * k;
        if (invert) v = 255 - v;
        dst[i + c] = v;
      }
      dst[i + 3] = 255;
    }
    return;
  }
  const flip = (img.info.photometric === 'MONOCHROME1') !== !!invert;
  const stored = img.stored;
  if (littleEndian && img.hi - img.lo < LUT_MAX) {
    const { table, lo } = windowLut(img, center, width, flip, cache);
    const px = new Uint32Array(dst.buffer, dst.byteOffset, stored.length);
    for (let i = 0; i < stored.length; i++) px[i] = table[stored[i] - lo];
    return;
  }
  const c = center - 0.5;
  const w = Math.max(1, width - 1);
  const k = 255 / w;
  const base = (w / 2 - c) * k;
  const { slope, intercept } = img;
  for (let i = 0, j = 0; i < stored.length; i++, j += 4) {
    let v = (stored[i] * slope + intercept) * k + base;
    v = v < 0 ? 0 : v > 255 ? 255 : v;
    if (flip) v = 255 - v;
    dst[j] = dst[j + 1] = dst[j + 2] = v;
    dst[j + 3] = 255;
  }
}

/** Modality value at an image pixel (for the probe readout). */
export function valueAt(img, x, y) {
  if (x < 0 || y < 0 || x >= img.width || y >= img.height) return null;
  const i = Math.floor(y) * img.width + Math.floor(x);
  if (img.stored) return img.stored[i] * img.slope + img.intercept;
  return [img.rgb[4 * i], img.rgb[4 * i + 1], img.rgb[4 * i + 2]];
}

export const PRESETS = {
  lung: { center: -600, width: 1500 },
  mediastinum: { center: 50, width: 350 },
  bone: { center: 400, width: 1800 },
  brain: { center: 40, width: 80 },
  abdomen: { center: 50, width: 400 },
};
