"""Subtitles (.vtt WebVTT, .srt SubRip) via webvtt-py; the canonical text is rebuilt.

Speakers come from WebVTT voice tags (``<v Name>``, on any line of a cue) or from a
``Name:`` prefix in the cue text (Zoom, many SRT tools), judged over the whole file like
text labels (:func:`.speakers.choose_speakers`). Consecutive cues of the same speaker merge
into one turn, as does a cue without a speaker (it continues the current turn), unless the
file names only one speaker: then an unlabelled cue after that speaker's turn starts an
unlabelled turn.

Canonical text: one paragraph per turn, ``"Speaker: words"`` (or just the words when there
is no speaker), paragraphs separated by ``"\\n\\n"``; the lines of a cue and the cues of a
turn are joined with a space, as they are only display line breaks. Cue markup (``<i>``,
``<c.x>``, ``{\\an8}``) is removed and character references are decoded. Timings are not in
the text: ``media_start`` is the first cue's start, ``media_end`` the last cue's end, in
seconds.

webvtt-py silently skips cues whose timing line it cannot read, so timing lines are
checked here first, to name the offending line.
"""

from __future__ import annotations

import html
import io
import re
from collections import Counter
from dataclasses import dataclass, field

import webvtt
from webvtt.models import Caption, Timestamp
from webvtt.srt import SRTCueBlock
from webvtt.vtt import WebVTTCueBlock

from .base import ParsedTranscript, TranscriptError, Turn
from .document import encoding_warnings
from .encoding import canonicalize, decode_text
from .speakers import Candidate, choose_speakers, line_candidate

# Two timestamps on a line without "-->": a timing line with a broken arrow.
_TIMING_WITHOUT_ARROW = re.compile(
    r"\s*(?:\d+:)?\d{1,2}:\d{1,2}[.,]\d+\s*\S{0,3}\s*(?:\d+:)?\d{1,2}:\d{1,2}[.,]\d+\s*(?:\s.*)?$"
)
_ASS_OVERRIDE = re.compile(r"\{\\[^}]*\}")  # {\an8}, {\i1}: SSA tags some SRT files carry
_HINT_VTT = (
    "Export the captions again from the recording tool, or fix the line in a text editor "
    "(WebVTT timings look like 00:01:02.500 --> 00:01:05.000)"
)
_HINT_SRT = (
    "Export the subtitles again, or fix the line in a text editor "
    "(SubRip timings look like 00:01:02,500 --> 00:01:05,000)"
)


@dataclass
class _Segment:
    """Text of one cue (or one voice within a cue) with its timing."""

    voice: str | None
    start: float
    end: float
    lines: list[str] = field(default_factory=list)
    text: str = ""  # the lines joined, whitespace collapsed, canonical
    candidate: Candidate | None = None


@dataclass
class _OpenTurn:
    speaker: str | None
    start: float
    end: float
    texts: list[str]


def read_vtt(data: bytes, filename: str) -> ParsedTranscript:
    """Parse a WebVTT transcript (Zoom, Teams, YouTube...)."""
    text, encoding = _decode(data, filename)
    lines = text.split("\n")
    if not lines[0].startswith("WEBVTT"):
        raise TranscriptError(
            filename,
            "is not a WebVTT file: the first line must be 'WEBVTT'",
            "Check that this is a .vtt caption file; if it is SubRip (numbered cues with "
            "00:00:01,000 timings), rename it to .srt",
            line=1,
        )
    _check_timings(filename, lines, WebVTTCueBlock.CUE_TIMINGS_PATTERN, _HINT_VTT)
    try:
        captions = webvtt.WebVTT.from_string(text).captions
    except Exception as exc:  # MalformedFileError / MalformedCaptionError
        raise TranscriptError(filename, f"is not a valid WebVTT file ({exc})", _HINT_VTT) from exc
    return _build(filename, "vtt", captions, encoding)


def read_srt(data: bytes, filename: str) -> ParsedTranscript:
    """Parse a SubRip (.srt) transcript."""
    text, encoding = _decode(data, filename)
    lines = text.split("\n")
    _check_timings(filename, lines, SRTCueBlock.CUE_TIMINGS_PATTERN, _HINT_SRT)
    first = next(i for i, line in enumerate(lines) if line.strip())
    try:
        captions = webvtt.WebVTT.from_buffer(io.StringIO("\n".join(lines[first:])), format="srt").captions
    except Exception as exc:  # MalformedFileError for a file not starting with a cue
        raise TranscriptError(
            filename,
            "is not a valid SubRip file: it must start with a cue number line followed by a timing line",
            _HINT_SRT,
            line=first + 1,
        ) from exc
    return _build(filename, "srt", captions, encoding)


