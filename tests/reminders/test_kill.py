"""Kill test: the sender process is killed (SIGKILL) mid-broadcast and a new one is started.
Nobody gets a message twice; nothing is lost: every row ends sent, except the ones that were
in flight at the kill, which are reported "unknown" (at most max_in_flight of them)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import Province
from fake_telegram import FakeTelegram
from sender_child import CHILD_CONFIG
from sqlalchemy import func, select
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.outbox_sender import telegram_sender
from services.context import AppContext
from services.outbox import SenderConfig, drain
from services.reminders import BroadcastFilter, campaign_report, queue_broadcast
from storage.models import Account, OutboxMessage

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
PEOPLE = 150


async def test_kill_mid_broadcast_and_restart(
    rctx: AppContext, province: Province, fake_telegram: FakeTelegram, database_url: str
) -> None:
    unit = await province.unit()
    for i in range(PEOPLE):
        await province.person(unit, chat=5000 + i)
    campaign = await queue_broadcast(rctx, "年度通知", BroadcastFilter(), actor="admin")
    assert campaign.queued == PEOPLE
    fake_telegram.latency = 0.03  # calls overlap, so some are in flight at the kill

    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{HERE}"}
    child = subprocess.Popen(
        [
            sys.executable,
            str(HERE / "sender_child.py"),
            database_url,
            fake_telegram.base_url,
            fake_telegram.token,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while len(fake_telegram.accepted) < PEOPLE // 3:
            assert child.poll() is None, child.stderr.read().decode() if child.stderr else ""
            assert time.monotonic() < deadline, "the child sender made no progress"
            time.sleep(0.005)
        child.send_signal(signal.SIGKILL)  # no cleanup, no finally: a crash
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
    at_kill = len(fake_telegram.accepted)
    assert at_kill < PEOPLE, "the broadcast finished before the kill"

    async with rctx.db.transaction() as s:
        unsent = await s.scalar(select(func.count()).where(OutboxMessage.status != "sent"))
    assert unsent  # the kill left rows behind

    request = HTTPXRequest(connection_pool_size=16)
    async with Bot(fake_telegram.token, base_url=fake_telegram.base_url, request=request) as bot:
        stats = await drain(rctx, telegram_sender(bot), SenderConfig(rate=50, max_in_flight=8))

    per_chat = fake_telegram.per_chat()
    assert max(per_chat.values()) == 1, "somebody got the notice twice"
    async with rctx.db.transaction() as s:
        rows = (
            await s.execute(
                select(Account.external_id, OutboxMessage.status).join(
                    Account, Account.id == OutboxMessage.account_id
                )
            )
        ).all()
    by_status: dict[str, set[int]] = {}
    for chat, status in rows:
        by_status.setdefault(status, set()).add(int(chat))
    assert set(by_status) <= {"sent", "unknown"}
    sent, unknown = by_status.get("sent", set()), by_status.get("unknown", set())
    # every "sent" row was received exactly once; "unknown" ones at most once
    assert sent <= set(per_chat)
    assert len(sent) + len(unknown) == PEOPLE
    assert len(unknown) <= CHILD_CONFIG.max_in_flight
    assert stats.unknown == len(unknown)
    report = await campaign_report(rctx, campaign.key)
    assert report.sent == len(sent) and report.unknown == len(unknown) and report.pending == 0
    print(
        f"kill test: {at_kill} delivered before the kill, {len(unknown)} unknown, "
        f"{len(set(per_chat) & unknown)} of those had in fact arrived"
    )
