"""Project settings: blind (independent) coding, and whether coders may edit the codebook.

Both are owners' decisions: each change goes through the change log, whose write gate
(``qualcode.team.access.authorize``) lets only owners change the project ("manage"). What the
settings mean for reads and writes is decided in :mod:`qualcode.team.access`
(:func:`~qualcode.team.access.visibility`, :meth:`~qualcode.team.access.Actor.allows`).
"""

from __future__ import annotations

from qualcode.store.db import Database, read_only, retrying
from qualcode.store.models import Project
from qualcode.team.changelog import log


class SettingsError(ValueError):
    """A setting given a value it cannot take; the message says what it takes."""


@read_only
def is_blind(db: Database) -> bool:
    """Whether the project codes blind."""
    with db.session() as s:
        return bool(s.get(Project, db.project_id(s)).blind_coding)


@retrying
def set_blind(db: Database, on: bool, *, actor: str | None) -> None:
    """Turn blind coding on or off for the project (owners only; logged when it changes)."""
    if not isinstance(on, bool):
        raise SettingsError("blind coding is switched with True or False")
    with db.session() as s:
        project = s.get(Project, db.project_id(s))
        if bool(project.blind_coding) == on:
            return
        project.blind_coding = on
        log(s, project_id=project.id, actor=actor, action="update", entity="project",
            entity_id=project.id, blind_coding=on)


@retrying
def set_codebook_editing(db: Database, allowed: bool, *, actor: str | None) -> None:
    """Let coders edit the codebook (or stop them); owners only, logged."""
    with db.session() as s:
        project = s.get(Project, db.project_id(s))
        project.coders_edit_codebook = bool(allowed)
        log(s, project_id=project.id, actor=actor, action="update", entity="project",
            entity_id=project.id, coders_edit_codebook=bool(allowed))
        s.info.pop("qualcode_actors", None)
