"""Files made ready to store, with no database: read, parsed, and their sentences cut.

This is the work a batch import hands to worker processes, so it lives here, beside the parsers,
and not with the database code: a ``spawn`` worker imports only this module, the parsers and
spaCy, never SQLAlchemy and the models it would not use; and a command can start the workers
(:func:`start_workers`) before it imports the database layer, so that their start-up (spaCy)
and its own (SQLAlchemy, opening the database) overlap.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from . import SUPPORTED_EXTENSIONS, parse_transcript
from .base import ParsedTranscript, TranscriptError
from .segment import sentences

#: What :func:`prepare` returns: (file name, parsed transcript or None, sentences, error or None).
Prepared = tuple[str, ParsedTranscript | None, list[tuple[int, int]], str | None]


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files named directly, plus the supported transcripts inside named folders (sorted)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(
                sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SUPPORTED_EXTENSIONS)
            )
        else:
            out.append(p)
    return out


def read_files(paths: Sequence[Path], *, max_bytes: int) -> Iterable[tuple[str, bytes | TranscriptError]]:
    """(name, bytes) for each path, or a TranscriptError for one that cannot be read."""
    for p in paths:
        try:
            size = p.stat().st_size
            if size > max_bytes:
                yield p.name, TranscriptError(
                    p.name,
                    f"the file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit",
                    "Split it, or raise the limit with --max-size MB (QUALCODE_MAX_IMPORT_MB)",
                )
                continue
            yield p.name, p.read_bytes()
        except FileNotFoundError:
            yield p.name, TranscriptError(str(p), "no such file", "Check the path")
        except OSError as exc:
            yield p.name, TranscriptError(str(p), f"cannot be read ({exc.strerror})", "Check permissions")


def prepare(item: tuple[str, bytes | TranscriptError, int]) -> Prepared:
    """Parse one file and cut its sentences, with no database: (name, parsed, sentences, error).

    A top-level function so that worker processes can run it; errors travel back as text.
    """
    filename, data, max_bytes = item
    try:
        if isinstance(data, TranscriptError):
            raise data
        parsed = parse_transcript(data, filename, max_bytes=max_bytes)
        return filename, parsed, sentences(parsed.text, [(t.start, t.end) for t in parsed.turns]), None
    except TranscriptError as exc:
        return filename, None, [], str(exc)


def warm(every_format: bool = False) -> None:
    """Load spaCy in a worker process before it takes files, and with ``every_format`` every
    format's parser too (so that a time limit on parsing does not count their imports)."""
    from .segment import pipeline

    if every_format:
        from . import preload

        preload()
    pipeline()


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the cores this process may use (containers, taskset)
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


#: Batches at least this large are parsed in worker processes (starting one costs ~1 s).
PARALLEL_MIN_FILES = 16
#: Worker processes for a large batch: one per core but the one the importing process writes
#: on, at most 4 (SQLite writes stay serial). A worker imports only the parsers and spaCy, which
#: the writing process then never loads, so on two cores one worker parses while the other
#: process writes; a second worker would only add its own start-up, and on one core there is
#: nothing to run beside.
PARALLEL_WORKERS = min(_cores() - 1, 4)


def start_workers(workers: int, *, every_format: bool = False):
    """A pool of ``workers`` ``spawn`` processes running :func:`warm` (spaCy, and with
    ``every_format`` every parser) as they start, so they load while the caller goes on; None
    when ``workers`` < 1 or there is no main script to spawn from (a REPL, stdin)."""
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    if workers < 1 or main_file is None or not os.path.exists(main_file):
        return None
    import multiprocessing

    return multiprocessing.get_context("spawn").Pool(workers, initializer=warm, initargs=(every_format,))
