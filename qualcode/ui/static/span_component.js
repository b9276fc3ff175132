// qualcode transcript selector: renders a transcript with overlapping coloured codings and reports
// selections and clicks to Python (st.components.v2, mounted with isolate_styles=False).
//
// Every offset in here is a UTF-16 offset into the canonical text: Python converts to and from
// code points (qualcode/ui/span_component.py), so this file never deals with surrogate pairs.
// Transcript content only ever reaches the DOM through textContent / text nodes.
//
// Code suggestions (the workspace's "Suggest" toggle) are drawn as dashed, unconfirmed highlights
// with a badge naming the code and its score. A click focuses one; A or Enter accepts it, R or
// Delete rejects it, J/K or the arrow keys move between them. Accepting and rejecting are events
// for Python: nothing is stored here.
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
  root.tabIndex = 0;
  root.setAttribute('role', 'region');
  root.setAttribute('aria-roledescription', 'transcript');
  root.setAttribute('aria-label', 'Transcript. Select text with the mouse, or press the down '
    + 'arrow to put a cursor on a sentence: arrows move it, Shift extends it, a number key or '
    + 'typing a code name then Enter applies a code.');
  const live = document.createElement('div');
  live.className = 'qcs-live';
  live.setAttribute('aria-live', 'polite');
  const ahead = document.createElement('div');
  ahead.className = 'qcs-ahead';
  ahead.setAttribute('data-testid', 'qcs-ahead');
  wrap.appendChild(root);
  wrap.appendChild(ahead);
  wrap.appendChild(live);
  parentElement.appendChild(wrap);
  const st = {
    wrap, root, send: null, docId: null, text: '', turns: [], textEls: [], turnSig: [],
    byId: new Map(), codes: [], coders: [], segs: null, selected: null, lastFocus: undefined,
    lastSel: null, lastNonce: 0, pop: null, docCache: new Map(),
    sugCodes: [], sugById: new Map(), sugOrder: [], sugFocus: null, sugFocusPos: null,
    perTurn: [], stripes: false, stripeCoder: false, stripeLayer: null, stripeFrame: 0,
    live, ahead, sents: [], cursor: null, anchor: null, query: '', allCodes: [],
    pending: new Map(), sendTimer: 0, media: null, playing: -1, me: null, handleLayer: null,
    resize: null,
  };
  root.addEventListener('keydown', (e) => { if (!seekKey(st, e)) cursorKey(st, e); });
  // Media events do not bubble, but they do pass the capture phase: one listener on the
  // document follows whichever player Streamlit draws (and redraws) on the page.
  const onTime = (e) => {
    const el = e.target;
    if (st.media && el && (el.matches('audio.stAudio') || el.matches('video.stVideo'))) {
      markPlaying(st, el.currentTime);
    }
  };
  document.addEventListener('timeupdate', onTime, true);
  document.addEventListener('seeked', onTime, true);
  // The code tree (code_tree.js) asks before it applies a code: with a selection or a cursor
  // here, the transcript takes it, draws it at once and sends it with the range.
  const onApplyCode = (e) => {
    if (!st.root.isConnected || !e.detail || typeof e.detail.path !== 'string') return;
    if (st.sendTimer && st.cursor !== null) st.lastSel = cursorRange(st);  // a cursor not yet sent
    if (!st.lastSel) return;
    e.preventDefault();
    applyCode(st, e.detail.path);
  };
  document.addEventListener('qualcode:apply-code', onApplyCode);
  const onScroll = () => {
    scheduleStripes(st);
    if (st.resize) requestAnimationFrame(() => placeHandles(st));  // turns laid out late
  };
  root.addEventListener('scroll', onScroll, { passive: true });
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
  const onClick = (e) => {
    const time = e.target.closest && e.target.closest('.qcs-seek');
    if (time) { seekTurn(st, Number(time.dataset.turn)); return; }
    const stripe = e.target.closest && e.target.closest('[data-stripe]');
    if (stripe) { chooseCoding(st, stripe.dataset.stripe); return; }
    if (clickSuggestion(st, e)) return;
    clickHighlight(st, e);
  };
  // Capture phase on window: a focused suggestion takes A/Enter/R/Delete before Streamlit's own
  // shortcuts (R reruns the app) see them; typing in a widget is never taken.
  const onKeyDown = (e) => suggestionKey(st, e);
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
  window.addEventListener('keydown', onKeyDown, true);
  root.addEventListener('mousedown', onDown);
  root.addEventListener('click', onClick);
  root.addEventListener('mouseover', onOver);
  st.detach = () => {
    endResize(st);
    document.removeEventListener('mouseup', onMouseUp);
    document.removeEventListener('keyup', onKeyUp);
    document.removeEventListener('mousedown', onDocDown, true);
    window.removeEventListener('keydown', onKeyDown, true);
    document.removeEventListener('qualcode:apply-code', onApplyCode);
    document.removeEventListener('timeupdate', onTime, true);
    document.removeEventListener('seeked', onTime, true);
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
  setupMedia(st, data.media);  // before the stripes: it can change the turns' padding
  st.allCodes = data.codes || [];
  st.stripes = !!data.stripes;
  st.stripeCoder = !!data.stripe_coder;
  st.me = data.me || null;  // whose codings get resize handles
  st.root.classList.toggle('qcs-with-stripes', st.stripes);
  applyCodings(st, data.codings || { codes: [], coders: [], items: [] },
               data.suggestions || { codes: [], items: [] });
  applyFocus(st, data.focus);
  settlePending(st, data.codings || { codes: [], items: [] });
  drawStripes(st);
  settleResize(st, data.ack);
  drawHandles(st);
  markCursor(st);
  st.root.dataset.ready = st.docId;  // tests and the benchmark wait for this
  performance.measure('qcs-update', { start: t0, end: performance.now() });
}

