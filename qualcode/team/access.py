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
    """The write gate, called by ``changelog.log`` before every change is recorded."""
    if entity == "account" and action in SELF_ACCOUNT_ACTIONS and detail.get("name", name) == name:
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
    """Refuse whole-database operations (backup, restore, history) to all but owners.

    ``actor`` defaults to ``QUALCODE_USER`` or the OS user. A database from before accounts
    existed (no ``account`` table yet) is single-user.
    """
    from sqlalchemy import inspect

    with db.engine.connect() as conn:
        if "account" not in inspect(conn).get_table_names():
            return
    with db.session() as s:
        require_owner(s, actor)


def require_owner(session: Session, actor: str | None) -> None:
    """:func:`require_manager` inside a caller's session (the default project)."""
    pid = session.scalar(select(Project.id).order_by(Project.id).limit(1))
    require(session, pid, actor or default_actor(), "manage")


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
