// The prior exam beside the current one (同患者前后对比): a second, simpler viewport on a prior study of the same
// patient — its series, stack scroll (wheel, slider), window by drag and the presets — scrolling in step with the
// main viewer both ways. Synchronisation goes by slice location when both series have one, else by position in
// the stack. The main viewer publishes its slice on #viewer-stage (data-index, data-location); scrolling the
// prior sends the main viewer a 'teledx-seek' event with the prior's position. Neither side echoes a move it
// made for the other (the main marks such moves data-moved-by="prior"; the prior sends only the reader's own
// moves), so the two cannot push each other back and forth.
import { h, clear } from './dom.js';
import { t } from './i18n.js';
import { errorText } from './api.js';
import { dateTime } from './format.js';
import { PRESETS, UnsupportedFrame } from './pixels.js';
import { loadSeriesList, Stack } from './stack.js';
import { Viewport } from './viewport.js';

const PRESET_KEYS = ['lung', 'mediastinum', 'bone', 'brain', 'abdomen'];

/** createPriorViewer(host, {prior, mainStage, mainStack}) -> {destroy}. `prior` is an entry of GET .../priors. */
export function createPriorViewer(host, { prior, mainStage, onClose }) {
  let seriesList = [];
  let stack = null;
  let index = 0;
  let first = true;
  let sync = true;
  let destroyed = false;
  let wheelAcc = 0;
  const stageHost = h('div.vw-canvas-host');
  const message = h('div.vw-message', { hidden: true });
  const info = h('div.vw-ov.bl');
  const slider = h('input.vw-slider', { type: 'range', min: 0, max: 0, value: 0, 'aria-label': t('viewer.slice'),
    oninput: () => scrollTo(+slider.value) });
  const stage = h('div.vw-stage#prior-stage', stageHost,
    h('div.vw-ov.tl', h('div.b', t('prior.label')), h('div', dateTime(prior.received_at)),
      h('div', [prior.modality, prior.description].filter(Boolean).join(' '))),
    info, slider, message);
  const seriesPick = h('select.vw-select#prior-series', { 'aria-label': t('viewer.series'), onchange: () => openSeries(+seriesPick.value) });
  const syncBox = h('input#prior-sync', { type: 'checkbox', checked: sync, onchange: () => { sync = syncBox.checked; follow(true); } });
  const toolbar = h('div.vw-toolbar',
    h('div.vw-group', seriesPick),
    h('div.vw-group', PRESET_KEYS.map((p) => h('button.vw-btn', { type: 'button', 'data-preset': p,
      onclick: () => { const w = PRESETS[p]; if (w) vp.setWindow(w.center, w.width); } }, t('preset.' + p))),
    h('button.vw-btn', { type: 'button', onclick: () => vp.resetWindow() }, t('preset.default'))),
    h('label.vw-check', syncBox, t('prior.sync')),
    h('div', { style: { flex: 1 } }),
    h('button.vw-btn#prior-close', { type: 'button', title: t('prior.close'), onclick: () => onClose && onClose() }, '✕ ' + t('prior.close')));
  const root = h('div.viewer.prior-viewer#prior-viewer', h('div.vw-main', toolbar, stage));
  host.append(root);
  const vp = new Viewport(stageHost);
  vp.onChange = paintInfo;

  function say(text) {
    message.textContent = text || '';
    message.hidden = !text;
  }

  function paintInfo() {
    const v = vp.view;
    info.replaceChildren(h('div', `${t('viewer.image')} ${index + 1} / ${stack ? stack.length : 0}`),
      h('div', `W ${Math.round(v.width)}  L ${Math.round(v.center)}`));
    stage.dataset.index = String(index);
    stage.dataset.count = String(stack ? stack.length : 0);
  }

  function show(i) {
    if (!stack || !stack.length) return undefined;
    index = Math.max(0, Math.min(stack.length - 1, i));
    slider.value = String(index);
    paintInfo();
    const img = stack.ready(index);
    if (img) {
      present(img);
      return undefined;
    }
    return fetchAndShow(stack, index);
  }

  async function fetchAndShow(mine, want) {
    try {
      const img = await mine.image(want);
      if (destroyed || mine !== stack || want !== index) return;
      present(img);
    } catch (e) {
      if (destroyed || mine !== stack) return;
      say(e instanceof UnsupportedFrame ? t('viewer.unsupported', { ts: e.transferSyntax }) : errorText(e));
    }
  }

  function present(img) {
    say('');
    vp.setImage(img, { reset: first });
    if (first) {
      first = false;
      stage.dataset.ready = '1';
    }
    paintInfo();
  }

  /** The reader scrolls the prior: it moves, and (synced) the main viewer moves to the matching slice. */
  function scrollTo(i) {
    show(i);
    if (!sync || !stack || !stack.length || !mainStage) return;
    mainStage.dispatchEvent(new CustomEvent('teledx-seek', { detail: stack.position(index) }));
  }

  async function openSeries(n) {
    if (!seriesList[n]) return;
    if (stack) stack.close();
    say(t('viewer.loading'));
    try {
      stack = await new Stack(prior.study_uid, seriesList[n]).load();
    } catch (e) {
      say(errorText(e));
      return;
    }
    if (destroyed) return;
    if (!stack.length) {
      say(t('viewer.no_images'));
      return;
    }
    slider.max = String(stack.length - 1);
    slider.hidden = stack.length < 2;
    first = true;
    await show(0);
    stack.prefetch(0);
    follow(true);
  }

  /**
   * Moves to the slice matching the main viewer's: the nearest slice location, else the same relative position.
   * Not when the main viewer's last move was made for this viewer (`force`: when syncing is switched on).
   */
  function follow(force) {
    if (!sync || !stack || !stack.length || !mainStage) return;
    if (!force && mainStage.dataset.movedBy === 'prior') return;
    const mi = +mainStage.dataset.index || 0;
    const mc = +mainStage.dataset.count || 0;
    const loc = mainStage.dataset.location;
    const target = stack.matching({ location: loc != null && loc !== '' ? +loc : null, fraction: mc > 1 ? mi / (mc - 1) : 0 });
    if (target !== index) show(target);
  }

  const watcher = mainStage ? new MutationObserver(follow) : null;
  if (watcher) watcher.observe(mainStage, { attributes: true, attributeFilter: ['data-index'] });

  stage.addEventListener('wheel', (e) => {
    e.preventDefault();
    wheelAcc += e.deltaMode === 1 ? e.deltaY * 40 : e.deltaY;
    const steps = Math.trunc(wheelAcc / 50);
    if (steps) {
      wheelAcc -= steps * 50;
      scrollTo(index + steps);
    }
  }, { passive: false });

  (async () => {
    say(t('viewer.loading'));
    try {
      seriesList = await loadSeriesList(prior.study_uid);
    } catch (e) {
      say(errorText(e));
      return;
    }
    if (destroyed) return;
    clear(seriesPick).append(...seriesList.map((s, n) =>
      h('option', { value: n }, `${s.modality} ${s.number || ''} ${s.description || ''} (${t('viewer.images', { n: s.count })})`)));
    if (!seriesList.length) say(t('viewer.no_series'));
    else openSeries(0);
  })();

  return {
    destroy() {
      destroyed = true;
      if (watcher) watcher.disconnect();
      if (stack) stack.close();
      vp.destroy();
      root.remove();
    },
  };
}
