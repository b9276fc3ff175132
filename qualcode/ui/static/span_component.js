// qualcode transcript selector: renders a transcript with overlapping coloured codings and reports
// selections and clicks to Python (st.components.v2, mounted with isolate_styles=False).
//
// Every offset in here is a UTF-16 offset into the canonical text: Python converts to and from
// code points (qualcode/ui/span_component.py), so this file never deals with surrogate pairs.
// Transcript content only ever reaches the DOM through textContent / text nodes.
//
// Streamlit calls the default export again whenever `data` changes, on the same parentElement.
// The DOM is therefore kept on parentElement and updated in place: the document (text + turns) is
// rebuilt only when its id changes; when only the codings change, only the turns whose codings
// changed are re-split, so a new coding touches a handful of spans, not the whole transcript.

const MAX_LANES = 4;     // underlines drawn per passage; more codings show as a "+n" marker
const LINE_PX = 2;       // thickness of one underline
const LANE_PX = 3;       // distance between two stacked underlines

export default function (component) {
  const { data, parentElement, setStateValue } = component;
  let st = parentElement.__qcsState;
  if (!st) {
    st = createState(parentElement);
    parentElement.__qcsState = st;
  }
  st.send = setStateValue;
  update(st, data || {});
  return () => {
    // Streamlit only calls the last cleanup, on unmount (or at once when a newer run raced this
    // one): detach only when the element is really gone from the page.
    setTimeout(() => {
      if (!parentElement.isConnected && parentElement.__qcsState === st) {
        st.detach();
        delete parentElement.__qcsState;
      }
    }, 0);
  };
}

function createState(parentElement) {
  const wrap = document.createElement('div');
  wrap.className = 'qcs-wrap';
  const root = document.createElement('div');
  root.className = 'qcs-root';
  root.setAttribute('data-testid', 'qcs-root');
  wrap.appendChild(root);
  parentElement.appendChild(wrap);
  const st = {
    wrap, root, send: null, docId: null, text: '', turns: [], textEls: [], turnSig: [],
    byId: new Map(), codes: [], coders: [], segs: null, selected: null, lastFocus: undefined,
    lastSel: null, lastNonce: 0, pop: null, docCache: new Map(),
  };
  // A mouseup counts when the gesture began or ended in the transcript, so clicking a button
  // elsewhere on the page while a passage is still selected does not resend the selection.
  let downInRoot = false;
  const onDown = () => { downInRoot = true; };
  const onMouseUp = (e) => {
    const ours = downInRoot || root.contains(e.target);
    downInRoot = false;
    if (ours) setTimeout(() => reportSelection(st, true), 0);
  };
  const onKeyUp = (e) => {
    if (e.key === 'Escape') closePopover(st);
    else reportSelection(st, false);
  };
  const onClick = (e) => clickHighlight(st, e);
  const onOver = (e) => {
    const el = e.target.closest && e.target.closest('.qcs-h');
    if (el && !el.title) el.title = describe(st, el.dataset.c.split(' ')).join('\n');
  };
  const onDocDown = (e) => {
    if (st.pop && !st.pop.contains(e.target)) closePopover(st);
  };
  document.addEventListener('mouseup', onMouseUp);
  document.addEventListener('keyup', onKeyUp);
  document.addEventListener('mousedown', onDocDown, true);
  root.addEventListener('mousedown', onDown);
  root.addEventListener('click', onClick);
  root.addEventListener('mouseover', onOver);
  st.detach = () => {
    document.removeEventListener('mouseup', onMouseUp);
    document.removeEventListener('keyup', onKeyUp);
    document.removeEventListener('mousedown', onDocDown, true);
    wrap.remove();
  };
  return st;
}

