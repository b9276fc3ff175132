"""Code suggestions: whose codings they learn from, what they suggest, accepting, rejecting,
undo, find similar, provenance in exports and agreement, and the evaluation — on a small built
project whose codes have words of their own, on both database engines where storage matters."""

from __future__ import annotations

import json
import random
import numpy as np
import pytest
from sqlalchemy import func, select

from qualcode import suggest
from qualcode.analysis.synthetic import build
from qualcode.coding import undo
from qualcode.project.codings import list_codings
from qualcode.store.db import Database
from qualcode.store.models import ChangeLog, Code, Coding, Document, SuggestionRejection
from qualcode.suggest.corpus import label_units, load_units
from qualcode.team import settings
from qualcode.team.access import AccessDenied

WORDS = {
    "Barriers/Visa": "visa embassy consulate stamp appointment denied interview passport",
    "Barriers/Cost": "fees dollars expensive rent savings afford loan money",
    "Enablers/Mentor": "mentor advisor introduced supported encouraged guidance networking",
}
FILLER = "the we then it was a day and so there some time really about that very with".split()


def _sentence(rng: random.Random, topic: str | None) -> str:
    words = [rng.choice(FILLER) for _ in range(rng.randint(5, 9))]
    if topic:
        for _ in range(3):
            words.insert(rng.randrange(len(words) + 1), rng.choice(WORDS[topic].split()))
    return " ".join(words).capitalize() + "."


def make_project(db: Database, *, documents: int = 6, coders=("ana",), seed: int = 3) -> dict:
    """Interviews whose participant turns hold a sentence about one topic among plain ones; each
    coder in ``coders`` codes every topical sentence with its topic (code paths of WORDS)."""
    rng = random.Random(seed)
    docs, codings, truth = {}, [], {}
    for d in range(documents):
        pos, parts, turns, sentences, topics = 0, [], [], [], []
        for t in range(8):
            speaker = "Interviewer" if t % 2 == 0 else "P1"
            label = f"{speaker}: "
            parts.append(label)
            pos += len(label)
            start_turn = pos
            topic = sorted(WORDS)[(d * 4 + t // 2) % len(WORDS)]  # each code as often
            plan = ["?"] if speaker == "Interviewer" else [None, topic, None]
            for i, topic in enumerate(plan):
                text = ("What happened next?" if topic == "?" else _sentence(rng, topic))
                sentences.append((pos, pos + len(text)))
                topics.append(topic if topic != "?" else None)
                sep = " " if i + 1 < len(plan) else ""
                parts.append(text + sep)
                pos += len(text) + len(sep)
            turns.append((speaker, start_turn, pos))
            parts.append("\n")
            pos += 1
        name = f"int{d}"
        docs[name] = {"text": "".join(parts), "turns": turns, "sentences": sentences}
        truth[name] = list(zip(sentences, topics))
        for (start, end), topic in zip(sentences, topics):
            if topic:
                codings += [(name, topic, coder, start, end) for coder in coders]
    build(db, documents=docs, codes=sorted(WORDS) + ["Barriers/Rare"], codings=codings)
    return truth


@pytest.fixture
def project(db):
    suggest.clear_cache()
    truth = make_project(db)
    yield db, truth
    suggest.clear_cache()


def _count(db, model) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model))


# -- whose codings ------------------------------------------------------------------------------


def test_sentences_carry_the_codes_of_codings_that_overlap_them_and_only_coded_documents_teach(project):
    db, truth = project
    data = suggest.training_data(db, coder="ana")
    units, labels = data.units, data.labels
    assert len(units) == sum(len(v) for v in truth.values())
    column = {data.codebook[c].path: k for k, c in enumerate(labels.code_ids)}
    expected = [topic for doc in sorted(truth, key=lambda n: int(n[3:])) for _, topic in truth[doc]]
    got = [next((p for p, k in column.items() if labels.y[i, k]), None) for i in range(len(units))]
    assert got == expected
    assert labels.labelled.all()
    # A coding that covers one character of a sentence labels that sentence, and nothing more
    spans = np.array([[units.document_id[0], labels.code_ids[0], units.end[0] - 1, units.end[0]]])
    one = label_units(units, spans, labels.code_ids)
    assert one.y.sum() == 1 and one.y[0, 0] and one.labelled.sum() == len(truth["int0"])


