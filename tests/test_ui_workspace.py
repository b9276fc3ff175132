"""The coding workspace and code retrieval pages with AppTest, on a copy of the sample project.

AppTest cannot run the component's JavaScript, so selections are injected as the component
would report them (``simulated_event``); the browser journey in test_browser_workspace.py
does the same with a real mouse.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from app_support import current_page, html_bodies, open_page
from streamlit.testing.v1 import AppTest

from qualcode.coding import editing

from qualcode.coding import undo
from qualcode.project.documents import show_document
from qualcode.store.db import Database
from qualcode.ui.code_panel import TREE_KEY, simulated_click
from qualcode.ui.span_component import simulated_event

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PW = "correct horse battery"
DOC = "p05_visiting_student_uganda"


@pytest.fixture
def at(sample_db, monkeypatch):
    monkeypatch.setenv("QUALCODE_DB", str(sample_db.path))
    app = AppTest.from_file(APP, default_timeout=60).run()
    app.selectbox(key="coder_pick").set_value("New coder…").run()
    app.text_input(key="coder_new").set_value("dana").run()
    open_page(app, "Code")
    assert not app.exception
    app.selectbox(key="ws_document").set_value(DOC).run()
    assert not app.exception
    return app


def _event(**kwargs):
    from qualcode.project.documents import show_document

    doc = show_document(Database(at_db()), DOC)
    return doc["text"], simulated_event(doc["text"], doc["turns"], **kwargs)


def _select(at, phrase):
    text, _ = _event(clicked_coding=0)
    start = text.index(phrase)
    at.session_state[f"ws_span_{DOC}"] = _event(start=start, end=start + len(phrase), nonce=start + 1)[1]
    at.run()
    assert not at.exception
    return start


def at_db() -> str:
    import os

    return os.environ["QUALCODE_DB"]


def test_selecting_and_applying_a_code_records_the_exact_passage_and_undo_removes_it(at):
    phrase = "does not cover me to touch patients"
    start = _select(at, phrase)
    at.multiselect(key="ws_apply").set_value(["Barriers/Regulatory and licensing/Observership-only limits"]).run()
    at.button(key="ws_do_apply").click().run()
    assert not at.exception
    db = Database(at_db())
    mine = editing.codings_for_document(db, DOC, viewer="dana")
    dana = [c for c in mine if c.coder == "dana"]
    assert [(c.start, c.end, c.quote, c.code_path) for c in dana] == [
        (start, start + len(phrase), phrase, "Barriers/Regulatory and licensing/Observership-only limits")]
    assert undo.peek(db, "dana")["undo"] is not None
    at.button(key="ws_undo").click().run()
    assert not at.exception
    assert [c for c in editing.codings_for_document(db, DOC, viewer="dana") if c.coder == "dana"] == []
    at.button(key="ws_redo").click().run()
    assert len([c for c in editing.codings_for_document(db, DOC, viewer="dana") if c.coder == "dana"]) == 1


def test_clicking_a_coding_opens_it_for_recode_and_memo(at):
    phrase = "does not cover me to touch patients"
    _select(at, phrase)
    at.multiselect(key="ws_apply").set_value(["Barriers/Institutional/Liability and malpractice"]).run()
    at.button(key="ws_do_apply").click().run()
    db = Database(at_db())
    [mine] = [c for c in editing.codings_for_document(db, DOC, viewer="dana") if c.coder == "dana"]
    at.session_state[f"ws_span_{DOC}"] = _event(clicked_coding=mine.id, nonce=99)[1]
    at.run()
    at.selectbox(key=f"ws_recode_{mine.id}").set_value(
        "Barriers/Regulatory and licensing/Observership-only limits").run()
    at.button(key=f"ws_do_recode_{mine.id}").click().run()
    at.text_area(key=f"ws_memo_{mine.id}").set_value("insurance, not the board").run()
    at.button(key=f"ws_do_memo_{mine.id}").click().run()
    assert not at.exception
    [after] = [c for c in editing.codings_for_document(db, DOC, viewer="dana") if c.coder == "dana"]
    assert (after.code_path, after.memo, after.quote) == (
        "Barriers/Regulatory and licensing/Observership-only limits", "insurance, not the board", phrase)


def test_retrieval_lists_excerpts_in_context_and_links_back(at):
    open_page(at, "Retrieve")
    at.selectbox(key="rt_code").set_value("Barriers/Regulatory and licensing").run()
    assert not at.exception
    bodies = html_bodies(at)
    assert any("Observership-only limits" in b for b in bodies)
    count = _shown(at)[2]
    assert count > 10
    next(b for b in at.button if b.key and b.key.startswith("rt_open_")).click().run()
    assert not at.exception and current_page(at) == "Code"


def _shown(at) -> tuple[int, int, int]:
    """(first, last, total) of Retrieve's "Showing 1–50 of 431 excerpts"."""
    import re

    [line] = [c.value for c in at.caption if c.value.startswith("Showing")][:1]
    first, last, total = re.match(r"Showing (\d+)–(\d+) of (\d+) excerpts?", line).groups()
    return int(first), int(last), int(total)


