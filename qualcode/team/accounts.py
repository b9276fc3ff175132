"""Local accounts: argon2id password hashes, project roles and expiring login sessions.

A database with no account runs in single-user mode (no login; the laptop default). The first
account is made from the command line (``qualcode user add NAME --role admin``); from then on
the app asks everyone to log in. Passwords are hashed with argon2id (argon2-cffi, the
reference implementation's bindings) and never stored or logged; a login returns a random
token whose SHA-256 alone is kept, so a stolen database copy holds no usable session.

Sessions end on logout, password change or disabling, after ``QUALCODE_SESSION_MINUTES`` idle
minutes (default 480) and after ``MAX_SESSION_DAYS`` in any case. The app keeps the token in the
tab and in a session cookie (``qualcode.ui.session_cookie``; :func:`session_info` gives its
lifetime), so a reload stays signed in. Repeated wrong passwords lock the account for a while.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from qualcode.team.access import (
    has_accounts,
    require,
    require_account_manager,
    require_admin,
)
from qualcode.team.changelog import default_actor, log
from qualcode.store.db import Database, ProjectNeeded, retrying
from qualcode.store.models import Account, LoginSession, Membership, Project, utcnow

#: Per-project roles, most powerful first (see ``qualcode.team.access`` for what each may do).
ROLES = ("owner", "coder", "viewer")
#: ``--role`` values of ``qualcode user add``: a project role, or admin (owner of every project).
ACCOUNT_ROLES = ("admin", *ROLES)
MIN_PASSWORD = 8
MAX_PASSWORD = 1024  # argon2 takes any length; a cap stops a megabyte "password" eating CPU
SESSION_ENV = "QUALCODE_SESSION_MINUTES"
DEFAULT_SESSION_MINUTES = 480
MAX_SESSION_DAYS = 7
#: Wrong passwords in a row before the account is locked, and for how long.
LOCK_AFTER = 5
LOCK_MINUTES = 5
#: What every refused login reads, whatever the reason.
REFUSED = (f"wrong account name or password (after {LOCK_AFTER} wrong passwords an account is locked "
           f"for {LOCK_MINUTES} minutes; try again later or ask an admin)")
# A last_seen write on every Streamlit rerun would be a write per click; once a minute is enough.
_TOUCH_EVERY = timedelta(seconds=60)
#: Longest token :func:`session_info` looks up (``login`` makes 43-character ones).
MAX_TOKEN = 200

_hasher = PasswordHasher()  # argon2id with argon2-cffi's RFC 9106 low-memory defaults
# Verified against when the name is unknown, so a wrong name costs as long as a wrong password
# and login timing does not tell which account names exist.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


class AccountError(ValueError):
    """An account request that cannot be carried out; the message says what to do."""


class LoginFailed(AccountError):
    """Wrong name or password, a disabled account, or one locked after too many attempts."""


@dataclass(frozen=True)
class AccountView:
    name: str
    role: str | None  # role in the chosen project ("admin" for admins), None when not a member
    disabled: bool
    created_at: datetime
    #: project name → role, in every project the account belongs to (admins: none listed)
    projects: dict[str, str] | None = None

    def as_dict(self) -> dict:
        out = {"name": self.name, "role": self.role, "disabled": self.disabled,
               "created_at": self.created_at.isoformat()}
        if self.projects is not None:
            out["projects"] = self.projects
        return out


def session_minutes() -> int:
    """Idle minutes after which a login session ends (``QUALCODE_SESSION_MINUTES``)."""
    raw = os.environ.get(SESSION_ENV, "")
    try:
        minutes = int(raw) if raw else DEFAULT_SESSION_MINUTES
    except ValueError:
        raise AccountError(f"{SESSION_ENV}={raw!r} is not a whole number of minutes") from None
    if minutes <= 0:
        raise AccountError(f"{SESSION_ENV} must be at least 1 (minutes)")
    return minutes


def _aware(moment: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes even for timezone=True columns; they were stored as UTC.
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def _check_name(name: str) -> str:
    clean = (name or "").strip()
    if not clean:
        raise AccountError("an account needs a name")
    if len(clean) > 200 or any(ord(c) < 32 for c in clean):
        raise AccountError(f"{clean[:40]!r} is not a usable account name (at most 200 "
                           "printable characters)")
    return clean


def _check_password(password: str) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise AccountError(f"a password needs at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"a password may have at most {MAX_PASSWORD} characters")
    return password


def _account(session: Session, name: str) -> Account:
    account = session.scalar(select(Account).where(Account.name == name))
    if account is None:
        known = ", ".join(session.scalars(select(Account.name).order_by(Account.name))) or "none"
        raise AccountError(f"no account named {name!r} (accounts: {known})")
    return account


def _chosen_project(db: Database, session: Session) -> int | None:
    """The project the call works on, or None when several exist and none was chosen."""
    try:
        return db.project_id(session)
    except ProjectNeeded:
        return None


def _set_role(session: Session, project_id: int | None, account: Account, role: str) -> None:
    if role == "admin":
        account.is_admin = True
        role = "owner"
    if project_id is None:
        if role == "owner" and account.is_admin:
            return  # an admin owns every project; no membership needed
        raise AccountError("choose the project this role is for (--project NAME)")
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}; choose one of {', '.join(ACCOUNT_ROLES)}")
    member = session.get(Membership, (project_id, account.id))
    if member is None:
        session.add(Membership(project_id=project_id, account_id=account.id, role=role))
    else:
        member.role = role


@retrying
def add_account(db: Database, name: str, password: str, *, role: str, actor: str | None = None) -> AccountView:
    """Create an account with a role in the chosen project (``admin`` = owner everywhere).

    Accounts are server-wide (one password per person); the role is in ``db``'s project (an
    admin needs none, so ``admin`` works with several projects and none chosen). Owners of the
    project may add accounts to it; only an admin makes an admin. The first account turns
    single-user mode off: from then on everybody logs in. Its actor in the change log is the
    account itself when nobody else is named.
    """
    name = _check_name(name)
    _check_password(password)
    if role not in ACCOUNT_ROLES:
        raise AccountError(f"unknown role {role!r}; choose one of {', '.join(ACCOUNT_ROLES)}")
    digest = _hasher.hash(password)
    with db.session() as s:
        pid = _chosen_project(db, s) if role == "admin" else db.project_id(s)
        first = not has_accounts(s)
        if not first:
            who = actor or default_actor()
            require(s, pid, who, "manage")
            if role == "admin":
                require_admin(s, who, "make an admin (an owner of every project)")
        if first and role not in ("admin", "owner"):
            raise AccountError("the first account must be an admin or owner, or nobody could "
                               "manage the project: use --role admin")
        if s.scalar(select(Account.id).where(Account.name == name)) is not None:
            raise AccountError(f"an account named {name!r} already exists; "
                               "`qualcode user passwd` changes its password")
        account = Account(name=name, password_hash=digest, is_admin=False, disabled=False)
        s.add(account)
        s.flush()
        _set_role(s, pid, account, role)
        s.info.pop("qualcode_actors", None)  # single-user mode ends in this transaction
        # The first account vouches for itself; later ones need an owner or admin to act.
        log(s, project_id=pid, actor=name if first else actor, action="create", entity="account",
            entity_id=account.id, name=name, role=role)
        return AccountView(name, role, False, _aware(account.created_at))


def list_accounts(db: Database, *, all_projects: bool = False) -> list[AccountView]:
    """Every account with its role in the chosen project.

    ``all_projects`` (or several projects and none chosen): ``role`` is None and ``projects``
    gives each account's role in every project it belongs to.
    """
    with db.session() as s:
        pid = None if all_projects else _chosen_project(db, s)
        if pid is None:
            names = dict(s.execute(select(Project.id, Project.name)).all())
            per: dict[int, dict[str, str]] = {}
            for aid, project, role in s.execute(select(Membership.account_id, Membership.project_id,
                                                       Membership.role)):
                per.setdefault(aid, {})[names[project]] = role
            return [AccountView(a.name, "admin" if a.is_admin else None, a.disabled,
                                _aware(a.created_at), dict(sorted(per.get(a.id, {}).items())))
                    for a in s.scalars(select(Account).order_by(Account.name))]
        roles = dict(s.execute(select(Membership.account_id, Membership.role)
                               .where(Membership.project_id == pid)).all())
        return [AccountView(a.name, "admin" if a.is_admin else roles.get(a.id), a.disabled,
                            _aware(a.created_at))
                for a in s.scalars(select(Account).order_by(Account.name))]


@retrying
def set_role(db: Database, name: str, role: str | None, *, actor: str | None = None) -> None:
    """Give an account a role in the chosen project; ``None`` removes it from the project.

    The project's owners (and admins) may; making or unmaking an admin (owner of every
    project) is for admins only.
    """
    with db.session() as s:
        pid = _chosen_project(db, s) if role == "admin" else db.project_id(s)
        who = actor or default_actor()
        # Checked before the change: the log gate runs after it and would see the new role.
        require(s, pid, who, "manage")
        account = _account(s, name)
        was_admin = bool(account.is_admin)
        if (role == "admin") != was_admin and (role is not None or was_admin):
            require_admin(s, who, "make or unmake an admin (an owner of every project)")
        if role is None:
            if pid is None:
                raise AccountError("choose the project to remove them from (--project NAME)")
            s.execute(delete(Membership).where(Membership.project_id == pid,
                                               Membership.account_id == account.id))
            if was_admin:  # "none" in a project: no longer an owner of every project
                account.is_admin = False
        else:
            if role != "admin" and account.is_admin:
                account.is_admin = False
            _set_role(s, pid, account, role)
        _keep_owners(s, account, was_admin, pid)
        log(s, project_id=pid, actor=actor, action="set_role", entity="account",
            entity_id=account.id, name=name, role=role)


def _keep_owners(session: Session, account: Account, was_admin: bool, project_id: int | None) -> None:
    """Every project this change could leave ownerless still has an active owner or admin:
    all of them when an admin stopped being one, else ``project_id`` and the projects the
    account owned."""
    session.flush()
    if was_admin and not (account.is_admin and not account.disabled):
        affected = set(session.scalars(select(Project.id)))
    else:
        affected = set(session.scalars(select(Membership.project_id).where(
            Membership.account_id == account.id, Membership.role == "owner")))
        if project_id is not None:
            affected.add(project_id)
    for pid in sorted(affected):
        _keep_an_owner(session, pid)


def _keep_an_owner(session: Session, project_id: int) -> None:
    session.flush()
    owners = session.scalar(
        select(Account.id).outerjoin(Membership, (Membership.account_id == Account.id)
                                     & (Membership.project_id == project_id))
        .where(Account.disabled.is_(False),
               (Account.is_admin.is_(True)) | (Membership.role == "owner")).limit(1))
    if owners is None:
        project = session.get(Project, project_id)
        which = f"project {project.name!r}" if project is not None else "the project"
        raise AccountError(f"that would leave {which} with no active owner or admin; "
                           "give someone else the owner role first")


@retrying
def set_password(db: Database, name: str, password: str, *, actor: str | None = None) -> None:
    """Replace an account's password; its open login sessions end (they log in again)."""
    _check_password(password)
    digest = _hasher.hash(password)
    with db.session() as s:
        account = _account(s, name)
        account.password_hash = digest
        account.failed_logins = 0
        account.locked_until = None
        s.execute(delete(LoginSession).where(LoginSession.account_id == account.id))
        # Server-wide: the gate lets the account itself, an admin, or an owner of every project
        # the account belongs to (access.require_account_manager).
        log(s, project_id=_chosen_project(db, s), actor=actor, action="set_password",
            entity="account", entity_id=account.id, name=name)


