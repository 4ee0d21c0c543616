// A study's series and their image stacks over DICOMweb: QIDO for the series, /metadata for the instances,
// /frames for pixels. Decoded frames are cached and fetched ahead of the reader (nearest first, a few at a time).
// A decoded frame is also kept by value (ready()), so scrolling through prefetched slices draws in the same
// animation frame as the key or wheel event instead of one frame later after awaiting a resolved promise.
import { get, getBinary } from './api.js';
import { num, str, sortInstances, parseMultipart, transferSyntaxOf } from './dicomjson.js';
import { pixelInfo, decodeFrame, decodeRendered, renderedRange, UnsupportedFrame } from './pixels.js';

const PARALLEL = 4; // frame requests in flight while prefetching: enough to fill a link, few enough to leave room
const CACHE_BYTES = 512 * 1024 * 1024; // decoded pixels kept per stack (a 512x512 CT slice is 512 KB as Int16)
const MIN_CACHED = 64;

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
    this.decoded = new Map(); // key -> img, once decoded
    this.limit = MIN_CACHED; // frames kept; set from the frame size in load()
    this.queue = [];
    this.active = 0;
    this.closed = false;
  }

  get base() {
    return `/dicom-web/studies/${encodeURIComponent(this.studyUid)}/series/${encodeURIComponent(this.series.uid)}`;
  }

  async load() {
    const metas = sortInstances(await get(`${this.base}/metadata`));
    for (const meta of metas) {
      const info = pixelInfo(meta);
      if (!info.rows || !meta['7FE00010']) continue; // no pixel data (SR, waveform, ...)
      const sop = str(meta, '00080018');
      for (let f = 1; f <= info.frames; f++) this.entries.push({ meta, sop, frame: f, info, key: sop + '#' + f });
    }
    if (this.entries.length) {
      const { rows, columns, samples } = this.entries[0].info;
      const bytes = rows * columns * (samples === 3 ? 4 : 2);
      this.limit = Math.max(MIN_CACHED, Math.floor(CACHE_BYTES / Math.max(1, bytes)));
    }
    return this;
  }

  get length() {
    return this.entries.length;
  }

  /** Slice Location (0020,1041) of every entry, or null when any lacks one (computed once). */
  locations() {
    if (this.locs === undefined) {
      const locs = this.entries.map((e) => num(e.meta, '00201041', null));
      this.locs = locs.length && locs.every((v) => v != null) ? locs : null;
    }
    return this.locs;
  }

  /**
   * The index matching another viewer's slice, for synchronised scrolling: the nearest slice location when both
   * sides have one (`location` a number), else the same relative position (`fraction`, 0..1).
   */
  matching({ location, fraction }) {
    const locs = this.locations();
    if (locs && location != null && Number.isFinite(location)) {
      let best = Infinity;
      let at = 0;
      locs.forEach((v, i) => {
        const d = Math.abs(v - location);
        if (d < best) {
          best = d;
          at = i;
        }
      });
      return at;
    }
    return Math.round(Math.max(0, Math.min(1, fraction || 0)) * (this.entries.length - 1));
  }

  /** What another viewer needs to find the slice matching index i (see matching). */
  position(i) {
    const locs = this.locations();
    return { location: locs ? locs[i] : null, fraction: this.entries.length > 1 ? i / (this.entries.length - 1) : 0 };
  }

  frameUrl(e) {
    return `${this.base}/instances/${encodeURIComponent(e.sop)}/frames/${e.frame}`;
  }

  /** The decoded image at index i if it is in memory now, else null (no request made). */
  ready(i) {
    const e = this.entries[i];
    return (e && this.decoded.get(e.key)) || null;
  }

  /** The decoded image at index i (fetched now if needed). */
  image(i) {
    const e = this.entries[i];
    if (!e) return Promise.reject(new Error('no image ' + i));
    let p = this.cache.get(e.key);
    if (!p) {
      p = this.fetch(e);
      this.cache.set(e.key, p);
      p.catch(() => {
        this.cache.delete(e.key);
        this.decoded.delete(e.key);
      });
      this.trim(i);
    }
    return p;
  }

  async fetch(e) {
    const img = await this.decode(e, this.frameBytes(this.frameUrl(e)));
    if (this.cache.has(e.key)) this.decoded.set(e.key, img); // not when trimmed while in flight
    return img;
  }

  /** A frame as stored: {ts, body} of the multipart answer's first part. */
  async frameBytes(url) {
    const { contentType, bytes } = await getBinary(url, { accept: 'multipart/related; type="application/octet-stream"' });
    const part = parseMultipart(bytes, contentType)[0];
    if (!part) throw new Error('empty frame response');
    return { ts: transferSyntaxOf(part.headers['content-type']) || '1.2.840.10008.1.2.1', body: part.body };
  }

  /** Decodes a frame in the browser, or has the server render it when the browser cannot decode its syntax. */
  async decode(e, frame) {
    const { ts, body } = await frame;
    let img;
    try {
      img = await decodeFrame(body, ts, e.info);
    } catch (err) {
      // JPEG lossless, JPEG-LS, RLE, JPEG 2000: the browser cannot decode them; the server renders them instead.
      if (!(err instanceof UnsupportedFrame)) throw err;
      img = await this.fetchRendered(e).catch(() => { throw err; });
    }
    img.entry = e;
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
    this.queue = order.slice(0, this.limit).filter((i) => !this.cache.has(this.entries[i].key));
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
    if (this.cache.size <= this.limit) return;
    const at = new Map(this.entries.map((e, i) => [e.key, i]));
    const far = [...this.cache.keys()].map((k) => [k, Math.abs(at.get(k) - center)]).sort((a, b) => b[1] - a[1]);
    for (const [k] of far.slice(0, this.cache.size - this.limit)) {
      this.cache.delete(k);
      this.decoded.delete(k);
    }
  }

  close() {
    this.closed = true;
    this.queue = [];
  }
}