function update(st, data) {
  // A performance entry per update lets the benchmark split browser time from server time.
  const t0 = performance.now();
  st.root.style.maxHeight = (data.height || 700) + 'px';
  let doc = data.doc || { id: '', text: '', turns: [] };
  if (doc.text === undefined || doc.text === null) {
    // Python leaves the text out once an event has proved that this browser holds the
    // document; if it was lost (the element was remounted), ask for it again.
    doc = doc.id === st.docId ? null : st.docCache.get(doc.id);
    if (doc === undefined) {
      st.send('event', { kind: 'resync', doc: null, nonce: nonce(st) });
      return;
    }
  } else {
    st.docCache.delete(doc.id);
    st.docCache.set(doc.id, doc);
    if (st.docCache.size > 3) st.docCache.delete(st.docCache.keys().next().value);
  }
  if (doc && doc.id !== st.docId) buildDocument(st, doc);
  applyCodings(st, data.codings || { codes: [], coders: [], items: [] });
  applyFocus(st, data.focus);
  st.root.dataset.ready = st.docId;  // tests and the benchmark wait for this
  performance.measure('qcs-update', { start: t0, end: performance.now() });
}

// ---- the document: one block per turn, a non-selectable header, then the turn's text ----------

function buildDocument(st, doc) {
  closePopover(st);
  st.docId = doc.id;
  st.text = doc.text;
  st.turns = doc.turns;  // [[start, end, speaker|null, time label|null], ...] sorted, not overlapping
  st.textEls = [];
  st.turnSig = [];
  st.selected = null;
  st.lastSel = null;
  st.lastFocus = undefined;
  const frag = document.createDocumentFragment();
  st.turns.forEach(([s, e, speaker, time], i) => {
    const turn = document.createElement('div');
    turn.className = 'qcs-turn';
    // Size estimate for an off-screen turn (content-visibility), so the scrollbar is about right.
    const lines = Math.max(1, Math.ceil((e - s) / 110));
    turn.style.containIntrinsicSize = `auto ${(lines * 2.1 + (speaker || time ? 1.3 : 0)).toFixed(1)}em`;
    if (speaker || time) {
      const head = document.createElement('div');
      head.className = 'qcs-head';
      if (time) {
        const t = document.createElement('span');
        t.className = 'qcs-time';
        t.textContent = time;
        head.appendChild(t);
      }
      if (speaker) {
        const sp = document.createElement('span');
        sp.className = 'qcs-speaker';
        sp.textContent = speaker;
        head.appendChild(sp);
      }
      turn.appendChild(head);
    }
    const body = document.createElement('div');
    body.className = 'qcs-text';
    turn.appendChild(body);
    st.textEls.push(body);
    st.turnSig.push(null);  // filled by applyCodings, which always follows
    frag.appendChild(turn);
  });
  st.root.replaceChildren(frag);
  st.segs = null;
}

function plainSeg(start, text) {
  const span = document.createElement('span');
  span.className = 'qcs-seg';
  span.dataset.s = start;
  span.textContent = text;
  return span;
}

// ---- codings: per-turn signatures decide which turns are re-split -------------------------------

function applyCodings(st, cod) {
  st.codes = cod.codes;    // [[path, colour], ...]
  st.coders = cod.coders;  // [name, ...]
  st.byId = new Map();
  const perTurn = st.turns.map(() => []);
  const turns = st.turns;
  for (const c of cod.items) {  // [id, start, end, lane, codeIndex, coderIndex, memo]
    st.byId.set(String(c[0]), c);
    let lo = 0, hi = turns.length;
    while (lo < hi) {  // first turn that ends after the coding starts
      const mid = (lo + hi) >> 1;
      if (turns[mid][1] <= c[1]) lo = mid + 1; else hi = mid;
    }
    for (let t = lo; t < turns.length && turns[t][0] < c[2]; t++) perTurn[t].push(c);
  }
  let changed = false;
  perTurn.forEach((items, t) => {
    const sig = items.map((c) => {
      const [path, colour] = st.codes[c[4]];
      return `${c[0]}\u0001${c[1]}\u0001${c[2]}\u0001${c[3]}\u0001${path}\u0001${colour}\u0001${st.coders[c[5]]}\u0001${c[6] || ''}`;
    }).join('\u0002');
    if (sig !== st.turnSig[t]) {
      renderTurn(st, t, items);
      st.turnSig[t] = sig;
      changed = true;
    }
  });
  if (changed) st.segs = null;
  if (st.selected !== null && !st.byId.has(st.selected)) st.selected = null;
  markSelected(st);
}

