"""Issue 17 item 14: the one-process setup serves the pages its links lead to.

`cebot run` (polling; what bin/start runs) and `cebot chat` (the console bin/start opens
without a token) serve the certificate verification page, /privacy, /healthz and /metrics on
CEBOT_LISTEN_HOST:PORT, and with no CEBOT_PUBLIC_URL the links point there. Tried as the
user would: a certificate's QR code, read from the PDF the bot sent, and the privacy link in
the consent message are opened over HTTP while the bot runs."""

from __future__ import annotations

import asyncio
import os
import queue
import re
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from bot.app import build_application, embed_scheduler
from bot.fake_api import FakeBotApi
from bot.serve import bind, console_with_pages, polling_app, server
from cebot.settings import Settings
from services.context import AppContext
from services.process_pools import stop_process_pools
from tests.certificates.helpers import pdf_qr_codes
from tests.e2e.running import bind as bind_in_chat
from tests.fault_ledger import FaultLedger

USER = 6161
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def one_process_settings(settings: Settings, port: int) -> Settings:
    """The e2e settings with no CEBOT_PUBLIC_URL: the default must follow the listen port."""
    assert settings.telegram_bot_token is not None
    return Settings(
        TELEGRAM_BOT_TOKEN=settings.telegram_bot_token.get_secret_value(),
        TELEGRAM_BASE_URL=settings.telegram_base_url,
        TELEGRAM_BASE_FILE_URL=settings.telegram_base_file_url,
        CEBOT_DATA_DIR=settings.data_dir,
        CEBOT_LISTEN_PORT=port,
    )


def test_public_url_follows_the_listen_address_unless_set() -> None:
    assert Settings(CEBOT_LISTEN_PORT=9123).public_url == "http://localhost:9123"
    assert Settings(CEBOT_LISTEN_HOST="0.0.0.0").public_url == "http://localhost:8080"
    assert Settings(CEBOT_PUBLIC_URL="").public_url == "http://localhost:8080"
    set_url = Settings(CEBOT_PUBLIC_URL="https://bot.example.gov.cn", CEBOT_LISTEN_PORT=9)
    assert set_url.public_url == "https://bot.example.gov.cn"


@asynccontextmanager
async def one_process(settings: Settings, ctx: AppContext) -> AsyncIterator[None]:
    """What run_polling runs, in this test's event loop: polling, the scheduler, the pages."""
    application = build_application(settings, ctx)
    embed_scheduler(application, ctx)
    sock = bind(settings.listen_host, settings.listen_port)
    web = server(polling_app(application, ctx))
    task = asyncio.create_task(web.serve(sockets=[sock]))
    while not web.started:
        assert not task.done(), task.result()
        await asyncio.sleep(0.01)
    try:
        yield
    finally:
        web.should_exit = True
        await asyncio.wait_for(task, timeout=30)  # the scheduler stops too: no hang
        sock.close()


