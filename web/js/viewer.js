// The image viewer: series thumbnails, the stack viewport with its toolbar, overlays and keyboard, cine, and
// the tag panel. createViewer(host, {studyUid}) -> {destroy}.
import { h, clear } from './dom.js';
import { t } from './i18n.js';
import { errorText, getBinary } from './api.js';
import { dicomDate, personName } from './format.js';
import { str, pn } from './dicomjson.js';
import { PRESETS } from './pixels.js';
import { Stack } from './stack.js';
import { Viewport } from './viewport.js';
import { PRESET_KEYS, StackView } from './stackview.js';
import { tagPanel } from './tags.js';

const TOOLS = [['wl', 'W'], ['pan', 'P'], ['zoom', 'Z'], ['line', 'M'], ['angle', 'A']];
const THUMB_DELAY_MS = 1500;
const PREFETCH_DELAY_MS = 500;

export function createViewer(host, { studyUid }) {
  let seriesList = [];
  let currentSeries = -1;
  let markPending = true; // the next frame drawn is a series' first image (performance mark for the benchmark)
  let firstImage = null; // that frame
  let movedBy = ''; // 'prior' when the last move followed the prior viewer (it must not follow that move back)
  let cine = null;
  const stacks = new Map(); // series index -> {stack, loaded: Promise<Stack>}
  const getStack = (n) => {
    if (!stacks.has(n)) {
      const s = new Stack(studyUid, seriesList[n]);
      const x = { stack: s, loaded: s.load() };
      stacks.set(n, x);
      x.loaded.catch(() => stacks.delete(n));
    }
    return stacks.get(n);
  };

  const seriesCol = h('div.vw-series#series-list');
  const stageHost = h('div.vw-canvas-host');
  const message = h('div.vw-message', { hidden: true });
  const ov = { tl: h('div.vw-ov.tl'), tr: h('div.vw-ov.tr'), bl: h('div.vw-ov.bl'), br: h('div.vw-ov.br') };
  const slider = h('input.vw-slider', { type: 'range', min: 0, max: 0, value: 0, 'aria-label': t('viewer.slice'),
    oninput: () => show(+slider.value) });
  const stage = h('div.vw-stage#viewer-stage', stageHost, ov.tl, ov.tr, ov.bl, ov.br, slider, message);
  const tags = tagPanel();
  tags.hidden = true;

  const toolButtons = TOOLS.map(([tool, key]) => h('button.vw-btn' + (tool === 'wl' ? '.on' : ''), {
    type: 'button', 'data-tool': tool, title: `${t('tool.' + tool)} (${key})`, onclick: () => setTool(tool),
  }, t('tool.' + tool)));
  const cineBtn = h('button.vw-btn#cine', { type: 'button', title: t('viewer.cine') + ' (Space)', onclick: () => toggleCine() }, '▶');
  const toolbar = h('div.vw-toolbar',
    h('div.vw-group', toolButtons),
    h('div.vw-group', PRESET_KEYS.map((p, i) => h('button.vw-btn', {
      type: 'button', 'data-preset': p, title: `${t('preset.' + p)} (${i + 1})`, onclick: () => preset(p),
    }, t('preset.' + p))),
    h('button.vw-btn', { type: 'button', 'data-preset': 'default', title: t('preset.default') + ' (0)', onclick: () => vp.resetWindow() }, t('preset.default'))),
    h('div.vw-group',
      h('button.vw-btn#invert', { type: 'button', title: t('viewer.invert') + ' (I)', onclick: () => vp.update({ invert: !vp.view.invert }) }, t('viewer.invert')),
      h('button.vw-btn', { type: 'button', title: t('viewer.rotate') + ' (R)', onclick: () => vp.rotate() }, '⟳'),
      h('button.vw-btn', { type: 'button', title: t('viewer.flip') + ' (H)', onclick: () => vp.update({ flipH: !vp.view.flipH }) }, '⇋'),
      h('button.vw-btn', { type: 'button', title: t('viewer.fit') + ' (F)', onclick: () => vp.fit() }, t('viewer.fit')),
      cineBtn,
      h('button.vw-btn', { type: 'button', title: t('viewer.clear') + ' (Del)', onclick: () => vp.clearMeasures() }, '✕'),
      h('button.vw-btn#toggle-tags', { type: 'button', title: t('tags.title') + ' (T)', onclick: () => toggleTags() }, t('viewer.tags'))));

  const root = h('div.viewer', seriesCol, h('div.vw-main', toolbar, stage), tags);
  host.append(root);
  const vp = new Viewport(stageHost);
  vp.onChange = overlays;
  // The current slice and its drawing (shared with the prior viewer). A jump past the prefetch refocuses it.
  const sv = new StackView({ vp, slider, message, refocus: true, onPresent: (img) => {
    if (markPending) firstImage = img;
    if (!tags.hidden) tags.set(img.entry.meta);
  } });

  function setTool(tool) {
    vp.tool = tool;
    vp.cancelDraft();
    for (const b of toolButtons) b.classList.toggle('on', b.dataset.tool === tool);
  }

  function preset(name) {
    const p = PRESETS[name];
    if (p) vp.setWindow(p.center, p.width);
  }

  function toggleTags() {
    tags.hidden = !tags.hidden;
    if (!tags.hidden && vp.img) tags.set(vp.img.entry.meta);
  }

  // Overlay corners are redrawn on every frame while scrolling: their elements are rebuilt only when the text
  // changed (the patient corners never change within a series), which keeps style and layout work off the frame.
  function lines(el, rows) {
    const key = rows.map((r) => (Array.isArray(r) ? r.join('\u0001') : r)).join('\n');
    if (el.teledxKey === key) return;
    el.teledxKey = key;
    el.replaceChildren(...rows.map((r) => (Array.isArray(r) ? h('div' + r[0], r[1]) : h('div', r))));
  }

  const count = () => sv.length;

  function overlays() {
    if (!vp.img) return;
    const meta = vp.img.entry.meta;
    const info = vp.img.info;
    const v = vp.view;
    lines(ov.tl, [
      ['.b', personName(pn(meta, '00100010')) || '—'],
      str(meta, '00100020'),
      [str(meta, '00100040'), str(meta, '00101010')].filter(Boolean).join(' ')]);
    lines(ov.tr, [
      str(meta, '00080080'),
      dicomDate(str(meta, '00080020')),
      str(meta, '00081030'),
      `${t('viewer.series')} ${str(meta, '00200011')} ${str(meta, '0008103E')}`]);
    const probe = vp.probe && vp.probe.value != null
      ? `(${Math.floor(vp.probe.x)}, ${Math.floor(vp.probe.y)}) ${Array.isArray(vp.probe.value) ? vp.probe.value.join(',') : Math.round(vp.probe.value * 10) / 10}${info.modality === 'CT' && !vp.img.rgb ? ' HU' : ''}`
      : '';
    lines(ov.bl, [
      `${t('viewer.image')} ${sv.index + 1} / ${count()}`,
      ['#wl-readout', `W ${Math.round(v.width)}  L ${Math.round(v.center)}${v.invert ? '  ' + t('viewer.inverted') : ''}`],
      probe]);
    lines(ov.br, [
      `${t('viewer.zoom')} ${Math.round(v.scale * 100)}%`,
      str(meta, '00180050') ? `${t('viewer.thickness')} ${str(meta, '00180050')} mm` : null,
      str(meta, '00201041') ? `${t('viewer.location')} ${Number(str(meta, '00201041')).toFixed(1)} mm` : null,
      info.spacing ? null : t('viewer.no_spacing')].filter((x) => x != null));
    stage.dataset.location = str(meta, '00201041'); // the prior viewer follows by slice location
    stage.dataset.movedBy = movedBy;
    stage.dataset.index = String(sv.index);
    stage.dataset.count = String(count());
    stage.dataset.wl = `${Math.round(v.width)}/${Math.round(v.center)}`;
  }

  // `by` is 'prior' when the move follows the prior viewer (published as data-moved-by; see 'teledx-seek').
  function show(i, by = '') {
    if (!count()) return undefined;
    movedBy = by;
    return sv.show(i);
  }

  // "Shown" means drawn: the first frame of a series is marked once its pixels are on the canvas.
  let drawWaiters = [];
  const nextFirstDraw = () => new Promise((r) => drawWaiters.push(r)); // the next series' first image drawn
  const firstDrawn = nextFirstDraw();
  vp.onDrawn = (img) => {
    if (!markPending || img !== firstImage) return;
    markPending = false;
    performance.mark('teledx-first-image');
    stage.dataset.ready = '1';
    for (const r of drawWaiters) r();
    drawWaiters = [];
  };

  async function openSeries(n) {
    if (n === currentSeries || !seriesList[n]) return;
    stopCine();
    currentSeries = n;
    for (const [i, el] of [...seriesCol.children].entries()) el.classList.toggle('on', i === n);
    if (sv.stack) sv.stack.close();
    sv.clear();
    markPending = true;
    sv.say(t('viewer.loading'));
    const { stack: next, loaded } = getStack(n);
    try {
      await loaded;
    } catch (e) {
      if (currentSeries === n) sv.say(errorText(e));
      return;
    }
    if (sv.destroyed || currentSeries !== n) return;
    next.closed = false;
    if (!sv.use(next)) return;
    const drawn = nextFirstDraw();
    await show(0);
    // Prefetching starts once the first image is on screen: its requests and decoding would otherwise compete
    // with that image for the server and the main thread.
    await Promise.race([drawn, new Promise((r) => setTimeout(r, PREFETCH_DELAY_MS))]);
    if (sv.stack === next && !next.closed) next.prefetch(sv.index);
  }

  // Thumbnails come rendered by the server (one small JPEG per series), so the strip appears without loading
  // every series' metadata and pixels first.
  async function thumbnail(n, canvas) {
    try {
      const url = `/dicom-web/studies/${encodeURIComponent(studyUid)}/series/${encodeURIComponent(seriesList[n].uid)}` +
        `/thumbnail?viewport=${canvas.width},${canvas.height}`;
      const { bytes } = await getBinary(url, { accept: 'image/jpeg' });
      const img = await createImageBitmap(new Blob([bytes], { type: 'image/jpeg' }));
      const ctx = canvas.getContext('2d');
      const k = Math.min(canvas.width / img.width, canvas.height / img.height);
      ctx.fillStyle = '#000';
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.drawImage(img, (canvas.width - img.width * k) / 2, (canvas.height - img.height * k) / 2, img.width * k, img.height * k);
      img.close();
      canvas.dataset.loaded = '1';
    } catch {
      /* a thumbnail is not worth an error message */
    }
  }

  function toggleCine() {
    if (cine) return stopCine();
    if (count() < 2) return undefined;
    const ms = vp.img && vp.img.info.frameTimeMs ? Math.max(20, vp.img.info.frameTimeMs) : 1000 / 15;
    cine = setInterval(() => show((sv.index + 1) % count()), ms);
    cineBtn.textContent = '❚❚';
    cineBtn.classList.add('on');
    return undefined;
  }

  function stopCine() {
    clearInterval(cine);
    cine = null;
    cineBtn.textContent = '▶';
    cineBtn.classList.remove('on');
  }

  // Two-way sync with the prior viewer: scrolling the prior asks this viewer (event 'teledx-seek' on the stage,
  // detail {location, fraction}) for the matching slice. The move is published as made for the prior
  // (data-moved-by), so the prior does not follow it back: with different slice spacings that echo would pull
  // the prior off the slice the reader just chose.
  stage.addEventListener('teledx-seek', (e) => {
    if (!count() || !e.detail) return;
    const target = sv.stack.matching(e.detail);
    if (target !== sv.index) show(target, 'prior');
  });

  stage.addEventListener('wheel', (e) => {
    e.preventDefault();
    if (e.ctrlKey) {
      vp.update({ scale: Math.min(40, Math.max(0.05, vp.view.scale * Math.exp(-e.deltaY * 0.002))) });
      return;
    }
    const steps = sv.wheelSteps(e);
    if (steps) show(sv.index + steps);
  }, { passive: false });

  const onKey = (e) => {
    if (e.target.closest('input, textarea, select, [contenteditable]') || e.ctrlKey || e.metaKey || e.altKey) return;
    const k = e.key;
    const handled = true;
    if (k === 'ArrowDown' || k === 'ArrowRight' || k === 'PageDown') show(sv.index + (k === 'PageDown' ? 10 : 1));
    else if (k === 'ArrowUp' || k === 'ArrowLeft' || k === 'PageUp') show(sv.index - (k === 'PageUp' ? 10 : 1));
    else if (k === 'Home') show(0);
    else if (k === 'End') show(count() - 1);
    else if (k >= '1' && k <= '5') preset(PRESET_KEYS[+k - 1]);
    else if (k === '0') vp.resetWindow();
    else if (k === 'i' || k === 'I') vp.update({ invert: !vp.view.invert });
    else if (k === 'r' || k === 'R') vp.rotate();
    else if (k === 'h' || k === 'H') vp.update({ flipH: !vp.view.flipH });
    else if (k === 'v' || k === 'V') vp.update({ flipV: !vp.view.flipV });
    else if (k === 'f' || k === 'F') vp.fit();
    else if (k === ' ') toggleCine();
    else if (k === 't' || k === 'T') toggleTags();
    else if (k === 'Escape') vp.cancelDraft();
    else if (k === 'Delete' || k === 'Backspace') vp.clearMeasures();
    else {
      const tool = TOOLS.find(([, key]) => key === k.toUpperCase());
      if (tool) setTool(tool[0]);
      else return;
    }
    if (handled) e.preventDefault();
  };
  document.addEventListener('keydown', onKey);

  (async () => {
    const list = await sv.loadSeries(studyUid);
    if (!list) return;
    seriesList = list;
    clear(seriesCol);
    const canvases = seriesList.map((s, n) => {
      const canvas = h('canvas.vw-thumb', { width: 96, height: 96 });
      seriesCol.append(h('button.vw-series-item', { type: 'button', 'data-series': s.uid, onclick: () => openSeries(n) },
        canvas,
        h('div.vw-series-desc', `${s.modality} ${s.number || ''}`),
        h('div.vw-series-sub', s.description || ''),
        h('div.vw-series-sub', t('viewer.images', { n: s.count }))));
      return canvas;
    });
    if (seriesList.length) openSeries(0);
    // The server renders thumbnails: asked for once the first image is drawn (or after THUMB_DELAY_MS, if it
    // fails), so they do not compete with the metadata and the first frame for the server.
    await Promise.race([firstDrawn, new Promise((r) => setTimeout(r, THUMB_DELAY_MS))]);
    if (!sv.destroyed) canvases.forEach((canvas, n) => thumbnail(n, canvas));
  })();

  return {
    destroy() {
      sv.destroy();
      stopCine();
      for (const x of stacks.values()) x.stack.close();
      document.removeEventListener('keydown', onKey);
      vp.destroy();
      root.remove();
    },
  };
}
