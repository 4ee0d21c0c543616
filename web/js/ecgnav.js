// Paging through an ECG longer than one page (a 30-minute two-lead record, a long rhythm strip): the page is the
// 10 s the paper layouts show. Buttons and ←/→ move by a page, the slider anywhere; with the machine's beat list,
// "previous / next PVC" puts a ventricular beat a third into the page, where the beats before it show its
// prematurity. The page's time range reads as h:mm:ss from the recording's start.
import { h } from './dom.js';
import { t } from './i18n.js';

const clock = (s) => {
  const v = Math.max(0, Math.floor(s));
  const hh = Math.floor(v / 3600);
  const mm = String(Math.floor((v % 3600) / 60)).padStart(2, '0');
  const ss = String(v % 60).padStart(2, '0');
  return `${hh}:${mm}:${ss}`;
};

/**
 * createEcgNav({id, seconds, page, pvcs, onMove}) -> {el, at(), moveTo(t)}. `pvcs`: the times (s) of the machine's
 * ventricular beats, may be empty; onMove(t0) after every move.
 */
export function createEcgNav({ id, seconds, page, pvcs: times, onMove }) {
  const last = Math.max(0, seconds - page);
  const pvcs = [...(times || [])].sort((a, b) => a - b);
  let t0 = 0;
  let cursor = null; // the PVC the last jump went to
  const slider = h('input.ecg-nav-slider', { id: `${id}-nav-slider`, type: 'range', min: 0, max: Math.ceil(last), step: 1,
    value: 0, 'aria-label': t('ecgnav.slider'), oninput: () => moveTo(+slider.value) });
  const range = h('span.ecg-nav-range', { id: `${id}-nav-range` });
  const pvcText = h('span.ecg-nav-pvc', { id: `${id}-nav-pvc` });
  const button = (label, title, fn, key) => h('button.btn.small', { type: 'button', title, 'data-nav': key, onclick: fn }, label);
  const el = h('div.ecg-nav', { id: `${id}-nav` },
    button('«', t('ecgnav.start'), () => moveTo(0), 'start'),
    button('◀ 10 s', t('ecgnav.back'), () => moveTo(t0 - page), 'back'),
    slider,
    button('10 s ▶', t('ecgnav.forward'), () => moveTo(t0 + page), 'forward'),
    button('»', t('ecgnav.end'), () => moveTo(last), 'end'),
    range,
    pvcs.length ? [
      button(t('ecgnav.prev_pvc'), '', () => jumpPvc(-1), 'prev-pvc'),
      button(t('ecgnav.next_pvc'), '', () => jumpPvc(1), 'next-pvc'),
      pvcText] : null);

  function paint() {
    slider.value = String(Math.round(t0));
    range.textContent = `${clock(t0)} – ${clock(Math.min(seconds, t0 + page))} / ${clock(seconds)}`;
    if (pvcs.length) {
      const here = pvcs.filter((s) => s >= t0 && s < t0 + page).length;
      pvcText.textContent = cursor != null
        ? t('ecgnav.pvc_at', { n: pvcs.indexOf(cursor) + 1, all: pvcs.length, here })
        : t('ecgnav.pvc_count', { all: pvcs.length, here });
    }
  }

  function moveTo(next) {
    cursor = null;
    t0 = Math.min(last, Math.max(0, next));
    paint();
    onMove(t0);
  }

  // The PVC after (or before) the one the last jump went to; after a page move, after the page's first third.
  function jumpPvc(dir) {
    const anchor = cursor != null ? cursor : t0 + page / 3;
    const target = dir > 0 ? pvcs.find((s) => s > anchor + 0.01) : [...pvcs].reverse().find((s) => s < anchor - 0.01);
    if (target == null) return;
    moveTo(target - page / 3);
    cursor = target;
    paint();
  }

  paint();
  return { el, at: () => t0, moveTo };
}
