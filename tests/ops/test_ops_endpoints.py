"""/healthz, /readyz and /metrics on the web app (the webhook app mounts the same routes)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from services.context import AppContext
from services.pii import IdProtector
from services.policies import PolicyBook
from storage.db import Database
from storage.models import Account, OutboxMessage
from web.verify import build_web_app


async def test_ready_and_metrics_on_a_migrated_database(ctx: AppContext) -> None:
    now = datetime(2024, 11, 20, tzinfo=UTC)
    async with ctx.db.transaction() as s:
        account = Account(channel="test", external_id="m1", created_at=now)
        s.add(account)
        await s.flush()
        for n in range(3):
            s.add(
                OutboxMessage(
                    campaign_id=None,
                    account_id=account.id,
                    payload={"kind": "notice", "key": "x", "args": {}, "n": n},
                    optional=False,
                    status="queued",
                    attempts=0,
                    not_before=now,
                    created_at=now,
                )
            )
    client = TestClient(build_web_app(ctx))
    assert client.get("/healthz").text == "ok"
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["ready"] is True
    metrics = client.get("/metrics").text
    assert "cebot_outbox_queued 3.0" in metrics
    assert "cebot_updates_total" in metrics and "cebot_update_seconds" in metrics


def test_not_ready_when_the_database_is_gone(tmp_path: Path) -> None:
    ctx = AppContext(
        db=Database("postgresql://nobody@127.0.0.1:9/none"),
        policies=PolicyBook.load(),
        ids=IdProtector(b"k" * 32),
        data_dir=tmp_path,
    )
    client = TestClient(build_web_app(ctx))
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["ready"] is False
    assert client.get("/healthz").status_code == 200  # alive, just not ready


async def _set_revision(ctx: AppContext, revision: str) -> None:
    from sqlalchemy import text

    async with ctx.db.transaction() as s:
        await s.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": revision})


async def test_ready_at_or_past_the_codes_revision_not_before(
    ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rolling upgrade: the database is migrated first, so a worker of the previous release
    sees a revision it does not know. That is "past", hence ready; an older one is not."""
    from storage import migrate
    from web.ops import readiness

    head = migrate.head_revision()
    assert head is not None
    # the migration files are read once per process, not on every probe
    monkeypatch.setattr(
        migrate,
        "ScriptDirectory",
        lambda *_a, **_k: pytest.fail("readyz read the migration files again"),
    )
    try:
        assert await readiness(ctx) == (True, {"database": "ok", "migration": "ok"})
        await _set_revision(ctx, "0099_a_later_release")
        ok, checks = await readiness(ctx)
        assert ok and checks["migration"] == "ok"
        await _set_revision(ctx, "0005")
        ok, checks = await readiness(ctx)
        assert not ok and checks["migration"] == f"at 0005, code needs {head}"
        client = TestClient(build_web_app(ctx))
        assert client.get("/readyz").status_code == 503
    finally:
        await _set_revision(ctx, head)