def _excerpt_ids(at) -> list[int]:
    import re

    return [int(re.search(r'data-coding="(\d+)"', h.proto.body).group(1))
            for h in at.get("html") if "qc-excerpt" in h.proto.body]


def test_retrieve_shows_50_excerpts_a_page_with_a_page_selector_and_count(at):
    from qualcode.coding.key_quotes import key_quotes

    open_page(at, "Retrieve")
    at.selectbox(key="rt_code").set_value("Barriers").run()
    assert not at.exception
    every = [q.coding_id for q in key_quotes(Database(at_db()), viewer="dana", code="Barriers",
                                             only_starred=False)]
    assert len(every) > 100
    assert _shown(at) == (1, 50, len(every))
    assert _excerpt_ids(at) == every[:50]
    assert len([b for b in at.button if b.key and b.key.startswith("rt_open_")]) == 50
    at.number_input(key="rt_page").set_value(2).run()
    assert not at.exception
    assert _shown(at) == (51, 100, len(every)) and _excerpt_ids(at) == every[50:100]
    last = (len(every) + 49) // 50
    at.number_input(key="rt_page").set_value(last).run()
    assert _shown(at) == (50 * (last - 1) + 1, len(every), len(every))
    at.selectbox(key="rt_code").set_value("Enablers").run()  # other excerpts: their first page
    assert _shown(at)[0] == 1 and at.number_input(key="rt_page").value == 1


def test_starring_in_retrieve_filters_key_quotes_and_undoes_on_the_code_page(at):
    from qualcode.coding.key_quotes import key_quotes

    db = Database(at_db())
    open_page(at, "Retrieve")
    at.selectbox(key="rt_code").set_value("Barriers/Regulatory and licensing").run()
    first, second = _excerpt_ids(at)[:2]
    star = at.button(key=f"rt_star_{first}")
    assert (star.label, star.help, star.disabled) == ("☆", "Mark as key quote", False)
    star.click().run()
    assert not at.exception
    assert [q.coding_id for q in key_quotes(db, viewer="dana")] == [first]
    assert at.button(key=f"rt_star_{first}").label == "★"
    assert any("Marked as a key quote" in m.value for m in at.success)
    at.toggle(key="rt_key_only").set_value(True).run()
    assert _excerpt_ids(at) == [first] and _shown(at) == (1, 1, 1)
    assert "★ " in [h.proto.body for h in at.get("html") if "qc-excerpt" in h.proto.body][0]
    at.button(key=f"rt_star_{first}").click().run()  # unstar: the list empties
    assert key_quotes(db, viewer="dana") == []
    assert any("No key quotes here yet" in i.value for i in at.info)
    at.toggle(key="rt_key_only").set_value(False).run()
    at.button(key=f"rt_star_{second}").click().run()
    open_page(at, "Code")
    assert undo.peek(db, "dana")["undo"].startswith("star ")
    at.button(key="ws_undo").click().run()
    assert not at.exception and key_quotes(db, viewer="dana") == []


def test_a_signed_in_coder_may_star_only_their_own_excerpts_in_retrieve(sample_db, monkeypatch):
    from qualcode.team import accounts

    text = show_document(sample_db, DOC)["text"]
    phrase = "does not cover me to touch patients"
    start = text.index(phrase)
    mine = editing.add(sample_db, DOC, "Barriers/Regulatory and licensing/Observership-only limits", "dana",
                       start, start + len(phrase))
    accounts.add_account(sample_db, "root", PW, role="admin")
    accounts.add_account(sample_db, "dana", PW, role="coder", actor="root")
    monkeypatch.setenv("QUALCODE_DB", str(sample_db.path))
    monkeypatch.delenv("QUALCODE_SESSION_MINUTES", raising=False)
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.text_input(key="login_name").set_value("dana")
    at.text_input(key="login_password").set_value(PW)
    next(b for b in at.button if b.label == "Log in").click().run()
    open_page(at, "Retrieve")
    at.selectbox(key="rt_code").set_value("Barriers/Regulatory and licensing").run()
    assert not at.exception
    stars = {b.key: b for b in at.button if b.key and b.key.startswith("rt_star_")}
    assert stars.pop(f"rt_star_{mine.id}").disabled is False
    assert stars and all(b.disabled for b in stars.values())
    assert "only its coder or an owner" in next(iter(stars.values())).help
    at.button(key=f"rt_star_{mine.id}").click().run()
    assert editing.get_coding(sample_db, mine.id, viewer="dana").key_quote is True


