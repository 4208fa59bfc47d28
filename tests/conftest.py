"""Shared fixtures. Storage tests run on SQLite and PostgreSQL: the `database_url` fixture is
parametrised over both. PostgreSQL comes from CEBOT_TEST_POSTGRES_URL (default
postgresql://postgres@127.0.0.1:5432/postgres); when it is unreachable those tests are skipped
with the reason, unless CEBOT_REQUIRE_POSTGRES=1 (as in CI), when they fail."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from services.context import AppContext, utc_now
from services.pii import IdProtector
from services.policies import PolicyBook
from storage.db import Database
from storage.migrate import upgrade
from storage.models import Base
from tests.fault_ledger import faults, pytest_terminal_summary  # noqa: F401 (fixture, hook)

PG_ADMIN_URL = os.environ.get(
    "CEBOT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REQUIRE_PG = os.environ.get("CEBOT_REQUIRE_POSTGRES") == "1"
# Reading evidence (OCR) starts a process pool with the models: only the tests of that feature
# turn it on (monkeypatch.setenv("CEBOT_OCR", "on")); the others send files that are not
# certificates and test other things.
os.environ.setdefault("CEBOT_OCR", "off")
TEST_SECRET = b"test-secret-key-not-for-production"


def _pg_problem() -> str | None:
    try:
        engine = create_engine(make_url(PG_ADMIN_URL).set(drivername="postgresql+psycopg"))
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
    except Exception as exc:  # any failure means: no PostgreSQL for these tests
        return f"PostgreSQL unreachable at {PG_ADMIN_URL}: {type(exc).__name__}"
    return None


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file, copied for each test (migrating every time is slow)."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throw-away database for this test session, migrated once."""
    problem = _pg_problem()
    if problem:
        if REQUIRE_PG:
            pytest.fail(problem + " (CEBOT_REQUIRE_POSTGRES=1)")
        pytest.skip(problem)
    name = f"cebot_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(
        make_url(PG_ADMIN_URL).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_postgres(url: str) -> None:
    engine = create_engine(make_url(url).set(drivername="postgresql+psycopg"))
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        # TRUNCATE fires no row triggers, so the append-only audit log can be emptied here
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database of each kind."""
    if request.param == "sqlite":
        path = tmp_path / "cebot.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_url")
    _truncate_postgres(url)
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    """SQLite only, for tests that do not touch storage semantics."""
    path = tmp_path / "cebot.sqlite3"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def fixed_now() -> datetime:
    return datetime(2024, 11, 20, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, a Wednesday


def make_context(url: str, data_dir: Path, now: datetime | None = None) -> AppContext:
    return AppContext(
        db=Database(url),
        policies=PolicyBook.load(),
        ids=IdProtector(TEST_SECRET),
        data_dir=data_dir,
        clock=(lambda: now) if now is not None else utc_now,
    )


@pytest.fixture
async def ctx(database_url: str, tmp_path: Path, fixed_now: datetime) -> AsyncIterator[AppContext]:
    context = make_context(database_url, tmp_path / "data", fixed_now)
    yield context
    await context.db.dispose()
