"""The WeChat API client against the fake WeChat server, on SQLite and PostgreSQL (the token
lives in the database, shared by every worker)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from bot.wechat.api import WeChatApi, WeChatError
from bot.wechat.fake_api import FakeWeChatApi
from cebot.settings import Settings
from storage.db import Database
from storage.wechat_models import WeChatToken


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2024, 11, 20, 2, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def fake() -> AsyncIterator[FakeWeChatApi]:
    async with FakeWeChatApi() as api:
        yield api


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _client(fake: FakeWeChatApi, db: Database, clock: Clock, **kw: str) -> WeChatApi:
    options = {"base_url": fake.base_url, "app_id": fake.app_id, "app_secret": fake.app_secret}
    return WeChatApi(**(options | kw), db=db, clock=clock)


async def test_the_token_is_fetched_once_and_kept_in_the_database(
    fake: FakeWeChatApi, db: Database, clock: Clock
) -> None:
    api = _client(fake, db, clock)
    try:
        first = await api.access_token()
        await api.send_text("o-1", "一")
        await api.send_text("o-1", "二")
        assert await api.access_token() == first
    finally:
        await api.aclose()
    assert fake.tokens_issued == 1
    async with db.transaction() as session:
        row = await session.scalar(select(WeChatToken))
    assert row is not None and row.app_id == fake.app_id and row.token == first
    assert row.expires_at == clock.now + timedelta(seconds=7200)
    assert row.refreshed_by is None  # no fetch under way
    assert [c.text for c in fake.calls_of("message/custom/send")] == ["一", "二"]


async def test_two_workers_fetching_at_once_cause_one_token_request(
    fake: FakeWeChatApi, database_url: str, clock: Clock
) -> None:
    # two engines on one database: two processes, as far as the database can tell
    dbs = [Database(database_url), Database(database_url)]
    workers = [_client(fake, d, clock) for d in dbs for _ in range(2)]
    try:
        tokens = await asyncio.gather(*(w.access_token() for w in workers))
        sends = [w.send_text("o-1", f"m{i}") for i, w in enumerate(workers)]
        await asyncio.gather(*sends)
    finally:
        for w in workers:
            await w.aclose()
        for d in dbs:
            await d.dispose()
    assert len(set(tokens)) == 1
    assert fake.tokens_issued == 1
    assert len(fake.calls_of("message/custom/send")) == 4


async def test_a_worker_started_later_uses_the_stored_token(
    fake: FakeWeChatApi, db: Database, clock: Clock
) -> None:
    first, second = _client(fake, db, clock), _client(fake, db, clock)
    try:
        await first.send_text("o-1", "a")
        await second.send_text("o-1", "b")
    finally:
        await first.aclose()
        await second.aclose()
    assert fake.tokens_issued == 1


async def test_the_token_is_refreshed_five_minutes_ahead_of_expiry(
    fake: FakeWeChatApi, db: Database, clock: Clock
) -> None:
    api, other = _client(fake, db, clock), _client(fake, db, clock)
    try:
        old = await api.access_token()
        clock.now += timedelta(seconds=7200 - 301)
        assert await api.access_token() == old
        clock.now += timedelta(seconds=2)  # 299 s left
        new = await api.access_token()
        assert new != old and fake.tokens_issued == 2
        assert await other.access_token() == new  # the other worker sees the new one
    finally:
        await api.aclose()
        await other.aclose()
    assert fake.tokens_issued == 2


@pytest.mark.parametrize("errcode", [40001, 40014, 42001])
async def test_a_refused_token_is_refreshed_once_and_the_call_retried_once(
    fake: FakeWeChatApi, db: Database, clock: Clock, errcode: int
) -> None:
    api = _client(fake, db, clock)
    try:
        await api.access_token()
        fake.fail_next("message/custom/send", errcode)
        await api.send_text("o-1", "你好")
    finally:
        await api.aclose()
    assert [c.errcode for c in fake.calls_of("message/custom/send")] == [errcode, 0]
    assert fake.tokens_issued == 2


async def test_a_token_refused_twice_is_an_error(
    fake: FakeWeChatApi, db: Database, clock: Clock
) -> None:
    api = _client(fake, db, clock)
    try:
        fake.fail_next("message/custom/send", 42001)
        fake.fail_next("message/custom/send", 42001)
        with pytest.raises(WeChatError) as raised:
            await api.send_text("o-1", "x")
    finally:
        await api.aclose()
    assert raised.value.errcode == 42001
    assert len(fake.calls_of("message/custom/send")) == 2  # retried once, not more
    assert fake.tokens_issued == 2


async def test_an_invalidated_token_is_replaced_and_shared(
    fake: FakeWeChatApi, db: Database, clock: Clock
) -> None:
    a, b = _client(fake, db, clock), _client(fake, db, clock)
    try:
        await a.send_text("o-1", "1")
        await b.send_text("o-1", "2")
        fake.invalidate_tokens()  # someone fetched a token elsewhere with the same secret
        await a.send_text("o-1", "3")  # refused, refreshed, retried
        await b.send_text("o-1", "4")  # refused, finds a's new token stored: no fetch
    finally:
        await a.aclose()
        await b.aclose()
    assert fake.tokens_issued == 2
    sent = fake.calls_of("message/custom/send")
    assert [(c.text, c.errcode) for c in sent] == [
        ("1", 0),
        ("2", 0),
        ("3", 40001),
        ("3", 0),
        ("4", 40001),
        ("4", 0),
    ]


async def test_workers_refused_the_same_token_refresh_it_once_between_them(
    fake: FakeWeChatApi, database_url: str, clock: Clock
) -> None:
    dbs = [Database(database_url), Database(database_url)]
    workers = [_client(fake, d, clock) for d in dbs for _ in range(2)]
    try:
        old = await workers[0].access_token()
        assert {await w.access_token() for w in workers} == {old}
        new = await asyncio.gather(*(w.access_token(refresh=True) for w in workers))
    finally:
        for w in workers:
            await w.aclose()
        for d in dbs:
            await d.dispose()
    assert len(set(new)) == 1 and old not in new
    assert fake.tokens_issued == 2


async def test_a_really_expired_token_is_refreshed(
    fake: FakeWeChatApi, db: Database, clock: Clock
) -> None:
    api = _client(fake, db, clock)
    try:
        await api.send_text("o-1", "before")
        fake.expire_tokens()  # the fake's clock, not ours: the stored token still looks fresh
        await api.send_text("o-1", "after")
    finally:
        await api.aclose()
    assert [c.errcode for c in fake.calls_of("message/custom/send")] == [0, 42001, 0]
    assert fake.tokens_issued == 2


async def test_other_errcodes_raise_wechat_error(
    fake: FakeWeChatApi, db: Database, clock: Clock
) -> None:
    api = _client(fake, db, clock)
    try:
        fake.fail_next("message/custom/send", 45015, "response out of time limit")
        with pytest.raises(WeChatError) as raised:
            await api.send_text("o-1", "late")
        with pytest.raises(WeChatError) as unknown:
            await api.get_media("nope")
    finally:
        await api.aclose()
    assert (raised.value.errcode, raised.value.errmsg) == (45015, "response out of time limit")
    assert unknown.value.errcode == 40007
    assert fake.tokens_issued == 1  # not a token problem: no refresh
    assert len(fake.calls_of("message/custom/send")) == 1  # and no retry


async def test_wrong_credentials_raise_and_leave_no_lease(
    fake: FakeWeChatApi, db: Database, clock: Clock
) -> None:
    api = _client(fake, db, clock, app_secret="wrong-secret")
    try:
        for _ in range(2):  # the second try asks again at once: the lease was given back
            with pytest.raises(WeChatError) as raised:
                await api.access_token()
            assert raised.value.errcode == 40125
    finally:
        await api.aclose()
    assert len(fake.calls_of("token")) == 2 and fake.tokens_issued == 0
    async with db.transaction() as session:
        row = await session.scalar(select(WeChatToken))
    assert row is not None and row.token is None and row.refreshed_by is None


async def test_while_another_worker_fetches_the_old_token_serves_until_it_expires(
    fake: FakeWeChatApi, db: Database, clock: Clock
) -> None:
    api = _client(fake, db, clock)
    try:
        old = await api.access_token()
        clock.now += timedelta(seconds=7200 - 120)  # 2 minutes left: a refresh is due
        async with db.transaction() as session:
            row = await session.get(WeChatToken, fake.app_id)
            assert row is not None
            row.refreshed_by, row.refreshed_at = "other:1", clock.now
        assert await api.access_token() == old  # no waiting, no second fetch
        assert fake.tokens_issued == 1
        clock.now += timedelta(seconds=121)  # now it has expired: wait for the other
        async with db.transaction() as session:
            row = await session.get(WeChatToken, fake.app_id)
            assert row is not None
            row.refreshed_at = clock.now - timedelta(seconds=10)  # its lease still holds
        waiting = asyncio.create_task(api.access_token())
        await asyncio.sleep(0.3)
        assert not waiting.done()
        async with db.transaction() as session:
            row = await session.get(WeChatToken, fake.app_id)
            assert row is not None
            row.token, row.expires_at, row.refreshed_by = (
                "from-other",
                clock.now + timedelta(hours=2),
                None,
            )
        assert await asyncio.wait_for(waiting, 5) == "from-other"
    finally:
        await api.aclose()
    assert fake.tokens_issued == 1


async def test_a_dead_workers_lease_lapses(fake: FakeWeChatApi, db: Database, clock: Clock) -> None:
    async with db.transaction() as session:
        session.add(WeChatToken(app_id=fake.app_id, refreshed_by="dead:1", refreshed_at=clock.now))
    api = _client(fake, db, clock)
    try:
        waiting = asyncio.create_task(api.access_token())
        await asyncio.sleep(0.3)
        assert not waiting.done() and fake.tokens_issued == 0  # it waits for the other
        clock.now += timedelta(seconds=31)
        token = await asyncio.wait_for(waiting, 5)
    finally:
        await api.aclose()
    assert token and fake.tokens_issued == 1


async def test_template_media_and_menu(fake: FakeWeChatApi, db: Database, clock: Clock) -> None:
    fake.add_media("m-1", b"\x89PNG...", "image/png")
    api = _client(fake, db, clock)
    menu = {"button": [{"type": "click", "name": "学时", "key": "cmd:progress"}]}
    try:
        await api.send_template(
            "o-2",
            "TPL",
            {"first": "截止提醒", "keyword1": "12月31日"},
            url="https://cebot.test/c/1",
        )
        await api.send_template("o-3", "TPL", {"first": "x"})
        media = await api.get_media("m-1")
        await api.create_menu(menu)
    finally:
        await api.aclose()
    first, second = fake.calls_of("message/template/send")
    assert (first.openid, first.template_id, first.url) == ("o-2", "TPL", "https://cebot.test/c/1")
    assert first.data == {"first": "截止提醒", "keyword1": "12月31日"}
    assert second.url is None and "url" not in second.body
    assert media == (b"\x89PNG...", "image/png")
    assert fake.menu == menu


async def test_text_goes_as_utf8_not_escapes(
    fake: FakeWeChatApi, db: Database, clock: Clock
) -> None:
    seen: list[bytes] = []

    async def record(request: httpx.Request) -> None:
        if request.url.path.endswith("/custom/send"):
            seen.append(request.content)

    http = httpx.AsyncClient(event_hooks={"request": [record]})
    api = WeChatApi(
        base_url=fake.base_url,
        app_id=fake.app_id,
        app_secret=fake.app_secret,
        db=db,
        clock=clock,
        http=http,
    )
    try:
        await api.send_text("o-1", "学时")
    finally:
        await http.aclose()
    assert seen and "学时".encode() in seen[0] and b"\\u" not in seen[0]


async def test_neither_secret_nor_token_is_logged(
    fake: FakeWeChatApi, db: Database, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    # the Telegram application quiets httpx to WARNING for the whole process (bot/app.py);
    # here its request lines must be there, so that the blanking is what is tested
    caplog.set_level(logging.DEBUG, logger="httpx")
    api = _client(fake, db, clock)
    try:
        fake.fail_next("message/custom/send", 40001)
        await api.send_text("o-1", "hi")
        fake.fail_next("message/custom/send", 45009, "reach max api daily quota limit")
        with pytest.raises(WeChatError) as raised:
            await api.send_text("o-1", "hi")
        token = await api.access_token()
    finally:
        await api.aclose()
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("bot.wechat"))
    assert "token fetched" in logged and "45009" in logged
    # the database drivers' own DEBUG lines show SQL parameters (the stored token): those
    # loggers are not this module's to tame; everything else, at any level, must be clean
    drivers = ("aiosqlite", "sqlalchemy", "psycopg")
    everything = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith(drivers))
    assert "access_token=***" in everything  # httpx's own request lines, blanked
    for secret in (fake.app_secret, token):
        assert secret not in everything
        assert secret not in str(raised.value)
    assert fake.app_secret not in repr(api)


def test_from_settings() -> None:
    db = Database("sqlite://")
    assert WeChatApi.from_settings(Settings(_env_file=None), db, Clock()) is None
    with pytest.raises(ValueError, match="WECHAT_APP_SECRET"):
        WeChatApi.from_settings(Settings(_env_file=None, WECHAT_APP_ID="wx1"), db, Clock())
    api = WeChatApi.from_settings(
        Settings(
            _env_file=None,
            WECHAT_APP_ID="wx1",
            WECHAT_APP_SECRET="s3cret",
            WECHAT_API_BASE_URL="http://127.0.0.1:9/",
        ),
        db,
        Clock(),
    )
    assert api is not None and api.app_id == "wx1" and api.base_url == "http://127.0.0.1:9"


async def test_media_over_the_limit_is_refused(
    fake: FakeWeChatApi, db: Database, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.wechat.api.MAX_MEDIA_BYTES", 100)
    fake.add_media("fits", b"0123456789" * 10, "image/jpeg")
    fake.add_media("big", b"0123456789" * 10 + b"A", "image/jpeg")
    api = _client(fake, db, clock)
    try:
        assert await api.get_media("fits") == (b"0123456789" * 10, "image/jpeg")
        with pytest.raises(WeChatError) as raised:
            await api.get_media("big")
        fake.fail_next("media/get", 40001)  # a refused token is retried on this path too
        assert len((await api.get_media("fits"))[0]) == 100
    finally:
        await api.aclose()
    assert raised.value.errcode == 45001
    assert fake.tokens_issued == 2


async def test_a_body_without_a_length_is_cut_off_as_it_arrives() -> None:
    from bot.wechat.api import _bounded

    async def chunks(n: int) -> AsyncIterator[bytes]:
        for _ in range(n):
            yield b"x" * 60

    request = httpx.Request("GET", "http://wechat.test/cgi-bin/media/get")
    streamed = httpx.Response(200, content=chunks(2), request=request)
    assert "content-length" not in streamed.headers
    with pytest.raises(WeChatError, match="45001"):
        await _bounded(streamed, 100)
    small = await _bounded(httpx.Response(200, content=chunks(1), request=request), 100)
    assert small.content == b"x" * 60


async def test_no_token_means_not_sent(fake: FakeWeChatApi, db: Database, clock: Clock) -> None:
    down = _client(fake, db, clock, base_url="http://127.0.0.1:9")  # nothing listens there
    busy = _client(fake, db, clock)
    try:
        with pytest.raises(httpx.ConnectError, match="no WeChat access token") as unreachable:
            await down.send_text("o-1", "x")
        fake.fail_next("token", -1, "system error")
        with pytest.raises(httpx.ConnectError, match="system error"):
            await busy.send_text("o-1", "x")
        await busy.send_text("o-1", "y")  # the lease was given back: the next call fetches
    finally:
        await down.aclose()
        await busy.aclose()
    # a ConnectError: whoever sorts transport failures knows the message never left
    assert "ConnectError" in str(unreachable.value)  # what the fetch met
    assert [c.text for c in fake.calls_of("message/custom/send")] == ["y"]
