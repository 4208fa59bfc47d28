"""Issue 17 items 2-4, replayed: ID numbers in other shapes (claim title, rejection reason,
broadcast, DEBUG log), the web server's own log lines (a real uvicorn on loopback), and binding
by someone who knows only an ID number and a name."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import logging.config
import secrets
import socket
import unicodedata
from collections.abc import AsyncIterator, Callable
from urllib.parse import quote, unquote

import httpx
import pytest
import uvicorn
import uvicorn.config
from sqlalchemy import select, text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from bot.flows import Engine
from bot.flows.notices import MAX_NOTICE_LENGTH
from cebot.logging_setup import configure_logging
from core.idnumber import mask_id_number
from services.claims import decide
from services.context import AppContext
from services.reminders import AudienceStatus, BroadcastFilter, CampaignError, queue_broadcast
from storage.models import AuditEntry, Campaign, HourRecord
from tests.bot.conftest import Chat, Roster, seed_roster
from tests.fault_ledger import FaultLedger
from web import build_web_app

NUMBER = "450103199201300560"  # a valid ID number (check digit right)
FULLWIDTH = str.maketrans({str(i): chr(0xFF10 + i) for i in range(10)} | {"X": "Ｘ"})


def shapes(number: str) -> dict[str, str]:
    """The shapes of issue 17 item 2, and a few more seen in chats."""
    n = number
    return {
        "spaces 4-4-4-4-2": f"{n[:4]} {n[4:8]} {n[8:12]} {n[12:16]} {n[16:]}",
        "spaces 6-8-4": f"{n[:6]} {n[6:14]} {n[14:]}",
        "full-width": n.translate(FULLWIDTH),
        "full-width with ideographic spaces": f"{n[:6]}\u3000{n[6:14]}\u3000{n[14:]}".translate(
            FULLWIDTH
        ),
        "hyphens": f"{n[:6]}-{n[6:14]}-{n[14:]}",
        "full-width hyphens": f"{n[:6]}－{n[6:14]}－{n[14:]}",
        "dots": f"{n[:6]}.{n[6:14]}.{n[14:]}",
        "letter before": f"ID{n}",
        "letters around": f"No{n}A",
        "zero-width spaces": "\u200b".join(n),
        "spaces and a word glued": f"身份证{n[:6]} {n[6:14]} {n[14:]}号",
    }


def digits_of(text: str) -> str:
    """Every digit of a text, NFKC-folded, run together: a masked form keeps 4 + 4 of an ID
    number's digits, so the full number cannot be among them. Percent-encoding decoded first
    (a path in an access line)."""
    folded = unicodedata.normalize("NFKC", unquote(text))
    return "".join(ch for ch in folded if ch.isascii() and ch.isdigit())


def leaks(number: str, *texts: str) -> int:
    return sum(1 for t in texts if number[:17] in digits_of(t))


@pytest.fixture
async def roster(ctx: AppContext) -> Roster:
    return await seed_roster(ctx)


@pytest.fixture
def chat(ctx: AppContext) -> Callable[..., Chat]:
    engine = Engine(ctx)

    def make(user: str = "u1", language: str | None = None) -> Chat:
        return Chat(engine, user, language)

    return make


# ------------------------------------------------------------------ 2. ID numbers in other shapes


async def test_claim_title_refuses_every_shape(
    ctx: AppContext, roster: Roster, chat: Callable[..., Chat], faults: FaultLedger
) -> None:
    c = chat()
    await c.start()
    await c.send(roster.zhang_number)
    await c.send("张伟")
    assert "绑定成功" in c.text
    await c.send("/claim")
    await c.press("新登记")
    await c.press("2024 年度")
    await c.press("培训进修类")
    refused = deleted = leaked = 0
    tried = shapes(roster.zhang_number)
    for shape in tried.values():
        out = await c.send(f"培训 {shape}")
        refused += "不要在此填写身份证号码" in c.text
        deleted += out.delete_incoming
        leaked += leaks(roster.zhang_number, c.text)
    await c.send("心血管疾病诊疗进展培训班")  # an ordinary title still goes on
    assert "组织" in c.text or "主办" in c.text
    faults.record("2 ID numbers in other shapes", tried=len(tried))
    assert (refused, deleted, leaked) == (len(tried), len(tried), 0)


async def test_rejection_reason_is_masked_in_every_shape(
    ctx: AppContext, chat: Callable[..., Chat], faults: FaultLedger
) -> None:
    from tests.bot.test_review_flow import REVIEWER1, consented_world, notices_to
    from tests.claims.claims_helpers import claim, id_number_of

    world = await consented_world(ctx)
    number = id_number_of(1)
    tried = shapes(number)
    reviewer = chat(REVIEWER1)
    leaked = deleted = 0
    for shape in tried.values():
        c = await claim(ctx, world.claimant)
        await reviewer.press_data(f"rv:no:{c.id}")
        out = await reviewer.send(f"证书上的号码 {shape} 与本人不符")
        deleted += out.delete_incoming
        async with ctx.db.transaction() as s:
            record = await s.get(HourRecord, c.id)
        assert record is not None and record.status == "rejected"
        assert record.decision_reason is not None
        assert mask_id_number(number) in record.decision_reason
        leaked += leaks(number, record.decision_reason, reviewer.text)
    # the service masks too, whoever calls it (the command line, another channel)
    c = await claim(ctx, world.claimant)
    await decide(ctx, world.reviewer1, c.id, False, f"号码 {tried['hyphens']} 不符")
    async with ctx.db.transaction() as s:
        record = await s.get(HourRecord, c.id)
    assert record is not None and record.decision_reason == f"号码 {mask_id_number(number)} 不符"
    told = await notices_to(ctx, world.claimant_account)
    assert len(told) == len(tried)  # the claimant was told of each rejection, reason masked
    leaked += leaks(number, *(json.dumps(p, ensure_ascii=False) for p in told))
    faults.record("2 ID numbers in other shapes", tried=len(tried) + 1)
    assert (leaked, deleted) == (0, len(tried))


async def test_broadcast_refuses_every_shape(
    ctx: AppContext, roster: Roster, chat: Callable[..., Chat], faults: FaultLedger
) -> None:
    from tests.bot.test_notices_flow import admin_chat

    tried = shapes(roster.zhang_number)
    refused_service = 0
    for shape in tried.values():
        try:
            await queue_broadcast(
                ctx, f"请核对 {shape} 的学时", BroadcastFilter(status=AudienceStatus.ALL), actor="t"
            )
        except CampaignError as exc:
            refused_service += exc.reason == "id_number"
    admin = await admin_chat(ctx, chat)
    await admin.send("/admin")
    await admin.press("群发通知")
    await admin.press("全部城市")
    await admin.press("全部单位")
    await admin.press("所有人")
    assert f"最多 {MAX_NOTICE_LENGTH} 字" in admin.text
    refused_bot = leaked = 0
    for shape in tried.values():
        out = await admin.send(f"请核对 {shape} 的学时")
        refused_bot += "不能包含身份证号码" in admin.text and out.delete_incoming
        leaked += leaks(roster.zhang_number, admin.text)
    async with ctx.db.transaction() as s:
        campaigns = list(await s.scalars(select(Campaign)))
    faults.record("2 ID numbers in other shapes", tried=2 * len(tried))
    assert (refused_service, refused_bot, leaked, campaigns) == (len(tried), len(tried), 0, [])


def test_debug_log_masks_every_shape(faults: FaultLedger) -> None:
    tried = shapes(NUMBER)
    leaked = 0
    for as_json in (False, True):
        buffer = io.StringIO()
        configure_logging("DEBUG", as_json=as_json, stream=buffer)
        try:
            log = logging.getLogger("telegram.ext.Application")
            for shape in tried.values():
                # what PTB logs at DEBUG: the whole update, the user's text inside
                log.debug("Processing update %s", {"message": {"text": f"我的身份证 {shape}"}})
                try:
                    raise ValueError(f"bad value\t{shape}")
                except ValueError:
                    log.exception("failed")
        finally:
            configure_logging("WARNING")
        out = buffer.getvalue()
        assert out.count("Processing update") == len(tried)
        leaked += leaks(NUMBER, *out.splitlines())
    faults.record("2 ID numbers in other shapes", tried=2 * 2 * len(tried))
    assert leaked == 0


# ------------------------------------------------------------------ 3. the web server's own log


async def _failing_sql(ctx: AppContext, request: Request) -> Response:
    """A statement that fails with personal data in its parameters, as a bug would."""
    async with ctx.db.transaction() as s:
        await s.execute(
            text("SELECT * FROM no_such_table WHERE id_number = :n AND name = :name"),
            {"n": request.query_params.get("n", ""), "name": "张伟"},
        )
    return Response("unreachable")


async def _failing_value(request: Request) -> Response:
    raise ValueError(f"unexpected {request.path_params['value']}")


async def _serve(app: Starlette) -> AsyncIterator[str]:
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, lifespan="off"))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        sock.close()


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
@pytest.mark.parametrize("uvicorn_config_first", [False, True], ids=["log_config=None", "dict"])
async def test_web_server_logs_no_id_number_and_no_token(
    ctx: AppContext, faults: FaultLedger, as_json: bool, uvicorn_config_first: bool
) -> None:
    if uvicorn_config_first:
        # uvicorn's own configuration (as `uvicorn web:app` applies it) came first: its
        # handlers would write access lines past the masking formatter
        logging.config.dictConfig(uvicorn.config.LOGGING_CONFIG)
    buffer = io.StringIO()
    configure_logging("INFO", as_json=as_json, stream=buffer)

    async def failing_sql(request: Request) -> Response:
        return await _failing_sql(ctx, request)

    app = Starlette(
        routes=[
            Route("/boom/sql", failing_sql),
            Route("/boom/{value}", _failing_value),
            Mount("/", app=build_web_app(ctx)),
        ]
    )
    token = secrets.token_urlsafe(24)
    spaced = shapes(NUMBER)["spaces 6-8-4"]
    paths = [
        f"/verify/{NUMBER}",
        f"/verify/{NUMBER}?t={token}",
        f"/verify/CE-2024-000001?t={token}",
        f"/verify/{quote(spaced)}?t={token}&x=1",
        f"/verify/{quote(NUMBER.translate(FULLWIDTH))}",
    ]
    failing = [f"/boom/sql?n={NUMBER}&t={token}", f"/boom/{quote(spaced)}"]
    statuses: list[int] = []
    try:
        async for base in _serve(app):
            async with httpx.AsyncClient(base_url=base) as client:
                for path in paths + failing:
                    statuses.append((await client.get(path)).status_code)
    finally:
        configure_logging("WARNING")
    out = buffer.getvalue()
    lines = out.splitlines()
    if as_json:
        entries = [json.loads(line) for line in lines if line.startswith("{")]
        out = "\n".join(f"{e['message']}\n{e.get('exception', '')}" for e in entries)
    access = [line for line in out.splitlines() if '"GET ' in line]
    assert len(access) == len(paths) + len(failing)  # every request line is there ...
    assert statuses[-2:] == [500, 500]
    assert "[parameters hidden]" in out and "no_such_table" in out  # the SQL error is kept
    leaked = leaks(NUMBER, *out.splitlines())
    tokens = out.count(token)
    params = out.count("[parameters:")
    # one "Exception in ASGI application" per failing request, none for the others
    unexpected = abs(out.count("Exception in ASGI application") - len(failing))
    faults.record(
        "3 web server logs",
        tried=len(paths) + len(failing),
        injected=len(failing),
        tracebacks=max(unexpected, 0),
    )
    assert (leaked, tokens, params, unexpected) == (0, 0, 0, 0)  # ... and none carries one


# ------------------------------------------------------------------ 4. binding by ID and name


async def test_squatted_binding_is_told_reviewed_and_moved_once(
    ctx: AppContext,
    roster: Roster,
    chat: Callable[..., Chat],
    faults: FaultLedger,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Someone who knows 张伟's ID number and name binds first. The unit's two reviewers are
    told; the real 张伟 asks for a review; both reviewers press "move" at the same moment."""
    from tests.bot.test_binding_review_flow import account_of, bind, grant, notices

    caplog.set_level(logging.ERROR)
    rv1, rv2 = chat("rv1"), chat("rv2")
    reviewers = [await grant(ctx, c, "reviewer", roster.hospital_id) for c in (rv1, rv2)]
    squatter, real = chat("squatter"), chat("real")
    await bind(squatter, roster.zhang_number)
    queued = {r: await notices(ctx, r) for r in reviewers}
    told_of_binding = sum(1 for r in reviewers for key, *_ in queued[r] if key == "bnd-told-bound")
    await bind(real, roster.zhang_number)
    await real.press("申请审核绑定")
    queued = {r: await notices(ctx, r) for r in reviewers}
    asks = [
        dict(buttons)["转给申请人"]
        for r in reviewers
        for key, _text, buttons in queued[r]
        if key == "bnd-dispute-ask"
    ]
    assert len(asks) == 2 and asks[0] == asks[1]
    await asyncio.gather(rv1.press_data(asks[0]), rv2.press_data(asks[1]))
    decided = sum("已将 张伟" in c.text for c in (rv1, rv2))
    already = sum("该申请已处理" in c.text for c in (rv1, rv2))
    real_account = await account_of(ctx, "real")
    squatter_account = await account_of(ctx, "squatter")
    moved_away = [k for k, *_ in await notices(ctx, squatter_account.id)]
    told_claimant = [k for k, *_ in await notices(ctx, real_account.id)]
    async with ctx.db.transaction() as s:
        moves = list(
            await s.scalars(select(AuditEntry).where(AuditEntry.action == "account.binding_moved"))
        )
    lost = (real_account.person_id != roster.zhang_id) + (2 - told_of_binding)
    duplicated = (len(moves) - 1) + (len(moved_away) - 1) + (len(told_claimant) - 1)
    tracebacks = FaultLedger.tracebacks_in(caplog.records)
    faults.record(
        "4 binding by ID and name",
        tried=3,  # the squatter's binding, the review request, two presses at once
        injected=1,  # the concurrent second press
        lost=lost,
        duplicated=duplicated,
        tracebacks=tracebacks,
    )
    assert (decided, already) == (1, 1)
    assert squatter_account.person_id is None
    assert (lost, duplicated, tracebacks) == (0, 0, 0)


