"""Co-occurrence: counts derived by hand on a tiny project, the ATLAS.ti manual's example, and an
independent brute-force count on a seeded random project."""

from __future__ import annotations

import itertools
from collections import Counter

import pytest

from qualcode.analysis.cooccurrence import cooccurrence
from qualcode.analysis.data import AnalysisError, load
from qualcode.analysis.synthetic import build, hand_project, random_project

A, B, C = "Barriers/A", "Barriers/B", "Enablers/C"


@pytest.fixture
def hand(db):
    hand_project(db)
    return db


def _m(frame):
    return frame.to_numpy().tolist()


# Codings (see qualcode.analysis.synthetic.HAND_CODINGS): A = #0, #2, #3; B = #1, #5; C = #4, #6, #7.
# The default set is both coders as passages (no consensus yet). Passages: A {#0}, {#2, #3}
# (nested, one passage); B {#1}, {#5}; C {#4}, {#6} (ben's), {#7} (d2): n1 at the pair units.
# overlap: A–B: ana's #2 and #3 overlap #1, one passage pair = 1 (#0 and #1 only touch at 11);
#          A–C 0 (#0 is ana's, #6 ben's: a co-occurrence is one coder's); B–C #5–#4 = 1.
# sentence: A in d1 s0, s1 (2); B in s1, s3 (2; #1 starts on the space after s0); C in s0 (ben),
#          s2, s3 and d2 s0 (4); one coder both: A∧B s1 (ana), A∧C none (s0 is A by ana, C by
#          ben), B∧C s3.
# turn: A in d1 I (1); B in I, P (2); C in I (ben), P, d2 I (3); A∧B 1, A∧C 0, B∧C P = 1.
# window (N = 1), pairs of passages of one coder at most one sentence apart: A{#0} s0 – B{#1} s1
#          yes; A{#2,#3} s1 – B{#1} s1 yes; A{#2,#3} s1 – B{#5} s3 no (two apart); A{#2,#3} s1 –
#          C{#4} s2–s3 yes; A{#0} s0 – C{#4} no; B{#1} s1 – C{#4} yes; B{#5} s3 – C{#4} yes:
#          A∧B 2, A∧C 1, B∧C 2; n1 = passages (2, 2, 3).
# document: A 1, B 1, C 2; ana coded all three in d1: every pair 1.
@pytest.mark.parametrize("unit, expected", [
    ("overlap", [[2, 1, 0], [1, 2, 1], [0, 1, 3]]),
    ("sentence", [[2, 1, 0], [1, 2, 1], [0, 1, 4]]),
    ("turn", [[1, 1, 0], [1, 2, 1], [0, 1, 3]]),
    ("window", [[2, 2, 1], [2, 2, 2], [1, 2, 3]]),
    ("document", [[1, 1, 1], [1, 1, 1], [1, 1, 2]]),
    ("participant", [[1, 1, 1], [1, 1, 1], [1, 1, 2]]),
])
def test_counts_match_the_hand_derivation(hand, unit, expected):
    m = cooccurrence(load(hand), unit=unit, measure="count")
    assert list(m.index) == list(m.columns) == [A, B, C]
    assert _m(m) == expected
    assert m.attrs["unit"] == unit and m.attrs["set"]["kind"] == "coders"
    assert m.attrs["set"]["coders"] == ["ana", "ben"] and "passages" in m.attrs["coders"]


def test_jaccard_at_sentence_unit(hand):
    m = cooccurrence(load(hand), unit="sentence", measure="jaccard")
    # A–B 1/(2+2-1); A–C 0/(2+4-0); B–C 1/(2+4-1)
    assert _m(m.round(6)) == [[1.0, round(1 / 3, 6), 0.0], [round(1 / 3, 6), 1.0, 0.2], [0.0, 0.2, 1.0]]


def test_conditional_is_asymmetric_and_counts_passages_at_overlap(hand):
    m = cooccurrence(load(hand), unit="overlap", measure="conditional")
    # P(B|A): passage {#2, #3} of A's two overlaps a B (1/2); P(C|A): 0 (#0 meets only ben's #6);
    # P(A|B): {#1} (1/2); P(C|B): {#5} (1/2); P(A|C): 0; P(B|C): {#4} (1/3)
    assert _m(m.round(6)) == [[1.0, 0.5, 0.0], [0.5, 1.0, 0.5], [0.0, round(1 / 3, 6), 1.0]]


def test_one_coder_only_is_stated_and_counted(hand):
    m = cooccurrence(load(hand, coders=["ana"]), unit="sentence")
    # without ben's C in s0: C in s2, s3, d2 s0 (3), A∧C 0
    assert _m(m) == [[2, 1, 0], [1, 2, 1], [0, 1, 3]]
    assert m.attrs["coders"] == "coder ana" and m.attrs["set"] == {"kind": "coder", "coders": ["ana"]}