// ---- the document: one block per turn, a non-selectable header, then the turn's text ----------

function buildDocument(st, doc) {
  closePopover(st);
  st.docId = doc.id;
  st.text = doc.text;
  st.turns = doc.turns;  // [[start, end, speaker|null, time label|null], ...] sorted, not overlapping
  st.sents = [];
  const flat = doc.sentences || [];
  for (let i = 0; i + 1 < flat.length; i += 2) st.sents.push([flat[i], flat[i + 1]]);
  st.cursor = null;
  st.anchor = null;
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
  st.stripeLayer = null;
  endResize(st);
  st.handleLayer = null;
  st.segs = null;
}

// ---- the recording: a turn's time seeks the page's player; the playing turn is marked ----------

function setupMedia(st, media) {
  const times = media && Array.isArray(media.times) ? media.times : null;
  const changed = (times ? JSON.stringify(times) : '') !== (st.media ? JSON.stringify(st.media) : '');
  st.media = times;
  if (!changed && st.mediaDoc === st.docId) return;
  st.mediaDoc = st.docId;
  st.root.classList.toggle('qcs-has-media', !!times);
  st.textEls.forEach((body, i) => {
    const label = body.parentElement.querySelector('.qcs-time');
    if (!label) return;
    const seekable = !!(times && times[i] && times[i][0] !== null && times[i][0] !== undefined);
    label.classList.toggle('qcs-seek', seekable);
    if (seekable) {
      label.dataset.turn = String(i);
      label.setAttribute('role', 'button');
      label.tabIndex = 0;
      label.title = 'Play the recording from here';
    } else {
      label.removeAttribute('role');
      label.removeAttribute('tabindex');
      label.removeAttribute('title');
    }
  });
  const player = findPlayer();
  markPlaying(st, times && player ? player.currentTime : null, true);
}

function findPlayer() {
  return document.querySelector('audio.stAudio, video.stVideo');
}