async def test_roster_phone_keeps_the_squatter_out(
    ctx: AppContext,
    roster: Roster,
    chat: Callable[..., Chat],
    faults: FaultLedger,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """With the roster's phone, ID number and name are not enough: every way a squatter can
    answer the phone question binds nothing; the real person's own number binds."""
    from bot.flows import Event
    from tests.bot.test_binding_review_flow import PHONE, bind, bound_to, set_roster_phone

    caplog.set_level(logging.ERROR)
    await set_roster_phone(ctx, roster.zhang_id, PHONE)
    squatter = chat("squatter")
    await bind(squatter, roster.zhang_number)
    attempts: list[Event] = [
        Event.message(PHONE),  # typed: no proof
        Event.message(f"+86 {PHONE}"),
        Event("contact", phone=""),  # someone else's contact card (the adapter blanks it)
        Event("contact", phone="13900000000"),  # the squatter's own number
        Event("contact", phone="8613900000001"),
        Event.button("bd:move:1"),  # a forged decision
    ]
    for event in attempts:
        squatter.last = await squatter.engine.handle(squatter.user, event)
    squatted = await bound_to(ctx, "squatter") is not None
    real = chat("real")
    await bind(real, roster.zhang_number)
    real.last = await real.engine.handle(real.user, Event("contact", phone="+86" + PHONE))
    lost = int(await bound_to(ctx, "real") != roster.zhang_id)
    tracebacks = FaultLedger.tracebacks_in(caplog.records)
    faults.record(
        "4 binding by ID and name",
        tried=len(attempts) + 1,
        lost=lost,
        tracebacks=tracebacks,
    )
    assert (squatted, lost, tracebacks) == (False, 0, 0)
