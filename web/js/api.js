// The server's HTTP API: JSON calls with the session cookie, binary fetches and uploads with progress.
import { learnServerTime } from './format.js';
import { t, tOr, getLang } from './i18n.js';

export class ApiError extends Error {
  constructor(status, code, message, requestId) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code || (status === 0 ? 'network' : 'http_' + status);
    this.requestId = requestId || '';
  }
}

const unauthenticatedListeners = new Set();
/** Called when any call (other than login) answers 401: the session has ended. */
export function onUnauthenticated(fn) {
  unauthenticatedListeners.add(fn);
}

function signalUnauthenticated(path) {
  if (path === '/api/login' || path === '/api/me') return;
  for (const fn of unauthenticatedListeners) fn();
}

async function errorFrom(res, path) {
  let code = '';
  let message = '';
  try {
    const j = await res.json();
    if (j && j.error) ({ code, message } = j.error);
  } catch {
    /* not JSON */
  }
  if (res.status === 401) signalUnauthenticated(path);
  return new ApiError(res.status, code, message, res.headers.get('X-Request-Id'));
}

const inFlight = new Set(); // fetches not yet answered: signing out waits for them (see requestsSettled)

/** The fetch, counted in inFlight until it is answered or fails. */
function trackedFetch(url, init) {
  const p = fetch(url, init);
  const done = p.then(() => {}, () => {});
  inFlight.add(done);
  done.then(() => inFlight.delete(done));
  return p;
}

/**
 * Resolves when every request sent so far has been answered (or after timeoutMs). Signing out waits for it: a
 * request still on its way when the session ends would come back 401 and show as an error.
 */
export function requestsSettled(timeoutMs = 3000) {
  if (!inFlight.size) return Promise.resolve();
  return Promise.race([Promise.all([...inFlight]), new Promise((r) => setTimeout(r, timeoutMs))]);
}

/** api('GET', '/api/tasks', null, {query}) -> parsed JSON; throws ApiError. */
export async function api(method, path, body, { query, signal } = {}) {
  let url = path;
  if (query) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v != null && v !== '') q.set(k, v);
    const s = q.toString();
    if (s) url += (url.includes('?') ? '&' : '?') + s;
  }
  const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json' }, signal };
  if (body !== undefined && body !== null) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await trackedFetch(url, init);
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', '');
  }
  learnServerTime(res.headers.get('Date'));
  if (!res.ok) throw await errorFrom(res, path);
  const type = res.headers.get('Content-Type') || '';
  if (type.includes('json')) return res.json();
  return res.text();
}

export const get = (path, query, opts) => api('GET', path, null, { ...opts, query });
export const post = (path, body, opts) => api('POST', path, body ?? {}, opts);
export const put = (path, body, opts) => api('PUT', path, body, opts);
export const patch = (path, body, opts) => api('PATCH', path, body, opts);
export const del = (path, opts) => api('DELETE', path, null, opts);

/** GET a binary resource: {contentType, bytes: Uint8Array}. */
export async function getBinary(url, { signal, accept } = {}) {
  let res;
  try {
    res = await trackedFetch(url, { credentials: 'same-origin', signal, headers: accept ? { Accept: accept } : {} });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', '');
  }
  if (!res.ok) throw await errorFrom(res, url);
  return { contentType: res.headers.get('Content-Type') || '', bytes: new Uint8Array(await res.arrayBuffer()) };
}

/**
 * POST a file with upload progress (fetch cannot report it). Resolves with {status, json} for any HTTP answer
 * (the caller decides what a 207 or 400 means); rejects with ApiError code 'network' or 'aborted'.
 * Returns {promise, abort}.
 */
export function uploadFile(url, file, contentType, onProgress) {
  const xhr = new XMLHttpRequest();
  const promise = new Promise((resolve, reject) => {
    xhr.open('POST', url);
    xhr.withCredentials = true;
    if (contentType) xhr.setRequestHeader('Content-Type', contentType);  // none for FormData: the browser sets it
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && onProgress) onProgress(e.loaded, e.total);
    };
    xhr.onload = () => {
      learnServerTime(xhr.getResponseHeader('Date'));
      let json = null;
      try {
        json = JSON.parse(xhr.responseText);
      } catch {
        /* not JSON */
      }
      if (xhr.status === 401) signalUnauthenticated(url);
      resolve({ status: xhr.status, json });
    };
    xhr.onerror = () => reject(new ApiError(0, 'network', ''));
    xhr.onabort = () => reject(new ApiError(0, 'aborted', ''));
    xhr.send(file);
  });
  return { promise, abort: () => xhr.abort() };
}

/**
 * The message to show for an error: the server's own sentence (English), led in Chinese by a translated summary
 * of the error code.
 */
export function errorText(e) {
  if (e instanceof ApiError) {
    if (e.code === 'network') return t('error.network');
    const summary = tOr('error.code.' + e.code, '');
    const detail = e.message && e.message !== e.code ? e.message : t('error.http', { status: e.status });
    return getLang() === 'zh-CN' && summary ? `${summary}：${detail}` : detail;
  }
  return String((e && e.message) || e);
}
