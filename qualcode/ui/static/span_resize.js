// qualcode transcript selector, part two: resize handles on the selected coding.
//
// Appended to span_component.js by qualcode/ui/span_component.py (one module, so these are plain
// functions sharing the component's state `st`). When the coder's own coding is selected, a
// handle sits on each of its ends. Dragging one moves that end, snapped to word boundaries
// (hold Alt for single characters); on release the browser sends a "resize" event with the new
// offsets and the ones it started from, and Python stores it (or refuses when the coding changed
// meanwhile). The handles are sliders for the keyboard too: ←/→ move an end by a word (Alt: a
// character), Enter stores, Escape puts it back. Nothing is stored here.

const WORD = /[\p{L}\p{N}\p{M}_'’-]/u;

function isWord(st, i) {
  return i >= 0 && i < st.text.length && WORD.test(st.text[i]);
}

// Snap a start to the beginning of the word under it (or of the next word, from a gap); an end
// to the end of the word under it (or of the previous word).
function snapWord(st, pos, isEnd) {
  const n = st.text.length;
  pos = Math.max(0, Math.min(n, pos));
  if (!isEnd) {
    while (pos > 0 && isWord(st, pos - 1) && isWord(st, pos)) pos--;
    while (pos < n && /\s/.test(st.text[pos])) pos++;
  } else {
    while (pos < n && isWord(st, pos - 1) && isWord(st, pos)) pos++;
    while (pos > 0 && /\s/.test(st.text[pos - 1])) pos--;
  }
  return pos;
}

// One word (or, with `chars`, one character) to the left or right of an end.
function stepWord(st, pos, dir, isEnd, chars) {
  const n = st.text.length;
  if (chars) return Math.max(0, Math.min(n, pos + dir));
  let p = pos;
  if (!isEnd) {  // word starts
    if (dir > 0) {
      while (p < n && isWord(st, p)) p++;
      while (p < n && !isWord(st, p)) p++;
    } else {
      while (p > 0 && !isWord(st, p - 1)) p--;
      while (p > 0 && isWord(st, p - 1)) p--;
      if (p === pos && p > 0) return stepWord(st, p - 1, -1, false, false);
    }
  } else {  // word ends
    if (dir > 0) {
      while (p < n && !isWord(st, p)) p++;
      while (p < n && isWord(st, p)) p++;
    } else {
      while (p > 0 && isWord(st, p - 1)) p--;
      while (p > 0 && !isWord(st, p - 1)) p--;
    }
  }
  return p;
}

// The text node and offset of a position: the segment holding it (for an end, the segment it
// closes, so a highlight's last line is used, not the next line's start).
function pointAt(st, pos, isEnd) {
  const segs = segments(st);
  let lo = 0, hi = segs.length;
  while (lo < hi) {  // first segment starting after pos (at or after, for an end)
    const mid = (lo + hi) >> 1;
    const s = Number(segs[mid].dataset.s);
    if (isEnd ? s < pos : s <= pos) lo = mid + 1; else hi = mid;
  }
  const seg = segs[Math.max(0, lo - 1)];
  if (!seg || !seg.firstChild) return null;
  const off = Math.max(0, Math.min(seg.textContent.length, pos - Number(seg.dataset.s)));
  return { node: seg.firstChild, off };
}

function rangeOf(st, start, end) {
  const a = pointAt(st, start, false), b = pointAt(st, end, true);
  if (!a || !b) return null;
  const r = document.createRange();
  r.setStart(a.node, a.off);
  r.setEnd(b.node, b.off);
  return r;
}

function ownSelected(st) {
  if (st.selected === null || !st.me) return null;
  const c = st.byId.get(st.selected);
  return c && st.coders[c[5]] === st.me ? c : null;
}

function drawHandles(st) {
  const c = ownSelected(st);
  if (!c) {
    if (st.handleLayer) { st.handleLayer.remove(); st.handleLayer = null; }
    st.resize = null;
    return;
  }
  if (!st.handleLayer || !st.handleLayer.isConnected) {
    st.handleLayer = document.createElement('div');
    st.handleLayer.className = 'qcs-handles';
    st.root.appendChild(st.handleLayer);
    for (const which of ['start', 'end']) {
      const h = document.createElement('div');
      h.className = `qcs-handle qcs-handle-${which}`;
      h.dataset.end = which;
      h.tabIndex = 0;
      h.setAttribute('role', 'slider');
      h.setAttribute('data-testid', `qcs-handle-${which}`);
      h.addEventListener('pointerdown', (e) => startDrag(st, which, e));
      h.addEventListener('keydown', (e) => handleKey(st, which, e));
      st.handleLayer.appendChild(h);
    }
  }
  if (!st.resize || st.resize.id !== String(c[0])) {
    st.resize = { id: String(c[0]), from: [c[1], c[2]], start: c[1], end: c[2] };
  }
  placeHandles(st);
}

function placeHandles(st) {
  const rs = st.resize;
  if (!rs || !st.handleLayer) return;
  const c = st.byId.get(rs.id);
  const colour = c ? st.codes[c[4]][1] : '#888888';
  const path = c ? st.codes[c[4]][0] : '';
  const rootBox = st.root.getBoundingClientRect();
  const top0 = rootBox.top - st.root.scrollTop;
  const left0 = rootBox.left - st.root.scrollLeft;
  for (const h of st.handleLayer.children) {
    const isEnd = h.dataset.end === 'end';
    const pos = isEnd ? rs.end : rs.start;
    const p = pointAt(st, pos, isEnd);
    let box = null;
    if (p) {
      const r = document.createRange();
      r.setStart(p.node, p.off);
      r.collapse(true);
      box = r.getBoundingClientRect();
    }
    if (!box || (!box.height && !box.top)) { h.hidden = true; continue; }
    h.hidden = false;
    h.style.cssText = `left:${box.left - left0}px;top:${box.top - top0}px;height:${
      Math.max(14, box.height)}px;--qcs-c:${colour}`;
    const words = isEnd ? st.text.slice(Math.max(rs.start, pos - 40), pos) : st.text.slice(pos, Math.min(rs.end, pos + 40));
    h.setAttribute('aria-label', `${isEnd ? 'End' : 'Start'} of the ${path} coding: drag, or `
      + 'press left or right to move it by a word (Alt: by a character), Enter to store');
    h.setAttribute('aria-valuemin', '0');
    h.setAttribute('aria-valuemax', String(st.text.length));
    h.setAttribute('aria-valuenow', String(pos));
    h.setAttribute('aria-valuetext', isEnd ? `ends after “${words}”` : `starts at “${words}”`);
    h.title = `${isEnd ? 'End' : 'Start'} of ${path}: drag to resize (snaps to words; hold Alt `
      + 'for characters)';
  }
  showResize(st);
}

// The extent while it is being changed, painted without touching the DOM (CSS highlights).
function showResize(st) {
  if (typeof CSS === 'undefined' || !CSS.highlights || typeof Highlight === 'undefined') return;
  const rs = st.resize;
  if (!rs || (rs.start === rs.from[0] && rs.end === rs.from[1])) {
    CSS.highlights.delete('qcs-resize');
    return;
  }
  const r = rangeOf(st, rs.start, rs.end);
  if (r) CSS.highlights.set('qcs-resize', new Highlight(r));
}

function moveEnd(st, which, pos) {
  const rs = st.resize;
  if (which === 'start') rs.start = Math.max(0, Math.min(pos, rs.end - 1));
  else rs.end = Math.min(st.text.length, Math.max(pos, rs.start + 1));
  st.root.dataset.resizing = `${rs.start}-${rs.end}`;
  placeHandles(st);
}

function caretOffset(st, x, y, isEnd) {
  let node = null, off = 0;
  if (document.caretPositionFromPoint) {
    const p = document.caretPositionFromPoint(x, y);
    if (p) { node = p.offsetNode; off = p.offset; }
  } else if (document.caretRangeFromPoint) {
    const r = document.caretRangeFromPoint(x, y);
    if (r) { node = r.startContainer; off = r.startOffset; }
  }
  if (!node || !st.root.contains(node)) return null;
  return offsetOf(st, node, off, isEnd);
}

function startDrag(st, which, e) {
  if (e.button !== 0 || !st.resize) return;
  e.preventDefault();
  e.stopPropagation();
  closePopover(st);
  const isEnd = which === 'end';
  st.handleLayer.classList.add('qcs-dragging');
  const move = (ev) => {
    ev.preventDefault();
    const raw = caretOffset(st, ev.clientX, ev.clientY, isEnd);
    if (raw === null) return;
    moveEnd(st, which, ev.altKey ? raw : snapWord(st, raw, isEnd));
  };
  const up = (ev) => {
    document.removeEventListener('pointermove', move, true);
    document.removeEventListener('pointerup', up, true);
    st.handleLayer && st.handleLayer.classList.remove('qcs-dragging');
    ev.preventDefault();
    const sel = document.getSelection();
    if (sel) sel.removeAllRanges();
    sendResize(st);
  };
  document.addEventListener('pointermove', move, true);
  document.addEventListener('pointerup', up, true);
}

function handleKey(st, which, e) {
  const rs = st.resize;
  if (!rs) return;
  const isEnd = which === 'end';
  if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') {
    e.preventDefault();
    e.stopPropagation();
    const pos = isEnd ? rs.end : rs.start;
    moveEnd(st, which, stepWord(st, pos, e.key === 'ArrowRight' ? 1 : -1, isEnd, e.altKey));
    st.live.textContent = isEnd ? `Ends after “${st.text.slice(Math.max(rs.start, rs.end - 40), rs.end)}”`
      : `Starts at “${st.text.slice(rs.start, Math.min(rs.end, rs.start + 40))}”`;
  } else if (e.key === 'Enter') {
    e.preventDefault();
    e.stopPropagation();
    sendResize(st);
  } else if (e.key === 'Escape') {
    e.preventDefault();
    e.stopPropagation();
    rs.start = rs.from[0];
    rs.end = rs.from[1];
    placeHandles(st);
  } else if (e.key === 'ArrowUp' || e.key === 'ArrowDown') {
    e.stopPropagation();  // the sentence cursor belongs to the text, not to a handle
  }
}

function sendResize(st) {
  const rs = st.resize;
  if (!rs || (rs.start === rs.from[0] && rs.end === rs.from[1])) return;
  st.live.textContent = 'Resizing the coding…';
  rs.sent = nonce(st);
  st.send('event', { kind: 'resize', id: Number(rs.id), start: rs.start, end: rs.end,
                     was: rs.from, doc: st.docId, nonce: rs.sent });
}

// The server has acted on the resize (``ack``: the nonce of the last event the page acted on)
// or the coding changed: its stored offsets win, whether the resize was stored or refused.
function settleResize(st, ack) {
  const rs = st.resize;
  if (!rs) return;
  const c = st.byId.get(rs.id);
  if (!c) return;
  const answered = rs.sent && typeof ack === 'number' && ack >= rs.sent;
  if (answered || c[1] !== rs.from[0] || c[2] !== rs.from[1]) {
    st.resize = { id: rs.id, from: [c[1], c[2]], start: c[1], end: c[2] };
    delete st.root.dataset.resizing;
  }
}
