"""The WeChat protocol without HTTP: URL check, reading messages in each mode (built by the
fake WeChat user, which signs and encrypts with wechatpy as WeChat does), the passive reply,
and what is refused: wrong signatures, stale timestamps, hostile XML, large bodies."""

from __future__ import annotations

import time

import pytest
from defusedxml.ElementTree import fromstring
from wechatpy.crypto import WeChatCrypto

from bot.wechat.fake_api import WeChatUser
from bot.wechat.protocol import MAX_BODY, Protocol, Refused

TOKEN = "test-token"
APP_ID = "wx0123456789abcdef"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters
ACCOUNT = "gh_0123456789ab"


def protocol(mode: str, **kw: object) -> Protocol:
    return Protocol(token=TOKEN, app_id=APP_ID, aes_key=AES_KEY, mode=mode, **kw)  # type: ignore[arg-type]


def user(mode: str, openid: str = "o-user-1") -> WeChatUser:
    return WeChatUser(
        "http://unused/wechat",
        token=TOKEN,
        app_id=APP_ID,
        aes_key=AES_KEY,
        mode=mode,
        openid=openid,
        account_id=ACCOUNT,
    )


def decrypt_reply(body: str, nonce_hint: str | None = None) -> dict[str, str]:
    outer = {c.tag: c.text or "" for c in fromstring(body)}
    plain = WeChatCrypto(TOKEN, AES_KEY, APP_ID).decrypt_message(
        {"Encrypt": outer["Encrypt"]}, outer["MsgSignature"], outer["TimeStamp"], outer["Nonce"]
    )
    return {c.tag: c.text or "" for c in fromstring(plain)}


@pytest.mark.parametrize("mode", ["plain", "compatible", "safe"])
async def test_each_mode_reads_a_text_and_replies_in_kind(mode: str) -> None:
    sender = user(mode)
    body, params = sender.envelope(sender.message_xml("text", {"Content": "进度"}, msgid=True))
    message = protocol(mode).read(params, body)
    assert (message.msg_type, message.content, message.openid) == ("text", "进度", "o-user-1")
    assert message.account == ACCOUNT and message.msg_id.isdigit()
    assert message.encrypted == (mode != "plain")
    reply = protocol(mode).reply(message, "您好 <&> 1. 同意")
    if mode == "plain":
        fields = {c.tag: c.text or "" for c in fromstring(reply)}
    else:
        assert "您好" not in reply  # encrypted, with a valid msg signature
        fields = decrypt_reply(reply)
    assert fields["Content"] == "您好 <&> 1. 同意"
    assert (fields["ToUserName"], fields["FromUserName"]) == ("o-user-1", ACCOUNT)


@pytest.mark.parametrize("mode", ["plain", "safe"])
def test_a_reply_text_cannot_end_its_cdata_and_add_xml(mode: str) -> None:
    """wechatpy puts the text into CDATA unescaped: a "]]>" the user typed and the bot echoes
    must come back as the same text, with no element of the user's own in the reply."""
    sender = user(mode)
    body, params = sender.envelope(sender.message_xml("text", {"Content": "x"}, msgid=True))
    message = protocol(mode).read(params, body)
    hostile = "标题]]><MsgType>news</MsgType><Content><![CDATA[假"
    reply = protocol(mode).reply(message, hostile)
    root = fromstring(reply) if mode == "plain" else None
    fields = {c.tag: c.text or "" for c in root} if root is not None else decrypt_reply(reply)
    assert fields["Content"] == hostile
    assert fields["MsgType"] == "text"
    if root is not None:
        assert [c.tag for c in root].count("MsgType") == 1


@pytest.mark.parametrize("mode", ["plain", "compatible", "safe"])
async def test_events_are_read_with_their_keys(mode: str) -> None:
    sender = user(mode)
    xml = sender.message_xml("event", {"Event": "CLICK", "EventKey": "cmd:progress"})
    message = protocol(mode).read(*reversed(sender.envelope(xml)))
    assert (message.msg_type, message.event, message.event_key) == (
        "event",
        "click",
        "cmd:progress",
    )
    assert message.msg_id == ""


def test_events_in_the_same_second_have_different_keys_and_messages_key_by_msgid() -> None:
    sender = user("plain")
    read = protocol("plain").read
    fixed = f"<CreateTime>{int(time.time())}</CreateTime>"

    def at_fixed_time(xml: str) -> str:
        start = xml.index("<CreateTime>")
        end = xml.index("</CreateTime>") + len("</CreateTime>")
        return xml[:start] + fixed + xml[end:]

    subscribe = read(
        *reversed(
            sender.envelope(
                at_fixed_time(sender.message_xml("event", {"Event": "subscribe", "EventKey": ""}))
            )
        )
    )
    click = read(
        *reversed(
            sender.envelope(
                at_fixed_time(
                    sender.message_xml("event", {"Event": "CLICK", "EventKey": "cmd:menu"})
                )
            )
        )
    )
    assert subscribe.create_time == click.create_time
    assert subscribe.dedup_key != click.dedup_key
    text = read(
        *reversed(sender.envelope(sender.message_xml("text", {"Content": "x"}, msgid=True)))
    )
    assert text.dedup_key == f"m:{text.msg_id}"


