"""Participant attributes CSV: parsing, typing and clear errors."""

from __future__ import annotations

import pytest

from qualcode.project.participants import AttributesError, ParticipantRow, parse_attributes


def test_columns_become_typed_attributes_and_documents_lose_their_extension():
    data = (
        "participant_id,document,role,years,consented,interviewed\r\n"
        "P01,int01.docx,program director,11,yes,2024-03-01\r\n"
        "P02,int02,DIO,7.5,no,2024-03-09\r\n"
    ).encode()
    table = parse_attributes(data, "people.csv")
    assert table.attributes == ["role", "years", "consented", "interviewed"]
    assert table.types == {"role": "text", "years": "number", "consented": "boolean", "interviewed": "date"}
    assert table.rows == [
        ParticipantRow(2, "P01", "int01", {"role": "program director", "years": "11",
                                           "consented": "yes", "interviewed": "2024-03-01"}),
        ParticipantRow(3, "P02", "int02", {"role": "DIO", "years": "7.5",
                                           "consented": "no", "interviewed": "2024-03-09"}),
    ]


def test_a_document_column_alone_names_the_participant_and_empty_cells_are_missing():
    table = parse_attributes(b"document,state\nint01.txt,CA\nint02.txt,\n", "a.csv")
    assert [(r.participant_id, r.document, r.values) for r in table.rows] == [
        ("int01", "int01", {"state": "CA"}), ("int02", "int02", {}),
    ]


def test_windows_1252_csv_from_excel_keeps_its_accents():
    table = parse_attributes("participant_id,city\nP1,Bogotá\n".encode("cp1252"), "a.csv")
    assert table.rows[0].values == {"city": "Bogotá"}


@pytest.mark.parametrize(
    "data,line,reason",
    [
        (b"", None, "empty"),
        (b"name,role\nP1,x\n", 1, "no participant or document column"),
        (b"participant_id,role,role\nP1,a,b\n", 1, "appears twice"),
        (b"participant_id,role\nP1,a\nP2,b,extra\n", 3, "3 cells where the header has 2"),
        (b"participant_id,role\nP1,a\n,b\n", 3, "neither a participant nor a document"),
        (b"participant_id,role\nP1,a\nP1,a\n", 3, "listed again (first on line 2)"),
        (b"participant_id,document,role\nP1,d1,a\nP1,d2,b\n", 3, "role = 'b' here but 'a' on line 2"),
        (b"participant_id,role\nP1,\"a\n\nb\"\nP2,c,d\n", 5, "3 cells where the header has 2"),
    ],
)
def test_bad_csv_names_file_line_and_reason(data, line, reason):
    with pytest.raises(AttributesError) as err:
        parse_attributes(data, "people.csv")
    assert err.value.line == line
    assert reason in str(err.value)
    assert str(err.value).startswith("people.csv")


def test_an_oversized_table_is_refused_before_it_is_read(monkeypatch):
    import qualcode.importers.csv_input as csv_input

    monkeypatch.setattr(csv_input, "MAX_TABLE_BYTES", 1000)
    monkeypatch.setattr(csv_input.read_table, "__kwdefaults__", {"max_bytes": 1000})
    data = b"participant_id,country\n" + b"P1,India\n" * 200
    with pytest.raises(AttributesError, match=r"over the 1,000-byte limit for tables\. Split it"):
        parse_attributes(data, "big.csv")
