// Hash routes ("#/read/12") mapped to views. A view is render(container, params) -> optional cleanup function.
const routes = [];
let container = null;
let cleanup = null;
let guard = null;
let current = null;
const routeListeners = new Set();

/** fn(path) after every route change (the header highlights the current page). */
export function onRoute(fn) {
  routeListeners.add(fn);
}

/** route('/read/:id', view) — view: async (el, params) => cleanup? */
export function route(pattern, view, meta = {}) {
  const keys = [];
  const re = new RegExp(
    '^' + pattern.replace(/\/:(\w+)/g, (_, k) => (keys.push(k), '/([^/]+)')) + '/?$',
  );
  routes.push({ pattern, re, keys, view, meta });
}

export function currentPath() {
  return decodeURI(location.hash.replace(/^#/, '')) || '/';
}

export function navigate(path, { replace = false } = {}) {
  const hash = '#' + path;
  if (location.hash === hash) return render();
  if (replace) {
    history.replaceState(null, '', hash);
    return render();
  }
  location.hash = hash;
  return undefined;
}

/** Closes the current view (its cleanup stops its timers and requests), e.g. while signing out. */
export async function unmount() {
  if (typeof cleanup === 'function') {
    const done = cleanup;
    cleanup = null;
    try {
      await done();
    } catch (e) {
      console.error(e);
    }
  }
  current = null;
  if (container) container.replaceChildren();
}

/** Re-renders the current view (after a language change, for instance). */
export const refresh = () => render();

export function currentRoute() {
  return current;
}

let renderSeq = 0;

async function render() {
  const seq = ++renderSeq;
  const path = currentPath();
  let match = null;
  let params = {};
  for (const r of routes) {
    const m = r.re.exec(path);
    if (m) {
      match = r;
      r.keys.forEach((k, i) => (params[k] = decodeURIComponent(m[i + 1])));
      break;
    }
  }
  if (guard) {
    const redirect = guard(match, path);
    if (redirect && redirect !== path) {
      history.replaceState(null, '', '#' + redirect);
      return render();
    }
  }
  if (typeof cleanup === 'function') {
    // A view may finish work as it closes (the report editor saves unsaved text): wait for it.
    const done = cleanup;
    cleanup = null;
    try {
      await done();
    } catch (e) {
      console.error(e);
    }
    if (seq !== renderSeq) return; // another navigation started meanwhile; it renders
  }
  current = match ? { ...match, params, path } : null;
  // Each view draws into its own (layout-neutral) host, so a slow view that finishes after the user moved on
  // can be removed whole instead of appearing under the next page.
  const host = document.createElement('div');
  host.className = 'view-host';
  host.style.display = 'contents';
  container.replaceChildren(host);
  container.scrollTop = 0;
  for (const fn of routeListeners) fn(path);
  document.body.dataset.route = match ? match.pattern.split('/')[1] || 'home' : 'none';
  if (!match) return;
  const mine = current;
  const result = await match.view(host, params);
  // A slow view may finish after the user moved on: clean it up at once.
  if (current !== mine) {
    if (typeof result === 'function') result();
    host.remove();
  } else {
    cleanup = result;
  }
}

/** guardFn(route, path) returns a path to redirect to, or nothing. */
export function startRouter(el, guardFn) {
  container = el;
  guard = guardFn;
  window.addEventListener('hashchange', render);
  return render();
}
