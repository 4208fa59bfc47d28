"""A province in miniature: two webhook workers and one scheduler, each a separate
`cebot` process on PostgreSQL, fed by the fake Bot API. A couple of hundred simulated users go
through the journey at once — consent, binding, the mandatory course and the exam — with the
updates spread over both workers and some delivered twice (as Telegram redelivers); then an
administrator's notice goes out through the scheduler's sender.

Checked: every user ends bound, with the exam passed and 15 hours credited once; every update
was answered exactly once (redeliveries dropped); every user got the notice exactly once."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bot.fake_api import FakeBotApi
from bot.webhook import SECRET_HEADER, WEBHOOK_PATH
from core.idnumber import mask_id_number
from services.context import AppContext
from services.demo import demo_file
from services.pii import IdProtector
from services.policies import PolicyBook, local_today
from services.policy_admin import draft_text
from services.question_bank import import_courses, import_questions
from services.reminders import BroadcastFilter, queue_broadcast
from services.synthetic import synthetic_id_number
from storage.db import Database
from storage.models import (
    Account,
    ExamAttempt,
    HourRecord,
    OutboxMessage,
    Person,
    ProcessedUpdate,
    Question,
)

USERS = int(os.environ.get("CEBOT_PROVINCE_USERS", "200"))
FIRST_USER = 900_000
SECRET = "province-secret-key-" + "k" * 32
WEBHOOK_SECRET = "province-webhook"
NOTICE = "【通知】请于12月31日前完成本年度公需科目学习。"
ROOT = Path(__file__).resolve().parents[2]


def name_of(k: int) -> str:
    # names hold no digits (the bot refuses them): 用户〇〇一二
    return "用户" + "".join("〇一二三四五六七八九"[int(ch)] for ch in f"{k:04d}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_policy(folder: Path, year: int) -> None:
    """This year's policy for the test (the real clock runs in the subprocesses): the 2024
    rules moved to `year`, sending allowed all day so the notice never waits for morning."""
    template = (ROOT / "core" / "policies" / "2024.toml").read_text(encoding="utf-8")
    text = draft_text(template, 2024, year, demo=True)
    text = text.replace('send_from = "09:00"', 'send_from = "00:00"')
    text = text.replace('send_until = "21:00"', 'send_until = "23:59"')
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{year}.toml").write_text(text, encoding="utf-8")


async def seed(ctx: AppContext, year: int, tmp: Path) -> None:
    courses = json.loads(demo_file("course-2024.json").read_text(encoding="utf-8"))
    for c in courses:
        c["year"] = year
    (tmp / "c.json").write_text(json.dumps(courses, ensure_ascii=False), encoding="utf-8")
    await import_courses(ctx, tmp / "c.json")
    questions = demo_file("questions-2024.csv").read_text(encoding="utf-8")
    (tmp / "q.csv").write_text(questions.replace(",2024,", f",{year},"), encoding="utf-8")
    await import_questions(ctx, tmp / "q.csv")
    now = ctx.now()
    async with ctx.db.transaction() as s:
        for k in range(USERS):
            number = synthetic_id_number(k)
            s.add(
                Person(
                    id_hash=ctx.ids.lookup_hash(number),
                    id_cipher=ctx.ids.encrypt(number),
                    id_masked=mask_id_number(number),
                    name=name_of(k),
                    unit_confirmed=True,
                    created_at=now,
                    updated_at=now,
                )
            )


def environment(url: str, api: FakeBotApi, data: Path, policies: Path) -> dict[str, str]:
    return {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": api.token,
        "TELEGRAM_BASE_URL": api.base_url,
        "TELEGRAM_BASE_FILE_URL": api.base_file_url,
        "CEBOT_DATABASE_URL": url,
        "CEBOT_DATA_DIR": str(data),
        "CEBOT_POLICY_DIR": str(policies),
        "CEBOT_SECRET_KEY": SECRET,
        "CEBOT_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "CEBOT_LOG_LEVEL": "WARNING",
    }


def cebot(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", "from cebot.cli import main; main()", *args],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


@asynccontextmanager
async def processes(
    url: str, api: FakeBotApi, tmp: Path, policies: Path
) -> AsyncIterator[list[str]]:
    env = environment(url, api, tmp / "data", policies)
    ports = [free_port(), free_port()]
    procs = [
        cebot(
            ["run", "--webhook", "--no-scheduler"],
            {**env, "CEBOT_LISTEN_PORT": str(p), "CEBOT_PUBLIC_URL": f"http://127.0.0.1:{p}"},
            tmp / f"worker-{p}.log",
        )
        for p in ports
    ]
    procs.append(cebot(["scheduler"], env, tmp / "scheduler.log"))
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            for port, proc in zip(ports, procs, strict=False):
                for _ in range(300):
                    assert proc.poll() is None, (tmp / f"worker-{port}.log").read_text()
                    try:
                        if (await client.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    await asyncio.sleep(0.2)
        yield [f"http://127.0.0.1:{p}{WEBHOOK_PATH}" for p in ports]
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


class Driver:
    """Posts one user's updates to the workers as Telegram would, and waits for answers."""

    def __init__(self, api: FakeBotApi, client: httpx.AsyncClient, urls: list[str]) -> None:
        self.api, self.client, self.urls = api, client, urls
        self.posted = 0
        self.redelivered = 0

    async def post(self, update: dict[str, Any], worker: int, *, twice: bool = False) -> None:
        headers = {SECRET_HEADER: WEBHOOK_SECRET}
        for attempt in range(3):
            try:
                response = await self.client.post(
                    self.urls[worker % 2], json=update, headers=headers
                )
                break
            except (httpx.ReadError, httpx.RemoteProtocolError):
                if attempt == 2:
                    raise
        assert response.status_code == 200
        self.posted += 1
        if twice:  # the same update again, to the other worker: must be dropped
            again = await self.client.post(
                self.urls[(worker + 1) % 2], json=update, headers=headers
            )
            assert again.status_code == 200
            self.redelivered += 1

    async def wait(self, user: int, since: int, expected: str, timeout: float = 120) -> Any:
        def match(c: Any) -> bool:
            return c.params.get("chat_id") == user and expected in str(c.params.get("text", ""))

        try:
            return await self.api.wait_for("sendMessage", match, since=since, timeout=timeout)
        except TimeoutError:
            last = [t[:60] for t in self.api.texts_to(user)[-3:]]
            raise AssertionError(f"user {user} waited for {expected!r}; last: {last}") from None

    async def button(self, user: int, label: str) -> tuple[str, dict[str, Any]]:
        """The newest button so labelled (it may come in the message after the awaited one)."""
        for _ in range(600):
            try:
                return self._button(user, label)
            except LookupError:
                await asyncio.sleep(0.1)
        return self._button(user, label)

    async def value(self, user: int, value: str) -> tuple[str, dict[str, Any]]:
        for _ in range(600):
            try:
                return self._value(user, value)
            except LookupError:
                await asyncio.sleep(0.1)
        return self._value(user, value)

    def _button(self, user: int, label: str) -> tuple[str, dict[str, Any]]:
        for call in reversed(self.api.sent_to(user)):
            markup = call.params.get("reply_markup") or {}
            for row in markup.get("inline_keyboard", []) if isinstance(markup, dict) else []:
                for b in row:
                    if label in b["text"]:
                        return b["callback_data"], dict(call.params.get("_result") or {})
        raise LookupError(f"{user}: no button {label!r}")

    def _value(self, user: int, value: str) -> tuple[str, dict[str, Any]]:
        for call in reversed(self.api.sent_to(user)):
            markup = call.params.get("reply_markup") or {}
            for row in markup.get("inline_keyboard", []) if isinstance(markup, dict) else []:
                for b in row:
                    if b["callback_data"].endswith(f":{value}"):
                        return b["callback_data"], dict(call.params.get("_result") or {})
        raise LookupError(f"{user}: no button value {value!r}")


