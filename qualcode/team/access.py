"""Who may do what: the acting user's role, checked inside the library, not only in the UI.

Single-user mode (no account in the database): whoever runs qualcode may do everything, as on
a laptop; blind coding still hides other coders' codings from a named viewer.

With accounts every call names its acting user (an account name) and the role decides:

========  =====================================================================================
owner     everything: documents, attributes, groups, settings, members, any coding, codebook
coder     reads and exports; codes, changing only their own codings; edits the codebook only
          when the owner allows it (``Project.coders_edit_codebook``)
viewer    reads and exports
========  =====================================================================================

An admin account is owner of every project. Writes are checked at one gate that no change can
avoid: every change is written to the change log in its own transaction, and
``qualcode.team.changelog.log`` calls :func:`authorize` first, so a refused change rolls back whole.
Reads call :func:`visibility` (membership and blind coding: the one rule for every read path).
Roles are per project (``membership``); accounts are server-wide. An archived project is
read-only: the gate refuses every change to it but unarchiving and deleting it.
The project settings that feed these rules are written by :mod:`qualcode.team.settings`.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from qualcode.store.models import Account, Coder, Coding, DocumentDone, Membership, Project

#: The permission each logged entity needs; anything not listed needs "manage" (fail closed).
ENTITY_PERMISSION = {
    "coding": "code",
    "codings": "code",
    "batch": "code",
    "edit": "read",  # undo/redo: the operations it replays are checked one by one
    "code": "codebook",
    "memo": "code",
}
#: Actions on a document that a coder may take (the rest, such as import, need "manage").
CODER_DOCUMENT_ACTIONS = {"mark_done", "unmark_done"}
#: Account actions anybody takes for themselves.
SELF_ACCOUNT_ACTIONS = {"login", "login_failed", "set_password"}


class AccessDenied(PermissionError):
    """The acting user's role does not allow this; the message names the role and what to do."""


class ProjectArchived(AccessDenied):
    """The project is archived (read-only); an owner unarchives it to change anything."""


#: What may still happen to an archived project (everything else is refused at the write gate).
ARCHIVED_ACTIONS = {("project", "unarchive"), ("project", "delete")}
#: Account changes that reach beyond one project (the account is server-wide): an admin, or an
#: owner of every project the account belongs to, may make them for someone else.
ACCOUNT_WIDE_ACTIONS = {"set_password", "disable", "enable"}


@dataclass(frozen=True)
class Actor:
    """The acting user as the library sees them."""

    name: str
    role: str  # owner, coder or viewer
    single_user: bool = False  # no accounts: nothing is restricted
    can_edit_codebook: bool = False

    def allows(self, permission: str) -> bool:
        if self.single_user or self.role == "owner":
            return True
        if permission == "read":
            return True
        if permission == "code":
            return self.role == "coder"
        if permission == "codebook":
            return self.role == "coder" and self.can_edit_codebook
        return False


_WHAT = {"code": "code documents", "codebook": "change the codebook",
         "manage": "manage the project (documents, attributes, groups, settings, accounts)",
         "read": "open this project"}


def default_actor() -> str:
    """Who is acting when no coder or account is named: ``QUALCODE_USER`` or the OS user."""
    try:
        return os.environ.get("QUALCODE_USER") or getpass.getuser()
    except Exception:  # no user name on some containers
        return "unknown"


def has_accounts(session: Session) -> bool:
    """True once any account exists: the app then requires a login and roles apply."""
    return session.scalar(select(Account.id).limit(1)) is not None


def actor(session: Session, project_id: int | None, name: str | None) -> Actor:
    """Resolve ``name`` to an :class:`Actor` (cached for the session's transaction).

    Raises :class:`AccessDenied` when the database has accounts and ``name`` is missing, not an
    active account, or not a member of the project.
    """
    cache = session.info.setdefault("qualcode_actors", {})
    key = (project_id, name)
    if key in cache:
        return cache[key]
    if not has_accounts(session):
        found = Actor(name or "", "owner", single_user=True, can_edit_codebook=True)
        cache[key] = found  # accounts.add_account clears the cache when it adds the first one
        return found
    if not name:
        raise AccessDenied("this database has accounts: log in, or name the acting account "
                           "(QUALCODE_USER=NAME for the command line)")
    account = session.scalar(select(Account).where(Account.name == name))
    if account is None or account.disabled:
        state = "is disabled" if account is not None else "does not exist"
        raise AccessDenied(f"account {name!r} {state}; set QUALCODE_USER to your account name "
                           "or ask an admin (`qualcode user list`)")
    project = session.get(Project, project_id) if project_id is not None else None
    if account.is_admin:
        role = "owner"
    elif project_id is None:
        role = "viewer"
    else:
        role = session.scalar(select(Membership.role).where(Membership.project_id == project_id,
                                                            Membership.account_id == account.id))
        if role is None:
            raise AccessDenied(f"account {name!r} is not a member of this project; an owner can "
                               f"add them with `qualcode user role {name} coder`")
    found = Actor(name, role, can_edit_codebook=bool(project and project.coders_edit_codebook))
    cache[key] = found
    return found