def test_the_selected_coding_has_a_star_on_the_code_page(at):
    phrase = "does not cover me to touch patients"
    _select(at, phrase)
    at.multiselect(key="ws_apply").set_value(["Barriers/Institutional/Liability and malpractice"]).run()
    at.button(key="ws_do_apply").click().run()
    db = Database(at_db())
    [mine] = [c for c in editing.codings_for_document(db, DOC, viewer="dana") if c.coder == "dana"]
    at.session_state[f"ws_span_{DOC}"] = _event(clicked_coding=mine.id, nonce=99)[1]
    at.run()
    assert at.button(key=f"ws_do_star_{mine.id}").label == "☆ Mark as key quote"
    at.button(key=f"ws_do_star_{mine.id}").click().run()
    assert not at.exception
    assert editing.get_coding(db, mine.id).key_quote is True
    assert at.button(key=f"ws_do_star_{mine.id}").label == "★ Key quote"
    at.button(key="ws_undo").click().run()
    assert editing.get_coding(db, mine.id).key_quote is False
    at.button(key="ws_redo").click().run()
    assert editing.get_coding(db, mine.id).key_quote is True


def test_comparison_table_puts_each_coders_codes_side_by_side():
    from types import SimpleNamespace as C

    from qualcode.ui.workspace import comparison_table

    text = "0123456789" * 4
    codings = [C(start=0, end=5, coder="ana", code_path="A/x"), C(start=3, end=8, coder="ben", code_path="A/y"),
               C(start=8, end=12, coder="ben", code_path="B"),  # touches the first passage: a new one
               C(start=20, end=25, coder="ana", code_path="B"), C(start=20, end=25, coder="ana", code_path="A/x")]
    table = comparison_table(text, codings)
    assert table.to_dict("records") == [
        {"passage": "0–8", "text": "01234567", "ana": "x", "ben": "y"},
        {"passage": "8–12", "text": "8901", "ana": "", "ben": "B"},
        {"passage": "20–25", "text": "01234", "ana": "B; x", "ben": ""},
    ]


def test_blind_coding_keeps_other_coders_out_of_analysis_and_agreement(at):
    from qualcode.team import settings

    settings.set_blind(Database(at_db()), True, actor="test")
    open_page(at, "Excerpts")
    assert not at.exception
    assert any("only dana's codings" in c.value for c in at.sidebar.caption) or any(
        "no codings yet" in i.value for i in at.info)
    open_page(at, "Agreement")
    assert not at.exception and any("Blind coding is on" in i.value for i in at.info)


def _tree(at) -> dict:
    """The code tree's data as the browser receives it."""
    [data] = [d for d in (json.loads(c.proto.json) for c in at.get("bidi_component")) if "rows" in d]
    return data


def _counts(at, path):
    [(here, total)] = [r[5:7] for r in _tree(at)["rows"] if r[1] == path]
    return here, total


def _click(at, path, nonce):
    """A click in the code tree that the transcript did not take (in a browser it takes the
    click when it holds a selection, and sends it as an "apply" event with the range)."""
    at.session_state[TREE_KEY] = simulated_click(path, nonce)
    at.run()
    assert not at.exception


def _mine():
    return [(c.start, c.code_path) for c in editing.codings_for_document(Database(at_db()), DOC, viewer="dana")
            if c.coder == "dana"]


def test_the_code_tree_applies_a_code_once_per_click_counts_it_and_keeps_it_recent(at):
    path = "Barriers/Institutional/Liability and malpractice"
    rows = _tree(at)["rows"]
    assert [r[1] for r in rows][:2] == ["Barriers", "Barriers/Institutional"]  # depth first
    assert all(re.fullmatch(r"#[0-9a-f]{6}", r[3]) for r in rows)
    assert len({r[3] for r in rows}) == len(rows)  # a colour per code
    assert any(r[4] for r in rows)  # definitions, for the hover
    here, total = _counts(at, path)
    assert _tree(at)["recent"] == []
    phrase = "does not cover me to touch patients"
    start = _select(at, phrase)
    _click(at, path, nonce=5)
    assert _mine() == [(start, path)]
    assert _counts(at, path) == (here + 1, total + 1)
    assert _tree(at)["recent"] == [path]
    at.run()  # the same click is not applied again on the next rerun
    _click(at, path, nonce=5)
    assert len(_mine()) == 1