async def journey(d: Driver, ctx: AppContext, k: int) -> None:
    user = FIRST_USER + k
    number = synthetic_id_number(k)
    api = d.api
    step = 0

    async def text(message: str, expected: str) -> None:
        nonlocal step
        mark = api.mark()
        await d.post(api.text_update(user, message), step, twice=(k % 10 == 0 and step == 2))
        step += 1
        await d.wait(user, mark, expected)

    async def press(data_and_message: tuple[str, dict[str, Any]], expected: str) -> None:
        nonlocal step
        data, message = data_and_message
        mark = api.mark()
        await d.post(api.callback_update(user, data, message), step)
        step += 1
        await d.wait(user, mark, expected)

    await text("/start", "个人信息处理告知")
    await press(await d.button(user, "✅ 同意"), "身份证号码")
    await text(number, mask_id_number(number))
    await text(name_of(k), "绑定成功")
    await press(await d.button(user, "学习与考试"), "已学 0 / 4 章")
    await press(await d.button(user, "继续学习（第 1 章）"), "第 1 / 4 章")
    for n in (2, 3, 4):
        await press(await d.button(user, "已读完，下一章"), f"第 {n} / 4 章")
    await press(await d.button(user, "已读完本课程"), "考试已开放")
    await press(await d.button(user, "开始考试"), "第 1 / 20 题")
    async with ctx.db.transaction() as s:
        pid = await s.scalar(select(Person.id).where(Person.name == name_of(k)))
        attempt = await s.scalar(select(ExamAttempt).where(ExamAttempt.person_id == pid))
        assert attempt is not None
        drawn = list(attempt.questions)
        bank = {
            q.id: q
            for q in await s.scalars(
                select(Question).where(Question.id.in_([int(x["id"]) for x in drawn]))
            )
        }
    for pos, item in enumerate(drawn):
        q = bank[int(item["id"])]
        shown = [i for i, original in enumerate(item["order"]) if original in set(q.answer)]
        following = f"第 {pos + 2} / 20 题" if pos < 19 else "题已作答"
        if q.kind == "multiple":
            for i in shown:
                data, message = await d.value(user, f"t{pos}_{i}")
                mark = api.mark()
                await d.post(api.callback_update(user, data, message), step)
                step += 1
                await api.wait_for(
                    "editMessageText",
                    lambda c, u=user: c.params.get("chat_id") == u,
                    since=mark,
                    timeout=120,
                )
            await press(await d.value(user, f"d{pos}"), following)
        else:
            await press(await d.value(user, f"a{pos}_{shown[0]}"), following)
    await press(await d.button(user, "交卷"), "考试通过")


