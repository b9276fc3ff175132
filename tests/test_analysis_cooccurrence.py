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
# overlap: A–B pairs #2–#1 and #3–#1 (#0 and #1 only touch at 11) = 2; A–C 0 (#0 is ana's and #6
# ben's: a pair must be one coder's); B–C #5–#4 = 1;
#          diagonal = codings per code (3, 2, 3); the nested A twice (#2, #3) adds nothing off it.
# sentence: A in d1 s0, s1 (n=2); B in s1, s3 (n=2; #1 starts on the space after s0); C in s0, s2, s3
#          and d2 s0 (n=4); together: A∧B s1, A∧C s0, B∧C s3.
# turn: A in d1 I (1); B in I, P (2); C in I, P, d2 I (3); A∧B 1, A∧C 1, B∧C 2.
# window (N=1): A's sentences dilate to d1 {0,1,2} (3), B's to {0,1,2,3} (4), C's to d1 {0..3} and d2 {0} (5);
#          A∧B 3, A∧C 3, B∧C 4 (no window crosses from d1 into d2).
# document: A 1, B 1, C 2, every pair 1.
@pytest.mark.parametrize("unit, expected", [
    ("overlap", [[3, 2, 0], [2, 2, 1], [0, 1, 3]]),
    ("sentence", [[2, 1, 1], [1, 2, 1], [1, 1, 4]]),
    ("turn", [[1, 1, 1], [1, 2, 2], [1, 2, 3]]),
    ("window", [[3, 3, 3], [3, 4, 4], [3, 4, 5]]),
    ("document", [[1, 1, 1], [1, 1, 1], [1, 1, 2]]),
    ("participant", [[1, 1, 1], [1, 1, 1], [1, 1, 2]]),
])
def test_counts_match_the_hand_derivation(hand, unit, expected):
    m = cooccurrence(load(hand), unit=unit, measure="count")
    assert list(m.index) == list(m.columns) == [A, B, C]
    assert _m(m) == expected
    assert m.attrs["unit"] == unit and m.attrs["coders"] == "pooled (ana, ben)"


def test_jaccard_at_sentence_unit(hand):
    m = cooccurrence(load(hand), unit="sentence", measure="jaccard")
    # A–B 1/(2+2-1); A–C 1/(2+4-1); B–C 1/(2+4-1)
    assert _m(m.round(6)) == [[1.0, round(1 / 3, 6), 0.2], [round(1 / 3, 6), 1.0, 0.2], [0.2, 0.2, 1.0]]


def test_conditional_is_asymmetric_and_counts_codings_at_overlap(hand):
    m = cooccurrence(load(hand), unit="overlap", measure="conditional")
    # P(B|A): A codings #2, #3 overlap a B (2/3); P(C|A): 0 (#0 overlaps only ben's #6); P(A|B):
    # #1 (1/2); P(C|B): #5 (1/2); P(A|C): 0; P(B|C): #4 (1/3)
    assert _m(m.round(6)) == [[1.0, round(2 / 3, 6), 0.0], [0.5, 1.0, 0.5],
                              [0.0, round(1 / 3, 6), 1.0]]


def test_one_coder_only_is_stated_and_counted(hand):
    m = cooccurrence(load(hand, coders=["ana"]), unit="sentence")
    # without ben's C in s0: C in s2, s3, d2 s0 (3), A∧C 0
    assert _m(m) == [[2, 1, 0], [1, 2, 1], [0, 1, 3]]
    assert m.attrs["coders"] == "ana"


def test_cross_matrix_rows_from_one_branch_columns_from_another(hand):
    m = cooccurrence(load(hand), unit="sentence", rows="Barriers", columns="Enablers")
    assert list(m.index) == ["Barriers", A, B] and list(m.columns) == ["Enablers", C]
    assert _m(m) == [[0, 0], [0, 1], [0, 1]]


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


def test_matches_a_brute_force_count_on_a_random_project(tmp_path):
    from qualcode.store.db import Database

    db = Database(tmp_path / "random.db")
    random_project(db, seed=7, documents=6, codes=6, codings=300, coders=2, sentences_per_document=15)
    data = load(db)
    paths = data.codes["path"].to_dict()
    texts_by_doc = {}
    for r in data.sentences.itertuples():
        texts_by_doc.setdefault(r.document_id, []).append((r.start, r.end))
    codings = [(r.document_id, paths[r.code_id], r.start, r.end, r.coder) for r in data.codings.itertuples()]
    pairs, sentence_sets = Counter(), {}
    for (d1, c1, s1, e1, w1), (d2, c2, s2, e2, w2) in itertools.combinations(codings, 2):
        # overlapping pairs are one coder's: that coder applied both codes there
        if d1 == d2 and w1 == w2 and c1 != c2 and s1 < e2 and s2 < e1:
            pairs[(c1, c2)] += 1
            pairs[(c2, c1)] += 1
    for d, c, s, e, _ in codings:
        for i, (us, ue) in enumerate(texts_by_doc[d]):
            if s < ue and us < e:
                sentence_sets.setdefault(c, set()).add((d, i))
    overlap = cooccurrence(data, unit="overlap")
    sentence = cooccurrence(data, unit="sentence")
    for a in overlap.index:
        for b in overlap.columns:
            if a != b:
                assert overlap.at[a, b] == pairs[(a, b)]
                assert sentence.at[a, b] == len(sentence_sets[a] & sentence_sets[b])
        assert sentence.at[a, a] == len(sentence_sets[a])


def test_pooled_overlap_pairs_stay_within_each_coder(db):
    """Three coders each code one passage A and B: pooled n12 is 3 (one pair each), not the 9
    cross-coder pairs, so the c-coefficient is 1, not out of range."""
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
    assert (count.at["A", "B"], count.at["A", "A"], jaccard.at["A", "B"]) == (3, 3, 1.0)
