// DICOM JSON (PS3.18 F) accessors, instance ordering, and multipart/related parsing of WADO-RS answers.

/** The first value of a tag ("00280010"), or undefined. */
export function value(obj, tag) {
  const a = obj && obj[tag];
  return a && a.Value && a.Value.length ? a.Value[0] : undefined;
}

export function values(obj, tag) {
  const a = obj && obj[tag];
  return a && a.Value ? a.Value : [];
}

export function num(obj, tag, fallback) {
  const v = value(obj, tag);
  const n = typeof v === 'number' ? v : parseFloat(v);
  return Number.isFinite(n) ? n : fallback;
}

export function nums(obj, tag) {
  return values(obj, tag).map((v) => (typeof v === 'number' ? v : parseFloat(v))).filter(Number.isFinite);
}

export function str(obj, tag) {
  const v = value(obj, tag);
  if (v == null) return '';
  if (typeof v === 'object') return v.Alphabetic || v.Ideographic || v.Phonetic || '';
  return String(v);
}

/** The person-name object {Alphabetic, Ideographic} of a PN attribute. */
export function pn(obj, tag) {
  const v = value(obj, tag);
  if (!v) return '';
  if (typeof v === 'string') return v;
  return [v.Alphabetic || '', v.Ideographic || ''].filter((x, i) => x || i === 0).join('=');
}

/**
 * Orders the instances of a series for stack display: by position along the slice normal when the geometry is
 * known (head to foot as radiologists expect), otherwise by instance number.
 */
export function sortInstances(list) {
  const withGeom = list.every((m) => values(m, '00200032').length === 3 && values(m, '00200037').length === 6);
  if (withGeom && list.length > 1) {
    const o = nums(list[0], '00200037');
    const n = [o[1] * o[5] - o[2] * o[4], o[2] * o[3] - o[0] * o[5], o[0] * o[4] - o[1] * o[3]];
    const d = (m) => {
      const p = nums(m, '00200032');
      return p[0] * n[0] + p[1] * n[1] + p[2] * n[2];
    };
    return [...list].sort((a, b) => d(b) - d(a) || num(a, '00200013', 0) - num(b, '00200013', 0));
  }
  return [...list].sort((a, b) => num(a, '00200013', 0) - num(b, '00200013', 0));
}

function indexOf(bytes, pattern, from) {
  const first = pattern[0];
  const last = bytes.length - pattern.length;
  outer: for (let i = from; i <= last; i++) {
    if (bytes[i] !== first) continue;
    for (let j = 1; j < pattern.length; j++) if (bytes[i + j] !== pattern[j]) continue outer;
    return i;
  }
  return -1;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Parts of a multipart/related body: [{headers: {name: value}, body: Uint8Array}]. */
export function parseMultipart(bytes, contentType) {
  const m = /boundary="?([^";]+)"?/i.exec(contentType || '');
  if (!m) return [{ headers: { 'content-type': contentType }, body: bytes }];
  const delim = enc.encode('--' + m[1]);
  const parts = [];
  let pos = indexOf(bytes, delim, 0);
  while (pos >= 0) {
    let start = pos + delim.length;
    if (bytes[start] === 0x2d && bytes[start + 1] === 0x2d) break; // closing "--"
    if (bytes[start] === 0x0d && bytes[start + 1] === 0x0a) start += 2;
    const headerEnd = indexOf(bytes, enc.encode('\r\n\r\n'), start);
    if (headerEnd < 0) break;
    const headers = {};
    for (const line of dec.decode(bytes.subarray(start, headerEnd)).split('\r\n')) {
      const c = line.indexOf(':');
      if (c > 0) headers[line.slice(0, c).trim().toLowerCase()] = line.slice(c + 1).trim();
    }
    const bodyStart = headerEnd + 4;
    const next = indexOf(bytes, delim, bodyStart);
    if (next < 0) break;
    let bodyEnd = next;
    if (bytes[bodyEnd - 2] === 0x0d && bytes[bodyEnd - 1] === 0x0a) bodyEnd -= 2;
    parts.push({ headers, body: bytes.subarray(bodyStart, bodyEnd) });
    pos = next;
  }
  return parts;
}

/** "transfer-syntax=1.2.840..." from a part's Content-Type. */
export function transferSyntaxOf(contentType) {
  const m = /transfer-syntax=([0-9.]+)/i.exec(contentType || '');
  return m ? m[1] : '';
}