def test_the_coding_set_rule_auto_mine_all_consensus_and_coder(db):
    suggest.clear_cache()
    make_project(db, coders=("ana", "ben"))
    sets = lambda who, want=None: suggest.model_for(db, who, coding_set=want).coding_set  # noqa: E731
    assert sets("ana").coders == ("ana",) and sets("ana").kind == "mine"
    assert sets("dana").coders == ("ana", "ben")  # a newcomer with no codings: the team's
    assert sets("ana", "all").coders == ("ana", "ben")
    assert sets("ana", "ben").coders == ("ben",)
    with pytest.raises(suggest.SuggestError, match="no adjudicated"):
        sets("ana", "consensus")
    with pytest.raises(suggest.SuggestError, match="no coder or coding set 'zed'"):
        sets("ana", "zed")
    # after adjudication the consensus is what everybody learns from by default
    from qualcode.coding import editing

    editing.add(db, "int0", "Barriers/Visa", "consensus", 0, 5)
    assert sets("ana").coders == ("consensus",)
    assert "adjudicated" in sets("ana").statement


def test_under_blind_coding_a_coder_learns_only_from_their_own_codings(db):
    """ana codes only Visa, ben only Cost and Mentor, on the same documents: with blind coding
    on, ana's model knows no code but Visa, even on documents ana marked done, and asking for
    ben's codings or the pooled set is refused."""
    suggest.clear_cache()
    truth = make_project(db, coders=())
    from qualcode.coding import editing, visibility

    for name, rows in truth.items():
        for (start, end), topic in rows:
            if topic == "Barriers/Visa":
                editing.add(db, name, topic, "ana", start, end, record=False)
            elif topic:
                editing.add(db, name, topic, "ben", start, end, record=False)
    settings.set_blind(db, True, actor="owner")
    visibility.mark_done(db, "int0", "ana")  # ana may now see ben's codings there, not learn them
    trained = suggest.model_for(db, "ana", viewer="ana")
    paths = {trained.paths[c] for c in trained.model.code_ids}
    assert paths == {"Barriers/Visa"}
    assert trained.coding_set.coders == ("ana",) and "blind coding is on" in trained.coding_set.statement
    shown = suggest.suggest(db, "int1", "ana", threshold=0.0, viewer="ana")
    assert {x.code for x in shown.items} == {"Barriers/Visa"}
    for asked in ("all", "ben", "consensus"):
        with pytest.raises(AccessDenied, match="only from your own codings"):
            suggest.suggest(db, "int1", "ana", coding_set=asked, viewer="ana")
    with pytest.raises(AccessDenied, match="ask as yourself"):
        suggest.suggest(db, "int1", "ben", viewer="ana")
    # without blind coding the same request learns from ben too
    settings.set_blind(db, False, actor="owner")
    pooled = suggest.model_for(db, "ana", coding_set="all", viewer="ana")
    assert {pooled.paths[c] for c in pooled.model.code_ids} == set(WORDS)


# -- suggesting ---------------------------------------------------------------------------------


