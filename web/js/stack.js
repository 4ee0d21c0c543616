// A study's series and their image stacks over DICOMweb: QIDO for the series, /metadata for the instances,
// /frames for pixels. Decoded frames are cached and fetched ahead of the reader (nearest first).
import { get, getBinary } from './api.js';
import { num, str, sortInstances, parseMultipart, transferSyntaxOf } from './dicomjson.js';
import { pixelInfo, decodeFrame, decodeRendered, renderedRange, UnsupportedFrame } from './pixels.js';

const PARALLEL = 4;
const CACHE_LIMIT = 1200; // decoded frames kept (a 512x512 frame is 1 MB as Float32)

export async function loadSeriesList(studyUid) {
  const list = await get(`/dicom-web/studies/${encodeURIComponent(studyUid)}/series`);
  return list
    .map((s) => ({
      uid: str(s, '0020000E'),
      modality: str(s, '00080060'),
      description: str(s, '0008103E'),
      number: num(s, '00200011', 0),
      count: num(s, '00201209', 0),
      bodyPart: str(s, '00180015'),
    }))
    .sort((a, b) => a.number - b.number);
}

export class Stack {
  constructor(studyUid, series) {
    this.studyUid = studyUid;
    this.series = series;
    this.entries = []; // {meta, sop, frame, info, key}
    this.cache = new Map(); // key -> Promise<img>
    this.loaded = new Set();
    this.queue = [];
    this.active = 0;
    this.closed = false;
    this.onLoaded = null; // (index) => void, called when a frame finished decoding
  }

  async load() {
    const url = `/dicom-web/studies/${encodeURIComponent(this.studyUid)}/series/${encodeURIComponent(this.series.uid)}/metadata`;
    const metas = sortInstances(await get(url));
    for (const meta of metas) {
      const info = pixelInfo(meta);
      if (!info.rows || !meta['7FE00010']) continue; // no pixel data (SR, waveform, ...)
      const sop = str(meta, '00080018');
      for (let f = 1; f <= info.frames; f++) this.entries.push({ meta, sop, frame: f, info, key: sop + '#' + f });
    }
    return this;
  }

  get length() {
    return this.entries.length;
  }

  frameUrl(e) {
    return `/dicom-web/studies/${encodeURIComponent(this.studyUid)}/series/${encodeURIComponent(this.series.uid)}` +
      `/instances/${encodeURIComponent(e.sop)}/frames/${e.frame}`;
  }

  /** The decoded image at index i (fetched now if needed). */
  image(i) {
    const e = this.entries[i];
    if (!e) return Promise.reject(new Error('no image ' + i));
    let p = this.cache.get(e.key);
    if (!p) {
      p = this.fetch(e, i);
      this.cache.set(e.key, p);
      p.catch(() => this.cache.delete(e.key));
      this.trim(i);
    }
    return p;
  }

  async fetch(e, i) {
    const { contentType, bytes } = await getBinary(this.frameUrl(e), { accept: 'multipart/related; type="application/octet-stream"' });
    const part = parseMultipart(bytes, contentType)[0];
    if (!part) throw new Error('empty frame response');
    const ts = transferSyntaxOf(part.headers['content-type']) || '1.2.840.10008.1.2.1';
    let img;
    try {
      img = await decodeFrame(part.body, ts, e.info);
    } catch (err) {
      // JPEG lossless, JPEG-LS, RLE...: the browser cannot decode them, the server can (JPEG 2000 it cannot: 415).
      if (!(err instanceof UnsupportedFrame)) throw err;
      img = await this.fetchRendered(e).catch(() => { throw err; });
    }
    img.entry = e;
    this.loaded.add(i);
    if (this.onLoaded) this.onLoaded(i);
    return img;
  }

  /** The frame rendered by the server as PNG over a known value range (see decodeRendered). */
  async fetchRendered(e) {
    const range = renderedRange(e.info);
    const win = `${(range.lo + range.hi) / 2},${range.hi - range.lo},linear-exact`;
    const { bytes } = await getBinary(`${this.frameUrl(e)}/rendered?window=${encodeURIComponent(win)}`, { accept: 'image/png' });
    return decodeRendered(bytes, e.info, range);
  }

  /** Fetches every frame in the background, nearest to `center` first, PARALLEL at a time. */
  prefetch(center) {
    const order = [];
    for (let d = 0; d < this.entries.length; d++) {
      if (center + d < this.entries.length) order.push(center + d);
      if (d && center - d >= 0) order.push(center - d);
    }
    this.queue = order.filter((i) => !this.cache.has(this.entries[i].key)).slice(0, CACHE_LIMIT);
    this.pump();
  }

  pump() {
    while (!this.closed && this.active < PARALLEL && this.queue.length) {
      const i = this.queue.shift();
      if (this.cache.has(this.entries[i].key)) continue;
      this.active++;
      this.image(i).catch(() => {}).finally(() => {
        this.active--;
        this.pump();
      });
    }
  }

  trim(center) {
    if (this.cache.size <= CACHE_LIMIT) return;
    const far = [...this.cache.keys()]
      .map((k) => [k, Math.abs(this.entries.findIndex((e) => e.key === k) - center)])
      .sort((a, b) => b[1] - a[1]);
    for (const [k] of far.slice(0, this.cache.size - CACHE_LIMIT)) this.cache.delete(k);
  }

  close() {
    this.closed = true;
    this.queue = [];
  }
}