def test_the_url_check_answers_echostr_only_when_signed() -> None:
    sender = user("plain")
    params = sender._signed() | {"echostr": "abc123"}
    assert protocol("safe").verify_url(params) == "abc123"
    with pytest.raises(Refused) as refused:
        protocol("safe").verify_url(params | {"signature": "0" * 40})
    assert refused.value.status == 403


def test_an_encrypted_url_check_is_decrypted() -> None:
    crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)
    timestamp, nonce = str(int(time.time())), "n1"
    outer = {
        c.tag: c.text or "" for c in fromstring(crypto.encrypt_message("echo-42", nonce, timestamp))
    }
    params = {
        "timestamp": timestamp,
        "nonce": nonce,
        "echostr": outer["Encrypt"],
        "msg_signature": outer["MsgSignature"],
    }
    assert protocol("safe").verify_url(params) == "echo-42"
    with pytest.raises(Refused):
        protocol("safe").verify_url(params | {"msg_signature": "f" * 40})


@pytest.mark.parametrize("mode", ["plain", "compatible", "safe"])
def test_a_wrong_signature_is_403(mode: str) -> None:
    sender = user(mode)
    body, params = sender.envelope(sender.message_xml("text", {"Content": "hi"}, msgid=True))
    key = "signature" if mode == "plain" else "msg_signature"
    with pytest.raises(Refused) as refused:
        protocol(mode).read(params | {key: "0" * 40}, body)
    assert refused.value.status == 403


def test_a_token_of_another_account_is_403() -> None:
    sender = WeChatUser(
        "http://unused",
        token="other",
        app_id=APP_ID,
        aes_key=AES_KEY,
        mode="safe",
        openid="o1",
        account_id=ACCOUNT,
    )
    body, params = sender.envelope(sender.message_xml("text", {"Content": "hi"}, msgid=True))
    with pytest.raises(Refused) as refused:
        protocol("safe").read(params, body)
    assert refused.value.status == 403


def test_a_stale_timestamp_is_refused() -> None:
    sender = user("safe")
    body, params = sender.envelope(sender.message_xml("text", {"Content": "hi"}, msgid=True))
    later = protocol("safe", wall_clock=lambda: time.time() + 301)
    with pytest.raises(Refused) as refused:
        later.read(params, body)
    assert refused.value.status == 403
    protocol("safe", wall_clock=lambda: time.time() + 200).read(params, body)  # within 5 min


def test_safe_mode_refuses_plaintext_messages() -> None:
    sender = user("plain")
    body, params = sender.envelope(sender.message_xml("text", {"Content": "hi"}, msgid=True))
    with pytest.raises(Refused) as refused:
        protocol("safe").read(params, body)
    assert refused.value.status == 403


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
]>
<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>&lol9;</Content><MsgId>1</MsgId></xml>"""

EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>&x;</Content><MsgId>1</MsgId></xml>"""


@pytest.mark.parametrize("hostile", [BILLION_LAUGHS, EXTERNAL, "<xml><a>", "not xml", "<other/>"])
def test_hostile_or_malformed_plain_bodies_are_400(hostile: str) -> None:
    sender = user("plain")
    _body, params = sender.envelope("<xml/>")
    with pytest.raises(Refused) as refused:
        protocol("plain").read(params, hostile.encode())
    assert refused.value.status == 400


@pytest.mark.parametrize("hostile", [BILLION_LAUGHS, EXTERNAL])
def test_a_hostile_body_inside_the_encryption_is_400(hostile: str) -> None:
    # correctly signed and encrypted: only the inner XML is hostile
    sender = user("safe")
    body, params = sender.envelope(hostile)
    with pytest.raises(Refused) as refused:
        protocol("safe").read(params, body)
    assert refused.value.status == 400


def test_a_body_over_64_kb_is_refused_unread() -> None:
    sender = user("plain")
    _body, params = sender.envelope("<xml/>")
    big = b"<xml><Content>" + b"a" * MAX_BODY + b"</Content></xml>"
    with pytest.raises(Refused) as refused:
        protocol("plain").read(params, big)
    assert refused.value.status == 413


def test_a_mode_needs_its_settings() -> None:
    with pytest.raises(ValueError):
        Protocol(token=TOKEN, app_id=APP_ID, aes_key=None, mode="safe")
    with pytest.raises(ValueError):
        Protocol(token="", app_id=APP_ID, aes_key=AES_KEY, mode="plain")
    with pytest.raises(ValueError):
        Protocol(token=TOKEN, app_id=APP_ID, aes_key=AES_KEY, mode="secret")