def test_suggestions_find_the_topical_sentences_of_a_new_document_and_store_nothing(project):
    db, truth = project
    make_more = Database(db.url)  # same database: add an uncoded interview written alike
    rng = random.Random(99)
    text, sentences, topics, pos = "P1: ", [], [], 4
    for topic in ["Barriers/Cost", None, "Enablers/Mentor", None, "Barriers/Visa"]:
        s = _sentence(rng, topic)
        sentences.append((pos, pos + len(s)))
        topics.append(topic)
        text += s + " "
        pos += len(s) + 1
    build(make_more, documents={"fresh": {"text": text.rstrip(), "turns": [("P1", 4, pos - 1)],
                                          "sentences": sentences}}, codes=[])
    codings, log = _count(db, Coding), _count(db, ChangeLog)
    shown = suggest.suggest(db, "fresh", "ana", viewer="ana")
    got = {(x.start, x.end, x.code) for x in shown.items}
    want = {(s, e, t) for (s, e), t in zip(sentences, topics) if t}
    assert want <= got
    assert len(got - want) <= 1  # precision: at most one wrong suggestion on five sentences
    assert all(0 <= x.score <= 1 for x in shown.items)
    assert (_count(db, Coding), _count(db, ChangeLog)) == (codings, log)  # nothing was stored
    assert [x.as_dict() for x in shown.items][0].keys() == {"start", "end", "code", "score"}


def test_a_code_with_too_few_example_sentences_gets_no_suggestions_and_says_why(project):
    db, truth = project
    from qualcode.coding import editing

    rows = [(name, span) for name, items in truth.items() for span, t in items if t is None][:4]
    for name, (start, end) in rows:
        editing.add(db, name, "Barriers/Rare", "ana", start, end, record=False)
    shown = suggest.suggest(db, "int0", "ana", threshold=0.0, viewer="ana")
    assert "Barriers/Rare" not in {x.code for x in shown.items}
    assert shown.why_not() == ["Barriers/Rare: 4 example sentences (needs 5)"]
    assert shown.learned.keys() == set(WORDS)


# -- accepting, rejecting, undo -----------------------------------------------------------------


def _uncoded_suggestion(db, truth, coder="dana"):
    shown = suggest.suggest(db, "int2", coder, coding_set="all", viewer=coder)
    return shown.items[0], shown


def test_accepting_makes_the_coders_own_coding_marked_suggested_logged_and_undoable(project):
    db, truth = project
    item, _ = _uncoded_suggestion(db, truth)
    done = suggest.accept(db, "int2", item.code_id, "dana", item.start, item.end)
    assert done.created and (done.start, done.end, done.code) == (item.start, item.end, item.code)
    [record] = list_codings(db, coder="dana")
    assert record.provenance == "suggested" and record.as_dict()["provenance"] == "suggested"
    with db.session() as s:
        entry = s.scalars(select(ChangeLog).where(ChangeLog.entity == "coding",
                                                  ChangeLog.action == "create")
                          .order_by(ChangeLog.id.desc())).first()
    assert json.loads(entry.detail)["provenance"] == "suggested" and entry.actor == "dana"
    # the suggestion is not shown again: the coder has that code there now
    again = suggest.suggest(db, "int2", "dana", coding_set="all", viewer="dana")
    assert item.key not in {x.key for x in again.items}
    assert suggest.undo(db, "dana").startswith("Undid: accept suggested")
    assert list_codings(db, coder="dana") == []
    assert item.key in {x.key for x in suggest.suggest(db, "int2", "dana", coding_set="all").items}
    assert undo.redo(db, "dana").startswith("Redid")
    assert [c.provenance for c in list_codings(db, coder="dana")] == ["suggested"]


def test_codings_made_by_hand_carry_no_provenance_in_their_json(project):
    db, _ = project
    record = list_codings(db, coder="ana")[0]
    assert record.provenance is None and "provenance" not in record.as_dict()


def test_rejected_suggestions_are_remembered_per_coder_and_undo_brings_them_back(project):
    db, truth = project
    item, _ = _uncoded_suggestion(db, truth)
    codings = _count(db, Coding)
    assert suggest.reject(db, "int2", item.code_id, "dana", item.start, item.end, score=item.score)
    assert not suggest.reject(db, "int2", item.code_id, "dana", item.start, item.end)  # once
    assert _count(db, Coding) == codings and _count(db, SuggestionRejection) == 1
    later = suggest.suggest(db, "int2", "dana", coding_set="all", viewer="dana")
    assert item.key not in {x.key for x in later.items}
    others = suggest.suggest(db, "int2", "erin", coding_set="all", viewer="erin")
    assert item.key in {x.key for x in others.items}  # erin never rejected it
    assert suggest.rejections(db, "dana")[0]["code"] == item.code
    assert suggest.peek_undo(db, "dana").startswith("reject ")
    assert suggest.undo(db, "dana").startswith("Undid: reject")
    assert _count(db, SuggestionRejection) == 0
    assert item.key in {x.key for x in suggest.suggest(db, "int2", "dana", coding_set="all").items}
    with db.session() as s:
        actions = s.scalars(select(ChangeLog.action).where(ChangeLog.entity == "coding")).all()
    assert actions[-2:] == ["reject_suggestion", "restore_suggestion"]


