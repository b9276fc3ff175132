"""Codebook files: the shipped codebook, YAML/CSV parsing, round trips, template export, errors."""

from __future__ import annotations

import colorsys
import csv
import difflib
import io
import random
import re
from dataclasses import replace
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from ruamel.yaml.scalarstring import LiteralScalarString
from ruamel.yaml.util import load_yaml_guess_indent

from qualcode.codebook import (
    Codebook,
    CodebookError,
    CodeSpec,
    normalise,
    parse_codebook,
    parse_csv,
    parse_yaml,
    to_csv,
    to_yaml,
)

SHIPPED = Path(__file__).resolve().parent.parent / "codebooks" / "img_barriers_enablers.yaml"

# The spec: the fixed code tree of the sample codebook, depth-first, in file order.
EXPECTED_PATHS = [
    "Barriers",
    "Barriers/Institutional",
    "Barriers/Institutional/Liability and malpractice",
    "Barriers/Institutional/Limited program capacity",
    "Barriers/Institutional/Administrative burden",
    "Barriers/Institutional/Reluctance toward non-US-trained candidates",
    "Barriers/Regulatory and licensing",
    "Barriers/Regulatory and licensing/Observership-only limits",
    "Barriers/Regulatory and licensing/Certification and examinations",
    "Barriers/Regulatory and licensing/Residency required for licensure",
    "Barriers/Immigration and visa",
    "Barriers/Immigration and visa/No fitting visa category",
    "Barriers/Immigration and visa/Visa delays and denials",
    "Barriers/Financial",
    "Barriers/Financial/Costs borne by trainees",
    "Barriers/Financial/Institutional funding constraints",
    "Barriers/Individual and cultural",
    "Barriers/Individual and cultural/Language and communication",
    "Barriers/Individual and cultural/Cultural and clinical adjustment",
    "Barriers/Individual and cultural/Isolation and lack of networks",
    "Enablers",
    "Enablers/Institutional",
    "Enablers/Institutional/Existing administrative infrastructure",
    "Enablers/Institutional/Leadership champions",
    "Enablers/Institutional/Partnerships with LMIC institutions",
    "Enablers/Regulatory and licensing",
    "Enablers/Regulatory and licensing/Special permits for hands-on care",
    "Enablers/Regulatory and licensing/Supervised clinical pathways",
    "Enablers/Immigration and visa",
    "Enablers/Immigration and visa/Institutional visa expertise",
    "Enablers/Financial",
    "Enablers/Financial/Innovative funding mechanisms",
    "Enablers/Financial/Scholarships and stipends",
    "Enablers/Individual and cultural",
    "Enablers/Individual and cultural/Mentorship and networking",
    "Enablers/Individual and cultural/Prior clinical experience and resilience",
    "Recommendations",
    "Recommendations/New visa category for short-term training",
    "Recommendations/Practical institutional approaches",
    "Recommendations/Bidirectional and equitable exchange",
    "Recommendations/Licensure pathway reform",
    "Program services",
    "Program services/Educational guidance and case management",
    "Program services/Clinical experience placement",
    "Program services/English and technical language courses",
    "Program services/Financial support",
]
PARENTS = {p.rsplit("/", 1)[0] for p in EXPECTED_PATHS if "/" in p}


@pytest.fixture(scope="module")
def shipped_bytes() -> bytes:
    return SHIPPED.read_bytes()


@pytest.fixture(scope="module")
def shipped(shipped_bytes) -> Codebook:
    return parse_yaml(shipped_bytes, SHIPPED.name)


# --------------------------------------------------------------------------------------------
# The shipped codebook


def test_shipped_codebook_has_exactly_the_code_tree(shipped):
    assert shipped.name == "Hands-on clinical training for IMGs and LMIC students in the US"
    assert [code.path_str() for code in shipped.codes] == EXPECTED_PATHS


@pytest.mark.parametrize("path", EXPECTED_PATHS)
def test_shipped_code_has_all_fields_and_a_colour(shipped, path):
    code = shipped.get(path)
    filled = {f: bool(getattr(code, f)) for f in ("definition", "use_when", "do_not_use_when",
                                                  "example")}
    assert filled == {"definition": True, "use_when": True, "do_not_use_when": True,
                      "example": True}
    assert re.fullmatch(r"#[0-9a-f]{6}", code.colour)
    assert code.example[0] == '"' and code.example[-1] == '"'  # an invented interview quote
    if path in PARENTS:  # branch codes say they are for roll-up and when to code them directly
        assert ("roll-up" in code.definition, code.use_when.startswith("Apply directly")) == (
            True, True)


