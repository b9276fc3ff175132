"""Accounts: argon2id hashes, logins, lockout, expiring sessions, the ``qualcode user`` commands."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner
from sqlalchemy import inspect, select, text, update

from qualcode.team import accounts
from qualcode.team.access import AccessDenied
from qualcode.team.accounts import AccountError, LoginFailed
from qualcode.cli import main as cli
from qualcode.store.db import Database
from qualcode.store.models import Account, ChangeLog, LoginSession, utcnow

PW = "correct horse battery"


@pytest.fixture
def team(db):
    """alice (admin), bob (coder), vic (viewer)."""
    accounts.add_account(db, "alice", PW, role="admin")
    accounts.add_account(db, "bob", PW + "b", role="coder", actor="alice")
    accounts.add_account(db, "vic", PW + "v", role="viewer", actor="alice")
    return db


def _dump(db: Database) -> str:
    """Every text value in every table: a password must appear nowhere."""
    out = []
    with db.engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            out += [str(v) for row in conn.execute(text(f'SELECT * FROM "{table}"')) for v in row]
    return "\n".join(out)


def test_passwords_are_stored_as_argon2id_hashes_only(team):
    with team.session() as s:
        stored = s.scalar(select(Account.password_hash).where(Account.name == "alice"))
    assert stored.startswith("$argon2id$")
    PasswordHasher().verify(stored, PW)  # an independent verifier accepts it
    token = accounts.login(team, "alice", PW)
    dump = _dump(team)
    assert PW not in dump and token not in dump  # only the token's SHA-256 is kept


def test_login_gives_a_session_that_names_the_account(team):
    token = accounts.login(team, "bob", PW + "b")
    assert accounts.session_user(team, token) == "bob"
    accounts.logout(team, token)
    assert accounts.session_user(team, token) is None


@pytest.mark.parametrize("name,password", [("bob", "wrong password"), ("nobody", PW), ("", "")])
def test_a_wrong_name_or_password_gives_one_message(team, name, password):
    with pytest.raises(LoginFailed) as refused:
        accounts.login(team, name, password)
    assert str(refused.value) == accounts.REFUSED and str(refused.value).startswith("wrong account name or password")


def test_repeated_wrong_passwords_lock_the_account_for_a_while(team):
    now = utcnow()
    for _ in range(accounts.LOCK_AFTER):
        with pytest.raises(LoginFailed):
            accounts.login(team, "bob", "not the password", now=now)
    with pytest.raises(LoginFailed) as locked:
        accounts.login(team, "bob", PW + "b", now=now + timedelta(minutes=1))  # right, but locked
    assert str(locked.value) == accounts.REFUSED  # the same words as for a name that does not exist
    later = now + timedelta(minutes=accounts.LOCK_MINUTES + 1)
    assert accounts.session_user(team, accounts.login(team, "bob", PW + "b", now=later), now=later) == "bob"
    with team.session() as s:
        actions = s.scalars(select(ChangeLog.action).where(ChangeLog.entity == "account")).all()
    assert actions.count("login_failed") == accounts.LOCK_AFTER and "login" in actions


def test_sessions_expire_after_idle_minutes_and_after_max_days(team, monkeypatch):
    monkeypatch.setenv(accounts.SESSION_ENV, "30")
    start = utcnow()
    token = accounts.login(team, "bob", PW + "b", now=start)
    # Active use keeps it alive past 30 minutes in all...
    for minutes in (20, 40, 60):
        assert accounts.session_user(team, token, now=start + timedelta(minutes=minutes)) == "bob"
    # ...but 31 idle minutes end it, and the row is gone.
    assert accounts.session_user(team, token, now=start + timedelta(minutes=60 + 31)) is None
    with team.session() as s:
        assert s.scalar(select(LoginSession.id)) is None
    # However busy, a session ends after MAX_SESSION_DAYS.
    token = accounts.login(team, "bob", PW + "b", now=start)
    t = start
    while t < start + timedelta(days=accounts.MAX_SESSION_DAYS - 1):
        t += timedelta(minutes=25)
        with team.session() as s:  # fast-forward "busy" without calling thousands of times
            s.execute(update(LoginSession).values(last_seen=t))
    assert accounts.session_user(team, token, now=start + timedelta(days=accounts.MAX_SESSION_DAYS, minutes=1)) is None


def test_a_bad_session_setting_is_a_clear_error(team, monkeypatch):
    monkeypatch.setenv(accounts.SESSION_ENV, "eight hours")
    with pytest.raises(AccountError, match="QUALCODE_SESSION_MINUTES='eight hours' is not a whole number"):
        accounts.login(team, "bob", PW + "b")


def test_disabling_an_account_ends_its_sessions_and_refuses_login(team):
    token = accounts.login(team, "bob", PW + "b")
    accounts.set_disabled(team, "bob", True, actor="alice")
    assert accounts.session_user(team, token) is None
    with pytest.raises(LoginFailed):
        accounts.login(team, "bob", PW + "b")
    accounts.set_disabled(team, "bob", False, actor="alice")
    assert accounts.session_user(team, accounts.login(team, "bob", PW + "b")) == "bob"


def test_a_new_password_ends_old_sessions(team):
    token = accounts.login(team, "bob", PW + "b")
    accounts.set_password(team, "bob", "a brand new one", actor="bob")  # people change their own
    assert accounts.session_user(team, token) is None
    with pytest.raises(LoginFailed):
        accounts.login(team, "bob", PW + "b")
    assert accounts.login(team, "bob", "a brand new one")


def test_only_owners_manage_accounts(team):
    with pytest.raises(AccessDenied, match="'bob' is a coder in this project and may not manage"):
        accounts.add_account(team, "mallory", PW, role="admin", actor="bob")
    with pytest.raises(AccessDenied):
        accounts.set_role(team, "bob", "owner", actor="bob")  # no promoting yourself
    with pytest.raises(AccessDenied):
        accounts.set_password(team, "alice", "taken over!", actor="bob")
    with pytest.raises(AccessDenied, match="does not exist"):
        accounts.add_account(team, "mallory", PW, role="coder", actor="mallory")
    assert [v.name for v in accounts.list_accounts(team)] == ["alice", "bob", "vic"]
    assert {v.name: v.role for v in accounts.list_accounts(team)} == {"alice": "admin", "bob": "coder", "vic": "viewer"}


def test_the_project_always_keeps_an_active_owner(team):
    with pytest.raises(AccountError, match="no active owner"):
        accounts.set_role(team, "alice", "coder", actor="alice")
    with pytest.raises(AccountError, match="no active owner"):
        accounts.set_disabled(team, "alice", True, actor="alice")
    accounts.set_role(team, "bob", "owner", actor="alice")
    accounts.set_role(team, "alice", "viewer", actor="alice")  # fine now: bob owns it
    assert {v.name: v.role for v in accounts.list_accounts(team)}["alice"] == "viewer"


@pytest.mark.parametrize("name,password,role,message", [
    ("", PW, "admin", "needs a name"),
    ("x", "short", "admin", "at least 8 characters"),
    ("x", "p" * 2000, "admin", "at most 1024"),
    ("x", PW, "boss", "unknown role 'boss'"),
    ("x", PW, "coder", "the first account must be an admin or owner"),
    ("tab\there", PW, "admin", "not a usable account name"),
])
def test_bad_account_input_is_refused_and_nothing_is_written(db, name, password, role, message):
    with pytest.raises(AccountError, match=message):
        accounts.add_account(db, name, password, role=role)
    with db.session() as s:
        assert s.scalar(select(Account.id)) is None


def test_duplicate_account_names_are_refused(team):
    with pytest.raises(AccountError, match="already exists"):
        accounts.add_account(team, "bob", PW, role="coder", actor="alice")


# -- the command line ------------------------------------------------------------------------


def test_user_add_reads_the_password_from_stdin_never_argv(tmp_path, monkeypatch):
    monkeypatch.delenv("QUALCODE_USER", raising=False)
    path = str(tmp_path / "p.db")
    runner = CliRunner()
    result = runner.invoke(cli, ["--db", path, "user", "add", "alice", "--role", "admin", "--password-stdin"],
                           input=PW + "\n")
    assert result.exit_code == 0, result.output
    assert "account alice created (admin)" in result.output
    # Later accounts need an owner acting: QUALCODE_USER names them.
    result = runner.invoke(cli, ["--db", path, "user", "add", "bob", "--role", "coder", "--password-stdin"],
                           input=PW + "\n", env={"QUALCODE_USER": "nobody"})
    assert result.exit_code == 1 and "account 'nobody' does not exist" in result.output
    result = runner.invoke(cli, ["--db", path, "user", "add", "bob", "--role", "coder"],
                           input=f"{PW}\n{PW}\n", env={"QUALCODE_USER": "alice"})  # typed twice
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["--db", path, "user", "list", "--json"], env={"QUALCODE_USER": "alice"})
    assert '"name": "bob"' in result.output and '"role": "coder"' in result.output
    db = Database(path)
    assert accounts.session_user(db, accounts.login(db, "bob", PW)) == "bob"
    db.close()


def test_user_commands_refuse_a_coder_with_a_clear_error(tmp_path):
    path = str(tmp_path / "p.db")
    runner = CliRunner()
    runner.invoke(cli, ["--db", path, "user", "add", "alice", "--role", "admin", "--password-stdin"], input=PW)
    runner.invoke(cli, ["--db", path, "user", "add", "bob", "--role", "coder", "--password-stdin"],
                  input=PW, env={"QUALCODE_USER": "alice"})
    result = runner.invoke(cli, ["--db", path, "user", "role", "bob", "owner"], env={"QUALCODE_USER": "bob"})
    assert result.exit_code == 1
    assert "Error: 'bob' is a coder in this project and may not manage" in result.output
    result = runner.invoke(cli, ["--db", path, "user", "passwd", "bob", "--password-stdin"],
                           input="short", env={"QUALCODE_USER": "bob"})
    assert result.exit_code == 1 and "at least 8 characters" in result.output


# -- the migration ---------------------------------------------------------------------------


def test_migration_0005_keeps_existing_codes_and_downgrades_cleanly(db_url):
    from alembic import command

    old = Database(db_url, migrate=False)
    with old.engine.begin() as conn:
        command.upgrade(old._alembic_config(conn), "0004")
    with old.engine.begin() as conn:
        conn.execute(text("INSERT INTO project (id, name, guid, blind_coding, created_at) "
                          "VALUES (1, 'p', 'g', false, '2026-01-01')"))
        conn.execute(text("INSERT INTO code (id, project_id, name, definition, use_when, "
                          "do_not_use_when, example, ordinal, guid) VALUES (1, 1, 'c', '', '', '', '', 0, 'gc')"))
    old.close()
    db = Database(db_url)
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT version FROM code")).scalar() == 1
        assert conn.execute(text("SELECT coders_edit_codebook FROM project")).scalar() in (False, 0)
    accounts.add_account(db, "alice", PW, role="admin")
    with db.engine.begin() as conn:
        command.downgrade(db._alembic_config(conn), "0004")
    assert not {"account", "membership", "login_session"} & set(inspect(db.engine).get_table_names())
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT name FROM code")).scalar() == "c"
    db.close()


def test_upgrading_a_real_project_to_0005_keeps_every_row(sample_db):
    """The whole sample project (codings, memos, participants...) survives 0004 → head."""
    from alembic import command

    def counts(db):
        with db.engine.connect() as conn:
            return {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar()
                    for t in inspect(conn).get_table_names()
                    if t not in ("alembic_version", "account", "membership", "login_session")}

    before = counts(sample_db)
    assert before["coding"] > 700 and before["document"] == 12
    with sample_db.engine.begin() as conn:
        command.downgrade(sample_db._alembic_config(conn), "0004")
    at_0004 = counts(sample_db)
    assert at_0004 == {t: n for t, n in before.items() if t in at_0004}  # later tables aside
    path = sample_db.path
    sample_db.close()
    db = Database(path)
    assert db.current_revision() == Database.head_revision() and db.backup_path is not None
    assert counts(db) == before
    db.close()


def test_the_command_line_reads_as_qualcode_user_and_blind_coding_holds(tmp_path):
    from qualcode.coding import editing
    from qualcode.team import settings
    from qualcode.project.documents import import_files

    path = tmp_path / "p.db"
    db = Database(path)
    import_files(db, [("int1.txt", b"Interviewer: Hello there.\nP1: The fees were far too high.\n")])
    from qualcode.coding.codebook_edit import create_code

    create_code(db, "Cost", actor="setup")
    editing.add(db, "int1", "Cost", "ana", 30, 34)
    editing.add(db, "int1", "Cost", "ben", 35, 51)
    settings.set_blind(db, True, actor="setup")
    accounts.add_account(db, "olga", PW, role="owner")
    accounts.add_account(db, "ana", PW, role="coder", actor="olga")
    db.close()
    runner = CliRunner()
    result = runner.invoke(cli, ["--db", str(path), "codings", "--json"], env={"QUALCODE_USER": "ana"})
    assert result.exit_code == 0, result.output
    assert '"coder": "ana"' in result.output and "ben" not in result.output
    result = runner.invoke(cli, ["--db", str(path), "stats", "frequencies", "--format", "json"],
                           env={"QUALCODE_USER": ""})
    assert result.exit_code == 1 and "this database has accounts" in result.output
    result = runner.invoke(cli, ["--db", str(path), "agreement", "--coders", "ana,ben"],
                           env={"QUALCODE_USER": "olga"})
    assert result.exit_code == 1 and "blind coding is on" in result.output


def test_people_change_their_own_password_only_with_the_current_one(team):
    token = accounts.login(team, "bob", PW + "b")
    with pytest.raises(AccountError, match="the current password is wrong"):
        accounts.change_own_password(team, "bob", "guess", "a new password")
    assert accounts.session_user(team, token) == "bob"  # a failed attempt changes nothing
    accounts.change_own_password(team, "bob", PW + "b", "a new password")
    assert accounts.session_user(team, token) is None
    assert accounts.login(team, "bob", "a new password")


def test_session_info_gives_the_cookie_lifetime_idle_limit_or_the_cap(team, monkeypatch):
    """The app's session cookie expires with the session: Max-Age is the idle limit after the
    last use, or what is left of MAX_SESSION_DAYS when that comes first."""
    monkeypatch.setenv(accounts.SESSION_ENV, "30")
    start = utcnow()
    token = accounts.login(team, "bob", PW + "b", now=start)
    info = accounts.session_info(team, token, now=start + timedelta(seconds=10))
    assert info.name == "bob" and info.max_age == 30 * 60
    assert info.expires_at == start + timedelta(minutes=30)
    # A use after more than a minute moves last_seen, and the lifetime with it.
    later = start + timedelta(minutes=20)
    info = accounts.session_info(team, token, now=later)
    assert info.max_age == 30 * 60 and info.expires_at == later + timedelta(minutes=30)
    # Near the cap the cap wins.
    near_cap = start + timedelta(days=accounts.MAX_SESSION_DAYS) - timedelta(minutes=10)
    with team.session() as s:
        s.execute(update(LoginSession).values(last_seen=near_cap - timedelta(minutes=5)))
    info = accounts.session_info(team, token, now=near_cap)
    assert info.expires_at == start + timedelta(days=accounts.MAX_SESSION_DAYS)
    assert info.max_age == 10 * 60


@pytest.mark.parametrize("token", ["", None, "x" * 43, "x" * 100_000, 42])
def test_unknown_malformed_or_overlong_tokens_are_refused(team, token):
    accounts.login(team, "bob", PW + "b")
    assert accounts.session_info(team, token) is None and accounts.session_user(team, token) is None


def test_logout_ends_only_that_session(team):
    one, two = accounts.login(team, "bob", PW + "b"), accounts.login(team, "bob", PW + "b")
    accounts.logout(team, one)
    assert accounts.session_user(team, one) is None and accounts.session_user(team, two) == "bob"
    accounts.logout(team, one)  # twice, or an unknown token: nothing happens
    accounts.logout(team, None)


def test_a_password_change_ends_every_session_of_the_account_and_only_its(team):
    """Every browser and tab of the account (each has a session cookie) is signed out."""
    bobs = [accounts.login(team, "bob", PW + "b") for _ in range(3)]
    alice = accounts.login(team, "alice", PW)
    accounts.change_own_password(team, "bob", PW + "b", "a new password")
    assert [accounts.session_user(team, t) for t in bobs] == [None, None, None]
    assert accounts.session_user(team, alice) == "alice"
    with team.session() as s:
        assert s.scalar(select(LoginSession.id).join(Account).where(Account.name == "bob")) is None
    # An admin setting it does the same.
    bobs = [accounts.login(team, "bob", "a new password") for _ in range(2)]
    accounts.set_password(team, "bob", "another new one", actor="alice")
    assert [accounts.session_user(team, t) for t in bobs] == [None, None]
    assert accounts.session_user(team, alice) == "alice"