def test_accept_all_of_one_code_above_a_threshold_is_one_undoable_action(project):
    db, _ = project
    shown = suggest.suggest(db, "int3", "dana", coding_set="all", threshold=0.0, viewer="dana")
    code = "Barriers/Cost"
    wanted = {(x.start, x.end) for x in shown.items if x.code == code and x.score >= 0.5}
    assert wanted
    done = suggest.accept_all(db, "int3", code, "dana", threshold=0.5, coding_set="all")
    assert {(a.start, a.end) for a in done} == wanted and {a.code for a in done} == {code}
    assert {c.provenance for c in list_codings(db, coder="dana")} == {"suggested"}
    [action] = undo.history(db, "dana")
    assert action.description == (f"accept {len(done)} suggestions of {code}" if len(done) > 1
                                  else action.description)
    suggest.undo(db, "dana")
    assert list_codings(db, coder="dana") == []


def test_someone_else_cannot_accept_or_reject_for_a_coder_once_there_are_accounts(project):
    db, _ = project
    from qualcode.team import accounts

    accounts.add_account(db, "boss", "a-long-password", role="admin")
    accounts.add_account(db, "dana", "a-long-password", role="coder", actor="boss")
    accounts.add_account(db, "erin", "a-long-password", role="coder", actor="boss")
    item, _ = _uncoded_suggestion(db, None, coder="dana")
    with pytest.raises(AccessDenied):
        suggest.accept(db, "int2", item.code_id, "dana", item.start, item.end, actor="erin")
    with pytest.raises(AccessDenied):
        suggest.reject(db, "int2", item.code_id, "dana", item.start, item.end, actor="erin")
    assert suggest.accept(db, "int2", item.code_id, "dana", item.start, item.end, actor="dana").created


# -- find similar -------------------------------------------------------------------------------


def test_find_similar_lists_like_sentences_the_coder_has_not_coded_with_that_code(project):
    db, truth = project
    first = next(c for c in list_codings(db, coder="ana", document="int0") if c.code == "Barriers/Visa")
    with db.session() as s:
        coding_id = s.scalar(select(Coding.id).where(Coding.quote == first.quote))
    # a later interview says nearly the same thing, and something else
    echo = "P9: " + first.quote.replace(".", ", you know.") + " We had lunch then."
    build(Database(db.url), codes=[], documents={"later": {
        "text": echo, "turns": [("P9", 4, len(echo))],
        "sentences": [(4, echo.index(" We had") ), (echo.index("We had"), len(echo))]}})
    code, found = suggest.find_similar(db, coding_id, "dana", limit=8)
    assert code == "Barriers/Visa"
    assert (found[0].document, found[0].text) == ("later", echo[4:echo.index(" We had")])
    topics = {(name, s, e): t for name, rows in truth.items() for (s, e), t in rows}
    topics.update({("later", 4, echo.index(" We had")): "Barriers/Visa",
                   ("later", echo.index("We had"), len(echo)): None})
    assert (first.document, first.start, first.end) not in {(x.document, x.start, x.end) for x in found}
    assert [x.score for x in found] == sorted((x.score for x in found), reverse=True)
    # for ana, who coded every Visa sentence of the interviews, only the new one is left
    _, for_ana = suggest.find_similar(db, coding_id, "ana", limit=50)
    assert [x.document for x in for_ana if topics[(x.document, x.start, x.end)] == code] == ["later"]
    # coding them in one pass: one action, provenance "suggested"
    done = suggest.accept_many(db, [(x.document, x.start, x.end) for x in found[:3]], code, "dana")
    assert len(done) == 3 and {c.provenance for c in list_codings(db, coder="dana")} == {"suggested"}
    _, after = suggest.find_similar(db, coding_id, "dana", limit=8)
    assert after[0].score < found[0].score
    assert not {(x.document, x.start) for x in found[:3]} & {(x.document, x.start) for x in after}


