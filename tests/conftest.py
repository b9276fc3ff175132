"""Shared fixtures: real SQLite files, a real PostgreSQL schema per test, shared fixture files.

PostgreSQL comes from QUALCODE_TEST_POSTGRES_URL. Without it the PostgreSQL half of the storage
tests is skipped on a developer's machine, but under CI=true a missing or unreachable server
fails the run: CI must prove both engines.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from qualcode.store.db import Database

ROOT = Path(__file__).resolve().parent.parent
SHARED_FIXTURES = ROOT.parent / "shared" / "fixtures"
IN_CI = os.environ.get("CI", "").lower() == "true"
POSTGRES_URL = os.environ.get("QUALCODE_TEST_POSTGRES_URL")


def shared_fixture(relative: str) -> Path:
    """Path of a file in ../shared/fixtures: fail under CI when missing, else skip."""
    path = SHARED_FIXTURES / relative
    if not path.exists():
        message = f"shared fixture {path} is missing (../shared must sit beside the checkout)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


def _postgres_available() -> str | None:
    """None when usable, else the reason it is not."""
    if not POSTGRES_URL:
        return "QUALCODE_TEST_POSTGRES_URL is not set"
    try:
        engine = create_engine(POSTGRES_URL)
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
    except Exception as exc:  # any driver error means "not reachable"
        return f"PostgreSQL at {POSTGRES_URL} is unreachable: {exc}"
    return None


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The server URL, or a skip (a failure under CI=true)."""
    reason = _postgres_available()
    if reason:
        if IN_CI:
            pytest.fail(f"{reason}; CI must test PostgreSQL")
        pytest.skip(reason)
    return POSTGRES_URL


@pytest.fixture
def postgres_schema_url(postgres_url):
    """A URL whose search_path is a fresh schema, dropped after the test."""
    schema = "qc_test_" + uuid.uuid4().hex[:12]
    admin = create_engine(postgres_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in postgres_url else "?"
    yield f"{postgres_url}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def sqlite_path(tmp_path) -> Path:
    return tmp_path / "project.db"


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request, tmp_path) -> str:
    """A fresh database URL on each engine (the storage tests run on both)."""
    if request.param == "sqlite":
        return str(tmp_path / "project.db")
    return request.getfixturevalue("postgres_schema_url")


@pytest.fixture
def db(db_url):
    """A fresh, migrated database on each engine."""
    database = Database(db_url)
    yield database
    database.close()


@pytest.fixture(scope="session")
def sample_db_file(tmp_path_factory) -> Path:
    """An SQLite file with the sample project loaded once per test session (copy before writing)."""
    from qualcode.project.sample import load_sample

    path = tmp_path_factory.mktemp("sample") / "sample.db"
    database = Database(path)
    result = load_sample(database)
    database.close()
    assert not result.errors, result.errors
    return path


@pytest.fixture
def sample_db(sample_db_file, tmp_path):
    """A private copy of the sample project database."""
    target = tmp_path / "sample.db"
    shutil.copy(sample_db_file, target)
    database = Database(target)
    yield database
    database.close()
