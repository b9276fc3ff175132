"""Recording codings by offsets or matching text, and listing them, on both engines."""

from __future__ import annotations

import pytest

from qualcode.codebook import Codebook, CodeSpec
from qualcode.project.codes import apply_codebook
from qualcode.project.codings import CodingError, add_coding, list_codings
from qualcode.project.documents import import_files

TEXT = (
    "Interviewer: Tell me about funding.\n"
    "P07: The stipend — 500 dollars — helps 🙏. But the visa fee, the visa interview, all of that costs.\n"
)
CODES = Codebook(None, [
    CodeSpec(("Barriers",)), CodeSpec(("Barriers", "Financial")),
    CodeSpec(("Barriers", "Immigration and visa")), CodeSpec(("Enablers",)),
    CodeSpec(("Enablers", "Scholarships and stipends")),
])


@pytest.fixture
def coded_db(db):
    with db.session() as s:
        apply_codebook(s, db.project_id(s), CODES)
    assert not import_files(db, [("int07.txt", TEXT.encode())]).errors
    return db


def test_offsets_are_code_points_and_the_quote_is_the_exact_slice(coded_db):
    start = TEXT.index("helps 🙏.")
    record, created = add_coding(coded_db, "int07", "Enablers/Scholarships and stipends", "ana",
                                 start=start, end=start + len("helps 🙏."))
    assert created and record.quote == "helps 🙏." == TEXT[record.start:record.end]
    assert record.end - record.start == 8  # the emoji is one code point, not two UTF-16 units


def test_match_with_nth_finds_the_right_occurrence(coded_db):
    record, _ = add_coding(coded_db, "int07", "Barriers/Immigration and visa", "ana", match="the visa", nth=2)
    assert record.start == TEXT.index("the visa interview")
    assert record.code == "Barriers/Immigration and visa"


def test_coding_the_same_passage_again_changes_nothing(coded_db):
    first, created1 = add_coding(coded_db, "int07", "Barriers/Financial", "ana", match="costs")
    again, created2 = add_coding(coded_db, "int07", "barriers/financial", "ana", match="costs")
    assert (created1, created2) == (True, False) and first == again
    assert len(list_codings(coded_db)) == 1


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"match": "scholarship"}, "does not occur"),
        ({"match": "the visa", "nth": 3}, "occurs 2 time(s)"),
        ({"start": 10, "end": 10_000}, "outside the document"),
        ({"start": 5, "end": 5}, "outside the document"),
        ({"start": 1, "end": 3, "match": "x"}, "not both"),
        ({}, "give --start and --end"),
        ({"match": "costs", "code": "Barriers/Finance"}, "Did you mean: Barriers/Financial"),
        ({"match": "costs", "document": "int7"}, "Did you mean: int07"),
        ({"match": "costs", "coder": "  "}, "needs a name"),
    ],
)
def test_bad_codings_are_refused_with_a_reason_and_write_nothing(coded_db, kwargs, message):
    kwargs = dict(kwargs)  # parametrized dicts are shared between the two engines
    document = kwargs.pop("document", "int07")
    code = kwargs.pop("code", "Barriers/Financial")
    coder = kwargs.pop("coder", "ana")
    with pytest.raises(CodingError) as err:
        add_coding(coded_db, document, code, coder, **kwargs)
    assert message in str(err.value)
    assert list_codings(coded_db) == []


def test_listing_filters_by_coder_and_by_a_code_with_its_children(coded_db):
    add_coding(coded_db, "int07", "Barriers/Financial", "ana", match="costs")
    add_coding(coded_db, "int07", "Barriers/Immigration and visa", "ben", match="the visa fee")
    add_coding(coded_db, "int07", "Enablers/Scholarships and stipends", "ben", match="The stipend")
    assert [c.code for c in list_codings(coded_db, code="Barriers")] == [
        "Barriers/Immigration and visa", "Barriers/Financial"]
    assert [c.quote for c in list_codings(coded_db, coder="ben")] == ["The stipend", "the visa fee"]
    assert [c.coder for c in list_codings(coded_db, document="int07")] == ["ben", "ben", "ana"]
