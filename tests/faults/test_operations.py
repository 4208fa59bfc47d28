"""Issue 17, operations: readiness during a rolling upgrade (11), the sender's 429s, rows left
unknown, the handled-update log and over-long broadcasts (13), Telegram conventions (22),
doctor and backups (23). Each test measures what it tried and asserts its own zeros."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from cebot.cli import app
from services.context import AppContext, utc_now
from services.outbox import OutboxSender, RetryLater, SenderConfig, drain
from services.pii import IdProtector
from services.policies import PolicyBook
from services.processed_updates import prune_processed_updates
from services.reminders import BroadcastFilter, OutboxStatus, queue_broadcast
from storage.db import Database
from storage.models import Account, OutboxMessage, ProcessedUpdate
from tests.faults.world import add_bound_people

NOW = datetime(2024, 11, 20, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai: inside the send window


def context_for(url: str, tmp_path: Path, clock: Callable[[], datetime]) -> AppContext:
    return AppContext(
        db=Database(url),
        policies=PolicyBook.load(),
        ids=IdProtector(b"faults-secret-key-not-for-production"),
        data_dir=tmp_path / "data",
        clock=clock,
    )


def ticking(start: datetime) -> Callable[[], datetime]:
    """A clock running at real speed from `start` (retry_after deferrals expire)."""
    t0 = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - t0)


async def bound_people(ctx: AppContext, chats: list[int]) -> None:
    await add_bound_people(ctx, chats, NOW)


class Recorder:
    """A send callable: raises what the script says for a chat (in order), else delivers."""

    def __init__(self, script: dict[str, list[Exception]] | None = None) -> None:
        self.script = script or {}
        self.delivered: list[tuple[str, str, float]] = []  # (chat, text, when)
        self.refused: list[tuple[str, float]] = []

    async def __call__(self, channel: str, chat: str, text: str, buttons: object) -> None:
        todo = self.script.get(chat)
        if todo:
            self.refused.append((chat, time.monotonic()))
            raise todo.pop(0)
        self.delivered.append((chat, text, time.monotonic()))


def _delivery_faults(send: Recorder, expected: set[tuple[str, str]]) -> tuple[int, int]:
    got = [(chat, text) for chat, text, _at in send.delivered]
    lost = len(expected - set(got))
    duplicated = len(got) - len(set(got))
    return lost, duplicated


# ------------------------------------------------------------------------------ item 11

_SET_REVISION = text("UPDATE alembic_version SET version_num = :v")


async def test_readyz_during_a_rolling_upgrade(ctx: AppContext, faults) -> None:
    from storage import migrate
    from web.ops import readiness

    head = migrate.head_revision()
    assert head is not None
    # (revision in the database, ready?) as a worker of this release sees them
    cases = [(head, True), ("0099_next_release", True), ("0005", False), ("0001", False)]
    wrong = 0
    try:
        for revision, expect in cases:
            async with ctx.db.transaction() as s:
                await s.execute(_SET_REVISION, {"v": revision})
            ok, _checks = await readiness(ctx)
            wrong += ok != expect
    finally:
        async with ctx.db.transaction() as s:
            await s.execute(_SET_REVISION, {"v": head})
    # "lost": a worker wrongly out of (or in) the load balancer
    faults.record(
        "11 readyz rolling upgrade", tried=len(cases), injected=len(cases) - 1, lost=wrong
    )
    assert wrong == 0


# ------------------------------------------------------------------------------ item 13


async def test_a_429_holds_back_only_its_chat(ctx: AppContext, faults, caplog) -> None:
    """Chat 1001 is told to wait 1.5 s, twice; it has two notices. The 29 other chats do not
    wait for it, and its own notices arrive after the wait, each once."""
    ctx.clock = ticking(NOW)
    chats = list(range(1000, 1030))
    await bound_people(ctx, chats)
    texts = ["第一条通知", "第二条通知"]
    for body in texts:
        await queue_broadcast(ctx, body, BroadcastFilter(), actor="admin")
    send = Recorder({"1001": [RetryLater(1.5), RetryLater(1.5)]})
    caplog.set_level(logging.WARNING)
    started = time.monotonic()
    stats = await drain(ctx, send, SenderConfig(rate=200, per_chat_interval=0.05))
    expected = {(str(c), f"📢 通知：{t}") for c in chats for t in texts}
    lost, duplicated = _delivery_faults(send, expected)
    others = [at - started for chat, _t, at in send.delivered if chat != "1001"]
    throttled = [at for chat, _t, at in send.delivered if chat == "1001"]
    first_refusal = send.refused[0][1]
    faults.record(
        "13 retry_after per chat",
        tried=len(expected),
        injected=len(send.refused),
        lost=lost,
        duplicated=duplicated,
        tracebacks=faults.tracebacks_in(caplog.records),
    )
    assert (lost, duplicated) == (0, 0) and stats.rate_limited == 2
    assert faults.tracebacks_in(caplog.records) == 0
    assert max(others) < 1.4  # nobody else waited for 1001's retry_after
    assert min(throttled) - first_refusal >= 1.45  # 1001 itself did


def test_unknown_rows_are_resent_only_by_decision(
    database_url: str, tmp_path: Path, monkeypatch, faults, caplog
) -> None:
    """A crash leaves rows `sending`; restart reports them `unknown` and never resends them.
    `cebot reminders resend-unknown` lists them and, confirmed, queues each once."""
    chats = list(range(2000, 2010))
    first, second = Recorder(), Recorder()
    caplog.set_level(logging.WARNING)

    async def crash_then_restart() -> int:
        ctx = context_for(database_url, tmp_path, ticking(NOW))
        try:
            await bound_people(ctx, chats)
            await queue_broadcast(ctx, "停电通知", BroadcastFilter(), actor="admin")
            async with ctx.db.transaction() as s:
                ids = list(await s.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id)))
                # the crash: three calls in flight, the rest never claimed
                for row_id in ids[:3]:
                    row = await s.get(OutboxMessage, row_id)
                    assert row is not None
                    row.status, row.claimed_by = OutboxStatus.SENDING.value, "dead:1"
            sender = OutboxSender(ctx, first, SenderConfig(rate=200))
            unknown = (await sender.recover()).unknown
            await sender.run(until_idle=True)
            return unknown
        finally:
            await ctx.db.dispose()

    async def send_the_rest() -> list[str]:
        # the CLI queued them again at the wall clock's now: send on that clock
        ctx = context_for(database_url, tmp_path, utc_now)
        try:
            await drain(ctx, second, SenderConfig(rate=200, respect_window=False))
            async with ctx.db.transaction() as s:
                return list(await s.scalars(select(OutboxMessage.status)))
        finally:
            await ctx.db.dispose()

    assert asyncio.run(crash_then_restart()) == 3
    assert len(first.delivered) == 7  # the three uncertain ones were not resent on their own

    monkeypatch.setenv("CEBOT_DATABASE_URL", database_url)
    monkeypatch.setenv("CEBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CEBOT_LANGUAGE", "en")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    declined = runner.invoke(app, ["reminders", "resend-unknown"], input="n\n")
    assert declined.exit_code == 1 and "3 message(s) were being sent" in declined.stdout
    assert "gets it twice" in declined.stdout
    accepted = runner.invoke(app, ["reminders", "resend-unknown"], input="y\n")
    assert accepted.exit_code == 0 and "Queued again: 3" in accepted.stdout, accepted.output
    again = runner.invoke(app, ["reminders", "resend-unknown", "--yes"])
    assert again.exit_code == 0 and "No message is left unknown" in again.stdout

    statuses = asyncio.run(send_the_rest())
    everyone = [c for c, _t, _a in first.delivered + second.delivered]
    lost = len({str(c) for c in chats} - set(everyone))
    duplicated = len(everyone) - len(set(everyone))  # the sender's own repeats, not the 3
    faults.record(
        "13 unknown rows resent on request",
        tried=len(chats),
        injected=3,
        lost=lost,
        duplicated=duplicated,
        tracebacks=faults.tracebacks_in(caplog.records),
    )
    assert (lost, duplicated) == (0, 0)
    assert sorted(c for c, _t, _a in second.delivered) == [str(c) for c in chats[:3]]
    assert statuses == [OutboxStatus.SENT.value] * 10


async def test_handled_update_ids_are_pruned(ctx: AppContext, faults) -> None:
    old, recent = 25, 7
    async with ctx.db.transaction() as s:
        for n in range(old):
            s.add(ProcessedUpdate(update_id=n, processed_at=NOW - timedelta(days=8, minutes=n)))
        for n in range(recent):
            s.add(ProcessedUpdate(update_id=1000 + n, processed_at=NOW - timedelta(hours=n)))
    deleted = await prune_processed_updates(ctx, batch=10)  # three batches
    async with ctx.db.transaction() as s:
        left = set(await s.scalars(select(ProcessedUpdate.update_id)))
    # a recent id lost would let a redelivered update be handled twice
    lost = len({1000 + n for n in range(recent)} - left)
    faults.record("13 processed_updates pruned", tried=old + recent, lost=lost)
    assert deleted == old and lost == 0 and left == {1000 + n for n in range(recent)}
    # the nightly housekeeping job does it
    from services.scheduler import housekeeping

    async with ctx.db.transaction() as s:
        s.add(ProcessedUpdate(update_id=5, processed_at=NOW - timedelta(days=30)))
    await housekeeping(ctx)
    async with ctx.db.transaction() as s:
        assert set(await s.scalars(select(ProcessedUpdate.update_id))) == left


@pytest.mark.parametrize("language", ["zh", "en"])
def test_an_over_long_broadcast_is_refused_before_anything(
    database_url: str, tmp_path: Path, monkeypatch, faults, language: str
) -> None:
    monkeypatch.setenv("CEBOT_DATABASE_URL", database_url)
    monkeypatch.setenv("CEBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CEBOT_LANGUAGE", language)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    tried = refused = 0
    for length in (4096, 5000, 200_000):
        result = runner.invoke(app, ["broadcast", "--text", "长" * length, "--yes"])
        tried += 1
        refused += result.exit_code == 1 and str(length) in result.stderr
        assert "Traceback" not in result.output
    emoji = runner.invoke(app, ["broadcast", "--text", "🎉" * 2100, "--yes"])  # 4200 in UTF-16
    tried += 1
    refused += emoji.exit_code == 1
    faults.record("13 broadcast longer than Telegram takes", tried=tried, lost=tried - refused)
    assert refused == tried


async def test_no_row_is_queued_for_an_over_long_notice(ctx: AppContext) -> None:
    from services.reminders import BroadcastTooLong, check_broadcast_text

    await bound_people(ctx, [3000])
    with pytest.raises(BroadcastTooLong) as refused:
        await queue_broadcast(ctx, "x" * 4095, BroadcastFilter(), actor="admin")
    assert refused.value.length == 4095 and refused.value.limit < 4096
    assert check_broadcast_text("x" * refused.value.limit) == "x" * refused.value.limit
    async with ctx.db.transaction() as s:
        assert await s.scalar(select(func.count(OutboxMessage.id))) == 0


async def test_deferral_does_not_block_the_sender_slots(ctx: AppContext) -> None:
    """One chat with many rows and a long retry_after: the sender puts them back instead of
    holding its in-flight slots, so the other chats are served at once."""
    ctx.clock = ticking(NOW)
    await bound_people(ctx, [4000, 4001, 4002])
    for n in range(4):
        await queue_broadcast(ctx, f"通知 {n}", BroadcastFilter(), actor="admin")
    send = Recorder({"4000": [RetryLater(30)]})
    sender = OutboxSender(ctx, send, SenderConfig(rate=200, per_chat_interval=0.01))
    await sender.recover()
    stop = asyncio.Event()
    task = asyncio.create_task(sender.run(stop))
    deadline = time.monotonic() + 5
    while len(send.delivered) < 8 and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    stop.set()
    await task
    assert sorted({c for c, _t, _a in send.delivered}) == ["4001", "4002"]
    assert len(send.delivered) == 8
    async with ctx.db.transaction() as s:
        waiting = list(
            await s.scalars(
                select(OutboxMessage.not_before)
                .join(Account, Account.id == OutboxMessage.account_id)
                .where(Account.external_id == "4000")
            )
        )
    assert len(waiting) == 4 and all(nb > ctx.now() + timedelta(seconds=20) for nb in waiting)


# ------------------------------------------------------------------------------ item 23


def test_doctor_refuses_what_telegram_or_an_attacker_would(faults) -> None:
    from cebot.cli_ops import check_config
    from cebot.settings import Settings

    strong = "Xq3v_Lw9-Rt2pZk8Hn5mBc7Jd4Fg6Ys1Ua0Ve2Wi9Qo3Tr8"
    https = "https://bot.example.cn"
    bad: list[tuple[dict[str, str], str]] = [
        ({"CEBOT_WEBHOOK_SECRET": "with space"}, "webhook-chars"),
        ({"CEBOT_WEBHOOK_SECRET": "a/b+c="}, "webhook-chars"),
        ({"CEBOT_WEBHOOK_SECRET": "密钥"}, "webhook-chars"),
        ({"CEBOT_WEBHOOK_SECRET": "x" * 257}, "webhook-chars"),
        ({"CEBOT_SECRET_KEY": "abc"}, "secret-weak"),
        ({"CEBOT_SECRET_KEY": "k" * 80}, "secret-weak"),
        ({"CEBOT_SECRET_KEY": "password" * 6}, "secret-weak"),
        ({"CEBOT_PUBLIC_URL": "http://bot.example.cn"}, "publicurl"),
        ({"CEBOT_PUBLIC_URL": "http://192.168.1.10:8080"}, "publicurl"),
        ({"CEBOT_PUBLIC_URL": "bot.example.cn"}, "publicurl"),
    ]
    passed = 0
    for override, key in bad:
        values = {
            "CEBOT_PUBLIC_URL": https,
            "CEBOT_WEBHOOK_SECRET": "good_secret-1",
            "CEBOT_SECRET_KEY": strong,
            **override,
        }
        levels = {f.key: f.level for f in check_config(Settings(**values))}  # type: ignore[arg-type]
        passed += levels.get(key) != "fail"
    # "lost": a bad setting doctor let through
    faults.record("23 doctor checks settings", tried=len(bad), injected=len(bad), lost=passed)
    assert passed == 0


def test_an_interrupted_backup_never_passes_for_a_good_one(
    database_url: str, tmp_path: Path, monkeypatch, faults
) -> None:
    """Back up the demo province, then fail the next backup at its last step (the disk is
    full when the file is renamed): nothing half-made is left, the earlier backup is intact
    and restores into a fresh database with every row."""
    import os
    import shutil
    import uuid

    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from storage import backup as backups
    from storage.db import sync_url
    from storage.models import Base

    if database_url.startswith("postgresql") and shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    monkeypatch.chdir(tmp_path)
    for key, value in {
        "CEBOT_DATABASE_URL": database_url,
        "CEBOT_DATA_DIR": str(tmp_path / "data"),
        "CEBOT_SECRET_KEY": "Xq3v_Lw9-Rt2pZk8Hn5mBc7Jd4Fg6Ys1Ua0Ve2Wi9Qo3Tr8",
        "CEBOT_LANGUAGE": "en",
    }.items():
        monkeypatch.setenv(key, value)
    runner = CliRunner()
    assert runner.invoke(app, ["demo"]).exit_code == 0
    folder = tmp_path / "bk"
    assert runner.invoke(app, ["backup", "--to", str(folder), "--no-data"]).exit_code == 0
    good = sorted(folder.iterdir())

    def full_disk(*_args: object) -> None:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as m:
        m.setattr(backups.os, "replace", full_disk)
        time.sleep(1.1)  # the next backup gets its own timestamp
        failed = runner.invoke(app, ["backup", "--to", str(folder), "--no-data"])
    assert sorted(folder.iterdir()) == good  # no .partial, no second file
    tracebacks = int("Traceback" in failed.output)

    def table_counts(url: str) -> dict[str, int]:
        engine = create_engine(sync_url(url))
        try:
            with engine.connect() as conn:
                return {
                    t.name: int(conn.scalar(select(func.count()).select_from(t)) or 0)
                    for t in Base.metadata.sorted_tables
                }
        finally:
            engine.dispose()

    admin = None
    if database_url.startswith("sqlite"):
        target = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    else:
        name = f"cebot_restore_{uuid.uuid4().hex[:10]}"
        admin = create_engine(
            sync_url(os.environ.get("CEBOT_TEST_POSTGRES_URL", database_url)),
            isolation_level="AUTOCOMMIT",
        )
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        target = make_url(database_url).set(database=name).render_as_string(hide_password=False)
    try:
        monkeypatch.setenv("CEBOT_DATABASE_URL", target)
        restored = runner.invoke(app, ["restore", str(good[0]), "--yes"])
        assert restored.exit_code == 0, restored.output
        before, after = table_counts(database_url), table_counts(target)
    finally:
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    lost = sum(max(before[t] - after[t], 0) for t in before)
    duplicated = sum(max(after[t] - before[t], 0) for t in before)
    faults.record(
        "23 backup interrupted, restore",
        tried=sum(before.values()),
        injected=1,
        lost=lost,
        duplicated=duplicated,
        tracebacks=tracebacks,
    )
    assert failed.exit_code == 1 and "could not be written" in failed.stderr
    assert (lost, duplicated, tracebacks) == (0, 0, 0)


# ------------------------------------------------------------------------------ item 22


class StubBot:
    """What the membership handlers call on the Bot, recorded."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, str]] = []
        self.deleted: list[int] = []

    async def send_message(self, chat_id: int, text: str, **_kwargs: object) -> None:
        self.sent.append((chat_id, text))

    async def delete_message(self, chat_id: int, message_id: int, **_kwargs: object) -> bool:
        self.deleted.append(message_id)
        return True


