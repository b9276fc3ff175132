"""Speaker turns from the labels :mod:`.speakers` accepted: canonical text in, turns out.

Turns are built line by line (:func:`detect`): an accepted label starts a turn whose span
begins after the label, its separator and any timestamp (before or after the name, after
the colon, or on a line of its own just above or below the label); a line without a label
continues the current turn, even after a blank line. Exception: when the document labels
only one speaker (a think-aloud where only ``MODERATOR:`` is labelled), an unlabelled
paragraph after that speaker's turn starts a turn with speaker ``None``. Paragraphs are
blank-line separated blocks, or single lines when the document does not put blank lines
before its labels. Text before the first label is an unlabelled turn. Markers in label form
(``Break:``, ``Music:``) are not speakers: what follows them is an unlabelled turn, and a
marker with nothing after it is part of the next turn's header. Line numbers still at the
start of the lines (a REFI-QDA source, say) are recognised and kept out of the labels.

Every character belongs to exactly one turn: a turn's ``head`` is where its header (label,
times, labels of empty turns before it) begins, so ``[head, next head)`` tiles the text.

``media_start`` is the label's timestamp in seconds; ``media_end`` is the next turn's
``media_start`` when both are known (transcripts rarely give end times), else ``None``.
f4/MAXQDA transcripts end each paragraph with a time stamp (``#00:01:23-4#``): it is left
out of the turn's span and becomes its ``media_end`` (and the next turn's ``media_start``).
The summary of what was recognised (labels, label and time format, markers...) goes to the
import report.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace

from .base import Turn
from .layout import find_line_numbers
from .speakers import (
    AFTER_LABEL,
    ALONE,
    BARE_BOLD,
    BOLD,
    HSPACE,
    LINE_ABOVE,
    LINE_BELOW,
    LOOSE_TIME,
    MARKED,
    MARKUP,
    OTTER,
    PARAGRAPH_END,
    PLAIN,
    TABLE,
    TIMESTAMPED,
    Candidate,
    SpeakerChoice,
    choose_speakers,
    is_name_like,
    label_shape,
    line_candidate,
    parse_timestamp,
    time_shape,
)

# A line holding only a time: "00:01:23", "[01:23]", "(1:23)", "0:0:3.740 --> 0:0:9.880" (Teams).
_TIME_LINE = re.compile(
    rf"""{HSPACE}*(?:\[(?P<a>{LOOSE_TIME})\]|\((?P<b>{LOOSE_TIME})\)|(?P<c>{LOOSE_TIME}))
    (?:{HSPACE}*(?:-->|[-–—]){HSPACE}*[\[(]?{LOOSE_TIME}[\])]?)?{HSPACE}*$""",
    re.VERBOSE,
)
# f4/MAXQDA: the time reached, at the end of a paragraph ("... #00:01:23-4#").
_F4_STAMP = re.compile(rf"{HSPACE}*#(?P<ts>\d{{1,2}}:\d{{2}}:\d{{2}})(?:[-.,](?P<frac>\d{{1,3}}))?#$")


@dataclass
class Detection:
    """What :func:`detect` found in one text: turns, warnings and the recognised summary."""

    turns: list[Turn]
    warnings: list[str]
    recognised: dict


@dataclass
class _OpenTurn:
    speaker: str | None
    media_start: float | None
    head: int
    start: int | None = None
    end: int | None = None
    time_where: str | None = None
    time_shape: str | None = None

    def extend(self, start: int, end: int) -> None:
        if self.start is None:
            self.start = start
        self.end = end


def detect(
    text: str,
    bold_labels: Mapping[int, int] | None = None,
    time_marks: Mapping[int, int] | None = None,
    line_numbers: Mapping[int, int] | None = None,
) -> Detection:
    """Speaker turns of canonical ``text``, with warnings and what was recognised.

    ``bold_labels``: line start offset → length of the line's leading bold run.
    ``time_marks``: start → end offsets of times the format marked as times (HTML ``<time>``).
    ``line_numbers``: line start offset → the transcript's own number for that line, when the
    reader took the numbers out of the text; without it, numbers still at the start of the
    lines of a line-numbered text are recognised here and left out of the labels.
    """
    bold_labels = bold_labels or {}
    time_marks = _SortedMarks(time_marks or {})
    lines: list[tuple[int, int]] = []
    pos = 0
    for line in text.split("\n"):
        lines.append((pos, pos + len(line)))
        pos += len(line) + 1
    blank = [not text[s:e].strip() for s, e in lines]
    gutter = {} if line_numbers is not None else _gutter(text, lines)
    numbers = dict(line_numbers or {})
    for index, (number, _width) in gutter.items():
        numbers[lines[index][0]] = number

    candidates: dict[int, Candidate] = {}
    for index, (start, end) in enumerate(lines):
        if blank[index]:
            continue
        skip = gutter.get(index, (0, 0))[1]
        cand = line_candidate(text, start + skip, end, bold_labels.get(start, bold_labels.get(start + skip)))
        if cand is not None:
            at_start = index == 0 or blank[index - 1]
            candidates[index] = replace(cand, at_block_start=at_start)
    _gate_alone(candidates, blank)
    _settle_lead_times(candidates, text, lines, time_marks)
    _mark_times(candidates, lines, time_marks)
    choice = choose_speakers(candidates.values(), units=_label_units(text, lines, candidates))
    labelled = {i: c for i, c in candidates.items() if c.key in choice.accepted or c.key in choice.markers}
    _drop_out_of_order(labelled, choice)
    warnings = list(choice.warnings)
    speakers_named = set(choice.accepted.values())
    single = len(speakers_named) == 1
    # Paragraph = line unless the document puts blank lines before (most of) its labels.
    after_blank = [i for i in labelled if i > 0]
    blank_before = sum(1 for i in after_blank if blank[i - 1])
    lines_are_paragraphs = bool(after_blank) and blank_before * 2 < len(after_blank)
    above, below = _time_lines(text, lines, blank, labelled)
    above_label = {label: line for line, label in above.items()}

    turns: list[Turn] = []
    times: list[tuple[str, str]] = []
    current: _OpenTurn | None = None
    pending: int | None = None  # where header material not yet owned by a turn begins
    preamble_lines = 0
    first_label = min(labelled, default=len(lines))
    previous_blank = False

    def close() -> None:
        nonlocal pending
        if current is None:
            return
        if current.start is None:  # a label with no words: its header belongs to what follows
            if pending is None:
                pending = current.head
            return
        end, media_end = current.end, None
        # f4/MAXQDA transcripts end each paragraph with the time reached: "... #00:01:23-4#".
        stamp = _F4_STAMP.search(text, current.start, current.end)
        if stamp and text[current.start : stamp.start()].strip():
            end = current.start + len(text[current.start : stamp.start()].rstrip())
            media_end = parse_timestamp(stamp["ts"]) + float("0." + (stamp["frac"] or "0"))
        media_start = current.media_start
        if media_start is None and turns and turns[-1].media_end is not None and stamp:
            media_start = turns[-1].media_end  # the previous paragraph ended at this time
            current.time_where, current.time_shape = PARAGRAPH_END, "#hh:mm:ss-f#"
        if media_end is not None and media_start is not None and media_end < media_start:
            media_end = None  # inconsistent times: keep the one from the label
        if media_start is not None and current.time_where:
            times.append((current.time_where, current.time_shape or ""))
        turns.append(Turn(current.speaker, current.start, end, media_start, media_end, head=current.head))

    def open_turn(speaker: str | None, media: float | None, at: int) -> _OpenTurn:
        nonlocal pending
        head = at if pending is None else pending
        pending = None
        return _OpenTurn(speaker, media, head)

    for index, (start, end) in enumerate(lines):
        cand = labelled.get(index)
        if cand is not None:
            close()
            speaker = choice.accepted.get(cand.key)  # None for a marker
            media, where, shape = cand.media_start, cand.time_where, cand.time_shape
            if speaker is None:
                media = where = shape = None
            elif index in above_label and media is None:
                media, _where, shape = _line_time(text, lines[above_label[index]])
                where = MARKED if _is_marked(time_marks, lines[above_label[index]]) else LINE_ABOVE
            current = open_turn(speaker, media, start)
            current.time_where, current.time_shape = where, shape
            rest = text[cand.content_start : end]
            if rest.strip():
                lead = len(rest) - len(rest.lstrip())
                current.extend(cand.content_start + lead, cand.content_start + len(rest.rstrip()))
            previous_blank = False
            continue
        if index in above:  # a time line just above a label: the next turn's header
            close()
            current = None
            if pending is None:
                pending = start
            previous_blank = False
            continue
        if index in below and current is not None and current.start is None:
            if current.media_start is None and current.speaker is not None:
                current.media_start, _where, current.time_shape = _line_time(text, lines[index])
                current.time_where = MARKED if _is_marked(time_marks, lines[index]) else LINE_BELOW
            continue
        line = text[start:end]
        if blank[index]:
            previous_blank = True
            continue
        if current is None:
            current = open_turn(None, None, start)
        elif (
            single
            and current.speaker is not None
            and current.start is not None
            and (previous_blank or lines_are_paragraphs)
        ):
            close()
            current = open_turn(None, None, start)
        if index < first_label:
            preamble_lines += 1
        current.extend(start + len(line) - len(line.lstrip()), start + len(line.rstrip()))
        previous_blank = False
    close()
    if not turns:  # only labels without words (or nothing but markers): keep the text whole
        stripped = text.strip()
        lead = len(text) - len(text.lstrip())
        turns = [Turn(None, lead, lead + len(stripped), head=0)]
    turns = with_media_ends(turns)
    if numbers:
        turns = _with_line_numbers(turns, numbers)

    if not speakers_named:
        warnings.insert(0, "no speaker labels found: the text is kept as one unlabelled turn")
    else:
        if preamble_lines:
            warnings.insert(
                0,
                f"{preamble_lines} line{'s' if preamble_lines != 1 else ''} before the first "
                "speaker label kept as an unlabelled turn",
            )
        if single:
            name = next(iter(speakers_named))
            warnings.append(
                f"only one speaker label ('{name}') found: unlabelled paragraphs after its "
                "turns are kept as unlabelled turns"
            )
    recognised = _recognised(turns, labelled, choice, times, preamble_lines if speakers_named else 0)
    if gutter:
        recognised["line_numbers"] = line_number_summary(list(numbers.values()))
    return Detection(turns, warnings, recognised)


def _gutter(text: str, lines: list[tuple[int, int]]) -> dict[int, tuple[int, int]]:
    """Line numbers still at the start of the lines (line index → (number, width))."""
    return find_line_numbers([text[s:e] for s, e in lines])


def line_number_summary(numbers: list[int]) -> dict:
    """``{"first", "last", "lines"}`` for the import report."""
    return {"first": min(numbers), "last": max(numbers), "lines": len(numbers)}


def _gate_alone(candidates: dict[int, Candidate], blank: list[bool]) -> None:
    """Keep names alone on their lines only where they are a document's speaker labels.

    Such lines count when several of those names recur, they alternate, the words follow
    below each of them, and they are a fair share of the document's lines (a heading that
    repeats is none of these). Otherwise they are all dropped (they are text).
    """
    alone = [(i, c) for i, c in candidates.items() if c.style == ALONE]
    if not alone:
        return
    counts = Counter(c.key for _i, c in alone)
    names = {c.key: c.name for _i, c in alone}
    recurring = {k for k, n in counts.items() if n >= 2 and is_name_like(names[k], strict=True)}
    sequence = [(i, c) for i, c in alone if c.key in recurring]
    changes = sum(a.key != b.key for (_i, a), (_j, b) in zip(sequence, sequence[1:]))
    followed = sum(1 for i, _c in sequence if _words_below(i, candidates, blank))
    nonblank = sum(1 for b in blank if not b)
    ok = (
        len(recurring) >= 2
        and changes >= max(1, (len(sequence) - 1) / 3)
        and followed >= 0.8 * len(sequence)
        and len(sequence) >= 0.08 * nonblank
    )
    # Once the names alone are the labels, one seen once counts if it is numbered or an ID
    # like the others ("Speaker 3" among "Speaker 1" and "Speaker 2"); a one-off name does not.
    shapes = {label_shape(names[k]) for k in recurring} - {"name"}
    for i, c in alone:
        fits = c.key in recurring or (counts[c.key] == 1 and label_shape(c.name) in shapes)
        if not ok or not fits or not _words_below(i, candidates, blank):
            del candidates[i]


def _words_below(index: int, candidates: Mapping[int, Candidate], blank: list[bool]) -> bool:
    """The next non-blank line exists and is not another label."""
    for j in range(index + 1, len(blank)):
        if not blank[j]:
            return j not in candidates or candidates[j].style != ALONE
    return False


def _settle_lead_times(candidates: dict[int, Candidate], text: str, lines: list[tuple[int, int]],
                       time_marks: Mapping[int, int]) -> None:
    """A bare time at the start of the words is the turn's time when the document does it
    for most labels with words on their line ("Kevin: 0:53 Welcome..."), or when the format
    marked it as a time (an HTML ``<time>``)."""
    with_words = [c for i, c in candidates.items() if text[c.content_start : lines[i][1]].strip()]
    leading = [c for c in with_words if c.lead_time is not None]
    majority = len(leading) >= 2 and len(leading) * 2 >= len(with_words)
    for index, cand in list(candidates.items()):
        if cand.lead_time is None:
            continue
        marked = _marked(time_marks, cand.content_start, cand.content_start + 1, covering=True)
        if majority or marked:
            end, seconds, written = cand.lead_time
            candidates[index] = replace(
                cand,
                content_start=end,
                media_start=cand.media_start if cand.media_start is not None else seconds,
                time_where=cand.time_where or (MARKED if marked else AFTER_LABEL),
                time_shape=cand.time_shape or time_shape(written),
                lead_time=None,
            )


def _mark_times(candidates: dict[int, Candidate], lines: list[tuple[int, int]],
                time_marks: Mapping[int, int]) -> None:
    """A label's time that the format marked as one (HTML ``<time>``) is reported as such."""
    if not time_marks:
        return
    for index, cand in list(candidates.items()):
        start = lines[index][0]
        if cand.media_start is not None and _marked(time_marks, start, cand.content_start):
            candidates[index] = replace(cand, time_where=MARKED)


