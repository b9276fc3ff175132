// qualcode code tree: the Code page's code panel (st.components.v2, isolate_styles=False).
//
// One element instead of a Streamlit button per code: a rerun after coding redraws one list
// here, not ~60 widgets with tooltips (the confirmation of an instant highlight waits for the
// whole rerun to render). Filtering, collapsing and numbering happen in the browser, without a
// rerun; only applying a code reaches Python.
//
// Applying a code: the tree asks the transcript first, with a cancelable "qualcode:apply-code"
// event on the document. The transcript (span_component.js) takes it when it holds a selection
// or a cursor: it draws the highlight at once, marked pending, and sends the range with the code,
// like type-ahead + Enter. When nobody takes it, the tree sends {kind: "apply", path, nonce} and
// the page applies the code to the selection it knows (or says to select a passage first).
//
// Code names and definitions only ever reach the DOM through textContent and title.

const NUMBERED = 9;  // keys 1-9 apply the first nine codes shown (recent codes first)

export default function (component) {
  const { data, parentElement, setStateValue } = component;
  let t = parentElement.__qctState;
  if (!t) {
    t = create(parentElement);
    parentElement.__qctState = t;
  }
  t.send = setStateValue;
  update(t, data || {});
  return () => {
    setTimeout(() => {  // as the transcript: detach only when the element is really gone
      if (!parentElement.isConnected && parentElement.__qctState === t) {
        t.detach();
        delete parentElement.__qctState;
      }
    }, 0);
  };
}

function create(parentElement) {
  const wrap = document.createElement('div');
  wrap.className = 'qct-wrap';
  wrap.setAttribute('data-testid', 'qct-tree');
  const filter = document.createElement('input');
  filter.type = 'search';
  filter.className = 'qct-filter';
  filter.placeholder = 'Type part of a code\u2019s name\u2026';
  filter.setAttribute('aria-label', 'Filter codes (Enter applies the first match)');
  const note = document.createElement('div');
  note.className = 'qct-note';
  note.textContent = 'Click a code (or press its number) to apply it to the selection '
    + '\u00b7 this document / whole project';
  const list = document.createElement('div');
  list.className = 'qct-list';
  list.setAttribute('role', 'group');
  list.setAttribute('aria-label', 'Codes');
  wrap.append(filter, note, list);
  parentElement.appendChild(wrap);
  const t = { wrap, filter, list, rows: [], byPath: new Map(), recent: [], sig: '', store: null,
              open: {}, numbers: new Map(), send: null, lastNonce: 0 };
  filter.addEventListener('input', () => draw(t));
  filter.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && filter.value) {
      e.preventDefault();
      filter.value = '';
      draw(t);
    } else if (e.key === 'Enter' && filter.value.trim()) {
      const first = list.querySelector('.qct-code');
      e.preventDefault();
      if (first) apply(t, first.dataset.path);
    }
  });
  list.addEventListener('click', (e) => {
    const toggle = e.target.closest('.qct-toggle');
    if (toggle) {
      t.open[toggle.dataset.path] = toggle.getAttribute('aria-expanded') !== 'true';
      save(t);
      draw(t);
      const again = [...list.querySelectorAll('.qct-toggle')].find((b) => b.dataset.path === toggle.dataset.path);
      if (again) again.focus();
      return;
    }
    const code = e.target.closest('.qct-code');
    if (code) apply(t, code.dataset.path);
  });
  const onKey = (e) => numberKey(t, e);
  window.addEventListener('keydown', onKey);
  t.detach = () => {
    window.removeEventListener('keydown', onKey);
    wrap.remove();
  };
  return t;
}

// rows: [[id, path, depth, colour, definition, here, total]] depth first; recent: [path];
// store: a key for this project, under which the branches' open/closed state is remembered.
function update(t, data) {
  const sig = JSON.stringify([data.rows, data.recent, data.store]);
  if (sig === t.sig) return;
  t.sig = sig;
  t.rows = (data.rows || []).map(([id, path, depth, colour, definition, here, total]) => (
    { id, path, depth, colour, definition, here, total, parent: null, kids: 0, sumHere: here, sumTotal: total }));
  t.byPath = new Map(t.rows.map((r) => [r.path, r]));
  for (const r of t.rows) {  // parents, and each branch's totals over its whole subtree
    const cut = r.path.lastIndexOf('/');
    const parent = cut > 0 ? t.byPath.get(r.path.slice(0, cut)) : null;
    if (!parent) continue;
    r.parent = parent;
    parent.kids += 1;
    for (let p = parent; p; p = p.parent) { p.sumHere += r.here; p.sumTotal += r.total; }
  }
  t.recent = (data.recent || []).filter((p) => t.byPath.has(p));
  if (data.store !== t.store) {
    t.store = data.store;
    t.open = load(t);
  }
  draw(t);
}

function load(t) {
  try { return JSON.parse(sessionStorage.getItem(`qct:${t.store}`)) || {}; } catch (e) { return {}; }
}

function save(t) {
  try { sessionStorage.setItem(`qct:${t.store}`, JSON.stringify(t.open)); } catch (e) { /* private mode */ }
}

// A branch the coder has not opened or closed: the first top-level branch and those holding a
// recent code are open; lower branches follow their parent.
function isOpen(t, r) {
  if (r.path in t.open) return t.open[r.path];
  if (r.depth > 0) return true;
  return r === t.rows[0] || t.recent.some((p) => p.startsWith(r.path + '/'));
}

