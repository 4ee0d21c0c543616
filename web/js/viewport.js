// One image viewport: draws a decoded frame with window/level, zoom, pan, rotation, flips and invert, and
// handles the mouse: the active tool on the left button (window, pan, zoom, distance, angle), pan on the middle
// button, zoom on the right. Measurements live in image coordinates, per image.
import { renderInto, defaultWindow, valueAt } from './pixels.js';

const SETTLE_MS = 150; // a draw this soon after the previous one counts as motion

export class Viewport {
  constructor(host) {
    this.host = host;
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'vw-canvas';
    host.append(this.canvas);
    this.ctx = this.canvas.getContext('2d');
    this.src = document.createElement('canvas');
    this.srcCtx = this.src.getContext('2d');
    this.img = null;
    this.imageData = null;
    this.view = { center: 40, width: 400, invert: false, scale: 1, panX: 0, panY: 0, rot: 0, flipH: false, flipV: false };
    this.tool = 'wl';
    this.measures = new Map(); // image key -> [{type, pts}]
    this.draft = null; // measurement being drawn
    this.probe = null;
    this.dirtyPixels = true;
    this.frameRequested = false;
    this.fitted = false;
    this.userMoved = false; // zoomed or panned by hand: resizing then keeps the view
    this.onChange = null; // () => void: overlay text to refresh
    this.onDrawn = null; // (img) => void: called after a frame's pixels reached the canvas
    this.lutCache = {}; // the window lookup table, reused while scrolling through a series (see renderInto)
    this.lastDraw = -Infinity;
    this.settleTimer = 0;
    this.resizeObserver = new ResizeObserver(() => this.resize());
    this.resizeObserver.observe(host);
    this.bindPointer();
    this.resize();
  }

  destroy() {
    clearTimeout(this.settleTimer);
    this.resizeObserver.disconnect();
    this.canvas.remove();
  }

  resize() {
    const dpr = window.devicePixelRatio || 1;
    const r = this.host.getBoundingClientRect();
    this.cssW = Math.max(1, r.width);
    this.cssH = Math.max(1, r.height);
    this.canvas.width = Math.round(this.cssW * dpr);
    this.canvas.height = Math.round(this.cssH * dpr);
    this.canvas.style.width = this.cssW + 'px';
    this.canvas.style.height = this.cssH + 'px';
    this.dpr = dpr;
    // Keep the image fitted to the viewport until the reader zooms or pans by hand.
    if (this.img && (!this.fitted || !this.userMoved)) this.fit();
    this.requestDraw();
  }

  /** Shows a frame. The first frame of a series sets the window and fits; later ones keep the view. */
  setImage(img, { reset = false } = {}) {
    const sizeChanged = !this.img || this.img.width !== img.width || this.img.height !== img.height;
    this.img = img;
    if (reset) {
      const w = defaultWindow(img);
      Object.assign(this.view, { center: w.center, width: w.width, invert: false, rot: 0, flipH: false, flipV: false });
    }
    if (sizeChanged) {
      this.src.width = img.width;
      this.src.height = img.height;
      this.imageData = this.srcCtx.createImageData(img.width, img.height);
    }
    if (reset || sizeChanged) this.fit();
    this.dirtyPixels = true;
    this.requestDraw();
  }

  setWindow(center, width) {
    this.view.center = center;
    this.view.width = Math.max(1, width);
    this.dirtyPixels = true;
    this.requestDraw();
  }

  resetWindow() {
    if (!this.img) return;
    const w = defaultWindow(this.img);
    this.setWindow(w.center, w.width);
  }

  update(patch) {
    const pixels = 'invert' in patch;
    if ('scale' in patch || 'panX' in patch) this.userMoved = true;
    Object.assign(this.view, patch);
    if (pixels) this.dirtyPixels = true;
    this.requestDraw();
  }

  fit() {
    if (!this.img) return;
    const turned = this.view.rot % 2 === 1;
    const w = turned ? this.img.height : this.img.width;
    const h = turned ? this.img.width : this.img.height;
    this.view.scale = Math.min(this.cssW / w, this.cssH / h) * 0.96;
    this.view.panX = 0;
    this.view.panY = 0;
    this.fitted = this.cssW > 1;
    this.userMoved = false;
    this.requestDraw();
  }