async def test_blocks_and_edits_are_handled_without_a_send_or_a_read(
    ctx: AppContext, faults, caplog
) -> None:
    from telegram import Update

    from bot.handlers.convert import channel_user
    from bot.handlers.membership import handle_other

    chat = 7001
    await bound_people(ctx, [chat])
    bot = StubBot()
    user = {"id": chat, "is_bot": False, "first_name": "u", "language_code": "zh-hans"}
    private = {"id": chat, "type": "private", "first_name": "u"}
    me = {"id": 1, "is_bot": True, "first_name": "cebot"}

    def member(status: str) -> dict[str, object]:
        return {"status": status, "user": me, **({"until_date": 0} if status == "kicked" else {})}

    def block(update_id: int, old: str, new: str) -> dict[str, object]:
        change = {"chat": private, "from": user, "date": 0}
        change |= {"old_chat_member": member(old), "new_chat_member": member(new)}
        return {"update_id": update_id, "my_chat_member": change}

    def edit(update_id: int, text_: str) -> dict[str, object]:
        message = {"message_id": update_id, "date": 0, "edit_date": 1, "chat": private}
        message |= {"from": user, "text": text_}
        return {"update_id": update_id, "edited_message": message}

    # (update, blocked afterwards?, replies expected, deletions expected)
    script = [
        (block(1, "member", "kicked"), True, 0, 0),
        (block(2, "member", "kicked"), True, 0, 0),  # a redelivered copy changes nothing
        (block(3, "kicked", "member"), False, 0, 0),
        (edit(4, "张三"), False, 1, 0),
        (edit(5, "身份证 450103198803120212"), False, 1, 1),
    ]
    caplog.set_level(logging.WARNING)
    wrong = 0
    for data, blocked, replies, deletions in script:
        update = Update.de_json(data, bot)  # type: ignore[arg-type]
        sent, deleted = len(bot.sent), len(bot.deleted)
        channel = channel_user(update)
        assert channel is not None
        await handle_other(ctx, bot, update, channel)  # type: ignore[arg-type]
        async with ctx.db.transaction() as s:
            at = await s.scalar(select(Account.unreachable_at).where(Account.external_id == "7001"))
        wrong += (at is not None) != blocked
        wrong += len(bot.sent) - sent != replies or len(bot.deleted) - deleted != deletions
    assert all("修改后的消息" in text_ for _chat, text_ in bot.sent)
    tracebacks = faults.tracebacks_in(caplog.records)
    faults.record(
        "22 my_chat_member and edited_message",
        tried=len(script),
        lost=wrong,
        tracebacks=tracebacks,
    )
    assert (wrong, tracebacks) == (0, 0)
