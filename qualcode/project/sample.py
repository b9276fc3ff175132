"""The shipped sample project: the barriers/enablers codebook, the sample interviews and their
participants, loaded into a database so a new user sees real material on first start."""

from __future__ import annotations

from pathlib import Path

from qualcode.codebook import parse_codebook
from qualcode.project.codes import apply_codebook
from qualcode.project.coding_sheet import import_sheet, parse_sheet
from qualcode.store.db import Database
from qualcode.project.documents import ImportResult, Progress, apply_attributes, expand_paths, import_files, read_files
from qualcode.importers.base import DEFAULT_MAX_BYTES
from qualcode.project.participants import parse_attributes

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_CODEBOOK = ROOT / "codebooks" / "img_barriers_enablers.yaml"
SAMPLE_TRANSCRIPTS = ROOT / "transcripts_sample"
SAMPLE_PARTICIPANTS = SAMPLE_TRANSCRIPTS / "participants.csv"
#: Independent codings of the sample interviews by the team's coders (optional).
SAMPLE_CODINGS = SAMPLE_TRANSCRIPTS / "codings.csv"
#: The name a database's first project gets when it starts from the sample.
SAMPLE_NAME = "IMG clinical training (sample)"


def load_sample(db: Database, *, progress: Progress | None = None, actor: str | None = None) -> ImportResult:
    """Load the sample codebook, transcripts, participants and codings (safe to run twice)."""
    for needed in (SAMPLE_CODEBOOK, SAMPLE_TRANSCRIPTS, SAMPLE_PARTICIPANTS):
        if not needed.exists():
            raise FileNotFoundError(
                f"{needed} is missing; the sample project ships with a qualcode checkout"
            )
    codebook = parse_codebook(SAMPLE_CODEBOOK.read_bytes(), SAMPLE_CODEBOOK.name)
    with db.session() as session:
        apply_codebook(session, db.project_id(session, name=SAMPLE_NAME),
                       codebook, actor=actor)
    paths = expand_paths([SAMPLE_TRANSCRIPTS])
    result = import_files(db, read_files(paths, max_bytes=DEFAULT_MAX_BYTES), total=len(paths),
                          actor=actor, progress=progress)
    table = parse_attributes(SAMPLE_PARTICIPANTS.read_bytes(), SAMPLE_PARTICIPANTS.name)
    result.attributes = apply_attributes(db, table, filename=SAMPLE_PARTICIPANTS.name, actor=actor)
    if SAMPLE_CODINGS.exists():
        rows = parse_sheet(SAMPLE_CODINGS.read_bytes(), SAMPLE_CODINGS.name)
        result.codings = import_sheet(db, rows, filename=SAMPLE_CODINGS.name, actor=actor)
    return result