# -- provenance in exports and agreement --------------------------------------------------------


def test_the_refi_export_marks_accepted_suggestions_and_reads_them_back(project, tmp_path):
    db, _ = project
    from xml.etree.ElementTree import fromstring
    import zipfile
    import io

    from qualcode.refi.store import export_qdpx, import_project_file
    from qualcode.refi.write import SUGGESTED_DESCRIPTION

    item, _ = _uncoded_suggestion(db, None)
    suggest.accept(db, "int2", item.code_id, "dana", item.start, item.end)
    data = export_qdpx(db)
    qde = zipfile.ZipFile(io.BytesIO(data)).read("project.qde")
    ns = "{urn:QDA-XML:project:1.0}"
    marked = [sel for sel in fromstring(qde).iter(f"{ns}PlainTextSelection")
              if sel.findtext(f"{ns}Description") == SUGGESTED_DESCRIPTION]
    assert [(int(m.get("startPosition")), int(m.get("endPosition"))) for m in marked] == [(item.start, item.end)]
    from conftest import shared_fixture

    xmlschema = pytest.importorskip("xmlschema")
    schema = xmlschema.XMLSchema(str(shared_fixture("refi/schema/Project.xsd")))
    assert list(schema.iter_errors(fromstring(qde))) == []
    path = tmp_path / "out.qdpx"
    path.write_bytes(data)
    fresh = Database(tmp_path / "fresh.db")
    import_project_file(fresh, path)
    [back] = list_codings(fresh, coder="dana")
    assert (back.provenance, back.memo) == ("suggested", None)
    assert {c.provenance for c in list_codings(fresh, coder="ana")} == {None}
    fresh.close()


def test_agreement_can_leave_out_codings_accepted_from_suggestions_and_says_so(db):
    suggest.clear_cache()
    make_project(db, coders=("ana",))
    from qualcode.agreement.report import build_report, methods_paragraph
    from qualcode.agreement.units import build_unit_matrix

    # ben accepts every suggestion learned from ana on int0, and codes a passage of int1 by hand
    shown = suggest.suggest(db, "int0", "ben", coding_set="ana", viewer="ben")
    for code in {x.code for x in shown.items}:
        suggest.accept_many(db, [("int0", x.start, x.end) for x in shown.items if x.code == code],
                            code, "ben")
    from qualcode.coding import editing

    editing.add(db, "int1", "Barriers/Cost", "ben", 0, 5)
    n = len(list_codings(db, coder="ben")) - 1
    kept = build_unit_matrix(db, coders=["ana", "ben"])
    left = build_unit_matrix(db, coders=["ana", "ben"], exclude_suggested=True)
    assert (kept.suggested, left.suggested, left.exclude_suggested) == (n, n, True)
    assert n >= 3 and (kept.x[:, :, 1] == 1).sum() == n  # one sentence each; int1 "Inter" is in none
    assert (left.x[:, :, 1] == 1).sum() == 0
    text = methods_paragraph(build_report(left, draws=50))
    assert f"{n} codings accepted from qualcode's learned code suggestions were left out" in text
    assert "were included" not in text
    assert "included; such codings are not fully independent" in methods_paragraph(build_report(kept, draws=50))
    if db.path is not None:  # the command line offers the same choice
        from click.testing import CliRunner

        from qualcode.cli import main

        out = CliRunner().invoke(main, ["--db", str(db.path), "agreement", "--coders", "ana,ben",
                                        "--draws", "0", "--methods", "--exclude-suggested"])
        assert out.exit_code == 0, out.output
        assert f"{n} codings accepted from qualcode's learned code suggestions were left out" in out.output