def _drop_out_of_order(labelled: dict[int, Candidate], choice: SpeakerChoice) -> None:
    """A timed label seen once whose time does not fall between its neighbours' is text."""
    counts = Counter(c.key for c in labelled.values())
    order = sorted(labelled)
    timed = [(i, labelled[i].media_start) for i in order if labelled[i].media_start is not None]
    for k, (index, seconds) in enumerate(timed):
        if counts[labelled[index].key] != 1:
            continue
        before = timed[k - 1][1] if k > 0 else None
        after = timed[k + 1][1] if k + 1 < len(timed) else None
        if (before is not None and seconds < before) or (after is not None and seconds > after):
            key = labelled[index].key
            del labelled[index]
            if key in choice.accepted:
                choice.kept.append(choice.accepted.pop(key))


def _time_lines(
    text: str, lines: list[tuple[int, int]], blank: list[bool], labelled: Mapping[int, Candidate]
) -> tuple[dict[int, int], dict[int, int]]:
    """Lines holding only a time next to a label (line → label line): below a label with no
    words on its line, when words follow the time; above a label with no time of its own,
    when the time is not all that the turn before it says ("When? / Dan: / 10:30")."""

    def step(j: int, by: int) -> int:
        while 0 <= j < len(lines) and blank[j]:
            j += by
        return j

    def wordless(index: int) -> bool:
        return not text[labelled[index].content_start : lines[index][1]].strip()

    below: dict[int, int] = {}
    for index in labelled:
        j = step(index + 1, 1)
        if wordless(index) and j < len(lines) and j not in labelled and _is_time_line(text, lines[j]):
            after = step(j + 1, 1)
            if after < len(lines) and after not in labelled:
                below[j] = index
    above: dict[int, int] = {}
    for index, cand in labelled.items():
        j = step(index - 1, -1)
        if cand.media_start is not None or j < 0 or j in labelled or j in below:
            continue
        before = step(j - 1, -1)
        if _is_time_line(text, lines[j]) and not (before in labelled and wordless(before)):
            above[j] = index
    return above, below


