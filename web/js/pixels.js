// Pixel data to screen: decodes a WADO-RS frame (native 8/16-bit grey or colour, or JPEG baseline through the
// browser) into modality values, and renders them with a VOI window into RGBA for a canvas.
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
 * Decodes one frame. Returns {width, height, gray: Float32Array | null, rgb: Uint8ClampedArray | null,
 * min, max, info}; gray holds modality values (rescale applied).
 */
export async function decodeFrame(bytes, transferSyntax, info) {
  if (BROWSER_JPEG.has(transferSyntax)) return decodeJpeg(bytes, info);
  if (!NATIVE.has(transferSyntax)) throw new UnsupportedFrame(transferSyntax);
  const { rows, columns, samples } = info;
  const n = rows * columns;
  if (samples === 3) return decodeNativeColour(bytes, info);
  let raw;
  if (info.bitsAllocated === 8) raw = bytes;
  else if (info.bitsAllocated === 16) {
    const buf = bytes.byteOffset % 2 ? bytes.slice() : bytes; // typed arrays need alignment
    raw = info.signed ? new Int16Array(buf.buffer, buf.byteOffset, n) : new Uint16Array(buf.buffer, buf.byteOffset, n);
  } else if (info.bitsAllocated === 32) {
    const buf = bytes.byteOffset % 4 ? bytes.slice() : bytes;
    raw = info.signed ? new Int32Array(buf.buffer, buf.byteOffset, n) : new Uint32Array(buf.buffer, buf.byteOffset, n);
  } else throw new UnsupportedFrame('bits allocated ' + info.bitsAllocated);
  const gray = new Float32Array(n);
  const stored = info.bitsStored;
  const needMask = stored < info.bitsAllocated && info.bitsAllocated <= 16;
  const mask = (1 << stored) - 1;
  const signBit = 1 << (stored - 1);
  const { slope, intercept } = info;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    let v = raw[i];
    if (needMask) {
      v &= mask;
      if (info.signed && v & signBit) v -= mask + 1;
    }
    v = v * slope + intercept;
    gray[i] = v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { width: columns, height: rows, gray, rgb: null, min, max, info };
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
  return { width: info.columns, height: info.rows, gray: null, rgb, min: 0, max: 255, info };
}

async function decodeJpeg(bytes, info) {
  const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/jpeg' }));
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(bitmap, 0, 0);
  const data = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
  bitmap.close();
  if (info.samples === 3) return { width: canvas.width, height: canvas.height, gray: null, rgb: data, min: 0, max: 255, info };
  const n = canvas.width * canvas.height;
  const gray = new Float32Array(n);
  for (let i = 0; i < n; i++) gray[i] = data[4 * i] * info.slope + info.intercept;
  return { width: canvas.width, height: canvas.height, gray, rgb: null, min: info.intercept, max: 255 * info.slope + info.intercept, info };
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
  if (info.samples === 3 || info.photometric === 'PALETTE COLOR') return { ...base, gray: null, rgb: data, min: 0, max: 255 };
  const n = canvas.width * canvas.height;
  const gray = new Float32Array(n);
  const k = (range.hi - range.lo) / 255;
  // The server already inverted MONOCHROME1; undo it so the viewer's own inversion stays the only one.
  const mono1 = info.photometric === 'MONOCHROME1';
  for (let i = 0; i < n; i++) gray[i] = range.lo + (mono1 ? 255 - data[4 * i] : data[4 * i]) * k;
  return { ...base, gray, rgb: null, min: range.lo, max: range.hi };
}

/** The window the file suggests, else one that spans the image's values. */
export function defaultWindow(img) {
  const { info } = img;
  if (img.rgb) return { center: 127.5, width: 256 };
  if (info.windowWidth) return { center: info.windowCenter, width: info.windowWidth };
  // Skip the extremes (padding values outside the scan circle, hot pixels) with a coarse histogram.
  const { gray, min, max } = img;
  if (max <= min) return { center: min, width: 1 };
  const bins = new Uint32Array(256);
  const scale = 255 / (max - min);
  const step = Math.max(1, Math.floor(gray.length / 65536));
  let total = 0;
  for (let i = 0; i < gray.length; i += step) {
    bins[Math.floor((gray[i] - min) * scale)]++;
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

/** Renders into `out` (ImageData of the image's size) with the VOI window; MONOCHROME1 and invert flip it. */
export function renderInto(out, img, center, width, invert) {
  const dst = out.data;
  if (img.rgb) {
    const lo = center - width / 2;
    const k = 255 / width;
    const src = img.rgb;
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
  // PS3.3 C.11.2.1.2 linear VOI function.
  const c = center - 0.5;
  const w = Math.max(1, width - 1);
  const k = 255 / w;
  const base = (w / 2 - c) * k;
  const gray = img.gray;
  for (let i = 0, j = 0; i < gray.length; i++, j += 4) {
    let v = gray[i] * k + base;
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
  if (img.gray) return img.gray[i];
  return [img.rgb[4 * i], img.rgb[4 * i + 1], img.rgb[4 * i + 2]];
}

export const PRESETS = {
  lung: { center: -600, width: 1500 },
  mediastinum: { center: 50, width: 350 },
  bone: { center: 400, width: 1800 },
  brain: { center: 40, width: 80 },
  abdomen: { center: 50, width: 400 },
};
