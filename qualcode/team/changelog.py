"""The append-only change log: who did what to which entity, and when.

Every library function that changes data writes one entry in the same transaction as the
change, so the log and the data can never disagree. The database refuses updates and deletes
on the table (migration 0002).
"""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

# default_actor lives in access (who is acting); it is re-exported here for older callers.
from qualcode.team.access import authorize, default_actor, require_owner
from qualcode.store.models import ChangeLog

__all__ = ["default_actor", "history", "log"]


def log(
    session: Session,
    *,
    project_id: int | None,
    actor: str | None,
    action: str,
    entity: str,
    entity_id: int | None = None,
    **detail,
) -> None:
    """Append one entry; ``detail`` is stored as JSON.

    This is also the write gate: every change in qualcode is logged here in its own
    transaction, so the acting user's role is checked here first (``qualcode.team.access``); a
    refused change raises ``AccessDenied`` and its transaction rolls back whole.
    """
    who = actor or default_actor()
    authorize(session, project_id, who, action, entity, detail)
    session.add(
        ChangeLog(
            project_id=project_id,
            actor=who,
            action=action,
            entity=entity,
            entity_id=entity_id,
            detail=json.dumps(detail, ensure_ascii=False, default=str, sort_keys=True),
        )
    )


def history(session: Session, *, project_id: int | None = None, entity: str | None = None,
            entity_id: int | None = None, actor: str | None = None) -> list[dict]:
    """Entries, oldest first, of one project (``project_id``), optionally for one entity.

    The log names every coder's work, so with accounts only the project's owners may read it
    (``actor``, default ``QUALCODE_USER`` or the OS user). Without ``project_id`` it is the
    whole database's log (every project, and the account events that belong to none), for those
    who manage every project: admins.
    """
    require_owner(session, actor, project_id)
    q = select(ChangeLog).order_by(ChangeLog.id)
    if project_id is not None:
        q = q.where(ChangeLog.project_id == project_id)
    if entity is not None:
        q = q.where(ChangeLog.entity == entity)
    if entity_id is not None:
        q = q.where(ChangeLog.entity_id == entity_id)
    return [
        {
            "at": row.at,
            "actor": row.actor,
            "action": row.action,
            "entity": row.entity,
            "entity_id": row.entity_id,
            "detail": json.loads(row.detail),
        }
        for row in session.scalars(q)
    ]