def _is_time_line(text: str, line: tuple[int, int]) -> bool:
    return _TIME_LINE.fullmatch(text, *line) is not None


def _is_marked(time_marks: Mapping[int, int], line: tuple[int, int]) -> bool:
    return _marked(time_marks, *line)


def _marked(time_marks: Mapping[int, int], lo: int, hi: int, *, covering: bool = False) -> bool:
    """A marked time starts in ``[lo, hi)`` (``covering``: one covers ``lo``)."""
    if not time_marks:
        return False
    starts = time_marks if isinstance(time_marks, _SortedMarks) else _SortedMarks(time_marks)
    if covering:
        k = bisect.bisect_right(starts.keys_sorted, lo) - 1
        return k >= 0 and starts[starts.keys_sorted[k]] > lo
    k = bisect.bisect_left(starts.keys_sorted, lo)
    return k < len(starts.keys_sorted) and starts.keys_sorted[k] < hi


class _SortedMarks(dict):
    """Time marks (start → end) with their starts sorted, for bisection."""

    def __init__(self, marks: Mapping[int, int]):
        super().__init__(marks)
        self.keys_sorted = sorted(marks)


def _line_time(text: str, line: tuple[int, int]) -> tuple[float, str, str]:
    match = _TIME_LINE.fullmatch(text, *line)
    value = match["a"] or match["b"] or match["c"]
    written = f"[{value}]" if match["a"] else f"({value})" if match["b"] else value
    return parse_timestamp(value), LINE_BELOW, time_shape(written)