function turnAt(st, t) {
  // The turn whose [media start, media end) holds t; a turn without an end lasts until the next
  // timed turn starts (the last one: to the end of the recording).
  if (!st.media || t === null || t === undefined || Number.isNaN(t)) return -1;
  let found = -1;
  for (let i = 0; i < st.media.length; i++) {
    const start = st.media[i] && st.media[i][0];
    if (start === null || start === undefined) continue;
    if (start > t) break;
    let end = st.media[i][1];
    if (end === null || end === undefined) {
      end = Infinity;
      for (let j = i + 1; j < st.media.length; j++) {
        if (st.media[j] && st.media[j][0] !== null && st.media[j][0] !== undefined) { end = st.media[j][0]; break; }
      }
    }
    if (t < end) found = i;
  }
  return found;
}

function markPlaying(st, t, redraw = false) {
  // redraw: the turns or their times changed, so every old mark goes, whatever it was.
  const i = turnAt(st, t);
  if (i === st.playing && !redraw) return;
  for (const old of st.root.querySelectorAll('.qcs-playing')) {
    old.classList.remove('qcs-playing');
    old.removeAttribute('aria-current');
  }
  st.playing = i;
  const now = st.textEls[i];
  if (now) { now.parentElement.classList.add('qcs-playing'); now.parentElement.setAttribute('aria-current', 'time'); }
}

function seekTurn(st, i) {
  const player = findPlayer();
  const start = st.media && st.media[i] ? st.media[i][0] : null;
  if (!player || start === null || start === undefined) return;
  player.currentTime = start;
  markPlaying(st, start);
  const playing = player.play();
  if (playing && playing.catch) playing.catch(() => {});  // autoplay refused: the seek stands
}

function seekKey(st, e) {
  const label = e.target.closest && e.target.closest('.qcs-seek');
  if (!label || (e.key !== 'Enter' && e.key !== ' ')) return false;
  e.preventDefault();
  e.stopPropagation();
  seekTurn(st, Number(label.dataset.turn));
  return true;
}

function plainSeg(start, text) {
  const span = document.createElement('span');
  span.className = 'qcs-seg';
  span.dataset.s = start;
  span.textContent = text;
  return span;
}

// ---- codings: per-turn signatures decide which turns are re-split -------------------------------

function byTurn(turns, items) {
  // items: [..., start at 1, end at 2, ...]; each goes to every turn it overlaps.
  const perTurn = turns.map(() => []);
  for (const c of items) {
    let lo = 0, hi = turns.length;
    while (lo < hi) {  // first turn that ends after the item starts
      const mid = (lo + hi) >> 1;
      if (turns[mid][1] <= c[1]) lo = mid + 1; else hi = mid;
    }
    for (let t = lo; t < turns.length && turns[t][0] < c[2]; t++) perTurn[t].push(c);
  }
  return perTurn;
}

function applyCodings(st, cod, sug) {
  st.codes = cod.codes;    // [[path, colour], ...]
  st.coders = cod.coders;  // [name, ...]
  st.byId = new Map();
  for (const c of cod.items) st.byId.set(String(c[0]), c);  // [id, start, end, lane, code, coder, memo]
  st.sugCodes = sug.codes;  // [[path, colour], ...]
  st.sugById = new Map();
  st.sugOrder = sug.items;  // [key, start, end, codeIndex, score], by start
  for (const g of sug.items) st.sugById.set(g[0], g);
  const perTurn = byTurn(st.turns, cod.items);
  st.perTurn = perTurn;
  const sugTurn = byTurn(st.turns, sug.items);
  let changed = false;
  perTurn.forEach((items, t) => {
    const sig = items.map((c) => {
      const [path, colour] = st.codes[c[4]];
      return `${c[0]}\u0001${c[1]}\u0001${c[2]}\u0001${c[3]}\u0001${path}\u0001${colour}\u0001${st.coders[c[5]]}\u0001${c[6] || ''}`;
    }).join('\u0002') + '\u0003' + sugTurn[t].map((g) => {
      const [path, colour] = st.sugCodes[g[3]];
      return `${g[0]}\u0001${path}\u0001${colour}\u0001${g[4]}`;
    }).join('\u0002');
    if (sig !== st.turnSig[t]) {
      renderTurn(st, t, items, sugTurn[t]);
      st.turnSig[t] = sig;
      changed = true;
    }
  });
  if (changed) st.segs = null;
  if (st.selected !== null && !st.byId.has(st.selected)) st.selected = null;
  markSelected(st);
  keepSuggestionFocus(st);
}

