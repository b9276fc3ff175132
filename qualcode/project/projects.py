"""Projects as first-class: create, list, rename, describe, archive, delete, copy a codebook.

One database (one team server) holds many studies. The project a call works on travels with
the :class:`~qualcode.store.db.Database` object (``Database(url, project=NAME)``,
``db.use(NAME)``): every function here that changes a project changes ``db``'s, so the command
line does ``rename_project(db.use(NAME), NEW)`` and the app passes its per-rerun view.

Who may do what:

- **create**: anyone in single-user mode; with accounts, an admin or the owner of any project
  (the creator becomes the new project's owner; accounts stay server-wide);
- **rename, describe, archive, unarchive, delete, back up**: the project's owners (and admins);
- **list**: everyone sees the projects they belong to (admins and single-user mode: all), with
  counts of documents, codings and coders as blind coding lets them see them.

Archived projects are read-only (the write gate, ``qualcode.team.access.authorize``, refuses
every change but unarchiving and deleting) and hidden from lists unless asked for. Deleting
needs the project's name typed as confirmation and first writes a backup of that project
(``qualcode.team.project_backup``), in the same transaction that deletes it, so the backup holds
exactly what was deleted.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from qualcode.project.codes import apply_codebook, to_codebook
from qualcode.store.db import Database, DatabaseError, find_project, read_only, retrying
from qualcode.store.media_files import media_dir, remove_unused, sibling_dir
from qualcode.store.models import Account, ChangeLog, Coding, Document, Media, Membership, Project
from qualcode.team.access import (
    AccessDenied,
    default_actor,
    has_accounts,
    is_admin,
    memberships,
    reader,
    require,
    visibility,
)
from qualcode.team.changelog import log
from qualcode.team.project_backup import (
    ProjectBackupError,
    copy_project,
    close_project_file,
    delete_project_rows,
    open_project_file,
    write_project_file,
)

#: Where per-project backups go when no folder is given (else beside an SQLite database, in
#: ``backups/``; for PostgreSQL ``~/qualcode-backups`` of the user running qualcode).
BACKUP_DIR_ENV = "QUALCODE_BACKUP_DIR"
STAMP = "%Y%m%d-%H%M%S"
MAX_NAME = 200
MAX_DESCRIPTION = 5000


class ProjectError(ValueError):
    """A project request that cannot be carried out; the message says what to do."""


@dataclass(frozen=True)
class ProjectSummary:
    """One project as a list shows it (counts as the viewer may see them)."""

    name: str
    description: str
    archived: bool
    documents: int
    codings: int
    coders: int
    last_change: datetime | None
    role: str  # the viewer's role: owner, coder or viewer
    created_at: datetime | None

    def as_dict(self) -> dict:
        """The ``qualcode projects --json`` row."""
        return {"name": self.name, "documents": self.documents, "codings": self.codings,
                "coders": self.coders, "archived": self.archived}

    def details(self) -> dict:
        """Every field (the app's table, ``--json`` of the project commands)."""
        return {**self.as_dict(), "description": self.description, "role": self.role,
                "last_change": self.last_change.isoformat() if self.last_change else None,
                "created_at": self.created_at.isoformat() if self.created_at else None}


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:  # SQLite: stored as UTC, read back naive
        return moment.replace(tzinfo=UTC)
    return moment


def check_name(name: str) -> str:
    """A usable project name (trimmed), or :class:`ProjectError` saying why not."""
    clean = (name or "").strip() if isinstance(name, str) else ""
    if not clean:
        raise ProjectError("a project needs a name")
    if len(clean) > MAX_NAME or any(ord(c) < 32 or c == "\x7f" for c in clean):
        raise ProjectError(f"{clean[:40]!r} is not a usable project name (at most {MAX_NAME} "
                           "printable characters)")
    return clean


def _check_description(text: str | None) -> str:
    text = (text or "").strip()
    if len(text) > MAX_DESCRIPTION:
        raise ProjectError(f"a description may have at most {MAX_DESCRIPTION} characters")
    return text


def _name_free(session: Session, name: str, *, but: int | None = None) -> None:
    taken = session.scalar(select(Project.name).where(func.lower(Project.name) == name.lower(),
                                                      Project.id != (but or -1)))
    if taken is not None:
        raise ProjectError(f"a project named {taken!r} already exists; choose another name")


def require_create(session: Session, actor: str | None) -> None:
    """Creating a project: anyone in single-user mode, else an admin or an owner of a project."""
    name = actor or default_actor()
    if not has_accounts(session):
        return
    account = session.scalar(select(Account).where(Account.name == name))
    if account is None or account.disabled:
        state = "is disabled" if account is not None else "does not exist"
        raise AccessDenied(f"account {name!r} {state}; set QUALCODE_USER to your account name")
    if account.is_admin:
        return
    owns = session.scalar(select(Membership.project_id).where(
        Membership.account_id == account.id, Membership.role == "owner").limit(1))
    if owns is None:
        raise AccessDenied(f"{name!r} owns no project, so may not create one; an admin or a "
                           "project owner can create it and add them")


# -- listing ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectChoice:
    """A project someone may open, without counts (the app's project picker, every rerun)."""

    id: int
    name: str
    archived: bool
    role: str


@read_only
def accessible_projects(db: Database, *, viewer: str | None = None) -> list[ProjectChoice]:
    """Every project ``viewer`` may open, archived ones included, by name: their memberships
    (all projects for admins and in single-user mode). Cheap: two small queries."""
    with db.session() as s:
        roles = memberships(s, viewer)
        rows = s.execute(select(Project.id, Project.name, Project.archived)
                         .where(Project.id.in_(list(roles))).order_by(func.lower(Project.name))).all()
        return [ProjectChoice(pid, name, bool(archived), roles[pid]) for pid, name, archived in rows]


@read_only
def list_projects(db: Database, *, viewer: str | None = None, archived: bool = False) -> list[ProjectSummary]:
    """The projects ``viewer`` belongs to (all of them for admins and in single-user mode),
    by name, with counts of documents, codings and coders and the time of the last change.

    Codings and coders are counted as blind coding lets the viewer see them. Archived projects
    are left out unless ``archived``. With accounts a viewer must be named.
    """
    with db.session() as s:
        if has_accounts(s):
            reader(s, None, viewer)  # a named, active account ("name the acting account")
        roles = memberships(s, viewer)
        query = select(Project).where(Project.id.in_(list(roles))).order_by(func.lower(Project.name))
        if not archived:
            query = query.where(Project.archived.is_(False))
        projects = s.scalars(query).all()
        ids = [p.id for p in projects]
        if not ids:
            return []
        documents = dict(s.execute(select(Document.project_id, func.count(Document.id))
                                   .where(Document.project_id.in_(ids)).group_by(Document.project_id)).all())
        changed = dict(s.execute(select(ChangeLog.project_id, func.max(ChangeLog.at))
                                 .where(ChangeLog.project_id.in_(ids)).group_by(ChangeLog.project_id)).all())
        codings, coders = _coding_counts(s, ids, viewer)
        return [ProjectSummary(p.name, p.description or "", bool(p.archived), documents.get(p.id, 0),
                               codings.get(p.id, 0), coders.get(p.id, 0), _aware(changed.get(p.id)),
                               roles[p.id], _aware(p.created_at))
                for p in projects]


def _coding_counts(s: Session, ids: list[int], viewer: str | None) -> tuple[dict, dict]:
    """Codings and distinct coders per project, as ``viewer`` may see them (blind coding)."""
    base = select(Document.project_id, func.count(Coding.id), func.count(Coding.coder_id.distinct())) \
        .join(Document, Document.id == Coding.document_id).group_by(Document.project_id)
    open_ids, codings, coders = [], {}, {}
    for pid in ids:
        seen = visibility(s, pid, viewer)
        if seen.everything:
            open_ids.append(pid)
            continue
        for project_id, n, m in s.execute(base.where(Document.project_id == pid, seen.clause())):
            codings[project_id], coders[project_id] = n, m
    if open_ids:
        for project_id, n, m in s.execute(base.where(Document.project_id.in_(open_ids))):
            codings[project_id], coders[project_id] = n, m
    return codings, coders


def project_summary(db: Database, *, viewer: str | None = None) -> ProjectSummary:
    """``db``'s project as :func:`list_projects` shows it (archived or not)."""
    with db.session() as s:
        name = s.get(Project, db.project_id(s, create=False)).name
    for p in list_projects(db, viewer=viewer, archived=True):
        if p.name == name:
            return p
    raise AccessDenied(f"{viewer!r} is not a member of project {name!r}")


# -- creating --------------------------------------------------------------------------------------


@retrying
def _create_row(db: Database, name: str, description: str, actor: str | None) -> int:
    who = actor or default_actor()
    with db.session() as s:
        require_create(s, who)
        _name_free(s, name)
        project = Project(name=name, description=description)
        s.add(project)
        s.flush()
        if has_accounts(s) and not is_admin(s, who):
            account_id = s.scalar(select(Account.id).where(Account.name == who))
            s.add(Membership(project_id=project.id, account_id=account_id, role="owner"))
            s.flush()
        s.info.pop("qualcode_actors", None)
        log(s, project_id=project.id, actor=who, action="create", entity="project",
            entity_id=project.id, name=name, description=description)
        return project.id


def create_project(db: Database, name: str, *, description: str = "", sample: bool = False,
                   codebook_from: str | int | None = None,
                   fill: Callable[[Database], dict] | None = None,
                   actor: str | None = None, progress=None) -> dict:
    """Create a project: empty, with the shipped sample (``sample``), and/or filled by ``fill``
    (called with a view of ``db`` on the new project, e.g. a REFI-QDA, Taguette or QualCoder
    import: ``fill=lambda view: import_project_file(view, path, actor=...)``), and/or with a
    copy of another project's codebook (``codebook_from``, applied first).

    All or nothing: when the sample, the codebook copy or ``fill`` fails, the new project is
    removed again and the error raised. Returns ``{"project": summary, "codebook", "sample",
    "import"}`` (the parts that ran). ``db``'s own project does not matter.
    """
    name = check_name(name)
    description = _check_description(description)
    if sample and fill is not None:
        raise ProjectError("start a project from the sample or from an import, not both")
    who = actor or default_actor()
    pid = _create_row(db, name, description, who)
    view = db.use(pid)
    out: dict = {}
    try:
        if codebook_from is not None:
            out["codebook"] = copy_codebook(view, codebook_from, actor=who)
        if sample:
            from qualcode.project.sample import load_sample

            out["sample"] = load_sample(view, actor=who, progress=progress).as_dict()
        if fill is not None:
            out["import"] = fill(view)
    except BaseException:
        _discard(db, pid, who)
        raise
    viewer = who if _has_accounts(db) else None
    out["project"] = project_summary(view, viewer=viewer).details()
    return out


def _has_accounts(db: Database) -> bool:
    with db.session() as s:
        return has_accounts(s)


def _discard(db: Database, pid: int, actor: str) -> None:
    """Remove a project that failed to fill (no backup: it never held anything but the
    half-done fill), and then the recordings the fill attached that nothing else uses."""
    names = _discard_rows(db, pid, actor)
    if names:
        _remove_media(db, names, kept_in=None)


@retrying
def _discard_rows(db: Database, pid: int, actor: str) -> list[str]:
    with db.session() as s:
        if s.get(Project, pid) is None:
            return []
        log(s, project_id=pid, actor=actor, action="delete", entity="project", entity_id=pid,
            reason="creating it failed")
        names = _media_names(s, pid)
        delete_project_rows(s, pid)
        return names


@retrying
def copy_codebook(db: Database, source: str | int, *, actor: str | None = None) -> dict:
    """Copy project ``source``'s code tree (names, colours, definitions, use/do-not-use, examples)
    into ``db``'s project, matched by path like a codebook import; nothing is deleted.

    The actor must be able to read ``source`` and change ``db``'s codebook. Returns the
    :class:`~qualcode.project.codes.ApplyReport` as a dict, with ``"from"``.
    """
    who = actor or default_actor()
    with db.session() as s:
        target = db.project_id(s, create=False)
        src = find_project(s, source)
        if src.id == target:
            raise ProjectError("a project's codebook is already its own; choose another project")
        reader(s, src.id, who)
        book = to_codebook(s, src.id, name=src.name)
        report = apply_codebook(s, target, book, actor=who)
        return {"from": src.name, **report.as_dict()}


# -- changing ---------------------------------------------------------------------------------------


def _mine(db: Database, s: Session, actor: str | None) -> Project:
    """``db``'s project, if the actor manages it (checked before any change: the gate runs
    after the change and an archived flag must not hide a refusal)."""
    project = s.get(Project, db.project_id(s, create=False))
    require(s, project.id, actor or default_actor(), "manage")
    return project


@retrying
def rename_project(db: Database, new_name: str, *, actor: str | None = None) -> str:
    """Rename ``db``'s project (owners); returns the new name. Links naming the old name stop
    working; everything inside the project stays as it is."""
    new_name = check_name(new_name)
    with db.session() as s:
        project = _mine(db, s, actor)
        old = project.name
        if old == new_name:
            return old
        _name_free(s, new_name, but=project.id)
        log(s, project_id=project.id, actor=actor, action="rename", entity="project",
            entity_id=project.id, name=new_name, old_name=old)
        project.name = new_name
        return new_name


@retrying
def describe_project(db: Database, description: str, *, actor: str | None = None) -> None:
    """Set ``db``'s project description (owners)."""
    text = _check_description(description)
    with db.session() as s:
        project = _mine(db, s, actor)
        log(s, project_id=project.id, actor=actor, action="describe", entity="project",
            entity_id=project.id, description=text)
        project.description = text


@retrying
def archive_project(db: Database, archived: bool = True, *, actor: str | None = None) -> bool:
    """Archive ``db``'s project (read-only, hidden from lists) or, with ``archived=False``,
    bring it back (owners). Returns whether anything changed."""
    with db.session() as s:
        project = _mine(db, s, actor)
        if bool(project.archived) == archived:
            return False
        log(s, project_id=project.id, actor=actor, action="archive" if archived else "unarchive",
            entity="project", entity_id=project.id, name=project.name)
        project.archived = archived
        return True


def unarchive_project(db: Database, *, actor: str | None = None) -> bool:
    """Make an archived project writable and listed again (owners)."""
    return archive_project(db, False, actor=actor)


# -- backups and deleting ----------------------------------------------------------------------------


def backup_dir(db: Database) -> Path:
    """Where per-project backups go by default: ``$QUALCODE_BACKUP_DIR``, else ``backups/``
    beside an SQLite database, else ``~/qualcode-backups``."""
    if os.environ.get(BACKUP_DIR_ENV):
        return Path(os.environ[BACKUP_DIR_ENV]).expanduser()
    if db.path is not None:
        return db.path.parent / "backups"
    return Path.home() / "qualcode-backups"


def _slug(name: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_")[:60]
    return slug or "project"


def default_backup_path(db: Database, name: str, folder: str | os.PathLike | None = None,
                        now: datetime | None = None) -> Path:
    """``FOLDER/project-NAME-YYYYMMDD-HHMMSS.db`` (UTC), a new file (``-2``… when taken)."""
    folder = Path(folder).expanduser() if folder is not None else backup_dir(db)
    stamp = (now or datetime.now(UTC)).strftime(STAMP)
    path = folder / f"project-{_slug(name)}-{stamp}.db"
    n = 2
    while path.exists() or path.with_name(path.name + ".partial").exists():
        path = folder / f"project-{_slug(name)}-{stamp}-{n}.db"
        n += 1
    return path


def backup_project(db: Database, out: str | os.PathLike | None = None, *,
                   folder: str | os.PathLike | None = None, actor: str | None = None) -> dict:
    """Write ``db``'s project, and nothing else, to a new SQLite file (owners; the backup holds
    every coder's work, past blind coding). Returns ``{"project", "output", "bytes", "rows"}``.

    ``out`` (never overwritten) or a new file in ``folder`` (default :func:`backup_dir`).
    Open it with ``qualcode --db FILE``; bring it back with :func:`restore_project`.
    """
    with db.session() as s:
        project = _mine(db, s, actor)
        pid, name = project.id, project.name
    target = Path(out) if out is not None else default_backup_path(db, name, folder)
    try:
        result = write_project_file(db, pid, target)
    except ProjectBackupError as exc:
        raise ProjectError(str(exc)) from exc
    return {"project": name, **result}


def delete_project(db: Database, *, confirm: str, actor: str | None = None,
                   backup_to: str | os.PathLike | None = None,
                   folder: str | os.PathLike | None = None) -> dict:
    """Delete ``db``'s project with everything in it (owners), after backing it up.

    ``confirm`` must repeat the project's name exactly (the typed confirmation). The backup
    (``backup_to``, or a new file in ``folder``/:func:`backup_dir`) is written from inside the
    deleting transaction, so it holds exactly what was deleted; when the backup cannot be
    written nothing is deleted. The change log keeps its entries (append-only), accounts stay.

    The project's recordings are files beside the database (``qualcode.store.media_files``): the
    backup gets copies, and once the deletion has committed (a failed one leaves them in place)
    the originals that no other project uses are removed, each only when the backup's copy is
    there. Returns ``{"project", "backup", "rows": {table: n}, "media_files": removed}``, plus
    ``"media_left"`` naming unused files that had to stay.
    """
    with db.session() as s:
        project = _mine(db, s, actor)
        name = project.name
    if confirm != name:
        raise ProjectError(f"to delete project {name!r}, type its name exactly as confirmation; "
                           "nothing was deleted")
    if backup_to is not None and Path(backup_to).expanduser().exists():
        raise ProjectError(f"{backup_to} already exists; choose a new file for the backup "
                           "(nothing was deleted)")
    out = _delete(db, name, actor, backup_to, folder)
    return {**out, **_remove_media(db, out.pop("media_names"), kept_in=sibling_dir(Path(out["backup"])))}


def _media_names(s: Session, pid: int) -> list[str]:
    """The media files the project's rows name (read before the rows go)."""
    return list(s.scalars(select(Media.stored_path).join(Document, Document.id == Media.document_id)
                          .where(Document.project_id == pid)))


def _remove_media(db: Database, names: list[str], *, kept_in: Path | None) -> dict:
    """After a committed deletion: remove the project's recordings that nothing else uses. The
    deletion stands whatever happens here; files that could not be checked are named as left."""
    if not names:
        return {"media_files": 0}
    try:
        gone = remove_unused(db.engine, media_dir(db), names, kept_in=kept_in)
    except (SQLAlchemyError, OSError):
        gone = {"removed": 0, "left": sorted(set(names))}
    return {"media_files": gone["removed"], **({"media_left": gone["left"]} if gone["left"] else {})}


@retrying
def _delete(db: Database, name: str, actor: str | None, backup_to, folder) -> dict:
    with db.session() as s:
        project = _mine(db, s, actor)
        if project.name != name:
            raise ProjectError(f"project {name!r} was renamed to {project.name!r} meanwhile; "
                               "nothing was deleted")
        pid = project.id
        target = Path(backup_to) if backup_to is not None else default_backup_path(db, name, folder)
        try:
            written = write_project_file(db, pid, target, source=s)
        except (ProjectBackupError, OSError) as exc:
            raise ProjectError(f"the backup of {name!r} could not be written ({exc}); nothing "
                               "was deleted") from exc
        log(s, project_id=pid, actor=actor, action="delete", entity="project", entity_id=pid,
            name=name, backup=written["output"])
        names = _media_names(s, pid)
        rows = delete_project_rows(s, pid)
        return {"project": name, "backup": written["output"], "rows": rows, "media_names": names}


def restore_project(db: Database, file: str | os.PathLike, *, name: str | None = None,
                    actor: str | None = None) -> dict:
    """Bring a per-project backup back as a project of ``db``'s database (new ids), in one
    transaction. ``name``: the project's name (default: the backup's; it must be free).

    Creating a project needs what :func:`create_project` needs. Memberships come back for the
    accounts that exist on this server (matched by name); the rest are reported, never
    re-created from the file. A non-admin restorer who is not an owner in the backup becomes one.
    The project's recordings are copied from the backup's media folder into this database's
    (those already there are kept). Returns ``{"project", "from", "rows", "missing_accounts",
    "media_files": copied}``, plus ``"media_missing"`` naming recordings the backup lacks.
    """
    who = actor or default_actor()
    try:
        source = open_project_file(Path(file))
    except ProjectBackupError as exc:
        raise ProjectError(str(exc)) from exc
    try:
        return _restore(db, source, Path(file), name, who)
    finally:
        close_project_file(source)


@retrying
def _restore(db: Database, source: Database, file: Path, name: str | None, who: str) -> dict:
    with source.session(readonly=True) as src, db.session() as s:
        old = src.scalar(select(Project))
        new_name = check_name(name or old.name)
        require_create(s, who)
        _name_free(s, new_name)
        report = copy_project(src, old.id, s, keep_ids=False, name=new_name, accounts="match")
        pid = report["project_id"]
        if has_accounts(s) and not is_admin(s, who):
            account_id = s.scalar(select(Account.id).where(Account.name == who))
            member = s.get(Membership, (pid, account_id))
            if member is None:
                s.add(Membership(project_id=pid, account_id=account_id, role="owner"))
            else:
                member.role = "owner"
            s.flush()
        s.info.pop("qualcode_actors", None)
        log(s, project_id=pid, actor=who, action="restore", entity="project", entity_id=pid,
            name=new_name, file=str(file), missing_accounts=report["missing_accounts"])
        media = report.get("media") or {"copied": 0, "missing": []}
        return {"project": new_name, "from": str(file), "rows": report["rows"],
                "missing_accounts": report["missing_accounts"], "media_files": media["copied"],
                **({"media_missing": media["missing"]} if media["missing"] else {})}


__all__ = [
    "DatabaseError", "ProjectChoice", "ProjectError", "ProjectSummary", "accessible_projects",
    "archive_project", "backup_dir",
    "backup_project", "check_name", "copy_codebook", "create_project", "delete_project",
    "describe_project", "list_projects", "project_summary", "rename_project", "require_create",
    "restore_project", "unarchive_project",
]