def _with_line_numbers(turns: list[Turn], numbers: Mapping[int, int]) -> list[Turn]:
    offsets = sorted(numbers)
    out = []
    for turn in turns:
        head = turn.start if turn.head is None else turn.head
        lo = bisect.bisect_left(offsets, head)
        hi = bisect.bisect_right(offsets, turn.end)
        inside = [numbers[o] for o in offsets[lo:hi]]
        out.append(replace(turn, lines=(min(inside), max(inside))) if inside else turn)
    return out


_STYLE_NAMES = {
    PLAIN: "Name: words",
    TABLE: "Name<TAB>words (a table row)",
    TIMESTAMPED: "Name: with a time",
    OTTER: "name and time on a line of their own, words below",
    BOLD: "bold Name:",
    BARE_BOLD: "bold name",
    MARKUP: "Markdown bold **Name:**",
    ALONE: "name alone on its line, words below",
}


def _recognised(turns: list[Turn], labelled: Mapping[int, Candidate], choice: SpeakerChoice,
                times: list[tuple[str, str]], preamble_lines: int) -> dict:
    """The per-document summary of what was recognised (see ``ParsedTranscript.recognised``)."""
    labels = Counter(t.speaker for t in turns if t.speaker is not None)
    styles = Counter(c.style for c in labelled.values() if c.key in choice.accepted)
    formats = Counter(f"{shape} {where}".strip() for where, shape in times)
    out: dict = {
        "labels": dict(labels),
        "label_format": _STYLE_NAMES[styles.most_common(1)[0][0]] if styles else None,
        "time_format": formats.most_common(1)[0][0] if formats else None,
        "timed_turns": sum(1 for t in turns if t.media_start is not None),
        "unlabelled_turns": sum(1 for t in turns if t.speaker is None),
    }
    if choice.markers:
        out["markers"] = sorted(set(choice.markers.values()))
    if choice.kept:
        out["kept_as_text"] = choice.kept
    if preamble_lines:
        out["preamble_lines"] = preamble_lines
    return out


def _label_units(text: str, lines: list[tuple[int, int]], candidates: Mapping[int, Candidate]) -> int:
    """How many places could start with a label: the paragraphs, plus any labelled line.

    Without any blank line between text lines, every line may be a paragraph.
    """
    blank = [not text[start:end].strip() for start, end in lines]
    first = blank.index(False) if False in blank else len(lines)
    last = len(blank) - 1 - blank[::-1].index(False) if False in blank else -1
    if not any(blank[first:last]):
        return sum(1 for b in blank if not b)
    return sum(1 for i, b in enumerate(blank) if i in candidates or (not b and (i == 0 or blank[i - 1])))


def with_media_ends(turns: list[Turn]) -> list[Turn]:
    """Set each timed turn's ``media_end`` to the next turn's ``media_start`` if later."""
    result = []
    for turn, following in zip(turns, turns[1:] + [None]):
        end = turn.media_end
        if (
            end is None
            and turn.media_start is not None
            and following is not None
            and following.media_start is not None
            and following.media_start >= turn.media_start
        ):
            end = following.media_start
        result.append(replace(turn, media_end=end))
    return result