@pytest.mark.postgres
async def test_a_province_on_two_workers_and_a_scheduler(
    database_url: str, tmp_path: Path, fake_api: FakeBotApi
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("several workers are a PostgreSQL deployment")
    year = local_today(datetime.now(UTC)).year  # the subprocesses run on the real clock
    policies = tmp_path / "policies"
    write_policy(policies, year)
    ctx = AppContext(
        db=Database(database_url),
        policies=PolicyBook.load(policies),
        ids=IdProtector(SECRET.encode()),
        data_dir=tmp_path / "data",
    )
    try:
        await seed(ctx, year, tmp_path)
        started = time.monotonic()
        async with (
            processes(database_url, fake_api, tmp_path, policies) as urls,
            httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=100)) as client,
        ):
            driver = Driver(fake_api, client, urls)
            await asyncio.gather(*(journey(driver, ctx, k) for k in range(USERS)))
            journey_seconds = time.monotonic() - started

            # every user bound, passed once, credited once
            async with ctx.db.transaction() as s:
                bound = await s.scalar(
                    select(func.count(Account.id)).where(Account.person_id.is_not(None))
                )
                credited = list(
                    await s.execute(
                        select(HourRecord.person_id, func.count(HourRecord.id))
                        .where(HourRecord.subject == "public_mandatory", HourRecord.year == year)
                        .group_by(HourRecord.person_id)
                    )
                )
                handled = await s.scalar(select(func.count(ProcessedUpdate.update_id)))
            assert bound == USERS
            assert len(credited) == USERS and all(n == 1 for _pid, n in credited)
            # no update lost (each posted one recorded) and none handled twice (redeliveries
            # were not recorded again, and no user got a second answer to one update)
            assert handled == driver.posted
            assert driver.redelivered == len(range(0, USERS, 10))

            # the administrator's notice: queued once, sent once to each, by the scheduler
            mark = fake_api.mark()
            result = await queue_broadcast(ctx, NOTICE, BroadcastFilter(), actor="test")
            assert result.queued == USERS
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                got = [c for c in fake_api.calls[mark:] if NOTICE in str(c.params.get("text"))]
                if len(got) >= USERS:
                    break
                await asyncio.sleep(0.5)
            await asyncio.sleep(2)  # would a second copy follow?
            got = [c for c in fake_api.calls[mark:] if NOTICE in str(c.params.get("text"))]
            per_user: dict[int, int] = {}
            for c in got:
                per_user[int(c.params["chat_id"])] = per_user.get(int(c.params["chat_id"]), 0) + 1
            assert sorted(per_user) == [FIRST_USER + k for k in range(USERS)]
            assert set(per_user.values()) == {1}
            async with ctx.db.transaction() as s:
                unsent = await s.scalar(
                    select(func.count(OutboxMessage.id)).where(OutboxMessage.status != "sent")
                )
            assert unsent == 0
        print(f"\n{USERS} users' journeys on two workers: {journey_seconds:.1f} s")
    finally:
        await ctx.db.dispose()