def _decode(data: bytes, filename: str) -> tuple[str, str]:
    raw, encoding = decode_text(data, filename)
    text = canonicalize(raw)
    if not text.strip():
        raise TranscriptError(
            filename, "contains no text (only whitespace)", "Check that this is the right file"
        )
    return text, encoding


def _check_timings(filename: str, lines: list[str], pattern: re.Pattern, hint: str) -> None:
    for number, line in enumerate(lines, start=1):
        if "-->" in line:
            match = pattern.match(line)
            valid = match is not None and all(_valid_time(t) for t in match.groups())
        else:
            valid = _TIMING_WITHOUT_ARROW.match(line) is None
        if not valid:
            raise TranscriptError(
                filename, f"has a malformed cue timing line: {line.strip()!r}", hint, line=number
            )


def _valid_time(value: str) -> bool:
    parts = re.split(r"[:.,]", value)
    return all(int(p) <= 59 for p in parts[-3:-1])


def _seconds(timestamp: Timestamp) -> float:
    return timestamp.in_milliseconds() / 1000


def _segments(captions: list[Caption]) -> list[_Segment]:
    segments: list[_Segment] = []
    for caption in captions:
        start, end = _seconds(caption.start_time), _seconds(caption.end_time)
        current: _Segment | None = None
        # caption.text strips tags line by line, so its lines align with the raw lines.
        for raw, clean in zip(caption.raw_text.split("\n"), caption.text.split("\n")):
            # webvtt-py's Caption.voice only looks at the first line; a cue may hold
            # several voices, one per line, so each line is checked with its pattern.
            voice = Caption.VOICE_SPAN_PATTERN.match(raw.strip())
            if voice or current is None:
                current = _Segment(" ".join(voice[1].split()) if voice else None, start, end)
                segments.append(current)
            current.lines.append(html.unescape(_ASS_OVERRIDE.sub("", clean)))
    for segment in segments:
        # Canonical per segment: a decoded "&#x301;" may compose with the letter before it.
        segment.text = canonicalize(" ".join(" ".join(segment.lines).split()))
    return [s for s in segments if s.text]


def _build(filename: str, fmt: str, captions: list[Caption], encoding: str) -> ParsedTranscript:
    segments = _segments(captions)
    if not segments:
        raise TranscriptError(filename, "contains no caption text", "Check that the file has cues with text")
    for segment in segments:
        if segment.voice is None:
            segment.candidate = line_candidate(segment.text, 0, len(segment.text))
    choice = choose_speakers(
        [s.candidate for s in segments if s.candidate is not None], units=len(segments), unit_name="cues"
    )
    speakers = {s.voice for s in segments if s.voice} | set(choice.accepted.values())
    single = len(speakers) == 1

    turns: list[_OpenTurn] = []
    for segment in segments:
        speaker, words = segment.voice, segment.text
        cand = segment.candidate
        if cand is not None and cand.key in choice.accepted:
            speaker, words = choice.accepted[cand.key], words[cand.content_start :].strip()
            if not words:
                continue
        current = turns[-1] if turns else None
        if current is not None and (
            speaker == current.speaker or (speaker is None and not (single and current.speaker is not None))
        ):
            current.texts.append(words)
            current.end = max(current.end, segment.end)
        else:
            turns.append(_OpenTurn(speaker, segment.start, segment.end, [words]))

    parts: list[str] = []
    result_turns: list[Turn] = []
    offset = 0
    for turn in turns:
        label = f"{turn.speaker}: " if turn.speaker else ""
        words = " ".join(turn.texts)
        start = offset + len(label)
        result_turns.append(Turn(turn.speaker, start, start + len(words), turn.start, turn.end, head=offset))
        parts.append(label + words)
        offset = start + len(words) + 2  # the "\n\n" between paragraphs
    voices = any(s.voice for s in segments)
    recognised = {
        "labels": dict(Counter(t.speaker for t in result_turns if t.speaker is not None)),
        "label_format": (None if not speakers
                         else "WebVTT voice tags <v Name>" if voices else "Name: in the cue text"),
        "time_format": "cue timings (start --> end)",
        "timed_turns": len(result_turns),
        "unlabelled_turns": sum(1 for t in result_turns if t.speaker is None),
        "cues": len(captions),
    }

    warnings = encoding_warnings(encoding) + choice.warnings
    if not speakers:
        warnings.append("no speaker labels found: the cues are kept as one unlabelled turn")
    elif single:
        warnings.append(
            f"only one speaker ('{next(iter(speakers))}') found: cues without a speaker after "
            "its turns are kept as unlabelled turns"
        )
    return ParsedTranscript(
        filename=filename,
        format=fmt,
        text="\n\n".join(parts),
        turns=result_turns,
        encoding=encoding,
        warnings=warnings,
        recognised=recognised,
    )