function matches(t, r) {
  const needle = t.filter.value.trim().toLowerCase();
  return !needle || r.path.toLowerCase().includes(needle);
}

function visibleRows(t) {
  if (t.filter.value.trim()) return { rows: t.rows.filter((r) => matches(t, r)), flat: true };
  const rows = [];
  for (const r of t.rows) {
    let shown = true;
    for (let p = r.parent; p && shown; p = p.parent) shown = isOpen(t, p);
    if (shown) rows.push(r);
  }
  return { rows, flat: false };
}

function draw(t) {
  const { rows, flat } = visibleRows(t);
  const recent = t.recent.map((p) => t.byPath.get(p)).filter((r) => matches(t, r));
  t.numbers = new Map();
  const numberOf = new Map();
  for (const r of recent.concat(rows)) {
    if (t.numbers.size >= NUMBERED || numberOf.has(r.path)) continue;
    numberOf.set(r.path, t.numbers.size + 1);
    t.numbers.set(String(t.numbers.size + 1), r.path);
  }
  const frag = document.createDocumentFragment();
  const taken = new Set();  // a number is shown where the code first appears
  const number = (r) => {
    if (taken.has(r.path) || !numberOf.has(r.path)) return null;
    taken.add(r.path);
    return numberOf.get(r.path);
  };
  if (recent.length) {
    frag.appendChild(heading('Recent'));
    for (const r of recent) frag.appendChild(row(t, r, { full: true, flat: true, key: number(r), recent: true }));
    if (rows.length) frag.appendChild(heading(flat ? 'Matching codes' : 'All codes'));
  }
  if (!rows.length && t.rows.length) frag.appendChild(heading('No code matches the filter.'));
  if (!t.rows.length) frag.appendChild(heading('No codes yet: add some in the codebook.'));
  for (const r of rows) frag.appendChild(row(t, r, { full: flat, flat, key: number(r) }));
  t.list.replaceChildren(frag);
  t.wrap.dataset.shown = String(rows.length);
}

function heading(text) {
  const h = document.createElement('div');
  h.className = 'qct-heading';
  h.textContent = text;
  return h;
}

function row(t, r, { full, flat, key, recent }) {
  const line = document.createElement('div');
  line.className = 'qct-row';
  line.style.setProperty('--qct-pad', `${flat ? 0 : r.depth * 1.1}rem`);
  line.style.setProperty('--qct-c', r.colour);
  if (!flat && r.kids) {
    const open = isOpen(t, r);
    const toggle = document.createElement('button');
    toggle.type = 'button';
    toggle.className = 'qct-toggle';
    toggle.dataset.path = r.path;
    toggle.setAttribute('aria-expanded', String(open));
    toggle.setAttribute('aria-label', `${open ? 'Collapse' : 'Expand'} ${r.path} (${r.kids} codes below)`);
    toggle.textContent = open ? '\u25be' : '\u25b8';
    line.appendChild(toggle);
  } else {
    const gap = document.createElement('span');
    gap.className = 'qct-gap';
    line.appendChild(gap);
  }
  const b = document.createElement('button');
  b.type = 'button';
  b.className = recent ? 'qct-code qct-recent' : 'qct-code';
  b.dataset.path = r.path;
  b.dataset.id = r.id;
  b.title = r.definition ? `${r.path}\n${r.definition}` : r.path;
  const sw = document.createElement('span');
  sw.className = 'qct-sw';
  sw.setAttribute('aria-hidden', 'true');
  const name = document.createElement('span');
  name.className = 'qct-name';
  const parts = (full ? r.path : r.path.slice(r.path.lastIndexOf('/') + 1)).split('/');
  parts.forEach((p, i) => {  // a long path wraps between its levels
    if (i) { name.appendChild(document.createTextNode('/')); name.appendChild(document.createElement('wbr')); }
    name.appendChild(document.createTextNode(p));
  });
  const n = document.createElement('span');
  n.className = 'qct-n';
  n.textContent = `${r.here} / ${r.total}`;
  b.append(sw, name, n);
  if (r.kids && !recent) {
    const sum = document.createElement('span');
    sum.className = 'qct-sum';
    sum.textContent = `\u03a3 ${r.sumHere} / ${r.sumTotal}`;
    sum.title = 'With the codes below it';
    b.appendChild(sum);
  }
  if (key) {
    const k = document.createElement('kbd');
    k.className = 'qct-key';
    k.textContent = String(key);
    b.appendChild(k);
  }
  line.appendChild(b);
  return line;
}

function nonce(t) {
  t.lastNonce = Math.max(Date.now(), t.lastNonce + 1);
  return t.lastNonce;
}

function apply(t, path) {
  const ask = new CustomEvent('qualcode:apply-code', { detail: { path }, cancelable: true });
  if (document.dispatchEvent(ask)) t.send('event', { kind: 'apply', path, nonce: nonce(t) });
}

// 1-9 anywhere on the page but in a text field (the transcript's type-ahead keeps its own
// digits once a name is being typed: it stops them before they get here).
function numberKey(t, e) {
  if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || !/^[1-9]$/.test(e.key)) return;
  const el = e.target;
  if (el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName))) return;
  if (!t.wrap.isConnected) return;
  const path = t.numbers.get(e.key);
  if (!path) return;
  e.preventDefault();
  apply(t, path);
}
