"""Codings from a CSV sheet matched by quote: all or nothing, idempotent, clear errors."""

from __future__ import annotations

import pytest

from qualcode.codebook import Codebook, CodeSpec
from qualcode.project.codes import apply_codebook
from qualcode.project.coding_sheet import CodingSheetError, import_sheet, parse_sheet
from qualcode.project.codings import list_codings
from qualcode.project.documents import import_files

TEXT = "I: And the visa?\nP: The visa took months 😅, and the visa fee was high.\n"


@pytest.fixture
def project(db):
    with db.session() as s:
        apply_codebook(s, db.project_id(s), Codebook(None, [CodeSpec(("Visa",)), CodeSpec(("Cost",))]))
    import_files(db, [("int.txt", TEXT.encode())])
    return db


def test_rows_become_codings_at_the_quoted_occurrence_and_a_rerun_adds_nothing(project):
    sheet = ("document,code,coder,quote,nth,memo\r\n"
             "int,Visa,ana,the visa,2,second mention\r\n"
             'int,Cost,ben,"visa fee was high",,\r\n'
             "int,Visa,ben,The visa took months 😅,,\r\n").encode()
    rows = parse_sheet(sheet, "sheet.csv")
    assert import_sheet(project, rows) == {"created": 3, "existing": 0, "coders": ["ana", "ben"]}
    assert [(c.coder, c.code, c.quote, c.start, c.memo) for c in list_codings(project)] == [
        ("ben", "Visa", "The visa took months 😅", TEXT.index("The visa"), None),
        ("ana", "Visa", "the visa", TEXT.index("the visa fee"), "second mention"),
        ("ben", "Cost", "visa fee was high", TEXT.index("visa fee"), None),
    ]
    assert import_sheet(project, rows) == {"created": 0, "existing": 3, "coders": ["ana", "ben"]}


def test_one_unplaceable_row_writes_nothing_and_names_its_line(project):
    rows = parse_sheet(b"document,code,coder,quote\nint,Visa,ana,The visa\nint,Visa,ana,no such words\n",
                       "sheet.csv")
    with pytest.raises(CodingSheetError) as err:
        import_sheet(project, rows, filename="sheet.csv")
    assert err.value.line == 3 and "does not occur" in str(err.value)
    assert list_codings(project) == []


@pytest.mark.parametrize(
    "data,line,reason",
    [
        (b"document,code,quote\n", 1, "the header lacks coder"),
        (b"document,code,coder,quote,colour\n", 1, "unknown column(s) colour"),
        (b"document,code,coder,quote\nint,Visa,,x\n", 2, "the coder cell is empty"),
        (b"document,code,coder,quote,nth\nint,Visa,ana,x,0\n", 2, "nth is '0'"),
        (b"document,code,coder,quote\nint,Visa,ana\n", 2, "3 cells where the header has 4"),
    ],
)
def test_a_malformed_sheet_is_refused_with_its_line(data, line, reason):
    with pytest.raises(CodingSheetError) as err:
        parse_sheet(data, "sheet.csv")
    assert err.value.line == line and reason in str(err.value)