def require(session: Session, project_id: int | None, name: str | None, permission: str) -> Actor:
    """The actor, if their role allows ``permission`` (read, code, codebook, manage)."""
    who = actor(session, project_id, name)
    if not who.allows(permission):
        extra = (" (the owner has not allowed coders to edit it)"
                 if permission == "codebook" and who.role == "coder" else "")
        raise AccessDenied(f"{who.name!r} is a {who.role} in this project and may not "
                           f"{_WHAT.get(permission, permission)}{extra}")
    return who


def reader(session: Session, project_id: int, name: str | None) -> Actor:
    """The actor for a read (any member may read; with accounts a name is required)."""
    return require(session, project_id, name, "read")


def authorize(session: Session, project_id: int | None, name: str | None, action: str,
              entity: str, detail: dict) -> None:
    """The write gate, called by ``changelog.log`` before every change is recorded.

    An archived project is read-only: every change to it is refused here (``ProjectArchived``)
    except unarchiving and deleting it; accounts are server-wide and are not held by it.
    """
    if entity == "account" and action in SELF_ACCOUNT_ACTIONS and detail.get("name", name) == name:
        return
    if entity != "account" and project_id is not None:
        project = session.get(Project, project_id)
        if project is not None and project.archived and (entity, action) not in ARCHIVED_ACTIONS:
            raise ProjectArchived(
                f"project {project.name!r} is archived, so it is read-only; an owner can "
                f"unarchive it (`qualcode project unarchive {project.name}`, or the Projects page) "
                "to change it")
    if entity == "account" and action in ACCOUNT_WIDE_ACTIONS:
        require_account_manager(session, name, detail.get("name"))
        return
    if entity == "coder":
        # A coder row is only ever made as part of recording a coding, which is checked on
        # its own (and logs under the coder's name, who need not be an account: "consensus",
        # or a colleague's codings an owner imports).
        return
    if entity == "document" and action in CODER_DOCUMENT_ACTIONS:
        permission = "code"
    else:
        permission = ENTITY_PERMISSION.get(entity, "manage")
    require(session, project_id, name, permission)


def check_coding_owner(session: Session, project_id: int, name: str | None, coder: str) -> None:
    """A coder may create or change only their own codings; owners may act for anyone."""
    who = require(session, project_id, name, "code")
    if not who.single_user and who.role != "owner" and coder != who.name:
        raise AccessDenied(f"{who.name!r} may change only their own codings, not {coder!r}'s")


def require_manager(db, actor: str | None) -> None:
    """Refuse whole-database operations (backup, restore, the whole change log) to all but
    those who manage every project in it: admins (or an owner of every project).

    ``actor`` defaults to ``QUALCODE_USER`` or the OS user. A database from before accounts
    existed (no ``account`` table yet) is single-user.
    """
    from sqlalchemy import inspect

    with db.engine.connect() as conn:
        if "account" not in inspect(conn).get_table_names():
            return
    with db.session() as s:
        require_owner(s, actor)


def require_owner(session: Session, actor: str | None, project_id: int | None = None) -> None:
    """The acting user manages ``project_id``; without one, every project in the database
    (:func:`require_manager` inside a caller's session). With one project that is its owner."""
    name = actor or default_actor()
    if project_id is not None:
        require(session, project_id, name, "manage")
        return
    if not has_accounts(session):
        return
    projects = session.execute(select(Project.id, Project.name).order_by(Project.id)).all()
    if not projects:
        require(session, None, name, "manage")
        return
    if len(projects) == 1:
        require(session, projects[0].id, name, "manage")
        return
    others = []
    for pid, pname in projects:
        try:
            require(session, pid, name, "manage")
        except AccessDenied:
            others.append(pname)
    if others:
        raise AccessDenied(
            f"{name!r} does not own every project in this database (not: "
            f"{', '.join(map(repr, others[:5]))}{'…' if len(others) > 5 else ''}), and this "
            "covers the whole database; an admin can do it, or choose one project "
            "(--project NAME) for what an owner may do there")


def is_admin(session: Session, name: str | None) -> bool:
    """Whether ``name`` is an active admin account (an owner of every project)."""
    if not name:
        return False
    return bool(session.scalar(select(Account.is_admin).where(Account.name == name,
                                                              Account.disabled.is_(False))))