function renderTurn(st, t, items, sugs) {
  const [ts, te] = st.turns[t];
  const cuts = new Set([ts, te]);
  for (const c of items.concat(sugs)) {
    if (c[1] > ts && c[1] < te) cuts.add(c[1]);
    if (c[2] > ts && c[2] < te) cuts.add(c[2]);
  }
  let k0 = sentenceAt(st, ts);
  for (let k = Math.max(0, k0); k < st.sents.length && st.sents[k][0] < te; k++) {
    if (st.sents[k][0] > ts) cuts.add(st.sents[k][0]);
    if (st.sents[k][1] < te) cuts.add(st.sents[k][1]);
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
    // Badges go before the text where a suggestion starts (or where the turn starts, for one
    // that runs in from the turn before); they are not text: offsets never count them.
    for (const g of sugs) {
      if (g[1] === a || (a === ts && g[1] < ts)) frag.appendChild(suggestionBadge(st, g));
    }
    const span = plainSeg(a, st.text.slice(a, b));
    while (k0 >= 0 && k0 < st.sents.length && st.sents[k0][1] <= a) k0++;
    if (k0 >= 0 && k0 < st.sents.length && st.sents[k0][0] <= a) span.dataset.k = k0;
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
    const over = sugs.filter((g) => g[1] <= a && g[2] > a);
    if (over.length) {
      span.classList.add('qcs-g');
      span.dataset.g = over.map((g) => g[0]).join(' ');
      span.style.setProperty('--qcs-g', st.sugCodes[over[0][3]][1]);
    }
    frag.appendChild(span);
  }
  st.textEls[t].replaceChildren(frag);
}

// ---- suggestions: badges, focus, keyboard ---------------------------------------------------------

function suggestionBadge(st, g) {
  const [path, colour] = st.sugCodes[g[3]];
  const badge = document.createElement('span');
  badge.className = 'qcs-gbadge';
  badge.dataset.gk = g[0];
  badge.style.setProperty('--qcs-g', colour);
  const name = path.split('/').pop();
  badge.textContent = `${name} ${Math.round(g[4] * 100)}%`;
  badge.title = `Suggested: ${path} (confidence ${g[4].toFixed(2)}). `
    + 'Click, then A or Enter to accept, R or Delete to reject.';
  return badge;
}

function clickSuggestion(st, e) {
  const badge = e.target.closest && e.target.closest('.qcs-gbadge');
  if (badge) {
    focusSuggestion(st, badge.dataset.gk, true);
    return true;
  }
  const seg = e.target.closest && e.target.closest('.qcs-g');
  const sel = document.getSelection();
  if (seg && (!sel || sel.isCollapsed)) {
    focusSuggestion(st, seg.dataset.g.split(' ')[0], true);
    return !seg.classList.contains('qcs-h');  // a coded passage still opens its coding
  }
  return false;
}

function focusSuggestion(st, key, scroll) {
  st.sugFocus = key && st.sugById.has(key) ? key : null;
  st.sugFocusPos = st.sugFocus ? st.sugById.get(key)[1] : st.sugFocusPos;
  for (const el of st.root.querySelectorAll('.qcs-gfocus')) el.classList.remove('qcs-gfocus');
  st.root.dataset.suggestion = st.sugFocus || '';
  if (!st.sugFocus) return;
  const esc = CSS.escape(st.sugFocus);
  const els = st.root.querySelectorAll(`[data-g~="${esc}"], [data-gk="${esc}"]`);
  for (const el of els) el.classList.add('qcs-gfocus');
  if (scroll && els.length) {
    const box = els[0].getBoundingClientRect(), rootBox = st.root.getBoundingClientRect();
    if (box.top < rootBox.top || box.bottom > rootBox.bottom) {
      st.root.scrollTop += box.top - rootBox.top - st.root.clientHeight / 3;
    }
  }
}