def change_own_password(db: Database, name: str, current: str, new: str) -> None:
    """A signed-in user replaces their own password after proving they know the current one."""
    with db.session() as s:
        stored = s.scalar(select(Account.password_hash).where(Account.name == name))
    try:
        ok = stored is not None and _hasher.verify(stored, current if isinstance(current, str) else "")
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok:
        raise AccountError("the current password is wrong; nothing was changed")
    set_password(db, name, new, actor=name)


@retrying
def set_disabled(db: Database, name: str, disabled: bool, *, actor: str | None = None) -> None:
    """Disable an account (it can no longer log in; its codings stay) or enable it again."""
    with db.session() as s:
        pid = _chosen_project(db, s)
        # Checked before the change (the gate checks again): the account is server-wide.
        require_account_manager(s, actor, name)
        account = _account(s, name)
        account.disabled = disabled
        if disabled:
            s.execute(delete(LoginSession).where(LoginSession.account_id == account.id))
            _keep_owners(s, account, bool(account.is_admin), pid)
        log(s, project_id=pid, actor=actor, action="disable" if disabled else "enable",
            entity="account", entity_id=account.id, name=name)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def login(db: Database, name: str, password: str, *, now: datetime | None = None) -> str:
    """Check a name and password; returns a new session token, or raises :class:`LoginFailed`.

    Wrong passwords are counted; after ``LOCK_AFTER`` in a row the account refuses logins for
    ``LOCK_MINUTES`` minutes. Every refusal reads :data:`REFUSED` and costs one argon2
    verification, so a stranger cannot tell a locked account from an unknown name. Failed and
    successful logins are written to the change log.
    """
    now = now or utcnow()
    # One message and one password verification for every refusal (unknown name, wrong
    # password, locked, disabled), so neither the text nor the timing says whether a name exists.
    refused = LoginFailed(REFUSED)
    password = password if isinstance(password, str) else ""
    with db.session() as s:
        account = s.scalar(select(Account).where(Account.name == (name or "").strip()))
        if account is None or len(password) > MAX_PASSWORD:
            try:
                _hasher.verify(_DUMMY_HASH, password[:MAX_PASSWORD])
            except VerificationError:
                pass
            raise refused
        locked = _aware(account.locked_until)
        if locked is not None and locked > now:
            try:
                _hasher.verify(account.password_hash, password)
            except (VerificationError, InvalidHashError):
                pass
            raise refused
        try:
            ok = _hasher.verify(account.password_hash, password)
        except (VerificationError, InvalidHashError):
            ok = False
        if not ok or account.disabled:
            if not ok:
                account.failed_logins += 1
                if account.failed_logins >= LOCK_AFTER:
                    account.locked_until = now + timedelta(minutes=LOCK_MINUTES)
                    account.failed_logins = 0
            log(s, project_id=None, actor=account.name, action="login_failed", entity="account",
                entity_id=account.id, reason="disabled" if ok else "password")
            failure = refused
        else:
            failure = None
            if _hasher.check_needs_rehash(account.password_hash):
                account.password_hash = _hasher.hash(password)
            account.failed_logins = 0
            account.locked_until = None
            token = secrets.token_urlsafe(32)
            s.add(LoginSession(token_hash=_token_hash(token), account_id=account.id,
                               created_at=now, last_seen=now))
            # Expired sessions of anybody are cleared here rather than by a background job.
            s.execute(delete(LoginSession).where(
                LoginSession.last_seen < now - timedelta(minutes=session_minutes())))
            log(s, project_id=None, actor=account.name, action="login", entity="account",
                entity_id=account.id)
    # Raised after the block so the failure count above is committed, not rolled back.
    if failure is not None:
        raise failure
    return token


