"""The importers' contract: plain dataclasses out, one exception type for bad input.

Importers take ``bytes`` and a file name and return a :class:`ParsedTranscript`. They never
touch the database or the UI, so they can be tested with ``io.BytesIO``-style byte strings
and reused by the CLI, the app and the benchmark alike.

Offsets follow the project-wide rule (see ARCHITECTURE.md): Unicode code points into the
canonical text (NFC, ``\\n`` line endings, no BOM), end exclusive.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from qualcode.errors import InputError

#: Default upper bound on the size of one imported file, in bytes (configurable per call).
DEFAULT_MAX_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class Turn:
    """One speaker turn.

    ``text[start:end]`` is what was said, without the speaker label or timestamp that
    introduced it. ``speaker`` is ``None`` when the turn has no label (a preamble, an
    unlabelled participant in a think-aloud, notes without speakers).

    ``head`` is where the turn's part of the document begins: ``text[head:start]`` is its
    header (label, timestamps, a time line, labels of empty turns before it); ``None`` means
    ``start``. ``lines`` is the first and last line number of a line-numbered transcript
    (the numbers themselves are not in the text).
    """

    speaker: str | None
    start: int
    end: int
    media_start: float | None = None
    media_end: float | None = None
    head: int | None = None
    lines: tuple[int, int] | None = None


@dataclass
class ParsedTranscript:
    """A transcript as read from one file: canonical text plus its speaker turns."""

    filename: str
    format: str  # "txt", "md", "docx", "odt", "rtf", "pdf", "html", "vtt", "srt"
    text: str
    turns: list[Turn]
    encoding: str | None = None  # the text encoding detected, for text-based formats
    warnings: list[str] = field(default_factory=list)
    #: What the importer recognised, for the import report (JSON-serialisable): speaker labels
    #: and their turns, label and time formats, line numbers, page headers/footers dropped,
    #: lines re-joined, markers that are not speakers. See ``importers.recognised``.
    recognised: dict = field(default_factory=dict)

    @property
    def speakers(self) -> list[str]:
        """Distinct speaker labels in order of first appearance."""
        seen: dict[str, None] = {}
        for turn in self.turns:
            if turn.speaker is not None:
                seen.setdefault(turn.speaker, None)
        return list(seen)

    @property
    def has_timestamps(self) -> bool:
        """True when at least one turn carries a media time."""
        return any(t.media_start is not None for t in self.turns)

    def regions(self) -> list[tuple[int, int]]:
        """The part of the text each turn owns: every character belongs to exactly one turn.

        Turn *i* owns ``[head_i, head_{i+1})`` (the first turn from 0, the last to the end of
        the text): its header, its words and the blank lines after them.
        """
        heads = [t.start if t.head is None else t.head for t in self.turns]
        if heads:
            heads[0] = 0
        return list(zip(heads, heads[1:] + [len(self.text)]))


def describe_recognised(recognised: dict) -> str:
    """One line a researcher can check at a glance: what the importer recognised.

    >>> describe_recognised({"labels": {"Ana": 4, "Dan": 3}, "label_format": "Name: words",
    ...                      "time_format": "m:ss after the label", "timed_turns": 7})
    'speakers Ana (4 turns), Dan (3 turns); labels "Name: words"; times m:ss after the label (7 turns)'
    """
    parts = []
    labels = recognised.get("labels") or {}
    if labels:
        turns = (f"{name} ({n} turn{'s' if n != 1 else ''})" for name, n in labels.items())
        parts.append("speakers " + ", ".join(turns))
        if recognised.get("label_format"):
            parts.append(f'labels "{recognised["label_format"]}"')
    else:
        parts.append("no speaker labels")
    if recognised.get("time_format"):
        parts.append(f"times {recognised['time_format']} ({recognised.get('timed_turns', 0)} turns)")
    numbers = recognised.get("line_numbers")
    if numbers:
        parts.append(f"line numbers {numbers['first']}-{numbers['last']} taken out of the text")
    furniture = recognised.get("headers_footers")
    if furniture:
        examples = ", ".join(repr(e) for e in furniture.get("examples", []))
        parts.append(f"{furniture['lines_dropped']} page header/footer lines left out ({examples})")
    reflow = recognised.get("reflow")
    if reflow:
        parts.append(f"{reflow['lines_joined']} wrapped lines re-joined")
    if recognised.get("markers"):
        parts.append("not speakers: " + ", ".join(recognised["markers"]))
    if recognised.get("kept_as_text"):
        parts.append("label-like words kept as text: " + ", ".join(recognised["kept_as_text"]))
    return "; ".join(parts)


class TranscriptError(InputError):
    """A file that cannot be imported: says which file, what is wrong and what to do.

    ``line`` is the 1-based line (or paragraph) where the problem was found, if any.
    """