def qr_link(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "certificate.pdf"
    path.write_bytes(pdf)
    codes = pdf_qr_codes(path, tmp_path)
    assert len(codes) == 1, codes
    return codes[0]


async def test_polling_process_serves_the_qr_link_and_the_privacy_page(
    ctx: AppContext,
    roster: int,
    fake_api: FakeBotApi,
    settings: Settings,
    zhang_id: str,
    tmp_path: Path,
    faults: FaultLedger,
) -> None:
    port = free_port()
    settings = one_process_settings(settings, port)
    ctx = replace(ctx, public_url=settings.public_url)  # as build_context makes it
    async with one_process(settings, ctx), httpx.AsyncClient(timeout=10) as http:
        mark = fake_api.mark()
        await bind_in_chat(fake_api, USER, zhang_id, "张伟")
        consent = next(
            c.params["text"]
            for c in fake_api.calls[mark:]
            if c.method == "sendMessage" and "个人信息处理告知" in c.params["text"]
        )
        privacy = re.search(r"https?://\S+/privacy", consent)
        assert privacy, consent
        assert privacy.group(0).startswith(f"http://localhost:{port}/")

        mark = fake_api.mark()
        fake_api.press(USER, "我的证书")
        await fake_api.wait_for_button(USER, "生成公需科目证书", since=mark)
        mark = fake_api.mark()
        fake_api.press(USER, "生成公需科目证书")
        sent = await fake_api.wait_for(
            "sendDocument", lambda c: c.params["chat_id"] == USER, since=mark, timeout=60
        )
        link = qr_link(fake_api.files[sent.params["_result"]["document"]["file_id"]], tmp_path)
        assert link.startswith(f"http://localhost:{port}/verify/")

        page = await http.get(link)
        notice = await http.get(privacy.group(0))
        # every link the bot gave, opened: a dead one is work the user lost
        dead = sum(r.status_code != 200 for r in (page, notice))
        faults.record("14 links of the one-process bot", tried=2, lost=dead)
        assert page.status_code == 200 and "证书有效" in page.text
        assert notice.status_code == 200 and "个人信息处理告知" in notice.text
        assert (await http.get(f"http://127.0.0.1:{port}/healthz")).text == "ok"
        metrics = await http.get(f"http://127.0.0.1:{port}/metrics")
        assert metrics.status_code == 200 and "cebot_" in metrics.text
    await stop_process_pools()


class TypedLines:
    """The console's standard input, typed by the test while the console runs."""

    def __init__(self) -> None:
        self._lines: queue.Queue[str] = queue.Queue()

    def type(self, line: str) -> None:
        self._lines.put(line + "\n")

    def close(self) -> None:
        self._lines.put("")

    def readline(self) -> str:
        return self._lines.get(timeout=120)

    def isatty(self) -> bool:
        return False


class Screen:
    """The console's standard output, read by the test as it grows."""

    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> int:
        self.text += text
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    async def shows(self, pattern: str, since: int = 0, timeout: float = 60) -> re.Match[str]:
        for _ in range(int(timeout / 0.05)):
            found = re.search(pattern, self.text[since:])
            if found:
                return found
            await asyncio.sleep(0.05)
        raise AssertionError(f"the console never showed {pattern!r}:\n{self.text[-2000:]}")

    async def choice(self, label: str, since: int) -> str:
        # a label may carry an emoji before it ("[4] 📜 我的证书")
        return (await self.shows(r"\[(\d+)\] [^\[\n]*?" + re.escape(label), since)).group(1)


async def test_console_serves_its_links_while_it_runs(
    ctx: AppContext,
    roster: int,
    settings: Settings,
    zhang_id: str,
    tmp_path: Path,
    faults: FaultLedger,
) -> None:
    port = free_port()
    settings = one_process_settings(settings, port)
    ctx = replace(ctx, public_url=settings.public_url)
    keyboard, screen = TypedLines(), Screen()
    console = asyncio.create_task(
        console_with_pages(
            ctx,
            host=settings.listen_host,
            port=settings.listen_port,
            input_stream=keyboard,  # type: ignore[arg-type]
            output=screen,  # type: ignore[arg-type]
        )
    )
    try:
        # the address is said once, at the start
        said = await screen.shows(r"网页（证书验证、隐私告知）：(http://\S+)")
        assert said.group(1) == f"http://localhost:{port}"
        keyboard.type(await screen.choice("✅ 同意", 0))
        mark = len(screen.text)
        keyboard.type(zhang_id)
        await screen.shows("姓名", mark)
        mark = len(screen.text)
        keyboard.type("张伟")
        keyboard.type(await screen.choice("我的证书", mark))
        mark = len(screen.text)
        keyboard.type(await screen.choice("生成公需科目证书", mark))
        attached = await screen.shows(r"📎 [^:]+: (\S+\.pdf)", mark, timeout=90)
        link = qr_link(Path(attached.group(1)).read_bytes(), tmp_path)
        assert link.startswith(f"http://localhost:{port}/verify/")
        privacy = re.search(r"https?://\S+/privacy", screen.text)
        assert privacy and privacy.group(0).startswith(f"http://localhost:{port}/")
        assert not console.done()
        async with httpx.AsyncClient(timeout=10) as http:
            page = await http.get(link)
            notice = await http.get(privacy.group(0))
        dead = sum(r.status_code != 200 for r in (page, notice))
        faults.record("14 links of the console chat", tried=2, lost=dead)
        assert page.status_code == 200 and "证书有效" in page.text
        assert notice.status_code == 200 and "个人信息处理告知" in notice.text
        assert screen.text.count(said.group(0)) == 1
    finally:
        keyboard.type("/quit")
        await asyncio.wait_for(console, timeout=60)
    assert screen.text.rstrip().endswith("再见！")
    async with httpx.AsyncClient(timeout=2) as http:
        with pytest.raises(httpx.ConnectError):  # the pages end with the console
            await http.get(f"http://127.0.0.1:{port}/healthz")


async def test_console_says_when_the_port_is_taken(ctx: AppContext, settings: Settings) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        keyboard, screen = TypedLines(), Screen()
        keyboard.type("/quit")
        await console_with_pages(
            ctx,
            host="127.0.0.1",
            port=port,
            input_stream=keyboard,  # type: ignore[arg-type]
            output=screen,  # type: ignore[arg-type]
        )
    assert f"无法在 127.0.0.1:{port} 提供网页（端口已被其他程序占用）" in screen.text
    assert "个人信息处理告知" in screen.text  # the chat itself still runs
    assert screen.text.rstrip().endswith("再见！")


async def test_cebot_run_serves_the_pages_and_stops_on_sigterm(
    fake_api: FakeBotApi, tmp_path: Path
) -> None:
    """The command itself, as bin/start runs it with a token: says where the pages are,
    serves them, and ends cleanly on SIGTERM (scheduler and pools included)."""
    port = free_port()
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": fake_api.token,
        "TELEGRAM_BASE_URL": fake_api.base_url,
        "TELEGRAM_BASE_FILE_URL": fake_api.base_file_url,
        "CEBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'cebot.sqlite3'}",
        "CEBOT_DATA_DIR": str(tmp_path / "data"),
        "CEBOT_LISTEN_PORT": str(port),
        "CEBOT_LOG_LEVEL": "WARNING",
    }
    env.pop("CEBOT_PUBLIC_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-c", "from cebot.cli import main; main()", "run"],
        cwd=tmp_path,  # no .env of the checkout
        env={**env, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        async with httpx.AsyncClient(timeout=5) as http:
            for _ in range(300):
                assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
                try:
                    if (await http.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)
            notice = await http.get(f"http://localhost:{port}/privacy")
            forged = await http.get(f"http://localhost:{port}/verify/GX2024-PE-000001?t=forged")
        await fake_api.wait_for("getUpdates", timeout=20)  # and it polls
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    text = output.decode(errors="replace")
    assert notice.status_code == 200 and "个人信息处理告知" in notice.text
    assert forged.status_code in (200, 404) and "证书" in forged.text
    assert f"网页（证书验证、隐私告知）：http://localhost:{port}" in text
    assert "Traceback" not in text, text
    assert proc.returncode in (0, -signal.SIGTERM), text


def test_cebot_run_says_when_the_port_is_taken(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": "123456:TEST-token",  # never reached: the port fails first
            "CEBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'cebot.sqlite3'}",
            "CEBOT_DATA_DIR": str(tmp_path / "data"),
            "CEBOT_LISTEN_PORT": str(port),
            "PYTHONPATH": str(ROOT),
        }
        done = subprocess.run(
            [sys.executable, "-c", "from cebot.cli import main; main()", "run"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode == 1
    assert f"无法在 127.0.0.1:{port} 提供网页（端口已被其他程序占用）" in done.stderr
    assert "Traceback" not in done.stderr