def test_two_coders_coding_a_and_b_in_one_sentence_do_not_co_occur(db):
    """ana codes A on a sentence, ben codes B on it: a disagreement, not a co-occurrence, at every unit."""
    build(db, documents={"d": {"text": "I: One two three.\n", "turns": [("I", 3, 18)],
                               "sentences": [(3, 18)], "participant": "P1"}},
          codes=["A", "B"], codings=[("d", "A", "ana", 3, 18), ("d", "B", "ben", 3, 18)])
    data = load(db)
    for unit in ("overlap", "sentence", "turn", "window", "document", "participant"):
        m = cooccurrence(data, unit=unit)
        assert (m.at["A", "B"], m.at["A", "A"], m.at["B", "B"]) == (0, 1, 1), unit


def test_window_of_one_sentence_never_pairs_sentences_two_apart(db):
    text = "I: S0. S1. S2. S3.\n"
    sentences = [(3, 6), (7, 10), (11, 14), (15, 18)]
    build(db, documents={"d": {"text": text, "turns": [("I", 3, 18)], "sentences": sentences,
                               "participant": "P1"}},
          codes=["A", "B", "C"], codings=[("d", "A", "ana", 3, 6), ("d", "B", "ana", 11, 14),
                                          ("d", "C", "ana", 7, 10)])
    m = cooccurrence(load(db), unit="window", window=1)
    # A in S0, B in S2 (two apart), C in S1 (one from each)
    assert (m.at["A", "B"], m.at["A", "C"], m.at["B", "C"]) == (0, 1, 1)
    assert cooccurrence(load(db), unit="window", window=2).at["A", "B"] == 1
    assert cooccurrence(load(db), unit="window", window=0).at["A", "C"] == 0


def test_cross_matrix_rows_from_one_branch_columns_from_another(hand):
    m = cooccurrence(load(hand), unit="sentence", rows="Barriers", columns="Enablers")
    assert list(m.index) == ["Barriers", A, B] and list(m.columns) == ["Enablers", C]
    assert _m(m) == [[0, 0], [0, 0], [0, 1]]


def test_atlas_ti_manual_example_c_coefficient_and_frequency_flag(db):
    # ATLAS.ti manual: codes applied 100 and 10 times, 5 times together → c = 5/105 = 0.048.
    text = "S. " * 105
    sentences = [(3 * i, 3 * i + 2) for i in range(105)]
    codings = [("doc", "A", "x", *sentences[i]) for i in range(100)]
    codings += [("doc", "B", "x", *sentences[i]) for i in range(95, 105)]
    build(db, documents={"doc": {"text": text, "turns": [(None, 0, 314)], "sentences": sentences}},
          codes=["A", "B"], codings=codings)
    m = cooccurrence(load(db), unit="sentence", measure="jaccard")
    assert round(m.at["A", "B"], 3) == 0.048
    assert m.attrs["n"] == {"A": 100, "B": 10}
    assert m.attrs["frequency_flags"] == [["A", "B"], ["B", "A"]]
    assert cooccurrence(load(db), unit="overlap", measure="jaccard").at["A", "B"] == pytest.approx(5 / 105)


def test_unknown_unit_and_measure_are_refused(hand):
    with pytest.raises(AnalysisError, match="unit must be one of"):
        cooccurrence(load(hand), unit="paragraph")
    with pytest.raises(AnalysisError, match="measure must be one of"):
        cooccurrence(load(hand), measure="lift")


def _passages(codings):
    """Passage of every coding, by repeated joining (independent of qualcode's running maximum):
    codings of one code in one document whose spans share a character, transitively."""
    parent = list(range(len(codings)))

    def root(i):
        while parent[i] != i:
            i = parent[i]
        return i
    for i, j in itertools.combinations(range(len(codings)), 2):
        (d1, c1, s1, e1, _), (d2, c2, s2, e2, _) = codings[i], codings[j]
        if d1 == d2 and c1 == c2 and s1 < e2 and s2 < e1:
            parent[root(i)] = root(j)
    return [root(i) for i in range(len(codings))]