def require_admin(session: Session, actor: str | None, what: str) -> None:
    """Only an admin may do ``what`` (in single-user mode anyone)."""
    name = actor or default_actor()
    if has_accounts(session) and not is_admin(session, name):
        raise AccessDenied(f"only an admin may {what}; {name!r} is not one")


def require_account_manager(session: Session, actor: str | None, account_name: str | None) -> None:
    """Someone else's password, or disabling or enabling them, reaches every project they are in
    (accounts are server-wide): an admin may, or an owner of every project the account belongs
    to. Nobody but an admin changes an admin."""
    name = actor or default_actor()
    if not has_accounts(session) or is_admin(session, name):
        return
    target = session.scalar(select(Account).where(Account.name == account_name))
    if target is None:
        require(session, None, name, "manage")  # nobody to protect; only admins act on no one
        return
    if target.is_admin:
        raise AccessDenied(f"{account_name!r} is an admin; only an admin changes an admin's "
                           "account")
    projects = session.scalars(select(Membership.project_id)
                               .where(Membership.account_id == target.id)).all()
    if not projects:
        raise AccessDenied(f"{account_name!r} belongs to no project of yours; ask an admin")
    for pid in projects:
        try:
            require(session, pid, name, "manage")
        except AccessDenied:
            raise AccessDenied(
                f"{account_name!r} also works in a project {name!r} does not own; their "
                "password and whether they may log in are for an admin (or an owner of every "
                "project they are in) to change") from None


def memberships(session: Session, name: str | None) -> dict[int, str]:
    """Project id → role of account ``name`` (an admin: owner of every project; single-user
    mode or no name with no accounts: owner of every project)."""
    ids = session.scalars(select(Project.id)).all()
    if not has_accounts(session) or is_admin(session, name):
        return {pid: "owner" for pid in ids}
    if not name:
        return {}
    return dict(session.execute(
        select(Membership.project_id, Membership.role).join(Account, Account.id == Membership.account_id)
        .where(Account.name == name, Account.disabled.is_(False))).all())


@dataclass(frozen=True)
class Visibility:
    """Whose codings a reader may see, the same rule for every page, export and statistic.

    ``everything``: no restriction (blind coding off, or a single-user caller who named nobody).
    Otherwise (blind coding on) the reader sees their own codings (``own``, a coder id or None
    when they never coded) and everyone's on the documents they marked done (``done``).
    """

    everything: bool
    own: int | None = None
    done: frozenset[int] = frozenset()

    def sees(self, document_id: int, coder_id: int) -> bool:
        return self.everything or coder_id == self.own or document_id in self.done

    def clause(self):
        """A SQL condition on ``Coding`` that keeps only the visible rows (None: keep all)."""
        if self.everything:
            return None
        own = Coding.coder_id == self.own if self.own is not None else None
        done = Coding.document_id.in_(sorted(self.done)) if self.done else None
        parts = [p for p in (own, done) if p is not None]
        if not parts:
            return Coding.id.is_(None)  # sees nothing
        return parts[0] if len(parts) == 1 else (parts[0] | parts[1])


def visibility(session: Session, project_id: int, viewer: str | None) -> Visibility:
    """Check that ``viewer`` may read the project and say whose codings they may see.

    This is the one blind-coding rule; every read path asks it (the workspace, codings lists,
    the analysis loader, REFI export, coder lists, agreement and adjudication):

    - blind coding off: everybody who may read sees every coding;
    - blind coding on, a named viewer: their own codings, plus everyone's on the documents they
      marked done; a name that never coded (a viewer, a newcomer) sees nothing (fail closed);
    - no viewer named, with accounts: refused (:class:`AccessDenied`, via :func:`reader`), so a
      page or command that forgets to say who is reading fails closed;
    - no viewer named, single-user mode (no accounts): the reader is whoever owns the database
      file — the command line without ``QUALCODE_USER``, a notebook — and sees everything, blind
      coding or not, as they could by opening the file. The app never reads as nobody: the
      workspace shows nothing until a coder is chosen, and with accounts it reads as the
      logged-in account.
    """
    who = reader(session, project_id, viewer)
    project = session.get(Project, project_id)
    if not project.blind_coding or (who.single_user and not viewer):
        return Visibility(True)
    own = session.scalar(select(Coder.id).where(Coder.project_id == project_id, Coder.name == viewer))
    done = frozenset(session.scalars(select(DocumentDone.document_id)
                                     .where(DocumentDone.coder_id == own)).all()) if own else frozenset()
    return Visibility(False, own, done)


def require_unblinded(session: Session, project_id: int, viewer: str | None, what: str) -> None:
    """Refuse ``what`` (e.g. agreement between coders) while blind coding hides codings."""
    if not visibility(session, project_id, viewer).everything:
        raise AccessDenied(f"blind coding is on, so {what} would show other coders' codings; "
                           "when every coder has finished, an owner turns blind coding off")