// After Python re-sends the suggestions (one was accepted or rejected), focus stays on the same
// one, or moves to the next in the text, so a coder can go on pressing A and R.
function keepSuggestionFocus(st) {
  if (st.sugFocus !== null && st.sugById.has(st.sugFocus)) {
    focusSuggestion(st, st.sugFocus, false);
  } else if (st.sugFocusPos !== null && st.sugOrder.length) {
    const next = st.sugOrder.find((g) => g[1] >= st.sugFocusPos) || st.sugOrder[st.sugOrder.length - 1];
    focusSuggestion(st, next[0], true);
  } else {
    focusSuggestion(st, null, false);
  }
}

function suggestionKey(st, e) {
  if (!st.sugFocus || e.ctrlKey || e.metaKey || e.altKey || !st.root.isConnected) return;
  const target = e.target;
  if (target && target.closest && target.closest(
    'input, textarea, select, button, [contenteditable="true"], [role="combobox"], [role="listbox"], '
    + '.qcs-handle')) return;  // a focused resize handle takes its own keys
  const key = e.key;
  let action = null;
  if (key === 'a' || key === 'A' || key === 'Enter') action = 'accept';
  else if (key === 'r' || key === 'R' || key === 'Delete') action = 'reject';
  else if (key === 'j' || key === 'J' || key === 'ArrowDown' || key === 'k' || key === 'K' || key === 'ArrowUp') {
    const i = st.sugOrder.findIndex((g) => g[0] === st.sugFocus);
    const step = (key === 'k' || key === 'K' || key === 'ArrowUp') ? -1 : 1;
    const next = st.sugOrder[Math.min(st.sugOrder.length - 1, Math.max(0, i + step))];
    e.preventDefault();
    e.stopImmediatePropagation();
    focusSuggestion(st, next[0], true);
    return;
  }
  if (!action) return;
  e.preventDefault();
  e.stopImmediatePropagation();
  const key0 = st.sugFocus;
  for (const el of st.root.querySelectorAll('.qcs-gfocus')) el.classList.add('qcs-gpending');
  st.sugFocus = null;  // the next one is focused when the list comes back without this one
  st.send('event', { kind: action, key: key0, doc: st.docId, nonce: nonce(st) });
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
  drawStripes(st);
  drawHandles(st);
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

// The text segment holding position `pos`: the last one starting at or before it (for an end,
// the last one starting before it, so an end closes its own segment, not the next line's).
function segmentAt(st, pos, isEnd) {
  return segments(st)[segmentIndex(st, pos, isEnd)] || null;
}

function segmentIndex(st, pos, isEnd) {
  const segs = segments(st);
  let lo = 0, hi = segs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const s = Number(segs[mid].dataset.s);
    if (isEnd ? s < pos : s <= pos) lo = mid + 1; else hi = mid;
  }
  return Math.max(0, lo - 1);
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
  const seg = segmentAt(st, focus, false);
  if (!seg) return;
  const rootBox = st.root.getBoundingClientRect();
  const segBox = seg.getBoundingClientRect();
  st.root.scrollTop += segBox.top - rootBox.top - st.root.clientHeight / 3;
  seg.classList.add('qcs-flash');
  setTimeout(() => seg.classList.remove('qcs-flash'), 1600);
}

// ---- coding stripes: one bar per coding in a margin, spanning the lines it covers ---------------
//
// Drawn only for the turns in view (and again on scroll), so 2,000 codings cost what the dozen
// on screen cost. Each bar sits in its coding's lane; its label (code name, and the coder when
// several coders are shown) starts level with the bar's top and is pushed down below the label
// before it, so labels never overlap. A click on a bar or a label selects that coding.

const STRIPE_W = 4;       // width of one bar
const STRIPE_GAP = 2;     // between two lanes
const STRIPE_LANES = 6;   // lanes drawn; deeper ones share the last lane

