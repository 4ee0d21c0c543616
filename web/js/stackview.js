// Showing a stack's slices in a viewport: the part the main viewer (viewer.js) and the prior viewer
// (priorview.js) have in common — which slice is current, drawing it (at once when decoded, else after its
// fetch, the latest request winning), the slice slider, the message line, wheel stepping and listing a study's
// series. Each viewer keeps its own toolbar, overlays and synchronisation and hooks in through onMove/onPresent.
import { t } from './i18n.js';
import { errorText } from './api.js';
import { UnsupportedFrame } from './pixels.js';
import { loadSeriesList } from './stack.js';

export const PRESET_KEYS = ['lung', 'mediastinum', 'bone', 'brain', 'abdomen'];

const WHEEL_STEP_PX = 50; // wheel travel per slice
const WHEEL_LINE_PX = 40; // a wheel 'line' (deltaMode 1, e.g. Firefox) in pixels

export class StackView {
  /**
   * vp: the Viewport; slider: the slice range input; message: the element for loading/error text.
   * refocus: a fetch for a slice not yet decoded also restarts the prefetch around it (the reader jumped ahead).
   * onMove(index): the current slice changed (before it is drawn). onPresent(img, reset): a frame was handed to
   * the viewport; reset is true for the first frame of a series (window and fit were reset).
   */
  constructor({ vp, slider, message, refocus = false, onMove = null, onPresent = null }) {
    this.vp = vp;
    this.slider = slider;
    this.message = message;
    this.refocus = refocus;
    this.onMove = onMove;
    this.onPresent = onPresent;
    this.stack = null;
    this.index = 0;
    this.fresh = true; // the next frame shown is a series' first: it resets the window and fits
    this.destroyed = false;
    this.wheelAcc = 0;
  }

  get length() {
    return this.stack ? this.stack.length : 0;
  }

  say(text) {
    this.message.textContent = text || '';
    this.message.hidden = !text;
  }

  /** No series shown while the next one loads: moves are ignored and late frames of the old one are dropped. */
  clear() {
    this.stack = null;
    this.index = 0;
    this.fresh = true;
  }

  /** Makes a loaded stack current, its first frame to come with a reset view; false (and says so) when empty. */
  use(stack) {
    this.stack = stack;
    if (!stack.length) {
      this.say(t('viewer.no_images'));
      return false;
    }
    this.slider.max = String(stack.length - 1);
    this.slider.hidden = stack.length < 2;
    this.fresh = true;
    return true;
  }

  /**
   * Moves to slice i (clamped). A decoded slice is drawn at once, in the same animation frame as the key or wheel
   * event; others are fetched, and only the latest request is shown when several are in flight. Returns the
   * fetch's promise when there is one.
   */
  show(i) {
    if (!this.stack || !this.stack.length) return undefined;
    this.index = Math.max(0, Math.min(this.stack.length - 1, i));
    this.slider.value = String(this.index);
    if (this.onMove) this.onMove(this.index);
    const img = this.stack.ready(this.index);
    if (img) {
      this.present(img);
      return undefined;
    }
    return this.fetchAndShow(this.stack, this.index);
  }

  async fetchAndShow(mine, want) {
    if (this.refocus && !this.fresh) mine.prefetch(want);
    try {
      const img = await mine.image(want);
      if (this.destroyed || mine !== this.stack || want !== this.index) return;
      this.present(img);
    } catch (e) {
      if (this.destroyed || mine !== this.stack) return;
      this.say(e instanceof UnsupportedFrame ? t('viewer.unsupported', { ts: e.transferSyntax }) : errorText(e));
    }
  }

  present(img) {
    const reset = this.fresh;
    this.say('');
    this.vp.setImage(img, { reset });
    this.fresh = false;
    if (this.onPresent) this.onPresent(img, reset);
  }

  /** Whole slices a wheel event moves by; the remainder is kept so slow trackpad scrolling still steps. */
  wheelSteps(e) {
    this.wheelAcc += e.deltaMode === 1 ? e.deltaY * WHEEL_LINE_PX : e.deltaY;
    const steps = Math.trunc(this.wheelAcc / WHEEL_STEP_PX);
    this.wheelAcc -= steps * WHEEL_STEP_PX;
    return steps;
  }

  /** A study's series, or null when they cannot be listed (the message says why) or the view was closed. */
  async loadSeries(studyUid) {
    this.say(t('viewer.loading'));
    let list;
    try {
      list = await loadSeriesList(studyUid);
    } catch (e) {
      this.say(errorText(e));
      return null;
    }
    if (this.destroyed) return null;
    if (!list.length) this.say(t('viewer.no_series'));
    return list;
  }

  destroy() {
    this.destroyed = true;
  }
}