# -- models and the evaluation ------------------------------------------------------------------


def test_evaluation_leaves_each_document_out_and_beats_the_keyword_baseline(project):
    db, truth = project
    result = suggest.evaluate(db, coder="ana")
    d = result.as_dict()
    assert (d["documents"], d["folds"], d["sentences"]) == (6, 6, sum(len(v) for v in truth.values()))
    assert d["model"]["micro"]["f1"] > d["baseline"]["micro"]["f1"]
    assert d["model"]["micro"]["precision"] >= 0.6
    assert d["ratio"] is None or d["ratio"] > 1
    assert {r["code"] for r in d["per_code"]} == set(WORDS)
    assert [c["threshold"] for c in d["curve"]] == [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
    grouped = suggest.evaluate(db, coder="ana", folds=2)
    assert grouped.folds == 2 and grouped.documents == 6


@pytest.mark.parametrize("engine", ["linear", "spacy"])
def test_both_engines_rank_each_codes_sentences_above_all_others(project, engine):
    db, truth = project
    shown = suggest.suggest(db, "int4", "dana", coding_set="all", engine=engine, threshold=0.0)
    assert shown.engine == engine
    topics = dict(truth["int4"])
    for code in WORDS:
        scores = {(x.start, x.end): x.score for x in shown.items if x.code == code}
        mine = [v for k, v in scores.items() if topics[k] == code]
        assert mine and min(mine) > max(v for k, v in scores.items() if topics[k] != code)


def test_units_know_turns_neighbours_and_the_interviewer(project):
    db, _ = project
    with db.session() as s:
        units = load_units(s, db.project_id(s))
    first = units.subset(units.document_id == units.document_id[0])
    assert first.askers().tolist() == [True, False, False, False] * 4
    near = first.neighbour_matrix()
    assert near[2].indices.tolist() == [1, 3] and near[0].nnz == 0  # a lone question has none
    assert first.neighbours()[1] == f" {first.text[2]}"


# -- the command line ---------------------------------------------------------------------------


@pytest.fixture
def cli(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from qualcode.cli import main

    suggest.clear_cache()
    path = tmp_path / "cli.db"
    db = Database(path)
    make_project(db)
    db.close()
    monkeypatch.delenv("QUALCODE_USER", raising=False)

    def run(*args, expect=0):
        result = CliRunner().invoke(main, ["--db", str(path), *args])
        assert result.exit_code == expect, result.output
        return result

    return run


def test_the_cli_lists_suggestions_trains_and_evaluates(cli):
    items = json.loads(cli("suggest", "int1", "--coder", "dana", "--set", "all", "--json").stdout)
    assert items and all(item.keys() == {"start", "end", "code", "score"} for item in items)
    assert json.loads(cli("suggest", "document", "int1", "--coder", "dana", "--set", "all",
                          "--json").stdout) == items
    trained = json.loads(cli("suggest", "train", "--set", "all", "--json").stdout)
    assert set(trained["learned"]) == set(WORDS) and trained["too_few_examples"] == {}
    assert trained["coders"] == ["ana"]
    evaluated = json.loads(cli("suggest", "evaluate", "--set", "ana", "--json").stdout)
    assert evaluated["folds"] == 6 and {"model", "baseline", "ratio", "per_code"} <= evaluated.keys()
    text = cli("suggest", "evaluate", "--set", "ana").stdout
    assert "micro-F1 ratio to the keyword baseline" in text
    assert cli("suggest", "nope", "--set", "all", expect=1).stderr.startswith("Error: no document 'nope'")
    assert "whose suggestions?" in cli("suggest", "int1", "--set", "mine", expect=1).stderr
    # naming nobody (single-user command line, no QUALCODE_USER): the team's codings, pooled
    assert json.loads(cli("suggest", "int1", "--json").stdout) == items


# -- the migration -------------------------------------------------------------------------------


def test_migration_0007_adds_provenance_and_rejections_and_downgrades_cleanly(db_url):
    from alembic import command
    from sqlalchemy import inspect, text

    old = Database(db_url, migrate=False)
    with old.engine.begin() as conn:
        command.upgrade(old._alembic_config(conn), "0006")
    with old.engine.begin() as conn:
        conn.execute(text("INSERT INTO project (id, name, guid, blind_coding, coders_edit_codebook, "
                          "created_at) VALUES (1, 'p', 'g', false, false, '2026-01-01')"))
        conn.execute(text("INSERT INTO document (id, project_id, name, original_filename, format, "
                          "content_hash, text, import_report, guid, created_at) VALUES "
                          "(1, 1, 'd', 'd.txt', 'txt', 'h', 'hello world', '{}', 'gd', '2026-01-01')"))
        conn.execute(text("INSERT INTO code (id, project_id, name, definition, use_when, "
                          "do_not_use_when, example, ordinal, guid) VALUES (1, 1, 'c', '', '', '', '', 0, 'gc')"))
        conn.execute(text("INSERT INTO coder (id, project_id, name, guid) VALUES (1, 1, 'ana', 'ga')"))
        conn.execute(text("INSERT INTO coding (id, document_id, code_id, coder_id, start, \"end\", quote, "
                          "guid, created_at, updated_at) VALUES (1, 1, 1, 1, 0, 5, 'hello', 'gx', "
                          "'2026-01-01', '2026-01-01')"))
    old.close()
    db = Database(db_url)
    assert db.current_revision() == Database.head_revision()
    with db.session() as s:
        assert s.scalar(select(Coding.provenance)) is None
        # 0008 on an existing coding: not a key quote; the code has no level; nothing lost
        assert s.scalar(select(Coding.key_quote)) is False and s.scalar(select(Code.level)) is None
        assert s.scalar(select(func.count()).select_from(Coding)) == 1
        s.add(SuggestionRejection(document_id=1, code_id=1, coder_id=1, start=0, end=5))
    with pytest.raises(Exception):  # only 'suggested' (or nothing) is a provenance
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE coding SET provenance = 'robot'"))
    with db.engine.begin() as conn:
        command.downgrade(db._alembic_config(conn), "0006")
    assert "suggestion_rejection" not in inspect(db.engine).get_table_names()
    assert "provenance" not in {c["name"] for c in inspect(db.engine).get_columns("coding")}
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT quote FROM coding")).scalar() == "hello"
    db.close()


def test_deleting_a_code_or_document_takes_its_rejections_with_it(project):
    db, _ = project
    item, _ = _uncoded_suggestion(db, None)
    suggest.reject(db, "int2", item.code_id, "dana", item.start, item.end)
    with db.session() as s:  # the database's cascades, as a replaced or removed document has
        s.delete(s.scalar(select(Document).where(Document.name == "int2")))
    assert _count(db, SuggestionRejection) == 0


def test_a_model_is_trained_once_for_sessions_asking_at_the_same_time_and_again_after_a_coding(project, monkeypatch):
    import threading

    from qualcode.coding import editing
    from qualcode.suggest import service

    db, truth = project
    calls = []
    real = service.train
    monkeypatch.setattr(service, "train", lambda *a, **k: calls.append(1) or real(*a, **k))
    threads = [threading.Thread(target=suggest.suggest, args=(db, "int1", "ana"), kwargs={"viewer": "ana"})
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    item = suggest.suggest(db, "int1", "dana", coding_set="ana").items[0]
    suggest.accept(db, "int1", item.code_id, "ana", item.start, item.end)  # no new knowledge
    suggest.suggest(db, "int1", "ana", viewer="ana")
    assert len(calls) == 1
    (start, end), topic = next((span, t) for span, t in truth["int1"] if t is None)
    editing.add(db, "int1", "Barriers/Cost", "ana", start, end)  # a coding made by hand: retrain
    suggest.suggest(db, "int1", "ana", viewer="ana")
    assert len(calls) == 2