function scheduleStripes(st) {
  if (!st.stripes || st.stripeFrame) return;
  st.stripeFrame = requestAnimationFrame(() => { st.stripeFrame = 0; drawStripes(st); });
}

function drawStripes(st) {
  if (!st.stripes) {
    if (st.stripeLayer) { st.stripeLayer.remove(); st.stripeLayer = null; }
    return;
  }
  if (!st.stripeLayer || !st.stripeLayer.isConnected) {
    st.stripeLayer = document.createElement('div');
    st.stripeLayer.className = 'qcs-stripes';
    st.stripeLayer.setAttribute('role', 'list');
    st.stripeLayer.setAttribute('aria-label', 'Coding stripes: one per coding, click to select it');
    st.root.appendChild(st.stripeLayer);
  }
  const layer = st.stripeLayer;
  const rootBox = st.root.getBoundingClientRect();
  const top0 = rootBox.top - st.root.scrollTop;
  const margin = st.root.clientHeight;
  const bars = [];
  st.textEls.forEach((el, t) => {
    const items = st.perTurn[t];
    if (!items || !items.length) return;
    const box = el.getBoundingClientRect();
    if (box.bottom < rootBox.top - margin || box.top > rootBox.bottom + margin) return;
    const span = new Map();  // coding id -> [first seg, last seg] in this turn
    for (const seg of el.children) {
      if (!seg.dataset.c) continue;
      for (const id of seg.dataset.c.split(' ')) {
        const got = span.get(id);
        if (got) got[1] = seg; else span.set(id, [seg, seg]);
      }
    }
    for (const c of items) {
      const got = span.get(String(c[0]));
      if (!got) continue;
      const a = got[0].getClientRects()[0], b = [...got[1].getClientRects()].pop();
      if (!a || !b) continue;
      const first = c[1] >= st.turns[t][0];  // the bar piece where the coding starts gets the label
      bars.push({ c, top: a.top - top0 + 2, bottom: b.bottom - top0 - 8, first });
    }
  });
  bars.sort((x, y) => x.top - y.top || x.c[3] - y.c[3]);
  const frag = document.createDocumentFragment();
  let labelBottom = -Infinity;
  for (const { c, top, bottom, first } of bars) {
    const [path, colour] = st.codes[c[4]];
    const name = path.split('/').pop();
    const who = st.coders[c[5]];
    const lane = Math.min(c[3], STRIPE_LANES - 1);
    const bar = document.createElement('div');
    bar.className = 'qcs-stripe';
    bar.dataset.stripe = c[0];
    bar.setAttribute('role', 'listitem');
    bar.setAttribute('aria-label', `${path}, ${who}`);
    bar.title = `${path} — ${who}`;
    bar.style.cssText = `top:${top}px;height:${Math.max(6, bottom - top)}px;left:${
      lane * (STRIPE_W + STRIPE_GAP)}px;background:${colour}`;
    if (String(c[0]) === st.selected) bar.classList.add('qcs-stripe-on');
    frag.appendChild(bar);
    if (!first) continue;
    const label = document.createElement('div');
    label.className = 'qcs-stripe-label';
    label.dataset.stripe = c[0];
    label.title = `${path} — ${who}`;
    const y = Math.max(top, labelBottom);
    label.style.top = y + 'px';
    label.style.setProperty('--qcs-c', colour);
    const nm = document.createElement('span');
    nm.className = 'qcs-stripe-name';
    nm.textContent = name;
    label.appendChild(nm);
    if (st.stripeCoder && who) {
      const cd = document.createElement('span');
      cd.className = 'qcs-stripe-coder';
      cd.textContent = who;
      label.appendChild(cd);
    }
    if (String(c[0]) === st.selected) label.classList.add('qcs-stripe-on');
    frag.appendChild(label);
    labelBottom = y + 17;
  }
  layer.replaceChildren(frag);
}

// ---- keyboard coding: a sentence cursor, type-ahead, Enter ----------------------------------------
//
// With the transcript focused, ↓/↑ put a cursor on the next/previous sentence (Shift extends the
// range from where it started); the range is reported as a selection, so every way of applying
// a code (Apply, a number key, the code panel) codes it. Letters type a code name (shown under
// the transcript with the best match), Enter applies that code, Escape clears. The sentence(s)
// under the cursor carry aria-current and a visible outline; a live region reads them out.