def _hue_family(colour: str) -> str:
    r, g, b = (int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    hue = colorsys.rgb_to_hls(r, g, b)[0] * 360
    if hue >= 330 or hue < 45:
        return "red-orange"
    if 75 <= hue < 190:
        return "green-teal"
    if 190 <= hue < 250:
        return "blue"
    if 250 <= hue < 320:
        return "purple"
    return "other"


def test_shipped_colours_are_distinct_and_follow_the_branch_hue_families(shipped):
    colours = [code.colour for code in shipped.codes]
    assert len(set(colours)) == len(colours)
    families = {}
    for code in shipped.codes:
        families.setdefault(code.path[0], set()).add(_hue_family(code.colour))
    assert families == {"Barriers": {"red-orange"}, "Enablers": {"green-teal"},
                        "Recommendations": {"blue"}, "Program services": {"purple"}}


def test_shipped_codebook_has_explanatory_comments(shipped_bytes):
    text = shipped_bytes.decode("utf-8")
    assert text.startswith("# qualcode sample codebook\n")
    assert "MacQueen et al. (1998)" in text
    branch_comments = [line.strip().split(" (")[0] for line in text.splitlines()
                       if re.match(r"\s*# [A-Z ]+ \(", line)]
    assert branch_comments == ["# BARRIERS", "# ENABLERS", "# RECOMMENDATIONS",
                               "# PROGRAM SERVICES"]


def test_shipped_codebook_round_trips(shipped, shipped_bytes):
    assert parse_yaml(to_yaml(shipped).encode("utf-8")) == shipped
    assert parse_csv(to_csv(shipped).encode("utf-8")) == replace(shipped, name=None)
    # exporting onto itself changes nothing, byte for byte
    assert to_yaml(shipped, template=shipped_bytes) == shipped_bytes.decode("utf-8")


# --------------------------------------------------------------------------------------------
# Data model


def test_codespec_helpers():
    spec = CodeSpec(("Barriers", "Financial", "Costs borne by trainees"))
    assert (spec.name, spec.parent_path, spec.path_str()) == (
        "Costs borne by trainees", ("Barriers", "Financial"),
        "Barriers/Financial/Costs borne by trainees")


def test_codebook_error_reads_file_line_reason_hint():
    error = CodebookError("codebook.csv", 7, "the code 'A' appears twice", "Keep one")
    assert (str(error), error.filename, error.line, error.reason, error.hint) == (
        "codebook.csv, line 7: the code 'A' appears twice. Keep one", "codebook.csv", 7,
        "the code 'A' appears twice", "Keep one")
    assert isinstance(error, ValueError)
    assert str(CodebookError("x.xlsx", None, "wrong type", "Use CSV")) == "x.xlsx: wrong type. Use CSV"


def test_normalise_fills_in_parents_orders_depth_first_and_cleans_values():
    cb = Codebook(" Book ", [
        CodeSpec(("A", "B", "C"), colour="#ABC", definition="  x\r\ny  "),
        CodeSpec(("D",), colour="#A0B1C2"),
        CodeSpec((" A ", "E"), example="cafe\u0301"),
    ])
    assert normalise(cb) == Codebook("Book", [
        CodeSpec(("A",)),
        CodeSpec(("A", "B")),
        CodeSpec(("A", "B", "C"), colour="#aabbcc", definition="x\ny"),
        CodeSpec(("A", "E"), example="caf\u00e9"),
        CodeSpec(("D",), colour="#a0b1c2"),
    ])


# --------------------------------------------------------------------------------------------
# YAML


def test_yaml_accepts_color_spelling_short_hex_bom_crlf_and_block_scalars():
    data = ("\ufeffname: Book\r\ncodes:\r\n  - name: A\r\n    color: '#F0A'\r\n"
            "    definition: |\r\n      line one\r\n      line two\r\n"
            "    use when: >-\r\n      folded\r\n      text\r\n"
            "    children:\r\n      - name: 2020\r\n        example: null\r\n").encode("utf-8")
    assert parse_yaml(data, "book.yaml") == Codebook("Book", [
        CodeSpec(("A",), colour="#ff00aa", definition="line one\nline two",
                 use_when="folded text"),
        CodeSpec(("A", "2020")),
    ])


def test_yaml_texts_are_read_as_written_not_as_ruamel_loads_them():
    # the reader walks ruamel's composed nodes: ruamel's loaded data would turn these texts
    # into 31, 1.1, 12, True and a date (and would not say on which line a problem is)
    data = (b"codes:\n  - name: 0x1F\n    definition: 1.10\n    use_when: 012\n"
            b"    do_not_use_when: true\n    example: 2020-01-01\n")
    loaded = YAML(typ="rt").load(data)["codes"][0]
    assert [str(value) for value in loaded.values()] == ["31", "1.1", "12", "True", "2020-01-01"]
    assert parse_yaml(data) == Codebook(None, [CodeSpec(
        ("0x1F",), definition="1.10", use_when="012", do_not_use_when="true",
        example="2020-01-01")])


def test_yaml_without_name_and_with_empty_codes():
    assert parse_yaml(b"codes:\n", "b.yaml") == Codebook(None, [])
    assert parse_yaml(b"name: X\ncodes: []\n", "b.yaml") == Codebook("X", [])


def test_to_yaml_writes_a_clean_block_document():
    cb = Codebook("Book", [
        CodeSpec(("Barriers",), colour="#8c2821", definition="Short."),
        CodeSpec(("Barriers", "Financial"), example='"It costs: a lot." # not a comment'),
        CodeSpec(("Enablers",), use_when="one\ntwo"),
    ])
    assert to_yaml(cb) == (
        "name: Book\n"
        "codes:\n"
        "  - name: Barriers\n"
        '    colour: "#8c2821"\n'
        "    definition: Short.\n"
        "    children:\n"
        "      - name: Financial\n"
        "        example: >-\n"
        "          \"It costs: a lot.\" # not a comment\n"
        "  - name: Enablers\n"
        "    use_when: |-\n"
        "      one\n"
        "      two\n"
    )


NASTY = [
    "plain words",
    "ünïcödé — “curly” ‘quotes’ and 中文 and emoji 😅",
    'He said "no": that was it',
    "it's a 'quote'",
    "key: value, and more: colons",
    "- starts like a list item",
    "# starts like a comment",
    "ends with a hash #",
    "a # inside",
    "line one\nline two\n\nafter a blank line",
    "  indented second line follows\n    indented\n\tand a tab",
    "tab\tin the middle and  double  spaces",
    "null",
    "yes",
    "~",
    "1e3",
    "0x1F",
    "[brackets] and {braces}",
    "&anchor *alias !tag %percent @at `backtick` |pipe >gt",
    "---",
    "...",
    "=SUM(A1:A3) starts like a formula",
    "+1 -1 @x",
    "back\\slash",
    "a very long text " * 20,
    "x" * 300,
    "trailing spaces on a line   \nnext line",
    "\u00a0inner\u00a0no-break\u00a0spaces",
]


@pytest.mark.parametrize("text", NASTY)
def test_any_text_round_trips_through_yaml_and_csv(text):
    name = text.replace("/", "|").replace("\n", " ").replace("\t", " ")[:190].strip()
    cb = normalise(Codebook(text, [
        CodeSpec((name,), colour="#abcdef", definition=text, use_when=text,
                 do_not_use_when=text, example=text),
        CodeSpec((name, name + " child"), example=text),
    ]))
    assert parse_yaml(to_yaml(cb).encode("utf-8")) == cb
    assert parse_csv(to_csv(cb).encode("utf-8")) == replace(cb, name=None)
    assert to_yaml(cb, template=to_yaml(cb).encode("utf-8")) == to_yaml(cb)


def _random_codebook(seed: int) -> Codebook:
    rnd = random.Random(seed)
    pieces = NASTY + ["", "a", "b c", ":", "#", "-", '"', "'", "\n", "é", "A"]
    codes: list[CodeSpec] = []
    for index in range(rnd.randint(0, 12)):
        parent = rnd.choice([()] + [c.path for c in codes]) if codes else ()
        name = f"{index} " + "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 3)))
        name = name.replace("/", "|").replace("\n", " ").replace("\t", " ")[:200]
        fields = ["".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 4))) for _ in range(4)]
        codes.append(CodeSpec((*parent, name), rnd.choice([None, "#123", "#a1b2c3"]), *fields))
    return normalise(Codebook(rnd.choice([None, "Book", "x: y"]), codes))