function renderTurn(st, t, items) {
  const [ts, te] = st.turns[t];
  const cuts = new Set([ts, te]);
  for (const c of items) {
    if (c[1] > ts && c[1] < te) cuts.add(c[1]);
    if (c[2] > ts && c[2] < te) cuts.add(c[2]);
  }
  const points = [...cuts].sort((a, b) => a - b);
  const sorted = [...items].sort((a, b) => a[1] - b[1]);
  const frag = document.createDocumentFragment();
  let active = [];
  let next = 0;
  let prevHidden = 0;
  for (let i = 0; i < points.length - 1; i++) {
    const a = points[i], b = points[i + 1];
    active = active.filter((c) => c[2] > a);
    while (next < sorted.length && sorted[next][1] <= a) {
      if (sorted[next][2] > a) active.push(sorted[next]);
      next++;
    }
    const span = plainSeg(a, st.text.slice(a, b));
    if (active.length) {
      span.classList.add('qcs-h');
      span.dataset.c = active.map((c) => c[0]).join(' ');
      const images = [], positions = [];
      let hidden = 0;
      for (const c of active) {
        if (c[3] >= MAX_LANES) { hidden++; continue; }
        const colour = st.codes[c[4]][1];
        images.push(`linear-gradient(${colour},${colour})`);
        positions.push(`0 calc(100% - ${(MAX_LANES - 1 - c[3]) * LANE_PX}px)`);
      }
      if (images.length) {  // one style attribute: parsed once, much cheaper than three properties
        span.setAttribute('style', `background-image:${images.join(',')};background-position:${
          positions.join(',')};background-size:${images.map(() => `100% ${LINE_PX}px`).join(',')}`);
      }
      if (hidden && hidden !== prevHidden) span.dataset.more = hidden;
      prevHidden = hidden;
    } else {
      prevHidden = 0;
    }
    frag.appendChild(span);
  }
  st.textEls[t].replaceChildren(frag);
}

function describe(st, ids) {
  return ids.map((id) => {
    const c = st.byId.get(id);
    if (!c) return '';
    const memo = c[6] ? `: ${c[6]}` : '';
    return `${st.codes[c[4]][0]} — ${st.coders[c[5]]}${memo}`;
  });
}

function markSelected(st) {
  for (const el of st.root.querySelectorAll('.qcs-selected')) {
    el.classList.remove('qcs-selected');
    el.style.backgroundColor = '';
  }
  if (st.selected === null) return;
  const c = st.byId.get(st.selected);
  const colour = st.codes[c[4]][1];
  for (const el of st.root.querySelectorAll(`[data-c~="${CSS.escape(st.selected)}"]`)) {
    el.classList.add('qcs-selected');
    el.style.backgroundColor = colour + '38';
  }
}

// ---- clicks on highlights ----------------------------------------------------------------------

function clickHighlight(st, e) {
  const sel = document.getSelection();
  if (sel && !sel.isCollapsed) return;  // the end of a drag, not a click
  const el = e.target.closest && e.target.closest('.qcs-h');
  if (!el) return;
  const ids = el.dataset.c.split(' ');
  if (ids.length === 1) {
    chooseCoding(st, ids[0]);
    return;
  }
  openPopover(st, ids, e);
}

function chooseCoding(st, id) {
  closePopover(st);
  st.selected = id;
  markSelected(st);
  clearPending();
  st.send('event', { kind: 'click', id: Number(id), doc: st.docId, nonce: nonce(st) });
}

function openPopover(st, ids, e) {
  closePopover(st);
  const pop = document.createElement('div');
  pop.className = 'qcs-pop';
  pop.setAttribute('role', 'menu');
  const lines = describe(st, ids);
  ids.forEach((id, i) => {
    const c = st.byId.get(id);
    const item = document.createElement('button');
    item.type = 'button';
    item.className = 'qcs-pop-item';
    item.dataset.id = id;
    const sw = document.createElement('span');
    sw.className = 'qcs-swatch';
    sw.style.backgroundColor = st.codes[c[4]][1];
    item.appendChild(sw);
    item.appendChild(document.createTextNode(lines[i]));
    item.addEventListener('click', (ev) => { ev.stopPropagation(); chooseCoding(st, id); });
    pop.appendChild(item);
  });
  const box = st.wrap.getBoundingClientRect();
  pop.style.left = Math.max(0, e.clientX - box.left) + 'px';
  pop.style.top = (e.clientY - box.top + 14) + 'px';
  st.wrap.appendChild(pop);
  st.pop = pop;
}

