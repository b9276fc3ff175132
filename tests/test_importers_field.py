"""Transcripts as they arrive from the field: each family of layout, in every format it comes in.

Every input is written here in the family's shape (never copied from a real transcript): the
same short interview (or podcast episode) is rendered as .txt, .docx (python-docx), .pdf (laid
out like a word processor or a browser prints it: wrapped lines, pages, running headers and
footers, margin line numbers), .html and .md, and each rendering must give the same speakers,
turns, media times and clean turn text. ``parse`` (from test_importers) also checks that every
character of every document belongs to exactly one turn.
"""

from __future__ import annotations

import io
import re

import docx
import pytest
from conftest import SHARED_FIXTURES
from test_importers import SAMPLES, parse, typeset_pdf, utterances

from qualcode.importers import SUPPORTED_EXTENSIONS, ParsedTranscript

# The interview every family renders: (speaker, seconds, words). Long answers wrap over several
# printed lines and, in the PDFs, over page breaks.
INTERVIEW = [
    ("Interviewer", 3, "Thanks for joining. Could you start by telling me about your role at the hospital?"),
    ("Dan Okoro", 9, "Sure. I coordinate the visiting student programme, which means I handle the paperwork "
     "for medical students who come from partner schools abroad, mostly from Ghana and Nepal, and I "
     "try to match them with supervisors who have some time to teach them on the wards."),
    ("Interviewer", 41, "How much experience do the students usually have when they arrive?"),
    ("Dan Okoro", 47, "It varies a lot. Some are in their final year and have done more procedures than our "
     "own residents, others have barely started clinical rotations. The difficult part is that our "
     "lawyers only allow observerships, so even the experienced ones cannot examine a patient "
     "without someone standing next to them, and that frustrates everybody involved, the students "
     "most of all, because they travelled a long way to learn by doing."),
    ("Interviewer", 112, "What would change that?"),
    ("Dan Okoro", 118, "A special permit from the medical board would. We applied twice and the second time it "
     "worked for a small group, which was a relief."),
    ("Interviewer", 140, "Thank you, that is very helpful."),
    ("Dan Okoro", 144, "You are welcome."),
]
SPEAKERS = ["Interviewer", "Dan Okoro"]


def expected(script=INTERVIEW) -> list[tuple[str, str]]:
    return [(speaker, words) for speaker, _seconds, words in script]