  rotate() {
    this.view.rot = (this.view.rot + 1) % 4;
    this.fit();
  }

  matrix() {
    const v = this.view;
    const m = new DOMMatrix();
    m.translateSelf(this.cssW / 2 + v.panX, this.cssH / 2 + v.panY);
    m.rotateSelf(v.rot * 90);
    m.scaleSelf(v.scale * (v.flipH ? -1 : 1), v.scale * (v.flipV ? -1 : 1));
    m.translateSelf(-this.img.width / 2, -this.img.height / 2);
    return m;
  }

  toImage(x, y) {
    const p = this.matrix().inverse().transformPoint(new DOMPoint(x, y));
    return { x: p.x, y: p.y };
  }

  toScreen(p) {
    const q = this.matrix().transformPoint(new DOMPoint(p.x, p.y));
    return { x: q.x, y: q.y };
  }

  requestDraw() {
    if (this.frameRequested) return;
    this.frameRequested = true;
    requestAnimationFrame(() => {
      this.frameRequested = false;
      this.draw();
    });
  }

  draw() {
    const ctx = this.ctx;
    // Frames drawn in quick succession (scrolling, cine, dragging the window) are scaled with the cheaper filter;
    // bicubic 'high' costs about a third of a 60 Hz frame on a software canvas. The picture the reader stops
    // on is drawn again in full quality.
    const now = performance.now();
    const moving = now - this.lastDraw < SETTLE_MS;
    this.lastDraw = now;
    clearTimeout(this.settleTimer);
    if (moving) this.settleTimer = setTimeout(() => this.requestDraw(), SETTLE_MS);
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    if (!this.img) return;
    if (this.dirtyPixels) {
      renderInto(this.imageData, this.img, this.view.center, this.view.width, this.view.invert, this.lutCache);
      this.srcCtx.putImageData(this.imageData, 0, 0);
      this.dirtyPixels = false;
    }
    const m = this.matrix();
    ctx.setTransform(new DOMMatrix().scaleSelf(this.dpr, this.dpr).multiplySelf(m));
    ctx.imageSmoothingEnabled = this.view.scale < 8; // interpolate for reading; show pixels when inspecting
    ctx.imageSmoothingQuality = moving ? 'medium' : 'high';
    ctx.drawImage(this.src, 0, 0);
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    for (const ms of this.currentMeasures()) this.drawMeasure(ms);
    if (this.draft) this.drawMeasure(this.draft);
    if (this.onChange) this.onChange();
    if (this.onDrawn) this.onDrawn(this.img);
  }

  currentMeasures() {
    return (this.img && this.measures.get(this.img.entry.key)) || [];
  }

  clearMeasures() {
    if (this.img) this.measures.delete(this.img.entry.key);
    this.draft = null;
    this.requestDraw();
  }

  /** Length in mm when the pixel spacing is known, else in pixels. */
  length(a, b) {
    const s = this.img.info.spacing;
    const dx = b.x - a.x;
    const dy = b.y - a.y;
    if (s) return { value: Math.hypot(dx * s[1], dy * s[0]), unit: 'mm' };
    return { value: Math.hypot(dx, dy), unit: 'px' };
  }

  angle(a, b, c) {
    const s = this.img.info.spacing || [1, 1];
    const v1 = [(a.x - b.x) * s[1], (a.y - b.y) * s[0]];
    const v2 = [(c.x - b.x) * s[1], (c.y - b.y) * s[0]];
    const cos = (v1[0] * v2[0] + v1[1] * v2[1]) / (Math.hypot(...v1) * Math.hypot(...v2) || 1);
    return (Math.acos(Math.max(-1, Math.min(1, cos))) * 180) / Math.PI;
  }