function sentenceAt(st, pos) {  // index of the last sentence starting at or before pos (or 0)
  let lo = 0, hi = st.sents.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (st.sents[mid][0] <= pos) lo = mid + 1; else hi = mid;
  }
  return Math.max(0, lo - 1);
}

function markCursor(st) {
  for (const el of st.root.querySelectorAll('[aria-current]')) {
    el.removeAttribute('aria-current');
    el.classList.remove('qcs-cursor');
  }
  if (st.cursor === null) return;
  const [a, b] = [Math.min(st.anchor, st.cursor), Math.max(st.anchor, st.cursor)];
  let first = null;
  for (let k = a; k <= b; k++) {
    for (const el of st.root.querySelectorAll(`[data-k="${k}"]`)) {
      el.setAttribute('aria-current', 'true');
      el.classList.add('qcs-cursor');
      if (!first && k === st.cursor) first = el;
    }
  }
  return first;
}

function matchCode(st, query) {
  const q = query.toLowerCase();
  if (!q) return null;
  const names = st.allCodes.map(([path]) => [path, path.split('/').pop().toLowerCase()]);
  const hit = names.find(([, n]) => n.startsWith(q)) || names.find(([p]) => p.toLowerCase().includes(q));
  return hit ? hit[0] : null;
}

function showAhead(st) {
  const match = matchCode(st, st.query);
  st.ahead.textContent = st.query
    ? `Code: ${st.query}  →  ${match || 'no match'}${match ? '  (Enter applies, Esc clears)' : ''}` : '';
  st.ahead.classList.toggle('qcs-ahead-on', !!st.query);
}

function cursorRange(st) {
  const [a, b] = [Math.min(st.anchor, st.cursor), Math.max(st.anchor, st.cursor)];
  return [st.sents[a][0], st.sents[b][1]];
}

function sendCursor(st, now) {
  clearTimeout(st.sendTimer);
  const go = () => {
    st.sendTimer = 0;
    if (st.cursor === null) return;
    const [start, end] = cursorRange(st);
    st.lastSel = [start, end];
    st.send('event', { kind: 'select', start, end, doc: st.docId, nonce: nonce(st) });
  };
  if (now) go(); else st.sendTimer = setTimeout(go, 180);
}

function cursorKey(st, e) {
  if (e.ctrlKey || e.metaKey || e.altKey || st.sugFocus) return;
  const key = e.key;
  if ((key === 'ArrowDown' || key === 'ArrowUp') && st.sents.length) {
    e.preventDefault();
    const step = key === 'ArrowDown' ? 1 : -1;
    if (st.cursor === null) {
      const sel = st.lastSel ? sentenceAt(st, st.lastSel[0]) : firstVisibleSentence(st);
      st.cursor = st.anchor = sel;
    } else {
      st.cursor = Math.min(st.sents.length - 1, Math.max(0, st.cursor + step));
      if (!e.shiftKey) st.anchor = st.cursor;
    }
    const el = markCursor(st);
    if (el) el.scrollIntoView({ block: 'nearest' });
    const [start, end] = cursorRange(st);
    clearPending();
    st.live.textContent = st.text.slice(start, end);
    sendCursor(st, false);
    return;
  }
  if (key === 'Escape') {
    st.query = '';
    showAhead(st);
    return;
  }
  if (key === 'Backspace' && st.query) {
    e.preventDefault();
    st.query = st.query.slice(0, -1);
    showAhead(st);
    return;
  }
  if (key === 'Enter' && !st.query && st.cursor !== null) {
    // Enter without a typed code: the page's Apply button, with the codes chosen there.
    e.preventDefault();
    if (st.sendTimer) sendCursor(st, true);
    const apply = document.querySelector('.st-key-ws_do_apply button');
    if (apply) setTimeout(() => apply.click(), 60);
    return;
  }
  if (key === 'Enter' && st.query) {
    e.preventDefault();
    e.stopImmediatePropagation();
    const code = matchCode(st, st.query);
    st.query = '';
    showAhead(st);
    if (code) applyCode(st, code);
    return;
  }
  if (key.length === 1 && /\S| /.test(key) && (st.query || /[^\d\s]/.test(key))) {
    e.preventDefault();
    e.stopPropagation();
    st.query += key;
    showAhead(st);
  }
}