function closePopover(st) {
  if (st.pop) { st.pop.remove(); st.pop = null; }
}

// ---- selections --------------------------------------------------------------------------------

function nonce(st) {
  st.lastNonce = Math.max(Date.now(), st.lastNonce + 1);
  return st.lastNonce;
}

function segments(st) {
  if (!st.segs) st.segs = Array.from(st.root.querySelectorAll('.qcs-seg'));
  return st.segs;
}

// UTF-16 offset of a DOM boundary point. Inside a text segment it is exact; anywhere else (a
// speaker header, between turns, an element boundary) it snaps to the nearest text: forward for
// a start, backward for an end, so headers never count.
function offsetOf(st, node, off, isEnd) {
  if (node.nodeType === Node.TEXT_NODE && node.parentNode && node.parentNode.classList
      && node.parentNode.classList.contains('qcs-seg')) {
    return Number(node.parentNode.dataset.s) + off;
  }
  if (node.nodeType === Node.ELEMENT_NODE && node.classList.contains('qcs-seg')) {
    return Number(node.dataset.s) + (off > 0 ? node.textContent.length : 0);
  }
  const segs = segments(st);
  const point = document.createRange();
  point.setStart(node, off);
  let lo = 0, hi = segs.length;
  while (lo < hi) {  // first segment that starts after the point
    const mid = (lo + hi) >> 1;
    if (point.comparePoint(segs[mid], 0) <= 0) lo = mid + 1; else hi = mid;
  }
  if (!isEnd) return lo < segs.length ? Number(segs[lo].dataset.s) : st.text.length;
  if (lo === 0) return 0;
  const prev = segs[lo - 1];
  return Number(prev.dataset.s) + prev.textContent.length;
}

function reportSelection(st, fromMouse) {
  const sel = document.getSelection();
  if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return;
  const range = sel.getRangeAt(0);
  if (!st.root.contains(range.startContainer) || !st.root.contains(range.endContainer)) return;
  const start = offsetOf(st, range.startContainer, range.startOffset, false);
  const end = offsetOf(st, range.endContainer, range.endOffset, true);
  if (end <= start) return;
  if (!fromMouse && st.lastSel && st.lastSel[0] === start && st.lastSel[1] === end) return;
  st.lastSel = [start, end];
  closePopover(st);
  showPending(range);
  st.send('event', { kind: 'select', start, end, doc: st.docId, nonce: nonce(st) });
}

// Keep the chosen passage visible while the coder picks a code elsewhere on the page (clicking a
// widget clears the browser selection). The CSS Custom Highlight API paints it without touching
// the DOM; browsers without it simply do not show the echo.
function showPending(range) {
  if (typeof CSS === 'undefined' || !CSS.highlights || typeof Highlight === 'undefined') return;
  CSS.highlights.set('qcs-pending', new Highlight(range.cloneRange()));
}

function clearPending() {
  if (typeof CSS !== 'undefined' && CSS.highlights) CSS.highlights.delete('qcs-pending');
}

// ---- focus: scroll a position into view (code retrieval links) ----------------------------------

function applyFocus(st, focus) {
  if (focus === null || focus === undefined || focus === st.lastFocus) return;
  st.lastFocus = focus;
  const segs = segments(st);
  let lo = 0, hi = segs.length;
  while (lo < hi) {  // last segment starting at or before the focus
    const mid = (lo + hi) >> 1;
    if (Number(segs[mid].dataset.s) <= focus) lo = mid + 1; else hi = mid;
  }
  const seg = segs[Math.max(0, lo - 1)];
  if (!seg) return;
  const rootBox = st.root.getBoundingClientRect();
  const segBox = seg.getBoundingClientRect();
  st.root.scrollTop += segBox.top - rootBox.top - st.root.clientHeight / 3;
  seg.classList.add('qcs-flash');
  setTimeout(() => seg.classList.remove('qcs-flash'), 1600);
}