@pytest.mark.parametrize("window", [0, 1, 3])
def test_matches_a_brute_force_count_on_a_random_project(tmp_path, window):
    from qualcode.store.db import Database

    db = Database(tmp_path / "random.db")
    random_project(db, seed=7, documents=5, codes=5, codings=260, coders=3, sentences_per_document=12)
    data = load(db)
    paths = data.codes["path"].to_dict()
    sentences = {}
    for r in data.sentences.itertuples():
        sentences.setdefault(r.document_id, []).append((r.start, r.end))
    codings = [(r.document_id, paths[r.code_id], r.start, r.end, r.coder) for r in data.codings.itertuples()]
    passage = _passages(codings)
    touched = [[i for i, (us, ue) in enumerate(sentences[d]) if s < ue and us < e] for d, _, s, e, _ in codings]
    overlap, near = {}, {}
    by_coder_unit, units_of = {}, {}
    for x, y in itertools.combinations(range(len(codings)), 2):
        (d1, c1, s1, e1, w1), (d2, c2, s2, e2, w2) = codings[x], codings[y]
        if d1 != d2 or w1 != w2 or c1 == c2:
            continue  # a co-occurrence is one coder's, of two different codes
        key = frozenset((passage[x], passage[y]))
        if s1 < e2 and s2 < e1:
            overlap.setdefault((c1, c2), set()).add(key)
            overlap.setdefault((c2, c1), set()).add(key)
        if touched[x] and touched[y] and any(abs(i - j) <= window for i in touched[x] for j in touched[y]):
            near.setdefault((c1, c2), set()).add(key)
            near.setdefault((c2, c1), set()).add(key)
    for (d, c, _, _, w), units in zip(codings, touched):
        for u in units:
            by_coder_unit.setdefault((w, d, u), set()).add(c)
            units_of.setdefault(c, set()).add((d, u))
    pairs_in_units = {}
    for (w, d, u), codes in by_coder_unit.items():
        for a, b in itertools.permutations(codes, 2):
            pairs_in_units.setdefault((a, b), set()).add((d, u))
    n_passages = Counter(c for c, p in {(c, p) for (_, c, _, _, _), p in zip(codings, passage)})
    m_overlap = cooccurrence(data, unit="overlap")
    m_sentence = cooccurrence(data, unit="sentence")
    m_window = cooccurrence(data, unit="window", window=window)
    for a in m_overlap.index:
        for b in m_overlap.columns:
            if a != b:
                assert m_overlap.at[a, b] == len(overlap.get((a, b), ()))
                assert m_window.at[a, b] == len(near.get((a, b), ()))
                assert m_sentence.at[a, b] == len(pairs_in_units.get((a, b), ()))
        assert m_overlap.at[a, a] == n_passages[a]
        assert m_sentence.at[a, a] == len(units_of[a])


def test_identical_passages_of_three_coders_count_once(db):
    """Three coders each code one passage A and B: one passage of each and one pair (not 3, not
    the 9 cross-coder pairs), so the c-coefficient is 1."""
    from qualcode.codebook import Codebook, CodeSpec
    from qualcode.project.codes import apply_codebook
    from qualcode.project.codings import add_coding
    from qualcode.project.documents import import_files

    with db.session() as s:
        apply_codebook(s, db.project_id(s), Codebook(None, [CodeSpec(("A",)), CodeSpec(("B",))]))
    import_files(db, [("d.txt", b"I: Hello there.\nP1: The visa took long and the fee was high.\n")])
    for coder in ("ana", "ben", "chen"):
        for code in ("A", "B"):
            add_coding(db, "d", code, coder, match="The visa took long")
    data = load(db)
    count = cooccurrence(data, unit="overlap")
    jaccard = cooccurrence(data, unit="overlap", measure="jaccard")
    assert (count.at["A", "B"], count.at["A", "A"], jaccard.at["A", "B"]) == (1, 1, 1.0)


def test_levels_across_branches_as_rows_and_columns(db):
    """Barriers/Inst and Enablers/Inst share the level Institutional (Barriers/Inst/Sub inherits
    it); Barriers/Money is Financial. ana codes Inst/Sub and Money on one sentence."""
    from sqlalchemy import update

    from qualcode.project.codes import tree
    from qualcode.store.models import Code

    build(db, documents={"d": {"text": "I: One two three.\n", "turns": [("I", 3, 18)],
                               "sentences": [(3, 18)], "participant": "P1"}},
          codes=["Barriers/Inst/Sub", "Barriers/Money", "Enablers/Inst"],
          codings=[("d", "Barriers/Inst/Sub", "ana", 3, 18), ("d", "Barriers/Money", "ana", 3, 18)])
    with db.session() as s:
        ids = {"/".join(p): c.id for p, c in tree(s, db.project_id(s))}
        for path, level in (("Barriers/Inst", "Institutional"), ("Enablers/Inst", "Institutional"),
                            ("Barriers/Money", "Financial")):
            s.execute(update(Code).where(Code.id == ids[path]).values(level=level))
    m = cooccurrence(load(db), unit="sentence", rows="level:Institutional", columns="level:financial")
    assert list(m.index) == ["Barriers/Inst", "Barriers/Inst/Sub", "Enablers/Inst"]
    assert list(m.columns) == ["Barriers/Money"]
    assert m["Barriers/Money"].tolist() == [0, 1, 0]
    with pytest.raises(AnalysisError, match="no code has the level 'Policy' \\(levels: Financial, Institutional\\)"):
        load(db).code_ids("level:Policy")
