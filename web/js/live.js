// The live connection: one websocket to /ws (authenticated by the session cookie), reconnecting with jittered
// back-off and resuming from the last event seen (docs/events.md). Views subscribe to events; every event is
// passed on as {type: <event type>, seq, task_id, data, ...}, so new types reach the views without changes here.
const listeners = new Set();
const statusListeners = new Set();
let ws = null;
let wanted = false;
let retryMs = 1000;
let retryTimer = null;
let pingTimer = null;
let status = 'offline';
let lastSeq = null; // the last event seq received: reconnections resume after it

function setStatus(s) {
  if (s === status) return;
  status = s;
  for (const fn of statusListeners) fn(s);
}

export const liveStatus = () => status;

/** fn(event) for every server event; returns an unsubscribe function. */
export function onLiveEvent(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** fn('live' | 'connecting' | 'offline'); called again after every reconnect with 'live'. */
export function onLiveStatus(fn) {
  statusListeners.add(fn);
  return () => statusListeners.delete(fn);
}

function dispatch(msg) {
  for (const fn of listeners) {
    try {
      fn(msg);
    } catch (e) {
      console.error(e);
    }
  }
}

function connect() {
  clearTimeout(retryTimer);
  if (!wanted) return;
  setStatus('connecting');
  const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws';
  let sock;
  try {
    sock = new WebSocket(url);
  } catch {
    scheduleRetry();
    return;
  }
  ws = sock;
  sock.onopen = () => {
    retryMs = 1000;
    clearInterval(pingTimer);
    pingTimer = setInterval(() => {
      if (sock.readyState === WebSocket.OPEN) sock.send(JSON.stringify({ type: 'ping', id: Date.now() }));
    }, 25000);
  };
  sock.onmessage = (e) => {
    let msg;
    try {
      msg = JSON.parse(e.data);
    } catch {
      return;
    }
    if (!msg || typeof msg.type !== 'string') return;
    switch (msg.type) {
      case 'hello':
        // Resume after the last event seen; the first time, live from now (the views load their state over REST).
        sock.send(JSON.stringify({ type: 'subscribe', since: lastSeq != null ? lastSeq : msg.head != null ? msg.head : undefined }));
        setStatus('live');
        dispatch({ type: 'live.reconnected' }); // views re-fetch: a fresh page or a long absence
        return;
      case 'event':
        if (typeof msg.seq === 'number') {
          if (lastSeq != null && msg.seq <= lastSeq) return;
          lastSeq = msg.seq;
        }
        dispatch({ ...msg, type: msg.event || 'event', task_id: msg.task_id != null ? msg.task_id : msg.data && msg.data.task_id });
        return;
      case 'synced':
        if (typeof msg.seq === 'number' && (lastSeq == null || msg.seq > lastSeq)) lastSeq = msg.seq;
        return;
      case 'reset':
        lastSeq = typeof msg.seq === 'number' ? msg.seq : null;
        dispatch({ type: 'live.reconnected' });
        return;
      case 'subscribed':
      case 'pong':
      case 'ack_ok':
      case 'error':
        return;
      default:
        dispatch(msg); // unknown types: views ignore what they do not know
    }
  };
  sock.onclose = (e) => {
    clearInterval(pingTimer);
    if (ws === sock) ws = null;
    setStatus('offline');
    if (e.reason === 'reauthenticate') {
      dispatch({ type: 'live.reauthenticate' });
      return;
    }
    scheduleRetry();
  };
  sock.onerror = () => {
    /* onclose follows */
  };
}

function scheduleRetry() {
  if (!wanted) return;
  clearTimeout(retryTimer);
  retryTimer = setTimeout(connect, retryMs * (0.5 + Math.random() / 2));
  retryMs = Math.min(retryMs * 2, 60000);
}

export function startLive() {
  if (wanted) return;
  wanted = true;
  connect();
}

export function stopLive() {
  wanted = false;
  lastSeq = null;
  clearTimeout(retryTimer);
  clearInterval(pingTimer);
  if (ws) ws.close();
  ws = null;
  setStatus('offline');
}

/** True when the event is about the worklist (a task, a report, a critical value or an SLA change). */
export function isWorklistEvent(msg) {
  const type = msg.type || '';
  return /^(task|report|critical|sla|worklist|study|upload)\b/.test(type) || msg.task_id != null || msg.task != null;
}

// Browsers drop sockets of sleeping tabs; reconnect at once when the page is shown again.
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible' && wanted && !ws) {
    retryMs = 1000;
    connect();
  }
});