@pytest.mark.parametrize("seed", range(40))
def test_random_codebooks_round_trip(seed):
    cb = _random_codebook(seed)
    yaml_text = to_yaml(cb)
    assert parse_yaml(yaml_text.encode("utf-8")) == cb
    assert parse_csv(to_csv(cb).encode("utf-8")) == replace(cb, name=None)
    assert to_yaml(cb, template=yaml_text.encode("utf-8")) == yaml_text


# --------------------------------------------------------------------------------------------
# Exporting onto an existing YAML file (template)


def _changed_lines(before: str, after: str) -> list[str]:
    return [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(),
                                                  lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def test_template_export_keeps_comments_and_changes_only_the_edited_lines(shipped,
                                                                          shipped_bytes):
    codes = []
    for code in shipped.codes:
        path = ("Facilitators", *code.path[1:]) if code.path[0] == "Enablers" else code.path
        code = replace(code, path=path)
        if code.path_str() == "Barriers/Financial/Costs borne by trainees":
            code = replace(code, definition="Fees, travel and rent that trainees pay.")
        codes.append(code)
    edited = Codebook(shipped.name, codes)
    out = to_yaml(edited, template=shipped_bytes)
    assert parse_yaml(out.encode("utf-8")) == edited
    assert _changed_lines(shipped_bytes.decode("utf-8"), out) == [
        "-              Expenses visiting students or physicians pay themselves: application and rotation",
        "-              fees, exam fees, visas, travel, housing, insurance and lost income.",
        "+              Fees, travel and rent that trainees pay.",  # still a folded block
        "-  - name: Enablers",
        "+  - name: Facilitators",
    ]
    assert out.startswith("# qualcode sample codebook\n#\n# Barriers and enablers")
    assert "  # ENABLERS (greens and teals): what already makes" in out


TEMPLATE = b"""\
# Team codebook, version 3
name: Book
codes:
  # first branch
  - name: A
    colour: "#112233"  # dark blue
    definition: Old definition.  # reviewed in May
    children:
      - name: A1
        use_when: Old rule.
      # about A2
      - name: A2
  # second branch
  - name: B
    use_when:   # to do
# end of file
"""


def test_template_adds_drops_and_updates_codes_and_fields_in_place():
    cb = parse_yaml(TEMPLATE, "t.yaml")
    edited = Codebook("Book", [
        replace(cb.get("A"), definition="New definition."),
        CodeSpec(("A", "A0"), definition="Inserted first."),
        replace(cb.get("A/A1"), use_when="", example='"A quote."'),
        CodeSpec(("B",), use_when="Now filled in."),
        CodeSpec(("B", "B1"), colour="#abc"),
    ])
    out = to_yaml(edited, template=TEMPLATE)
    # (ruamel keeps an end-of-line comment at its column, or one space after a longer value)
    assert out == """\
# Team codebook, version 3
name: Book
codes:
  # first branch
  - name: A
    colour: "#112233"  # dark blue
    definition: New definition.  # reviewed in May
    children:
      - name: A0
        definition: Inserted first.
      - name: A1
        example: >-
          "A quote."
  # second branch
  - name: B
    use_when: Now filled in. # to do
    children:
      - name: B1
        colour: "#aabbcc"
# end of file
"""
    assert parse_yaml(out.encode("utf-8")) == normalise(edited)


def test_template_follows_renames_and_moves_given_by_the_caller():
    cb = parse_yaml(TEMPLATE, "t.yaml")
    moved = Codebook("Book", [cb.get("A"), cb.get("A/A1"), cb.get("B"),
                              replace(cb.get("A/A2"), path=("B", "Second"))])
    out = to_yaml(moved, template=TEMPLATE, renamed={("A", "A2"): ("B", "Second")})
    assert out.endswith("""\
  # second branch
  - name: B
    use_when:   # to do
    children:
      # about A2
      - name: Second
# end of file
""")
    assert parse_yaml(out.encode("utf-8")) == moved


def _ruamel_alone(template: bytes, edit) -> str:
    """The template loaded, edited by ``edit`` and dumped by ruamel's round-trip mode alone."""
    yaml = YAML(typ="rt")
    yaml.indent(mapping=2, sequence=4, offset=2)
    data = yaml.load(template)
    edit(data)
    stream = io.StringIO()
    yaml.dump(data, stream)
    return stream.getvalue()


def test_template_comment_is_not_swallowed_by_a_new_block_text():
    template = b"codes:\n  - name: A\n    definition: short\n        # deep comment\n  - name: B\n"
    cb = Codebook(None, [CodeSpec(("A",), definition="line 1\nline 2"), CodeSpec(("B",))])
    # ruamel alone leaves the comment where it was, which is now inside the block text
    alone = _ruamel_alone(template, lambda d: d["codes"][0].__setitem__(
        "definition", LiteralScalarString("line 1\nline 2")))
    assert parse_yaml(alone.encode("utf-8")).get("A").definition == (
        "line 1\nline 2\n\n  # deep comment")
    assert to_yaml(cb, template=template) == (
        "codes:\n  - name: A\n    definition: |-\n      line 1\n      line 2\n"
        "  # deep comment\n  - name: B\n")


def test_template_comment_lines_belong_to_the_code_below_them():
    # ruamel alone hangs a comment line on the field above it: deleting A1 deletes the
    # comment about A2, and deleting B keeps B's heading but loses the end of the file
    assert "# about A2" not in _ruamel_alone(TEMPLATE, lambda d: d["codes"][0]["children"].pop(0))
    alone = _ruamel_alone(TEMPLATE, lambda d: d["codes"].pop(1))
    assert ("# second branch" in alone, "# end of file" in alone) == (True, False)
    # qualcode moves each comment line to the code below it, the last ones to the end
    cb = parse_yaml(TEMPLATE, "t.yaml")
    without_a1 = Codebook("Book", [c for c in cb.codes if c.path != ("A", "A1")])
    assert to_yaml(without_a1, template=TEMPLATE) == TEMPLATE.decode().replace(
        "      - name: A1\n        use_when: Old rule.\n", "")
    without_b = Codebook("Book", [c for c in cb.codes if c.path != ("B",)])
    assert to_yaml(without_b, template=TEMPLATE) == TEMPLATE.decode().replace(
        "  # second branch\n  - name: B\n    use_when:   # to do\n", "")


def test_template_keeps_its_folding_and_folds_new_text_like_a_fresh_file(shipped, shipped_bytes):
    # ruamel alone re-wraps every folded text of the template at its line width
    assert _ruamel_alone(shipped_bytes, lambda d: None) != shipped_bytes.decode("utf-8")
    path = "Barriers/Financial/Costs borne by trainees"
    long = "Fees, travel, rent and the income lost while away, " * 4
    edited = Codebook(shipped.name, [replace(c, definition=long) if c.path_str() == path else c
                                     for c in shipped.codes])
    out, fresh = to_yaml(edited, template=shipped_bytes), to_yaml(edited)
    assert parse_yaml(out.encode("utf-8")) == normalise(edited)

    def definition_lines(text: str) -> list[str]:
        lines = text.splitlines()
        start = lines.index("          - name: Costs borne by trainees") + 3
        return lines[start:start + 3]

    assert definition_lines(out) == definition_lines(fresh)
    assert definition_lines(out)[1].startswith("              ")  # folded, not one long line


def test_long_plain_names_are_written_on_one_line():
    # ruamel 0.19 breaks a long plain text over lines even when told not to split it, and
    # a text broken that way loads as one line, so exporting onto the file would change it
    name = "A name that is much longer than one line of eighty characters, " * 2
    yaml = YAML(typ="rt")
    stream = io.StringIO()
    yaml.dump({"name": name.strip()}, stream)
    assert len(stream.getvalue().splitlines()) > 1
    cb = normalise(Codebook(name, [CodeSpec((name.strip(),))]))
    text = to_yaml(cb)
    assert text.splitlines()[0] == "name: " + name.strip()
    assert to_yaml(cb, template=text.encode("utf-8")) == text


def test_template_with_a_lone_dash_line():
    template = b"codes:\n  -\n    name: A\n  - name: B\n"
    with pytest.raises(IndexError):  # ruamel's indentation guess trips over it
        load_yaml_guess_indent(template.decode("utf-8"))
    cb = Codebook(None, [CodeSpec(("A",)), CodeSpec(("B",), definition="x")])
    assert to_yaml(cb, template=template) == "codes:\n  - name: A\n  - name: B\n    definition: x\n"


def test_template_that_is_not_a_codebook_is_an_error():
    with pytest.raises(CodebookError) as caught:
        to_yaml(Codebook(None, []), template=b"codes:\n  - nam: A\n",
                template_filename="old.yaml")
    assert (caught.value.filename, caught.value.line) == ("old.yaml", 2)


def test_template_in_flow_style_stays_in_flow_style():
    template = b"# my header\n{name: Book, codes: [{name: A}]}\n"
    cb = Codebook("Book", [CodeSpec(("A",)), CodeSpec(("B",))])
    assert to_yaml(cb, template=template) == "# my header\n{name: Book, codes: [name: A, name: B]}\n"
    # a long text inside [...] is quoted, without the fold marks ruamel would leave in as \a
    long = Codebook("Book", [CodeSpec(("A",), definition="word " * 40)])
    out = to_yaml(long, template=template)
    assert (parse_yaml(out.encode("utf-8")) == normalise(long), "\\a" in out) == (True, False)


# --------------------------------------------------------------------------------------------
# CSV


def test_csv_columns_any_case_and_order_implicit_parents_and_multiline_cells():
    data = (b"Example,Color,Use When,do-not-use-when,PATH,definition\r\n"
            b'"She said ""no"".",#ABC,when,"not\r\nwhen",Barriers/Financial/Costs borne by trainees,'
            b'"multi\r\nline"\r\n'
            b",,,,Enablers,\r\n"
            b",,,,Barriers,top\r\n")
    assert parse_csv(data, "book.csv") == Codebook(None, [
        CodeSpec(("Barriers",), definition="top"),
        CodeSpec(("Barriers", "Financial")),
        CodeSpec(("Barriers", "Financial", "Costs borne by trainees"), colour="#aabbcc",
                 definition="multi\nline", use_when="when", do_not_use_when="not\nwhen",
                 example='She said "no".'),
        CodeSpec(("Enablers",)),
    ])


def test_csv_written_by_excel_in_cp1252_parses():
    text = ("path,definition,example\r\n"
            "Barriers/Financial,Costs – fees; “café” and naïve,"
            "\"“We couldn’t pay the año’s fee,” said the señora.\"\r\n")
    assert parse_csv(text.encode("cp1252"), "excel.csv") == Codebook(None, [
        CodeSpec(("Barriers",)),
        CodeSpec(("Barriers", "Financial"), definition="Costs – fees; “café” and naïve",
                 example="“We couldn’t pay the año’s fee,” said the señora."),
    ])


@pytest.mark.parametrize("data", [
    "\ufeffpath,definition\r\nA,é\r\n".encode("utf-8"),
    "path;definition\r\nA;é\r\n".encode(),
    "path\tdefinition\r\nA\té\r\n".encode("utf-16"),
    "\r\n\r\npath,definition\r\n\r\nA,é\r\n,\r\n".encode(),
], ids=["utf8-bom", "semicolons", "utf16-tabs", "blank-rows"])
def test_csv_encodings_and_separators(data):
    assert parse_csv(data, "book.csv") == Codebook(None, [CodeSpec(("A",), definition="é")])


def test_to_csv_is_rfc4180_with_crlf():
    cb = Codebook("Book", [CodeSpec(("A",), colour="#aabbcc", definition='x, "y"\nz'),
                           CodeSpec(("A", "B"), example="=1+2")])
    assert to_csv(cb) == (
        "path,definition,use_when,do_not_use_when,example,colour\r\n"
        'A,"x, ""y""\nz",,,,#aabbcc\r\n'
        "A/B,,,,'=1+2,\r\n")


def test_csv_cells_a_spreadsheet_would_run_are_written_as_text_and_read_back():
    cb = Codebook(None, [CodeSpec(("=1+2",), definition='=HYPERLINK("http://x","y")'),
                         CodeSpec(("=1+2", "-minus"), use_when="+1", example="@SUM(A1)")])
    text = to_csv(cb)
    assert list(csv.reader(io.StringIO(text))) == [
        ["path", "definition", "use_when", "do_not_use_when", "example", "colour"],
        ["'=1+2", "'=HYPERLINK(\"http://x\",\"y\")", "", "", "", ""],
        ["'=1+2/-minus", "", "'+1", "", "'@SUM(A1)", ""],
    ]
    assert parse_csv(text.encode("utf-8")) == cb


def test_csv_apostrophe_is_taken_off_only_before_a_formula():
    # a text that itself starts with apostrophes before a formula sign gets one more
    cb = Codebook(None, [CodeSpec(("'=x",), definition="''+1", example="'quoted'")])
    text = to_csv(cb)
    assert text.splitlines()[1] == "''=x,'''+1,,,'quoted',"
    assert parse_csv(text.encode("utf-8")) == cb
    # in a file written by hand the apostrophe before a formula goes, any other one stays
    assert parse_csv(b"path,definition\n'=A,'plain\n'B,'-1\n") == Codebook(None, [
        CodeSpec(("=A",), definition="'plain"), CodeSpec(("'B",), definition="-1")])


def test_parse_codebook_picks_the_format_by_extension():
    assert parse_codebook(b"path\nA\n", "Book.CSV") == Codebook(None, [CodeSpec(("A",))])
    assert parse_codebook(b"codes:\n  - name: A\n", "book.yml") == Codebook(
        None, [CodeSpec(("A",))])
    with pytest.raises(CodebookError) as caught:
        parse_codebook(b"", "book.xlsx")
    assert (caught.value.line, str(caught.value).startswith("book.xlsx: ")) == (None, True)


# --------------------------------------------------------------------------------------------
# Errors: every one names the file and the exact line


ERRORS = [
    ("syntax.yaml", b"name: x\ncodes:\n  - name: A\n    definition: Note: this breaks\n", 4,
     "the YAML is not valid"),
    ("tabs.yaml", b"codes:\n\t- name: A\n", 2, "the YAML is not valid"),
    ("quote.yaml", b"codes:\n  - name: A\n    definition: 'never closed\n  - name: B\n", 3,
     "the YAML is not valid"),
    ("unknown.yaml", b"codes:\n  - name: A\n    defintion: x\n", 3,
     "unknown key 'defintion' in the code 'A'"),
    ("unknown-top.yaml", b"title: x\ncodes:\n", 1, "unknown key 'title'"),
    ("noname.yaml", b"codes:\n  - name: A\n    children:\n      - definition: x\n", 4,
     "a code has no 'name:'"),
    ("emptyname.yaml", b"codes:\n  - name: A\n  - name:\n", 3, "a code name is empty"),
    ("slash.yaml", b"codes:\n  - name: A\n  - name: B/C\n", 3, "contains '/'"),
    ("long.yaml", b"codes:\n  - name: " + b"x" * 201 + b"\n", 2, "the limit is 200"),
    ("dup.yaml", b"codes:\n  - name: Financial\n  - name: Other\n  - name: financial\n", 4,
     "(lines 2 and 4)"),
    ("dupkey.yaml", b"codes:\n  - name: A\n    definition: x\n    definition: y\n", 4,
     "appears twice"),
    ("colour.yaml", b"codes:\n  - name: A\n    colour: red\n", 3, "'red' is not a colour"),
    ("hash.yaml", b"codes:\n  - name: A\n\n    colour: #c0392b\n", 4,
     "read as a comment because it is not in quotes"),
    ("bare.yaml", b"codes:\n  - name: A\n    colour: c0392b\n", 3, "has no leading '#'"),
    ("list.yaml", b"- name: A\n", 1, "starts with a list"),
    ("empty.yaml", b"# only a comment\n", 1, "contains no codebook"),
    ("scalar-code.yaml", b"codes:\n  - A\n", 2, "'A' is not written as a code"),
    ("anchor.yaml", b"codes:\n  - &a\n    name: A\n  - *a\n", 2, "anchor"),
    ("children.yaml", b"codes:\n  - name: A\n    children: B\n", 3, "must be a list of codes"),
    ("encoding.yaml", "codes:\n  - name: A\n    definition: café\n".encode("cp1252"), 3,
     "not valid UTF-8"),
    ("nopath.csv", b"code,definition\nA,x\n", 1, "no 'path' column"),
    ("column.csv", b"path,defn\nA,x\n", 1, "unknown column 'defn'"),
    ("dup.csv", b'path,definition\nA,"multi\nline\ncell"\nA/B,x\nA,y\n', 6,
     "the code 'A' appears twice (lines 2 and 6)"),
    ("case.csv", b"path\nBarriers/Financial\nbarriers/Other\n", 3,
     "differ only in upper/lower case"),
    ("level.csv", b"path\nA//B\n", 2, "has an empty level"),
    ("nopathcell.csv", b"path,definition\n,x\n", 2, "has no path"),
    ("slash-free.csv", b"path,colour\nA,blue\n", 2, "'blue' is not a colour"),
    ("extra.csv", b"path,definition\nA,x,y\n", 2, "has no heading"),
    ("unclosed.csv", b'path,definition\nA,x\nB,"oops\nC,y\n', 3, "never closed"),
    ("binary.csv", b"path,definition\nA,x\nB,\x00\x01\x02\n", 3, "NUL characters"),
    ("empty.csv", b"\n\n", 1, "the file is empty"),
]


@pytest.mark.parametrize("filename,data,line,reason", ERRORS,
                         ids=[case[0] for case in ERRORS])
def test_errors_name_the_file_and_the_exact_line(filename, data, line, reason):
    with pytest.raises(CodebookError) as caught:
        parse_codebook(data, filename)
    error = caught.value
    assert (error.filename, error.line, reason in error.reason) == (filename, line, True)
    assert str(error).startswith(f"{filename}, line {line}: ")
    assert error.hint  # always says what to do


def test_unknown_key_error_suggests_and_lists_the_allowed_keys():
    with pytest.raises(CodebookError) as caught:
        parse_yaml(b"codes:\n  - name: A\n    defintion: x\n", "book.yaml")
    assert caught.value.hint == (
        "Did you mean 'definition'? Allowed keys: name, colour, level, definition, use_when, "
        "do_not_use_when, example, children (colour may also be spelled color)")


def test_zip_file_gets_a_save_as_csv_hint():
    with pytest.raises(CodebookError) as caught:
        parse_csv(b"PK\x03\x04\x14\x00rest-of-an-xlsx", "codes.csv")
    assert ("zip archive" in caught.value.reason, "CSV UTF-8" in caught.value.hint) == (
        True, True)


def test_too_large_file_is_refused():
    with pytest.raises(CodebookError) as caught:
        parse_yaml(b"codes:\n" + b"#" * 100, "big.yaml", max_bytes=50)
    assert "too large" in caught.value.reason


@pytest.mark.parametrize("cb", [
    Codebook(None, [CodeSpec(("A/B",))]),
    Codebook(None, [CodeSpec(("A",)), CodeSpec(("a",))]),
    Codebook(None, [CodeSpec(("A",), colour="blue")]),
    Codebook(None, [CodeSpec(("",))]),
], ids=["slash", "duplicate", "colour", "empty-name"])
def test_writers_refuse_codebooks_that_could_not_be_read_back(cb):
    with pytest.raises(CodebookError):
        to_yaml(cb)
    with pytest.raises(CodebookError):
        to_csv(cb)


# --------------------------------------------------------------------------------------------
# Levels: a label that cuts across the tree (Barriers/Institutional + Enablers/Institutional)

LEVELS = ["Institutional", "Regulatory and licensing", "Immigration and visa", "Financial",
          "Individual and cultural"]


def test_shipped_barriers_and_enablers_share_the_five_levels(shipped):
    for level in LEVELS:
        assert shipped.get(f"Barriers/{level}").level == shipped.get(f"Enablers/{level}").level == level
    for code in shipped.codes:
        # defined once, on the branch: its sub-codes inherit it in tables by level
        expected = code.path[1] if code.path[0] in ("Barriers", "Enablers") and len(code.path) == 2 else ""
        assert code.level == expected, code.path_str()
    by_level = {}
    for code in shipped.codes:
        if code.level and len(code.path) == 2:
            by_level.setdefault(code.level, []).append(code.path_str())
    assert by_level["Institutional"] == ["Barriers/Institutional", "Enablers/Institutional"]


def test_a_codebook_without_levels_writes_exactly_as_before():
    cb = Codebook("Book", [CodeSpec(("A",), definition="x"), CodeSpec(("A", "B"))])
    assert to_csv(cb).split("\r\n")[0] == "path,definition,use_when,do_not_use_when,example,colour"
    assert "level" not in to_yaml(cb)
    assert to_csv(cb) == "path,definition,use_when,do_not_use_when,example,colour\r\nA,x,,,,\r\nA/B,,,,,\r\n"


def test_levels_in_yaml_and_csv_read_write_and_round_trip():
    data = (b"codes:\n  - name: Barriers\n    children:\n      - name: Institutional\n"
            b"        colour: '#ab2b2f'\n        level: Institutional\n        definition: x\n"
            b"  - name: Enablers\n    children:\n      - name: Policy\n        level: Policy/System\n")
    cb = parse_yaml(data, "book.yaml")
    assert [(c.path_str(), c.level) for c in cb.codes] == [
        ("Barriers", ""), ("Barriers/Institutional", "Institutional"), ("Enablers", ""),
        ("Enablers/Policy", "Policy/System")]
    assert "      - name: Institutional\n        colour: \"#ab2b2f\"\n        level: Institutional\n" in to_yaml(cb)
    csv_text = to_csv(cb)
    assert csv_text.split("\r\n")[:3] == [
        "path,definition,use_when,do_not_use_when,example,colour,level", "Barriers,,,,,,",
        "Barriers/Institutional,x,,,,#ab2b2f,Institutional"]
    assert parse_csv(csv_text.encode("utf-8")) == replace(cb, name=None)
    assert parse_yaml(to_yaml(cb).encode("utf-8")) == cb
    # any column order and letter case; a spreadsheet's own spelling of the column
    read = parse_csv(b"Level,Path\nInstitutional,Barriers/Institutional\n,Barriers/Other\n")
    assert [(c.path_str(), c.level) for c in read.codes] == [
        ("Barriers", ""), ("Barriers/Institutional", "Institutional"), ("Barriers/Other", "")]


@pytest.mark.parametrize("text", NASTY)
def test_any_one_line_level_round_trips(text):
    level = " ".join(text.split())[:200]
    cb = normalise(Codebook("Book", [CodeSpec(("A",), level=level), CodeSpec(("A", "B"), level=level)]))
    assert cb.codes[0].level == level.strip()
    assert parse_yaml(to_yaml(cb).encode("utf-8")) == cb
    assert parse_csv(to_csv(cb).encode("utf-8")) == replace(cb, name=None)
    assert to_yaml(cb, template=to_yaml(cb).encode("utf-8")) == to_yaml(cb)


@pytest.mark.parametrize("seed", range(20))
def test_random_codebooks_with_levels_round_trip(seed):
    rnd = random.Random(seed)
    cb = _random_codebook(seed)
    cb = replace(cb, codes=[replace(c, level=rnd.choice(["", "Institutional", "Policy/System", "#1", "yes"]))
                            for c in cb.codes])
    yaml_text = to_yaml(cb)
    assert parse_yaml(yaml_text.encode("utf-8")) == cb
    assert parse_csv(to_csv(cb).encode("utf-8")) == replace(cb, name=None)
    assert to_yaml(cb, template=yaml_text.encode("utf-8")) == yaml_text


def test_template_export_adds_and_removes_a_level_on_its_own_line(shipped, shipped_bytes):
    path = "Recommendations/Licensure pathway reform"
    edited = Codebook(shipped.name, [replace(c, level="Policy/System") if c.path_str() == path else c
                                     for c in shipped.codes])
    out = to_yaml(edited, template=shipped_bytes)
    assert parse_yaml(out.encode("utf-8")) == edited
    assert _changed_lines(shipped_bytes.decode("utf-8"), out) == ["+        level: Policy/System"]
    cleared = Codebook(shipped.name, [replace(c, level="") if c.path_str() == "Barriers/Financial" else c
                                      for c in shipped.codes])
    out = to_yaml(cleared, template=shipped_bytes)
    assert _changed_lines(shipped_bytes.decode("utf-8"), out) == ["-        level: Financial"]


LEVEL_ERRORS = [
    ("block.yaml", b"codes:\n  - name: A\n    level: |\n      two\n      lines\n", 3,
     "contains a line break or tab"),
    ("long.yaml", b"codes:\n  - name: A\n    level: " + b"x" * 201 + b"\n", 3, "the limit is 200"),
    ("list.yaml", b"codes:\n  - name: A\n    level: [a, b]\n", 3, "must be text, not a list"),
    ("long.csv", b"path,level\nA," + b"x" * 201 + b"\n", 2, "the limit is 200"),
    ("tab.csv", b'path,level\nA,"a\tb"\n', 2, "contains a line break or tab"),
    ("column.csv", b"path,levle\nA,x\n", 1, "unknown column 'levle'"),
]


@pytest.mark.parametrize("filename,data,line,reason", LEVEL_ERRORS, ids=[c[0] for c in LEVEL_ERRORS])
def test_level_errors_name_the_file_and_line(filename, data, line, reason):
    with pytest.raises(CodebookError) as caught:
        parse_codebook(data, filename)
    error = caught.value
    assert (error.filename, error.line, reason in error.reason) == (filename, line, True)
    assert error.hint
    if filename == "column.csv":
        assert error.hint.startswith("Did you mean 'level'?")


# -- levels in the database: codebook import/export, the code editor, undo --------------------


def test_levels_go_into_the_database_and_come_back_out(db):
    from qualcode.project.codes import apply_codebook, to_codebook, tree
    from qualcode.store.models import Code

    book = parse_yaml(SHIPPED.read_bytes(), SHIPPED.name)
    with db.session() as s:
        apply_codebook(s, db.project_id(s), book)
    with db.session() as s:
        stored = {"/".join(p): c.level for p, c in tree(s, db.project_id(s))}
        assert stored["Barriers/Financial"] == stored["Enablers/Financial"] == "Financial"
        assert stored["Barriers"] is None and stored["Recommendations/Licensure pathway reform"] is None
        assert to_codebook(s, db.project_id(s), name=book.name) == book  # the file, exactly
        assert to_yaml(to_codebook(s, db.project_id(s), name=book.name),
                       template=SHIPPED.read_bytes()) == SHIPPED.read_text(encoding="utf-8")
    # a codebook that changes a level updates it; "" clears it (NULL, not an empty string)
    changed = Codebook(book.name, [replace(c, level="Policy/System") if c.path_str() == "Barriers/Immigration and visa"
                                   else replace(c, level="") if c.path_str() == "Enablers/Financial" else c
                                   for c in book.codes])
    with db.session() as s:
        report = apply_codebook(s, db.project_id(s), changed)
    assert report.updated == ["Barriers/Immigration and visa", "Enablers/Financial"]
    with db.session() as s:
        rows = {"/".join(p): c.level for p, c in tree(s, db.project_id(s))}
        empty = s.query(Code).filter(Code.level == "").count()
    assert rows["Barriers/Immigration and visa"] == "Policy/System"
    assert rows["Enablers/Financial"] is None and empty == 0


def test_the_code_editor_sets_and_clears_a_level_and_undo_restores_it(db):
    from qualcode.coding import codebook_edit as ce
    from qualcode.coding import undo

    ce.create_code(db, "Barriers", actor="ana")
    view = ce.create_code(db, "Institutional", parent="Barriers", level=" Institutional ", actor="ana")
    assert view.level == "Institutional"
    view = ce.update_code(db, "Barriers/Institutional", level="Policy/System", actor="ana")
    assert view.level == "Policy/System"
    assert undo.undo(db, "ana") == "Undid: update level of code Barriers/Institutional"
    assert ce.update_code(db, "Barriers/Institutional", actor="ana").level == "Institutional"
    assert ce.update_code(db, "Barriers/Institutional", level="", actor="ana").level is None
    undo.undo(db, "ana")
    # deleting the code and undoing the delete brings its level back
    ce.delete_code(db, "Barriers/Institutional", confirm=0, actor="ana")
    undo.undo(db, "ana")
    assert ce.update_code(db, "Barriers/Institutional", actor="ana").level == "Institutional"
    with pytest.raises(ce.CodebookEditError, match="one line"):
        ce.update_code(db, "Barriers/Institutional", level="a\nb", actor="ana")
    with pytest.raises(ce.CodebookEditError, match="at most 200"):
        ce.create_code(db, "Other", level="x" * 201, actor="ana")
