"""The Code page's code panel: the code tree with colours, counts and definitions, one click (or a
number key) to apply a code to the selected passage, recent codes kept at the top.

Also the helpers the workspace's callbacks share (messages, the selection, recent codes) and the
"already coded" check: re-applying a code a coder already has on an overlapping passage says so
and offers to extend that coding to the union (``editing.resize``) instead of adding a second one.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from qualcode.coding import editing
from qualcode.coding.code_counts import code_counts
from qualcode.guards import md_text
from qualcode.project.codes import tree
from qualcode.store.db import Database
from qualcode.team.access import AccessDenied
from qualcode.ui.colours import colour_for, palette

RECENT = 8  # recently used codes kept at hand
NUMBERED = 9  # keys 1-9 apply the first nine codes of the visible list


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

def _label(row: CodeRow, counts: dict[int, tuple[int, int]], full: bool) -> str:
    """Name and counts (this document / project); Streamlit shows the number key at the right."""
    here, total = counts.get(row.id, (0, 0))
    name = row.path if full else row.path.split("/")[-1]
    # A zero-width space after each "/" lets a long path wrap between its levels, not mid-word.
    return f"{md_text(name).replace('/', '/' + chr(0x200B))}  ·  {here} / {total}"


def _each(suffix: str) -> str:
    """A selector for every code button (tree and recent), followed by ``suffix``."""
    return ",".join(f'[class*="st-key-ws_{kind}_"] button{suffix}' for kind in ("code", "recent"))


#: The look of every code button, the same on every rerun (so the browser keeps it parsed).
_PANEL_CSS = (
    ".qcp-note{font-size:.8rem;opacity:.75}"
    + _each("") + "{justify-content:flex-start;padding-left:var(--qcp-pad,.5rem);min-height:2rem;"
    "padding-top:.1rem;padding-bottom:.1rem}"
    + _each(">div") + "{flex:1;justify-content:flex-start;min-width:0}"
    # the label's own box (it holds the shortcut key too) spans the button: long paths wrap
    # from the left, between words
    + _each(">div>span") + "{flex:1;justify-content:space-between;min-width:0;text-align:left}"
    + _each(" [data-testid=stMarkdownContainer]") + "{flex:1;min-width:0}"
    + _each(" p") + "{text-align:left !important;white-space:normal;overflow:visible;text-overflow:clip;"
    "word-break:normal;overflow-wrap:break-word}"
    + _each("::before") + "{content:'';flex:none;width:.8rem;height:.8rem;border-radius:2px;"
    "margin-right:.45rem;background:var(--qcp-c,#888)}"
)


def _style(rows: list[tuple[str, CodeRow]]) -> str:
    """Each button's colour swatch and tree-level indent, as two custom properties per button
    (the shared look is :data:`_PANEL_CSS`): a few bytes a code, not a stylesheet a code."""
    rules = [f".st-key-{key}{{--qcp-pad:{0.5 + row.depth * 1.1:.1f}rem;--qcp-c:{row.colour}}}"
             for key, row in rows]
    return "<style>" + "".join(rules) + "</style>"


def _visible(rows: list[CodeRow]) -> tuple[list[CodeRow], list[CodeRow], dict[str, int], str]:
    """(recent, shown, number key of each numbered path, filter) as the panel shows them."""
    by_path = {r.path: r for r in rows}
    needle = (st.session_state.get("ws_filter") or "").strip().lower()
    shown = [r for r in rows if needle in r.path.lower()] if needle else rows
    recent = [by_path[p] for p in st.session_state.get("ws_recent", []) if p in by_path]
    numbers: dict[str, int] = {}
    for r in recent + shown:
        if len(numbers) < NUMBERED and r.path not in numbers:
            numbers[r.path] = len(numbers) + 1
    return recent, shown, numbers, needle


def button_codes(rows: list[CodeRow]) -> dict[str, str]:
    """The panel's buttons (element key → code path) and number keys ("#1" → path), for the
    transcript to draw a highlight the moment one is clicked or pressed."""
    recent, _, numbers, _ = _visible(rows)
    keys = {f"ws_code_{r.id}": r.path for r in rows}
    keys.update({f"ws_recent_{i}": r.path for i, r in enumerate(recent)})
    keys.update({f"#{n}": p for p, n in numbers.items()})
    return keys


def code_panel(db: Database, document: str, coder: str, rows: list[CodeRow]) -> None:
    """The code tree: filter, recent codes, branches (collapsible), number keys 1-9."""
    counts = code_counts(db, document, viewer=coder)
    st.text_input("Filter codes", key="ws_filter", placeholder="Type part of a code's name…",
                  label_visibility="collapsed")
    recent, shown, numbers, needle = _visible(rows)
    numbered = set(numbers)
    styled: list[tuple[str, CodeRow]] = []

    def button(r: CodeRow, key: str, full: bool = False) -> None:
        n = numbers.pop(r.path, None)  # a number goes to the first place a code appears
        styled.append((key, r))
        st.button(_label(r, counts, full), key=key, help=r.definition or r.path, width="stretch",
                  on_click=apply_one, args=(db, document, coder, r.path),
                  shortcut=str(n) if n else None)

    st.markdown('<span class="qcp-note">Click a code (or press its number) to apply it to the '
                'selection · this document / whole project</span>', unsafe_allow_html=True)
    if recent:
        st.caption("Recent")
        for i, r in enumerate(recent):
            button(CodeRow(r.path, r.id, r.colour, r.definition, 0), f"ws_recent_{i}", full=True)
    if needle:
        if not shown:
            st.caption("No code matches the filter.")
        for r in shown:
            button(CodeRow(r.path, r.id, r.colour, r.definition, 0), f"ws_code_{r.id}", full=True)
    else:
        branch = None
        for r in rows:
            if r.depth == 0:
                mine = [x for x in rows if x.path.split("/")[0] == r.path]
                here = sum(counts.get(x.id, (0, 0))[0] for x in mine)
                total = sum(counts.get(x.id, (0, 0))[1] for x in mine)
                branch = st.expander(f"{md_text(r.path)}  ·  {here} / {total}", expanded=any(
                    x.path in numbered or x in recent for x in mine))
            with branch:
                button(r, f"ws_code_{r.id}")
    st.html("<style>" + _PANEL_CSS + "</style>" + _style(styled))
