"""The real application (polling) against the fake Bot API: a bound person presses "my
certificates", generates the public-subject certificate and receives the PDF by sendDocument;
then a photo of its QR code, sent to /verify, is downloaded by getFile and checked."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.fake_api import FakeBotApi
from cebot.settings import Settings
from services.certificate_render import shutdown_renderer
from services.context import AppContext
from storage.models import Certificate
from tests.certificates.helpers import pdf_text
from tests.e2e.running import polling

USER = 5151


@pytest.fixture(scope="module", autouse=True)
def _stop_render_pool() -> Iterator[None]:
    yield
    shutdown_renderer()


async def bind(api: FakeBotApi, zhang_id: str) -> None:
    mark = api.mark()
    api.send_text(USER, "/start")
    await api.wait_for_button(USER, "✅ 同意", since=mark)
    mark = api.mark()
    api.press(USER, "✅ 同意")
    await api.wait_for("sendMessage", lambda c: "身份证号码" in c.params["text"], since=mark)
    mark = api.mark()
    api.send_text(USER, zhang_id)
    await api.wait_for("deleteMessage", since=mark)
    mark = api.mark()
    api.send_text(USER, "张伟")
    await api.wait_for_button(USER, "我的证书", since=mark)


async def test_certificate_pdf_through_the_bot_api(
    ctx: AppContext,
    roster: int,
    fake_api: FakeBotApi,
    settings: Settings,
    zhang_id: str,
    tmp_path: Path,
) -> None:
    async with polling(settings, ctx):
        await bind(fake_api, zhang_id)

        mark = fake_api.mark()
        fake_api.press(USER, "我的证书")
        screen = await fake_api.wait_for_button(USER, "生成公需科目证书", since=mark)
        assert "合计 75 / 90 学时" in screen.params["text"]

        mark = fake_api.mark()
        fake_api.press(USER, "生成公需科目证书")
        sent = await fake_api.wait_for(
            "sendDocument", lambda c: c.params["chat_id"] == USER, since=mark
        )
        # "sending a file…" shows while the certificate is made and uploaded
        action = fake_api.calls_of("sendChatAction")
        assert [c for c in action if c.params.get("action") == "upload_document"]
        assert min(c.at for c in action if c.params.get("action") == "upload_document") <= sent.at
        toast = await fake_api.wait_for("answerCallbackQuery", since=mark)
        assert toast.params.get("text") == "正在准备证书 PDF……"
        found = re.search(r"GX2024-PE-\d{6}", str(sent.params["caption"]))
        assert found, sent.params["caption"]
        number = found.group(0)
        content = fake_api.files[sent.params["_result"]["document"]["file_id"]]
        assert content.startswith(b"%PDF-")
        pdf = tmp_path / "received.pdf"
        pdf.write_bytes(content)
        text = pdf_text(pdf)
        assert (
            number in text and "张伟" in text and "专业技术人员继续教育公需科目考试合格证书" in text
        )
        assert zhang_id not in text

        async with ctx.db.transaction() as s:
            rows = list(await s.scalars(select(Certificate)))
        assert [r.number for r in rows] == [number] and rows[0].person_id == roster

        # the certificate's QR code photographed and sent to /verify
        subprocess.run(
            ["pdftoppm", "-r", "150", "-png", "-singlefile", str(pdf), str(tmp_path / "page")],
            check=True,
        )
        photo = (tmp_path / "page.png").read_bytes()
        mark = fake_api.mark()
        fake_api.send_text(USER, "/verify")
        await fake_api.wait_for(
            "sendMessage", lambda c: "二维码的照片" in c.params["text"], since=mark
        )
        mark = fake_api.mark()
        fake_api.send_file(USER, photo, as_photo=True)
        answer = await fake_api.wait_for(
            "sendMessage", lambda c: "证书验证结果" in c.params["text"], since=mark
        )
        assert "✅ 证书有效" in answer.params["text"] and "姓名：张*" in answer.params["text"]
        assert number in answer.params["text"]
        assert fake_api.calls_of("getFile")


async def test_a_render_that_fails_is_said_plainly_and_can_be_pressed_again(
    ctx: AppContext,
    roster: int,
    fake_api: FakeBotApi,
    settings: Settings,
    zhang_id: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A render past its timeout (the pool ends the job) reaches the user as one plain
    sentence, not as the generic error; the certificate stays issued, and the next press
    sends the PDF."""
    import bot.flows.certs as certs_flow

    real_ensure_pdf = certs_flow.ensure_pdf

    async def timed_out(*_args: object, **_kwargs: object) -> Path:
        raise TimeoutError("render took longer than CEBOT_RENDER_TIMEOUT")

    monkeypatch.setattr(certs_flow, "ensure_pdf", timed_out)
    async with polling(settings, ctx):
        await bind(fake_api, zhang_id)
        mark = fake_api.mark()
        fake_api.press(USER, "我的证书")
        await fake_api.wait_for_button(USER, "生成公需科目证书", since=mark)

        mark = fake_api.mark()
        fake_api.press(USER, "生成公需科目证书")
        failed = await fake_api.wait_for(
            "sendMessage", lambda c: "文件这次没能生成" in c.params["text"], since=mark
        )
        assert ".pdf" in failed.params["text"]
        assert not [c for c in fake_api.calls[mark:] if "出了点问题" in str(c.params.get("text"))]
        async with ctx.db.transaction() as s:
            issued = list(await s.scalars(select(Certificate)))
        assert len(issued) == 1

        monkeypatch.setattr(certs_flow, "ensure_pdf", real_ensure_pdf)
        mark = fake_api.mark()
        fake_api.press(USER, "我的证书")
        await fake_api.wait_for_button(USER, "⬇️ 下载公需科目证书（2024）", since=mark)
        mark = fake_api.mark()
        fake_api.press(USER, "⬇️ 下载公需科目证书（2024）")
        sent = await fake_api.wait_for(
            "sendDocument", lambda c: c.params["chat_id"] == USER, since=mark
        )
        assert fake_api.files[sent.params["_result"]["document"]["file_id"]].startswith(b"%PDF-")
