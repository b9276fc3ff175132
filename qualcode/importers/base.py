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
    """

    speaker: str | None
    start: int
    end: int
    media_start: float | None = None
    media_end: float | None = None


@dataclass
class ParsedTranscript:
    """A transcript as read from one file: canonical text plus its speaker turns."""

    filename: str
    format: str  # "txt", "md", "docx", "odt", "rtf", "pdf", "html", "vtt", "srt"
    text: str
    turns: list[Turn]
    encoding: str | None = None  # the text encoding detected, for text-based formats
    warnings: list[str] = field(default_factory=list)

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


class TranscriptError(InputError):
    """A file that cannot be imported: says which file, what is wrong and what to do.

    ``line`` is the 1-based line (or paragraph) where the problem was found, if any.
    """
