"""The Code page's code panel: the code tree with colours, counts and definitions, one click (or a
number key) to apply a code to the selected passage, recent codes kept at the top.

Also the helpers the workspace's callbacks share (messages, the selection, recent codes) and the
"already coded" check: re-applying a code a coder already has on an overlapping passage says so
and offers to extend that coding to the union (``editing.resize``) instead of adding a second one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import streamlit as st

from qualcode.coding import editing
from qualcode.coding.code_counts import code_counts
from qualcode.guards import safe_colour
from qualcode.project.codes import tree
from qualcode.store.db import Database
from qualcode.team.access import AccessDenied
from qualcode.ui.colours import colour_for, palette
from qualcode.ui.span_component import FALLBACK_COLOUR, keep_events, page_component

RECENT = 8  # recently used codes kept at hand


@dataclass(frozen=True)
class CodeRow:
    path: str
    id: int
    colour: str  # the colour shown: the palette's, or the code's own (see ``code_rows``)
    definition: str | None
    depth: int


def code_rows(db: Database) -> list[CodeRow]:
    """Every code, depth first, with the colour the workspace shows for it: with "Distinct
    colours" on (the default) the palette's; off, the code's own colour (palette when none)."""
    with db.session() as s:
        rows = [("/".join(p), c.id, c.colour, c.definition, len(p) - 1)
                for p, c in tree(s, db.project_id(s))]
    distinct = palette([r[0] for r in rows])
    own = not st.session_state.get("ws_distinct", True)
    return [CodeRow(p, i, colour_for(c if own else None, p, distinct), d, depth)
            for p, i, c, d, depth in rows]


# -- shared by the workspace's callbacks --------------------------------------------------------

def selection() -> dict | None:
    return st.session_state.get("ws_selection")


def remember(paths: list[str]) -> None:
    recent = [p for p in st.session_state.get("ws_recent", []) if p not in paths]
    st.session_state["ws_recent"] = (paths + recent)[:RECENT]


def report(message: str, error: bool = False) -> None:
    st.session_state["ws_message"] = (message, error)


def run(action, *args, **kwargs):
    """Call a library action and turn its domain errors into a message on the page."""
    try:
        return action(*args, **kwargs)
    except (ValueError, LookupError, AccessDenied) as exc:
        report(str(exc), error=True)
        return None


def _clip(text: str, n: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def already_coded(db: Database, document: str, coder: str, path: str, start: int, end: int):
    """The coder's own coding of ``path`` overlapping ``start``-``end`` (the widest), or None."""
    return editing.own_coding_over(db, document, path, coder, start, end)


def apply_codes(db: Database, document: str, coder: str) -> None:
    """Apply the chosen codes (``ws_apply``) to the selection; a code the coder already has on
    an overlapping passage is not added again: the page says so and offers to extend it."""
    sel = selection()
    paths = st.session_state.get("ws_apply") or []
    if not sel or "start" not in sel or not paths:
        report("Select a passage and choose at least one code first.", error=True)
        return
    st.session_state.pop("ws_extend", None)
    done, said = [], []
    for p in paths:
        have = already_coded(db, document, coder, p, sel["start"], sel["end"])
        if have is not None:
            name = p.split("/")[-1]
            where = f"“{_clip(have.quote)}” ({have.start}–{have.end})"
            if have.start <= sel["start"] and sel["end"] <= have.end:
                said.append(f"Already coded {name} here by you: {where}.")
            else:
                said.append(f"Already coded {name} by you on an overlapping passage: {where}.")
                st.session_state["ws_extend"] = {
                    "id": have.id, "version": have.version, "path": p,
                    "start": min(have.start, sel["start"]), "end": max(have.end, sel["end"])}
        elif run(editing.add, db, document, p, coder, sel["start"], sel["end"]):
            done.append(p)
    if done:
        remember(done)
    if done or said:
        coded = f"Coded {sel['text'][:60]!r} as {', '.join(done)}. " if done else ""
        report(coded + " ".join(said))
        st.session_state["ws_apply"] = []


def apply_one(db: Database, document: str, coder: str, path: str) -> None:
    st.session_state["ws_apply"] = [path]
    apply_codes(db, document, coder)


def extend(db: Database, coder: str) -> None:
    offer = st.session_state.pop("ws_extend", None)
    if not offer:
        return
    if run(editing.resize, db, offer["id"], offer["start"], offer["end"], actor=coder,
           expected_version=offer["version"]) is not None:
        remember([offer["path"]])
        report(f"Extended {offer['path'].split('/')[-1]} to {offer['start']}–{offer['end']} "
               "(Undo takes it back).")


def extend_offer(db: Database, coder: str) -> None:
    """The "Extend" button while an offer from :func:`apply_codes` stands."""
    offer = st.session_state.get("ws_extend")
    if not offer:
        return
    c1, c2 = st.columns([3, 1])
    c1.button(f"Extend to {offer['start']}–{offer['end']}",
              key="ws_do_extend", type="primary", on_click=extend, args=(db, coder), width="stretch",
              help=f"Widen your coding of {offer['path']} to cover both passages (the union).")
    c2.button("Keep", key="ws_no_extend", width="stretch",
              on_click=lambda: st.session_state.pop("ws_extend", None))


# -- the panel ----------------------------------------------------------------------------------

# One element for the whole tree (not a button per code): see code_tree.js for why.
_TREE = page_component("qualcode_code_tree", ("code_tree.js",), "code_tree.css")
TREE_KEY = "ws_tree"


def tree_data(rows: list[CodeRow], counts: dict[int, tuple[int, int]], recent: list[str],
              store: str) -> dict:
    """What the browser draws: ``rows`` as ``[id, path, depth, colour, definition, here,
    total]`` (depth first; counts of the codings the viewer may see, in this document and in
    the project), the recent paths that still exist, and ``store``, the key under which the
    browser remembers which branches are open."""
    paths = {r.path for r in rows}
    return {"rows": [[r.id, r.path, r.depth, safe_colour(r.colour, FALLBACK_COLOUR), r.definition or "",
                      *counts.get(r.id, (0, 0))] for r in rows],
            "recent": [p for p in recent if p in paths][:RECENT],
            "store": store}


def simulated_click(path: str, nonce: int = 1) -> dict:
    """The tree's state after a click on ``path`` that the transcript did not take (it held no
    selection): for AppTest, as ``at.session_state[TREE_KEY] = simulated_click(...)``."""
    return {"event": {"kind": "apply", "path": path, "nonce": nonce}}


def clicked_code() -> str | None:
    """The code of the tree's latest click, once (None when there is no new click)."""
    state = st.session_state.get(TREE_KEY)
    event = state.get("event") if isinstance(state, dict) else None
    if not isinstance(event, dict) or event.get("kind") != "apply":
        return None
    nonce, path = event.get("nonce"), event.get("path")
    if not isinstance(nonce, int) or not isinstance(path, str) or nonce == st.session_state.get("ws_tree_nonce"):
        return None
    st.session_state["ws_tree_nonce"] = nonce
    return path


def code_panel(db: Database, document: str, coder: str, rows: list[CodeRow]) -> None:
    """The code tree: filter, recent codes, collapsible branches, number keys 1-9 (all drawn
    and handled in the browser; a click or key applies the code)."""
    counts = code_counts(db, document, viewer=coder)
    # a key per project, hashed: the database URL can hold a password
    store = hashlib.blake2b(f"{db.url}\0{db.project}".encode(), digest_size=8).hexdigest()
    _TREE(key=TREE_KEY, data=tree_data(rows, counts, st.session_state.get("ws_recent", []), store),
          default={"event": None}, on_event_change=keep_events)
