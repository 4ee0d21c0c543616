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
import { PRESETS } from './pixels.js';
import { Stack } from './stack.js';
import { Viewport } from './viewport.js';
import { PRESET_KEYS, StackView } from './stackview.js';

/** createPriorViewer(host, {prior, mainStage, onClose}) -> {destroy}. `prior` is an entry of GET .../priors. */
export function createPriorViewer(host, { prior, mainStage, onClose }) {
  let seriesList = [];
  let sync = true;
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
  // The current slice and its drawing (shared with the main viewer). The overlay and data-index follow each move
  // at once, while a frame not yet decoded is still being fetched. A jump past the prefetch (the reader's, or the
  // main viewer dragging the prior along) refocuses it, as in the main viewer.
  const sv = new StackView({ vp, slider, message, refocus: true, onMove: paintInfo, onPresent: (img, reset) => {
    if (reset) stage.dataset.ready = '1';
    paintInfo();
  } });

  function paintInfo() {
    const v = vp.view;
    info.replaceChildren(h('div', `${t('viewer.image')} ${sv.index + 1} / ${sv.length}`),
      h('div', `W ${Math.round(v.width)}  L ${Math.round(v.center)}`));
    stage.dataset.index = String(sv.index);
    stage.dataset.count = String(sv.length);
  }

  /** The reader scrolls the prior: it moves, and (synced) the main viewer moves to the matching slice. */
  function scrollTo(i) {
    sv.show(i);
    if (!sync || !sv.length || !mainStage) return;
    mainStage.dispatchEvent(new CustomEvent('teledx-seek', { detail: sv.stack.position(sv.index) }));
  }

  async function openSeries(n) {
    if (!seriesList[n]) return;
    if (sv.stack) sv.stack.close();
    sv.say(t('viewer.loading'));
    let loaded;
    try {
      loaded = await new Stack(prior.study_uid, seriesList[n]).load();
    } catch (e) {
      sv.say(errorText(e));
      return;
    }
    if (sv.destroyed || !sv.use(loaded)) return;
    await sv.show(0);
    sv.stack.prefetch(0);
    follow(true);
  }

  /**
   * Moves to the slice matching the main viewer's: the nearest slice location, else the same relative position.
   * Not when the main viewer's last move was made for this viewer (`force`: when syncing is switched on).
   */
  function follow(force) {
    if (!sync || !sv.length || !mainStage) return;
    if (!force && mainStage.dataset.movedBy === 'prior') return;
    const mi = +mainStage.dataset.index || 0;
    const mc = +mainStage.dataset.count || 0;
    const loc = mainStage.dataset.location;
    const target = sv.stack.matching({ location: loc != null && loc !== '' ? +loc : null, fraction: mc > 1 ? mi / (mc - 1) : 0 });
    if (target !== sv.index) sv.show(target);
  }

  const watcher = mainStage ? new MutationObserver(follow) : null;
  if (watcher) watcher.observe(mainStage, { attributes: true, attributeFilter: ['data-index'] });

  stage.addEventListener('wheel', (e) => {
    e.preventDefault();
    const steps = sv.wheelSteps(e);
    if (steps) scrollTo(sv.index + steps);
  }, { passive: false });

  (async () => {
    const list = await sv.loadSeries(prior.study_uid);
    if (!list) return;
    seriesList = list;
    clear(seriesPick).append(...seriesList.map((s, n) =>
      h('option', { value: n }, `${s.modality} ${s.number || ''} ${s.description || ''} (${t('viewer.images', { n: s.count })})`)));
    if (seriesList.length) openSeries(0);
  })();

  return {
    destroy() {
      sv.destroy();
      if (watcher) watcher.disconnect();
      if (sv.stack) sv.stack.close();
      vp.destroy();
      root.remove();
    },
  };
}