def mss(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


def hhmmss(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def spoken(result: ParsedTranscript) -> list[tuple[str | None, str]]:
    """The turns with their words' whitespace collapsed (hard-wrapped text keeps its breaks)."""
    return [(speaker, " ".join(words.split())) for speaker, words in utterances(result)]


def docx_bytes(paragraphs: list) -> bytes:
    """Paragraphs of (text, bold) runs; "\n" inside a run is a soft line break (Shift+Enter)."""
    document = docx.Document()
    for paragraph in paragraphs:
        p = document.add_paragraph()
        for text, bold in ([(paragraph, False)] if isinstance(paragraph, str) else paragraph):
            for k, part in enumerate(text.split("\n")):
                run = p.add_run(part)
                run.bold = bold or None
                if k < len(text.split("\n")) - 1:
                    run.add_break()
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def docx_table(rows: list[list[str]]) -> bytes:
    document = docx.Document()
    table = document.add_table(rows=len(rows), cols=len(rows[0]))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def wrap(words: str, width: int = 58) -> list[str]:
    """Hard-wrap words at ``width`` characters, as a word processor saving plain text does."""
    lines, current = [], ""
    for word in words.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    return lines + [current]


def assert_no_broken_sentences(result: ParsedTranscript) -> None:
    """Wrapped lines were re-joined: no line or paragraph break inside a sentence."""
    for speaker, words in utterances(result):
        assert not re.search(r"[a-z,]\n+[a-z]", words), (speaker, words)


# -- 1. Otter.ai: "Name 0:03" above the words, with one space before the time (a PDF text layer) --


def otter_txt(space: str = " ") -> str:
    return "Visiting students\n\n" + "".join(f"{s}{space}{mss(t)}\n{w}\n\n" for s, t, w in INTERVIEW)


@pytest.mark.parametrize("space", [" ", "  ", "\t"], ids=["one space", "two spaces", "tab"])
def test_otter_txt_with_one_or_two_spaces_or_a_tab_before_the_time(space):
    result = parse(otter_txt(space), "otter.txt")
    assert spoken(result) == [(None, "Visiting students"), *expected()]
    assert [t.media_start for t in result.turns[1:]] == [t for _s, t, _w in INTERVIEW]
    assert result.recognised["time_format"] == "m:ss on the label line"
    assert result.recognised["labels"] == {"Interviewer": 4, "Dan Okoro": 4}


def test_otter_docx_plain_and_bold_names():
    paragraphs = ["Visiting students"]
    for k, (speaker, seconds, words) in enumerate(INTERVIEW):
        label = [(speaker, True), (f" {mss(seconds)}", False)] if k % 2 else f"{speaker} {mss(seconds)}"
        paragraphs += [label, words]
    result = parse(docx_bytes(paragraphs), "otter.docx")
    assert spoken(result)[1:] == expected()
    assert [t.media_start for t in result.turns[1:]] == [t for _s, t, _w in INTERVIEW]


def otter_pdf() -> bytes:
    items: list = [[("Visiting students", True)], "Tue, 5/14 10:02AM 2:31", ""]
    for speaker, seconds, words in INTERVIEW:
        items += [[(speaker, True), (mss(seconds), False)], words, ""]
    return typeset_pdf(items, size=11, gap=0, top=90, bottom=250,
                       footer="Visiting students - {page} - Transcribed by https://otter.ai")


def test_otter_pdf_gives_exact_turns_times_and_drops_the_footer():
    result = parse(otter_pdf(), "otter.pdf")
    assert result.speakers == SPEAKERS
    labelled = [(s, w) for s, w in utterances(result) if s is not None]
    assert labelled == expected()  # wrapped lines and page breaks re-joined into the sentences
    assert [t.media_start for t in result.turns if t.speaker] == [t for _s, t, _w in INTERVIEW]
    assert [t.speaker for t in result.turns if t.speaker is None] == [None]  # title and date
    assert "otter.ai" not in result.text
    assert result.recognised["headers_footers"]["examples"] == ["Visiting students - 1 - Transcribed by https://otter.ai"]
    assert result.recognised["time_format"] == "m:ss on the label line"
    assert_no_broken_sentences(result)


# -- 2. The name on its own line, the words below (Delve, Word templates) --------------------


def test_label_alone_txt():
    text = "".join(f"{s}\n{w}\n\n" for s, _t, w in INTERVIEW)
    result = parse(text, "alone.txt")
    assert spoken(result) == expected()
    assert result.recognised["label_format"] == "name alone on its line, words below"


@pytest.mark.parametrize("bold", [True, False], ids=["bold name", "plain name"])
def test_label_alone_docx_paragraphs(bold):
    paragraphs = [p for s, _t, w in INTERVIEW for p in ([(s, bold)], w)]
    assert spoken(parse(docx_bytes(paragraphs), "alone.docx")) == expected()


def test_label_alone_docx_soft_line_break_after_the_name():
    paragraphs = [[(f"{s}\n", True), (w, False)] for s, _t, w in INTERVIEW]
    assert spoken(parse(docx_bytes(paragraphs), "soft.docx")) == expected()


def delve_pdf() -> bytes:
    """A coded transcript printed from a browser: double spacing, bold names on their own lines,
    the browser's date/title header and URL/page footer on every page."""
    items: list = [[("Interview 3", True)]]
    for speaker, _seconds, words in INTERVIEW:
        items += [[(speaker, True)], words]
    return typeset_pdf(items, size=12, pitch=24, gap=12, left=34, right=570, top=60, bottom=740,
                       header="5/14/24, 10:15 AM    Delve - Interview 3",
                       footer="https://app.delvetool.com/project/3/transcript/9    {page}/{pages}")


def test_label_alone_pdf_double_spaced_with_browser_header_and_footer():
    result = parse(delve_pdf(), "delve.pdf")
    assert utterances(result) == [(None, "Interview 3"), *expected()]
    assert "delvetool" not in result.text and "10:15 AM" not in result.text
    furniture = result.recognised["headers_footers"]
    assert furniture["lines_dropped"] == 4 and len(furniture["examples"]) == 2
    assert result.recognised["reflow"]["lines_joined"] >= 5
    assert_no_broken_sentences(result)
    assert "\n\n" not in "".join(w for _s, w in utterances(result))


def test_label_alone_html_and_markdown():
    html = "".join(f'<div class="turn"><div class="speaker">{s}</div><p>{w}</p></div>' for s, _t, w in INTERVIEW)
    assert spoken(parse(f"<html><body>{html}</body></html>", "alone.html")) == expected()
    strong = "".join(f"<p><strong>{s}</strong></p><p>{w}</p>" for s, _t, w in INTERVIEW)
    assert spoken(parse(strong, "strong.html")) == expected()
    markdown = "".join(f"**{s}**\n\n{w}\n\n" for s, _t, w in INTERVIEW)
    assert spoken(parse(markdown, "alone.md")) == expected()


def test_label_alone_with_a_time_line_below_or_a_cue_line_above():
    below = "".join(f"{s}\n{hhmmss(t)}\n{w}\n\n" for s, t, w in INTERVIEW)
    result = parse(below, "below.txt")
    assert spoken(result) == expected()
    assert [t.media_start for t in result.turns] == [t for _s, t, _w in INTERVIEW]
    assert result.recognised["time_format"] == "hh:mm:ss on its own line below the label"
    # Microsoft Teams' .docx: a cue line, the name, the words.
    paragraphs = [p for s, t, w in INTERVIEW for p in (f"0:{t // 60}:{t % 60}.250 --> 0:{t // 60}:{t % 60 + 2}.0", s, w)]
    result = parse(docx_bytes(paragraphs), "teams.docx")
    assert spoken(result) == expected()
    assert [t.media_start for t in result.turns] == [t + 0.25 for _s, t, _w in INTERVIEW]


def test_a_repeated_heading_alone_on_its_line_is_not_a_speaker():
    text = ("Background\nWe visited two clinics in the spring.\n\nFindings\nStudents observed only.\n\n"
            "Background\nThe second visit was in June.\n\nFindings\nA permit was granted.\n")
    result = parse(text, "report.txt")
    assert result.speakers == [] and len(result.turns) == 1


# -- 3. Line-numbered transcripts (Word / MAXQDA line numbering) -------------------------------


def numbered_lines(first: int = 1) -> tuple[list[str], list[tuple[int, int]]]:
    """The interview hard-wrapped, one numbered line each (blank lines numbered too), and each
    turn's first and last line number."""
    lines, spans, n = [], [], first
    for k, (speaker, _t, words) in enumerate(INTERVIEW):
        wrapped = wrap(f"{speaker}: {words}")
        spans.append((n, n + len(wrapped) - 1))
        lines += wrapped
        n += len(wrapped)
        if k % 3 == 2:
            lines.append("")  # a blank line, numbered too
            n += 1
    return lines, spans


@pytest.mark.parametrize("gutter", ["{n} ", "{n:>4}  ", "{n}\t"], ids=["one space", "padded", "tab"])
def test_line_numbered_txt(gutter):
    lines, spans = numbered_lines()
    text = "\n".join(gutter.format(n=n) + line for n, line in enumerate(lines, start=1)).replace(" \n", "\n")
    result = parse(text, "numbered.txt")
    assert utterances(result) == expected()  # numbers off, printed lines re-joined
    assert [t.lines for t in result.turns] == spans
    assert result.recognised["line_numbers"] == {"first": 1, "last": len(lines), "lines": len(lines)}
    assert not re.search(r"^\s*\d", result.text, re.MULTILINE)


def test_line_numbered_docx_table_rows():
    rows = [[str(n), f"{s}: {w}"] for n, (s, _t, w) in enumerate(INTERVIEW, start=1)]
    result = parse(docx_table(rows), "maxqda.docx")
    assert spoken(result) == expected()
    assert [t.lines for t in result.turns] == [(n, n) for n in range(1, len(INTERVIEW) + 1)]


@pytest.mark.parametrize("page_numbers", [False, True], ids=["no footer", "page number footer"])
def test_line_numbered_pdf(page_numbers):
    items: list = []
    for speaker, _t, words in INTERVIEW:
        items += [f"{speaker}: {words}", ""]
    data = typeset_pdf(items, gap=0, numbers=True, bottom=400, footer="{page}" if page_numbers else None)
    result = parse(data, "numbered.pdf")
    assert utterances(result) == expected()
    assert result.recognised["line_numbers"]["first"] == 1
    assert all(t.lines is not None for t in result.turns)
    assert [t.lines[0] for t in result.turns] == sorted(t.lines[0] for t in result.turns)
    if page_numbers:
        assert result.recognised["headers_footers"]["lines_dropped"] >= 2


def test_numbers_that_do_not_count_lines_stay_in_the_text():
    text = "Interviewer: When?\nDan: 2019 was the first year.\nInterviewer: And then?\nDan: 2021 was better.\n"
    result = parse(text, "years.txt")
    assert "line_numbers" not in result.recognised
    assert utterances(result)[1] == ("Dan", "2019 was the first year.")


# -- 4. Podcast transcripts: HTML (<cite>/<time>), Markdown, SRT of the same episode ------------

EPISODE = [
    ("Kevin", 0, "Welcome back to the show. Today we talk about doctors who trained abroad."),
    ("Lex", 53, "Thanks for having me. It is a topic close to my heart."),
    ("Kevin", 71, "Why is it so hard for them to get a residency?"),
    ("Lex", 84, "Part of it is the exams, part of it is that programmes hesitate to rank them."),
    ("Kevin", 130, "We will be right back after this."),
    ("Lex", 185, "So, as I was saying, the visa is the other half of the problem."),
]


def episode_srt() -> str:
    def stamp(seconds):
        return f"{hhmmss(seconds)},000"

    ends = [t for _s, t, _w in EPISODE[1:]] + [EPISODE[-1][1] + 9]
    return "".join(f"{k}\n{stamp(t)} --> {stamp(end)}\n{s}: {w}\n\n"
                   for k, ((s, t, w), end) in enumerate(zip(EPISODE, ends), start=1))


def test_podcast_html_cite_and_time_elements_give_media_times_like_the_srt():
    html = "<html><body><h1>Episode 12</h1>" + "".join(
        f"<cite>{s}:</cite>\n<time>{mss(t)}</time>\n<p>{w}</p>\n" for s, t, w in EPISODE) + "</body></html>"
    result = parse(html, "episode.html")
    srt = parse(episode_srt(), "episode.srt")
    assert utterances(result)[1:] == expected(EPISODE) == utterances(srt)
    assert [t.media_start for t in result.turns[1:]] == [t.media_start for t in srt.turns]
    assert result.recognised["time_format"] == "m:ss in a <time> element"
    assert not any(re.match(r"\d+:\d\d", words) for _s, words in utterances(result))


def test_podcast_html_with_the_time_inside_the_paragraph():
    html = "".join(f"<p><cite>{s}</cite> <time>{mss(t)}</time> {w}</p>" for s, t, w in EPISODE)
    result = parse(html, "inline.html")
    assert utterances(result) == expected(EPISODE)
    assert [t.media_start for t in result.turns] == [float(t) for _s, t, _w in EPISODE]


# -- 5. Markdown: rendered, escapes resolved, times out of the words, breaks are not speakers --


def episode_markdown(escaped: bool = True) -> str:
    out = ["# Episode 12\n"]
    for k, (s, t, w) in enumerate(EPISODE):
        stamp = f"\\[{mss(t).zfill(5)}\\]" if escaped else f"[{mss(t).zfill(5)}]"
        out.append(f"**{s}:** {stamp} {w}\n")
        if k == 4:
            out.append("**Break:**\n")
            out.append(f"**Break:** {stamp.replace(mss(t).zfill(5), '02:30')}\n")
    return "\n".join(out)


@pytest.mark.parametrize("escaped", [True, False], ids=["escaped brackets", "plain brackets"])
def test_markdown_labels_times_and_break_markers(escaped):
    result = parse(episode_markdown(escaped), "episode.md")
    assert utterances(result) == [(None, "Episode 12"), *expected(EPISODE)]
    assert [t.media_start for t in result.turns[1:]] == [float(t) for _s, t, _w in EPISODE]
    assert result.speakers == ["Kevin", "Lex"]
    assert result.recognised["markers"] == ["Break"]
    assert result.recognised["time_format"] == "[mm:ss] after the label"
    assert not any(ch in result.text for ch in "\\*")


def test_markdown_source_line_breaks_are_joined_inside_sentences_only():
    text = ("**Kevin:** We talk about doctors\nwho trained abroad.\nThat is the topic.\n**Lex:** Thanks.\n\n"
            "**Kevin:** Welcome.\n**Lex:** Bye.\n")
    result = parse(text, "wrapped.md")
    assert utterances(result) == [("Kevin", "We talk about doctors who trained abroad.\nThat is the topic."),
                                  ("Lex", "Thanks."), ("Kevin", "Welcome."), ("Lex", "Bye.")]


# -- 6. Label-like words inside an utterance ---------------------------------------------------

FOCUS_GROUP = [
    ("INTERVIEWER", "Welcome, everyone. Let us go round the table."),
    ("PARTICIPANT 3", "Hello all, and welcome to our newest member,\nHi PARTICIPANT 12: good to have you here."),
    ("PARTICIPANT 12", "Thank you, glad to be here."),
    ("INTERVIEWER", "Who wants to start?"),
    ("PARTICIPANT 3", "I can. Our clinic hosts two students a year."),
    ("PARTICIPANT 12", "We host none, which is why I came."),
    ("PARTICIPANT 9", "Same for us."),
    ("INTERVIEWER", "Thank you all."),
]


def test_a_label_like_phrase_inside_an_utterance_stays_in_the_turn_txt():
    text = "\n\n".join(f"{s}: {w}" for s, w in FOCUS_GROUP)
    result = parse(text, "focus.txt")
    assert utterances(result) == FOCUS_GROUP  # PARTICIPANT 9 speaks once: a participant like the others
    assert result.speakers == ["INTERVIEWER", "PARTICIPANT 3", "PARTICIPANT 12", "PARTICIPANT 9"]
    assert result.recognised["kept_as_text"] == ["Hi PARTICIPANT 12"]
    assert any("kept as text, not speakers: 'Hi PARTICIPANT 12'" in w for w in result.warnings)


def test_a_label_like_phrase_inside_an_utterance_stays_in_the_turn_docx_and_pdf():
    paragraphs = [f"{s}: {w}" for s, w in FOCUS_GROUP]
    result = parse(docx_bytes(paragraphs), "focus.docx")
    assert [(s, " ".join(w.split())) for s, w in utterances(result)] == [
        (s, " ".join(w.split())) for s, w in FOCUS_GROUP]
    items = [f"{s}: {' '.join(w.split())}" for s, w in FOCUS_GROUP]
    result = parse(typeset_pdf(items, right=300), "focus.pdf")
    assert [s for s, _w in utterances(result)] == [s for s, _w in FOCUS_GROUP]


# -- 7. Times written every other way, and markers that are not speakers ------------------------


def test_parenthesised_and_bracketed_times_and_annotations():
    text = (
        "(00:00:03) Interviewer: Hello, thanks for coming.\n\n"
        "Dan Okoro: (00:00:09) [inaudible 00:00:10] yes, thank you.\n\n[crosstalk]\n\n"
        "[00:00:41]\nInterviewer: What happened next?\n\n"
        "Dan Okoro (00:00:47): We waited. [laughs]\n"
    )
    result = parse(text, "times.txt")
    assert utterances(result) == [
        ("Interviewer", "Hello, thanks for coming."),
        ("Dan Okoro", "[inaudible 00:00:10] yes, thank you.\n\n[crosstalk]"),
        ("Interviewer", "What happened next?"),
        ("Dan Okoro", "We waited. [laughs]"),
    ]
    assert [t.media_start for t in result.turns] == [3.0, 9.0, 41.0, 47.0]
    assert result.speakers == ["Interviewer", "Dan Okoro"]


# -- 8. PDF and .docx reflow ---------------------------------------------------------------------


def test_pdf_hyphenated_line_ends_join_the_word():
    words = ("Interviewer: The accreditation requirements for international graduates are "
             "notoriously complicated, and the well-known difficulties with documentation "
             "accumulate over several application cycles and institutions.")
    result = parse(typeset_pdf([words, "Dan: Indeed they are.", "Interviewer: Thanks.", "Dan: Bye."],
                               right=200), "narrow.pdf")
    assert utterances(result)[0] == ("Interviewer", words.removeprefix("Interviewer: "))


def test_docx_pasted_from_a_pdf_has_its_line_breaks_rejoined():
    paragraphs = [f"{s}: " + "\n".join(wrap(w, 40)) for s, _t, w in INTERVIEW]
    result = parse(docx_bytes(paragraphs), "pasted.docx")
    assert utterances(result) == expected()
    assert result.recognised["reflow"]["lines_joined"] > 5


# -- the recognised summary on every real file ----------------------------------------------------

REAL = sorted(p for p in (SHARED_FIXTURES / "transcripts").glob("*/*") if p.suffix.lower() in SUPPORTED_EXTENSIONS)
REAL += sorted(p for p in SAMPLES.glob("*") if p.suffix.lower() in SUPPORTED_EXTENSIONS) if SAMPLES.is_dir() else []


@pytest.mark.skipif(not REAL, reason="no shared fixtures or sample transcripts")
@pytest.mark.parametrize("path", REAL, ids=[p.name for p in REAL])
def test_every_real_transcript_says_what_was_recognised(path):
    result = parse(path.read_bytes(), path.name)  # every character in exactly one turn
    recognised = result.recognised
    assert set(recognised["labels"]) == set(result.speakers)
    assert sum(recognised["labels"].values()) == sum(1 for t in result.turns if t.speaker)
    assert recognised["timed_turns"] == sum(1 for t in result.turns if t.media_start is not None)
    assert recognised["label_format"] if result.speakers else recognised["label_format"] is None


@pytest.mark.parametrize("word", ["experi\u00adence", "well-known"], ids=["split word", "compound"])
def test_pdf_line_end_hyphens_join_a_split_word_and_keep_a_compound(word):
    from test_importers import wrap_runs

    words = (f"Tell me about the visiting students and their {word} problems with permits, which keep "
             "them from working with patients, a well-known issue across the whole state and beyond it.")
    first = f"Interviewer: {words}"
    head = word.replace("\u00ad", "-").split("-")[0] + "-"
    right = next(r for r in range(250, 540) if any(line[-1][0] == head for line in wrap_runs([(first, False)], right=r)))
    # The document writes "experience" elsewhere, never "experi-ence": the line-end hyphen is the
    # layout's. It never writes "wellknown": that hyphen is the word's own.
    data = typeset_pdf([first, "Dan: Yes, experience matters.", "Interviewer: Thanks.", "Dan: Bye."], right=right)
    result = parse(data, "hyphens.pdf")
    assert utterances(result)[0] == ("Interviewer", words.replace("\u00ad", ""))
    assert result.recognised["reflow"]["hyphenated_words"] == 1


def test_the_recognised_summary_reads_as_one_line():
    from qualcode.importers import describe_recognised

    result = parse(otter_pdf(), "otter.pdf")
    assert describe_recognised(result.recognised) == (
        'speakers Interviewer (4 turns), Dan Okoro (4 turns); labels "name and time on a line of their own, '
        'words below"; times m:ss on the label line (8 turns); 3 page header/footer lines left out '
        "('Visiting students - 1 - Transcribed by https://otter.ai'); "
        f"{result.recognised['reflow']['lines_joined']} wrapped lines re-joined")
    assert describe_recognised(parse("Just notes.", "n.txt").recognised) == "no speaker labels"