  drawMeasure(ms) {
    const ctx = this.ctx;
    const pts = ms.pts.map((p) => this.toScreen(p));
    ctx.save();
    ctx.lineWidth = 1.5;
    ctx.strokeStyle = '#ffd24a';
    ctx.fillStyle = '#ffd24a';
    ctx.font = '13px system-ui, sans-serif';
    ctx.shadowColor = 'rgba(0,0,0,0.9)';
    ctx.shadowBlur = 3;
    ctx.beginPath();
    pts.forEach((p, i) => (i ? ctx.lineTo(p.x, p.y) : ctx.moveTo(p.x, p.y)));
    ctx.stroke();
    for (const p of pts) {
      ctx.beginPath();
      ctx.arc(p.x, p.y, 2.5, 0, Math.PI * 2);
      ctx.fill();
    }
    let label = '';
    if (ms.type === 'line' && pts.length === 2) {
      const l = this.length(ms.pts[0], ms.pts[1]);
      label = `${l.value.toFixed(1)} ${l.unit}`;
    } else if (ms.type === 'angle' && pts.length === 3) {
      label = `${this.angle(...ms.pts).toFixed(1)}°`;
    }
    if (label) {
      const at = pts[pts.length - 1];
      ctx.fillText(label, at.x + 8, at.y - 8);
    }
    ctx.restore();
  }

  bindPointer() {
    const c = this.canvas;
    let drag = null;
    c.addEventListener('contextmenu', (e) => e.preventDefault());
    c.addEventListener('pointerdown', (e) => {
      if (!this.img) return;
      c.setPointerCapture(e.pointerId);
      const tool = e.button === 1 ? 'pan' : e.button === 2 ? 'zoom' : this.tool;
      const p = this.toImage(e.offsetX, e.offsetY);
      drag = { tool, x: e.offsetX, y: e.offsetY, view: { ...this.view }, start: p };
      if (tool === 'line') this.draft = { type: 'line', pts: [p, p] };
      if (tool === 'angle') {
        if (this.draft && this.draft.type === 'angle' && this.draft.stage === 2) {
          this.draft.pts[2] = p;
          this.commitDraft();
          drag = null;
        } else {
          this.draft = { type: 'angle', pts: [p, p], stage: 1 };
        }
      }
      e.preventDefault();
    });
    c.addEventListener('pointermove', (e) => {
      if (!this.img) return;
      const p = this.toImage(e.offsetX, e.offsetY);
      this.probe = { ...p, value: valueAt(this.img, p.x, p.y) };
      if (this.draft && this.draft.type === 'angle' && this.draft.stage === 2) {
        this.draft.pts[2] = p;
        this.requestDraw();
        return;
      }
      if (!drag) {
        if (this.onChange) this.onChange();
        return;
      }
      const dx = e.offsetX - drag.x;
      const dy = e.offsetY - drag.y;
      if (drag.tool === 'wl') {
        const k = Math.max(0.25, (this.img.max - this.img.min) / 700);
        this.setWindow(drag.view.center + dy * k, Math.max(1, drag.view.width + dx * k));
      } else if (drag.tool === 'pan') {
        this.update({ panX: drag.view.panX + dx, panY: drag.view.panY + dy });
      } else if (drag.tool === 'zoom') {
        this.update({ scale: Math.min(40, Math.max(0.05, drag.view.scale * Math.exp(-dy * 0.01))) });
      } else if (this.draft) {
        this.draft.pts[1] = p;
        this.requestDraw();
      }
    });
    c.addEventListener('pointerup', () => {
      if (drag && this.draft) {
        const [a, b] = this.draft.pts.map((q) => this.toScreen(q));
        const long = Math.hypot(a.x - b.x, a.y - b.y) > 3;
        if (this.draft.type === 'line') {
          if (long) this.commitDraft();
          else this.draft = null;
        } else if (this.draft.type === 'angle' && this.draft.stage === 1) {
          if (long) {
            this.draft.stage = 2;
            this.draft.pts.push(this.draft.pts[1]);
          } else this.draft = null;
        }
        this.requestDraw();
      }
      drag = null;
    });
    c.addEventListener('pointerleave', () => {
      this.probe = null;
      if (this.onChange) this.onChange();
    });
  }

  commitDraft() {
    const key = this.img.entry.key;
    const list = this.measures.get(key) || [];
    list.push({ type: this.draft.type, pts: this.draft.pts.slice(0, this.draft.type === 'angle' ? 3 : 2) });
    this.measures.set(key, list);
    this.draft = null;
    this.requestDraw();
  }

  cancelDraft() {
    this.draft = null;
    this.requestDraw();
  }
}