@dataclass(frozen=True)
class SessionInfo:
    """A valid login session: whose it is and how long the browser may keep its cookie."""

    name: str
    #: When the session ends unless it is used again: the idle limit after its last use, or the
    #: ``MAX_SESSION_DAYS`` cap, whichever comes first.
    expires_at: datetime
    #: Seconds from the last recorded use to ``expires_at``: the session cookie's Max-Age. It
    #: changes only when ``last_seen`` moves (at most once a minute), so the page re-sends the
    #: cookie at most once a minute; it may outlive the session by that minute, never longer,
    #: and the server refuses it anyway.
    max_age: int


def session_info(db: Database, token: str | None, *, now: datetime | None = None) -> SessionInfo | None:
    """The session a token belongs to, or None when it is unknown, expired or malformed.

    A valid session's ``last_seen`` moves forward (at most once a minute), so only idle time
    counts toward the expiry; ``MAX_SESSION_DAYS`` bounds a session however busy it is. An
    expired session's row is deleted here.
    """
    if not token or not isinstance(token, str) or len(token) > MAX_TOKEN:
        return None  # a login token is 43 characters; anything longer came from somewhere else
    now = now or utcnow()
    idle_limit = timedelta(minutes=session_minutes())
    with db.session() as s:
        row = s.scalar(select(LoginSession).where(LoginSession.token_hash == _token_hash(token)))
        if row is None:
            return None
        account = s.get(Account, row.account_id)
        last_seen = _aware(row.last_seen)
        cap = _aware(row.created_at) + timedelta(days=MAX_SESSION_DAYS)
        if account is None or account.disabled or now - last_seen > idle_limit or now > cap:
            s.delete(row)
            return None
        if now - last_seen > _TOUCH_EVERY:
            row.last_seen = last_seen = now
        expires_at = min(last_seen + idle_limit, cap)
        return SessionInfo(account.name, expires_at,
                           max(0, int((expires_at - last_seen).total_seconds())))


def session_user(db: Database, token: str | None, *, now: datetime | None = None) -> str | None:
    """The account name a session token belongs to, or None when it is unknown or expired
    (see :func:`session_info`)."""
    info = session_info(db, token, now=now)
    return info.name if info is not None else None


def logout(db: Database, token: str | None) -> None:
    """End a login session (nothing happens for an unknown token)."""
    if not token:
        return
    with db.session() as s:
        s.execute(delete(LoginSession).where(LoginSession.token_hash == _token_hash(token)))
