// qualcode transcript selector, part two: resize handles on the selected coding.
//
// Appended to span_component.js by qualcode/ui/span_component.py (one module, so these are plain
// functions sharing the component's state `st`). When the coder's own coding is selected, a
// handle sits on each of its ends. Dragging one moves that end, snapped to word boundaries
// (hold Alt for single characters); on release the browser sends a "resize" event with the new
// offsets and the ones it started from, and Python stores it (or refuses when the coding changed
// meanwhile). The handles are sliders for the keyboard too: ←/→ move an end by a word (Alt: a
// character), Enter stores, Escape puts it back. Nothing is stored here.
//
// Ends never leave the transcript's turns: the text between two turns (the next speaker's label
// and time) is not shown, so an end that would fall there goes to the nearest turn's edge. One
// resize is in flight at a time: until the page answers, the handles wait.

const WORD = /[\p{L}\p{N}\p{M}_'’-]/u;

function isWord(st, i) {
  if (i < 0 || i >= st.text.length) return false;
  let cp = st.text.codePointAt(i);
  if (cp >= 0xdc00 && cp <= 0xdfff && i > 0) cp = st.text.codePointAt(i - 1);  // a pair's low half
  return WORD.test(String.fromCodePoint(cp));
}

// The turn holding position `pos` as a start (turn start <= pos < end) or as an end
// (start < pos <= end); -1 in a gap between turns.
function turnOf(st, pos, isEnd) {
  let lo = 0, hi = st.turns.length;
  while (lo < hi) {  // first turn starting after pos (at or after, for an end)
    const mid = (lo + hi) >> 1;
    if (isEnd ? st.turns[mid][0] < pos : st.turns[mid][0] <= pos) lo = mid + 1; else hi = mid;
  }
  const t = lo - 1;
  if (t < 0) return -1;
  const [a, b] = st.turns[t];
  return (isEnd ? pos > a && pos <= b : pos >= a && pos < b) ? t : -1;
}

// A start in a gap goes to the next turn's start; an end to the previous turn's end.
function intoTurns(st, pos, isEnd) {
  if (!st.turns.length || turnOf(st, pos, isEnd) >= 0) return pos;
  if (isEnd) {
    for (let t = st.turns.length - 1; t >= 0; t--) if (st.turns[t][1] <= pos) return st.turns[t][1];
    return st.turns[0][1];
  }
  for (const [a] of st.turns) if (a >= pos) return a;
  return st.turns[st.turns.length - 1][0];
}

// Snap a start to the beginning of the word under it (or of the next word, over spaces and
// punctuation); an end to the end of the word under it (or back over spaces). Within its turn.
function snapWord(st, pos, isEnd) {
  const n = st.text.length;
  pos = Math.max(0, Math.min(n, pos));
  const t = turnOf(st, pos, isEnd);
  const [lo, hi] = t >= 0 ? st.turns[t] : [0, n];
  if (!isEnd) {
    while (pos > lo && isWord(st, pos - 1) && isWord(st, pos)) pos--;
    while (pos < hi - 1 && !isWord(st, pos)) pos++;
  } else {
    while (pos < hi && isWord(st, pos - 1) && isWord(st, pos)) pos++;
    while (pos > lo + 1 && /\s/.test(st.text[pos - 1])) pos--;
  }
  return intoTurns(st, pos, isEnd);
}

// One word (or, with `chars`, one character: a surrogate pair counts as one) left or right.
function stepWord(st, pos, dir, isEnd, chars) {
  const n = st.text.length;
  if (chars) {
    let p = pos + dir;
    const c = st.text.charCodeAt(dir > 0 ? pos : p);
    if (dir > 0 && c >= 0xd800 && c <= 0xdbff) p++;
    if (dir < 0 && c >= 0xdc00 && c <= 0xdfff) p--;
    return intoTurns(st, Math.max(0, Math.min(n, p)), isEnd);
  }
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
  return intoTurns(st, p, isEnd);
}

// The text node and offset of a position: the segment holding it (for an end, the segment it
// closes, so a highlight's last line is used, not the next line's start).
function pointAt(st, pos, isEnd) {
  const seg = segmentAt(st, pos, isEnd);
  if (!seg || !seg.firstChild) return null;
  const off = Math.max(0, Math.min(seg.textContent.length, pos - Number(seg.dataset.s)));
  return { node: seg.firstChild, off };
}

function ownSelected(st) {
  if (st.selected === null || !st.me) return null;
  const c = st.byId.get(st.selected);
  return c && st.coders[c[5]] === st.me ? c : null;
}

// Forget the handles' state: a drag in progress ends, the preview and the marker go.
function endResize(st) {
  if (st.dragEnd) st.dragEnd(false);
  st.resize = null;
  if (st.handleLayer) { st.handleLayer.remove(); st.handleLayer = null; }
  showResize(st);
  delete st.root.dataset.resizing;
}

function drawHandles(st) {
  const c = ownSelected(st);
  if (!c) {
    endResize(st);
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
    if (st.dragEnd) st.dragEnd(false);
    st.resize = { id: String(c[0]), from: [c[1], c[2]], start: c[1], end: c[2] };
    delete st.root.dataset.resizing;
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
    // A focused handle is never hidden (that would drop the keyboard focus).
    if ((!box || (!box.height && !box.top)) && document.activeElement !== h) { h.hidden = true; continue; }
    h.hidden = false;
    if (box) {
      h.style.cssText = `left:${box.left - left0}px;top:${box.top - top0}px;height:${
        Math.max(14, box.height)}px;--qcs-c:${colour}`;
    }
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
  const a = pointAt(st, rs.start, false), b = pointAt(st, rs.end, true);
  if (!a || !b) return;
  const r = document.createRange();
  r.setStart(a.node, a.off);
  r.setEnd(b.node, b.off);
  CSS.highlights.set('qcs-resize', new Highlight(r));
}

// Move one end; a snapped move that would reach the other end is refused (a word-wise drag
// past it would otherwise leave one character in the middle of a word).
function moveEnd(st, which, pos, snapped) {
  const rs = st.resize;
  if (which === 'start') {
    if (snapped && pos >= rs.end) return;
    rs.start = Math.max(0, Math.min(pos, rs.end - 1));
  } else {
    if (snapped && pos <= rs.start) return;
    rs.end = Math.min(st.text.length, Math.max(pos, rs.start + 1));
  }
  st.root.dataset.resizing = `${rs.start}-${rs.end}`;
  placeHandles(st);
}

// The transcript offset under the pointer, or null off the text (a header, the stripes).
function caretOffset(st, x, y, isEnd) {
  let node = null, off = 0;
  if (document.caretPositionFromPoint) {
    const p = document.caretPositionFromPoint(x, y);
    if (p) { node = p.offsetNode; off = p.offset; }
  } else if (document.caretRangeFromPoint) {
    const r = document.caretRangeFromPoint(x, y);
    if (r) { node = r.startContainer; off = r.startOffset; }
  }
  const el = node && (node.nodeType === Node.TEXT_NODE ? node.parentElement : node);
  if (!el || !el.closest || !el.closest('.qcs-text') || !st.root.contains(el)) return null;
  const pos = offsetOf(st, node, off, isEnd);
  // The caret falls on the nearer edge of the character under the pointer: in its left half
  // that is its left edge, so an end would leave out the very word the pointer is on.
  if (isEnd && pos < st.text.length && node.nodeType === Node.TEXT_NODE && off < node.length) {
    const r = document.createRange();
    r.setStart(node, off);
    r.setEnd(node, off + 1);
    const b = r.getBoundingClientRect();
    if (x >= b.left && x <= b.right && y >= b.top && y <= b.bottom) return pos + 1;
  }
  return pos;
}

function startDrag(st, which, e) {
  const rs = st.resize;
  if (e.button !== 0 || !rs || rs.sent) return;  // one resize at a time: wait for the answer
  e.preventDefault();
  e.stopPropagation();
  closePopover(st);
  const isEnd = which === 'end';
  st.handleLayer.classList.add('qcs-dragging');
  const move = (ev) => {
    if ((ev.buttons & 1) === 0) { finish(true); return; }  // the release happened elsewhere
    ev.preventDefault();
    const raw = caretOffset(st, ev.clientX, ev.clientY, isEnd);
    if (raw === null) return;
    if (ev.altKey) moveEnd(st, which, intoTurns(st, raw, isEnd), false);
    else moveEnd(st, which, snapWord(st, raw, isEnd), true);
  };
  const up = (ev) => { ev.preventDefault(); finish(true); };
  const cancel = () => finish(false);
  function finish(send) {
    document.removeEventListener('pointermove', move, true);
    document.removeEventListener('pointerup', up, true);
    document.removeEventListener('pointercancel', cancel, true);
    window.removeEventListener('blur', cancel);
    st.dragEnd = null;
    if (st.handleLayer) st.handleLayer.classList.remove('qcs-dragging');
    const sel = document.getSelection();
    if (sel) sel.removeAllRanges();
    if (send) sendResize(st);
    else if (st.resize) revertResize(st);
  }
  st.dragEnd = finish;
  document.addEventListener('pointermove', move, true);
  document.addEventListener('pointerup', up, true);
  document.addEventListener('pointercancel', cancel, true);
  window.addEventListener('blur', cancel);
}

function revertResize(st) {
  const rs = st.resize;
  rs.start = rs.from[0];
  rs.end = rs.from[1];
  delete st.root.dataset.resizing;
  placeHandles(st);
}

function handleKey(st, which, e) {
  const rs = st.resize;
  if (!rs) return;
  const isEnd = which === 'end';
  if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') {
    e.preventDefault();  // Alt+← is also the browser's Back
    e.stopPropagation();
    if (rs.sent) return;
    const pos = isEnd ? rs.end : rs.start;
    moveEnd(st, which, stepWord(st, pos, e.key === 'ArrowRight' ? 1 : -1, isEnd, e.altKey), !e.altKey);
    e.currentTarget.scrollIntoView({ block: 'nearest' });
    st.live.textContent = e.currentTarget.getAttribute('aria-valuetext');
  } else if (e.key === 'Enter') {
    e.preventDefault();
    e.stopPropagation();
    sendResize(st);
  } else if (e.key === 'Escape') {
    e.preventDefault();
    e.stopPropagation();
    if (!rs.sent) revertResize(st);
  } else if (e.key === 'ArrowUp' || e.key === 'ArrowDown') {
    e.stopPropagation();  // the sentence cursor belongs to the text, not to a handle
  }
}

function sendResize(st) {
  const rs = st.resize;
  if (!rs || rs.sent || (rs.start === rs.from[0] && rs.end === rs.from[1])) return;
  if (!st.text.slice(rs.start, rs.end).trim()) { revertResize(st); return; }  // nothing but spaces
  st.live.textContent = 'Resizing the coding…';
  const sent = rs.sent = nonce(st);
  st.send('event', { kind: 'resize', id: Number(rs.id), start: rs.start, end: rs.end,
                     was: rs.from, doc: st.docId, nonce: sent });
  // No answer within 10 s (the page did not take the event): show the stored extent again.
  setTimeout(() => {
    if (st.resize && st.resize.sent === sent) { settleResize(st, sent); placeHandles(st); }
  }, 10000);
}

// The server has acted on the resize (``ack``: the nonce of the last event the page acted on)
// or the coding changed: its stored offsets win, whether the resize was stored or refused.
function settleResize(st, ack) {
  const rs = st.resize;
  if (!rs) return;
  const c = st.byId.get(rs.id);
  if (!c) return;
  const answered = rs.sent && typeof ack === 'number' && ack >= rs.sent;
  const moved = c[1] !== rs.from[0] || c[2] !== rs.from[1];
  if (answered || (moved && !rs.sent)) {
    st.resize = { id: rs.id, from: [c[1], c[2]], start: c[1], end: c[2] };
    delete st.root.dataset.resizing;
  }
}