def test_tree_data_sends_safe_colours_zero_counts_and_only_existing_recent_codes():
    from qualcode.ui.code_panel import CodeRow, tree_data

    rows = [CodeRow("A", 1, "#112233", "Any barrier", 0),
            CodeRow("A/b", 2, "red;background:url(x)", None, 1)]
    data = tree_data(rows, {1: (2, 5)}, ["gone", "A/b"], "k1")
    assert data["rows"] == [[1, "A", 0, "#112233", "Any barrier", 2, 5],
                            [2, "A/b", 1, "#888888", "", 0, 0]]
    assert data["recent"] == ["A/b"] and data["store"] == "k1"


def test_a_code_clicked_with_nothing_selected_says_to_select_first(at):
    _click(at, "Barriers", nonce=9)
    assert "Select a passage" in at.error[0].value
    assert _mine() == []


def test_code_the_sentence_clears_the_chosen_code_like_apply(at):
    _select(at, "does not cover me")
    at.multiselect(key="ws_apply").set_value(["Barriers/Institutional/Liability and malpractice"]).run()
    at.button(key="ws_do_sentence").click().run()
    assert not at.exception
    assert at.multiselect(key="ws_apply").value == []


def test_reapplying_a_code_says_so_and_offers_to_extend_to_the_union(at):
    path = "Barriers/Institutional/Liability and malpractice"
    first = _select(at, "does not cover me")
    _click(at, path, nonce=1)
    _click(at, path, nonce=2)  # the same passage again
    assert "Already coded Liability and malpractice here by you" in at.success[0].value
    assert not [b for b in at.button if b.key == "ws_do_extend"]
    wider = "does not cover me to touch patients"
    at.session_state[f"ws_span_{DOC}"] = _event(start=first, end=first + len(wider), nonce=777)[1]
    at.run()
    _click(at, path, nonce=3)
    assert "overlapping passage" in at.success[0].value
    db = Database(at_db())
    assert len([c for c in editing.codings_for_document(db, DOC, viewer="dana") if c.coder == "dana"]) == 1
    at.button(key="ws_do_extend").click().run()
    assert not at.exception
    [c] = [c for c in editing.codings_for_document(db, DOC, viewer="dana") if c.coder == "dana"]
    assert c.quote == "does not cover me to touch patients"


def _drag(at, cid, start, end, was, nonce):
    doc = show_document(Database(at_db()), DOC)
    at.session_state[f"ws_span_{DOC}"] = simulated_event(
        doc["text"], doc["turns"], resize=cid, start=start, end=end, was=was, nonce=nonce)
    at.run()
    assert not at.exception


def test_a_dragged_handle_resizes_once_and_refuses_stale_gone_or_no_op_drags(at):
    """What the page does with a "resize" event from the transcript's handles (the browser
    journey is tests/test_browser_resize.py): stores it (Undo takes it back); refuses a drag
    made on an extent that changed meanwhile, a coding that is gone and another coder's
    coding; says when nothing changes."""
    db = Database(at_db())
    text = show_document(db, DOC)["text"]
    phrase = "does not cover me to touch patients"
    start = text.index(phrase)
    mine = editing.add(db, DOC, "Barriers", "dana", start, start + 8)
    was = (start, start + 8)
    _drag(at, mine.id, start, start + len(phrase), was, 11)
    assert (editing.get_coding(db, mine.id).start, editing.get_coding(db, mine.id).end) == (
        start, start + len(phrase))
    assert "Coding resized to" in at.success[0].value
    # the same drag again (its extent is out of date now): refused, nothing changes
    _drag(at, mine.id, start, start + 4, was, 12)
    assert "changed to" in at.error[0].value
    assert editing.get_coding(db, mine.id).end == start + len(phrase)
    # no change at all
    _drag(at, mine.id, start, start + len(phrase), (start, start + len(phrase)), 13)
    assert "nothing changed" in at.success[0].value
    # Undo takes the resize back
    at.button(key="ws_undo").click().run()
    assert editing.get_coding(db, mine.id).end == start + 8
    # another coder's coding: the library refuses (only its coder resizes it)
    other = next(c for c in editing.codings_for_document(db, DOC, viewer=None) if c.coder != "dana")
    _drag(at, other.id, other.start, other.end + 1, (other.start, other.end), 14)
    assert at.error and editing.get_coding(db, other.id).end == other.end
    # a coding that is gone
    editing.remove(db, mine.id, actor="dana")
    _drag(at, mine.id, start, start + 3, (start, start + 8), 15)
    assert "gone" in at.error[0].value