function firstVisibleSentence(st) {
  const rootBox = st.root.getBoundingClientRect();
  for (const el of st.root.querySelectorAll('[data-k]')) {
    if (el.getBoundingClientRect().bottom > rootBox.top) return Number(el.dataset.k);
  }
  return 0;
}

function applyCode(st, code) {
  if (!st.lastSel) {
    st.live.textContent = 'Select a passage or put the cursor on a sentence first.';
    return;
  }
  clearTimeout(st.sendTimer);
  st.sendTimer = 0;
  const [start, end] = st.lastSel;
  const n = nonce(st);
  drawPending(st, code, start, end, n);
  st.send('event', { kind: 'apply', code, start, end, doc: st.docId, nonce: n, pending: n });
}

// ---- instant highlights: drawn at once, pending until the server's codings confirm them --------

function drawPending(st, path, start, end, id) {
  const code = st.allCodes.find(([p]) => p === path);
  const colour = code ? code[1] : '#888888';
  const key = id || nonce(st);
  const marks = [];
  const segs = segments(st);
  for (let i = segmentIndex(st, start, false); i < segs.length; i++) {  // only the passage's
    const seg = segs[i];
    const s0 = Number(seg.dataset.s), s1 = s0 + seg.textContent.length;
    if (s0 >= end) break;
    if (s1 <= start) continue;
    seg.classList.add('qcs-pending');
    seg.style.setProperty('--qcs-p', colour);
    marks.push(seg);
  }
  st.pending.set(key, { path, start, end, marks, at: performance.now() });
  // The server may answer without changing the codings (nothing stored: already coded, an
  // error), and then no update comes: roll back after 10 s in any case.
  setTimeout(() => settlePending(st, st.lastCodings || { codes: [], items: [] }), 10100);
  st.root.dataset.pending = st.pending.size;
  performance.mark('qcs-pending-drawn');
  return key;
}

// Codings came back from the server: a pending highlight whose coding is now drawn is confirmed
// (its marks were replaced with the real highlight, or are cleared here); one the server did not
// store is rolled back (it flashes and goes), after the answer to its own event.
function settlePending(st, cod) {
  st.lastCodings = cod;
  if (!st.pending.size) return;
  for (const [key, p] of st.pending) {
    const codeIdx = cod.codes.findIndex(([path]) => path === p.path);
    const stored = codeIdx >= 0 && cod.items.some((c) => c[4] === codeIdx && c[1] <= p.start && c[2] >= p.end);
    // Not stored: rolled back once the server has answered twice since (the first answer can
    // be the rerun a selection started before the click) or after 10 s.
    p.answers = (p.answers || 0) + 1;
    const old = p.answers > 2 || performance.now() - p.at > 10000;
    if (!stored && !old) continue;
    for (const seg of p.marks) {
      seg.classList.remove('qcs-pending');
      if (!stored && seg.isConnected) {
        seg.classList.add('qcs-rollback');
        setTimeout(() => seg.classList.remove('qcs-rollback'), 900);
      }
    }
    for (const seg of st.root.querySelectorAll('.qcs-pending')) {  // re-split segments
      const s0 = Number(seg.dataset.s);
      if (s0 >= p.start && s0 < p.end) seg.classList.remove('qcs-pending');
    }
    st.pending.delete(key);
    st.root.dataset.settled = stored ? 'confirmed' : 'rolled-back';
    performance.mark(stored ? 'qcs-pending-confirmed' : 'qcs-pending-rolled-back');
  }
  st.root.dataset.pending = st.pending.size;
}
