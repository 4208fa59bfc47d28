"""WeChat's server protocol, without HTTP: the GET that verifies the server URL, a POST's
signed (and in safe mode encrypted) XML read into an `Inbound`, and the passive reply.

wechatpy does the signatures, the WXBizMsgCrypt scheme and the XML replies. Its own parser
(parse_message, and decrypt_message given bytes) is xmltodict over expat, which expands
internal entities (a "billion laughs" body), so cebot reads every XML text, the decrypted
inner one included, with defusedxml alone, DTDs forbidden: WeChat never sends a DOCTYPE,
and a body with one is refused before anything expands. The flat <xml> of a message needs
nothing more than its children's texts. Bodies are bounded (MAX_BODY) before parsing.

Modes (WECHAT_MESSAGE_MODE): plain (signature only), compatible (plain fields and the
encrypted copy; the encrypted one is read when present, and the reply is encrypted then),
safe (encrypted only; msg_signature over the ciphertext)."""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

import defusedxml.ElementTree as DefusedET
from defusedxml import DefusedXmlException
from wechatpy.crypto import PrpCrypto, WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.replies import TextReply
from wechatpy.utils import WeChatSigner

MAX_BODY = 64 * 1024  # WeChat's messages are a few KB; anything larger is not WeChat
MAX_CLOCK_SKEW = 300  # seconds: an older (or future) timestamp is a replay, refused
Mode = Literal["plain", "compatible", "safe"]
MODES: tuple[Mode, ...] = ("plain", "compatible", "safe")


class Refused(Exception):
    """The request is refused with `status` (400 malformed or hostile, 403 not WeChat's)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason  # for the log and metrics: never the body


@dataclass(frozen=True)
class Inbound:
    """One message or event, as WeChat sent it (the fields cebot reads)."""

    msg_type: str  # text, image, voice, video, shortvideo, location, link, event
    openid: str  # FromUserName: the user
    account: str  # ToUserName: the service account's original id
    create_time: int
    msg_id: str = ""  # messages only
    content: str = ""  # text
    media_id: str = ""  # image, voice, video
    event: str = ""  # subscribe, unsubscribe, click, view, ... (lower case)
    event_key: str = ""
    encrypted: bool = False  # came encrypted: the reply is encrypted too
    nonce: str = ""

    @property
    def dedup_key(self) -> str:
        """Messages by MsgId; events by sender, time, event and key (a subscribe and a menu
        tap in the same second share sender and time)."""
        if self.msg_id:
            return f"m:{self.msg_id}"
        return f"e:{self.openid}:{self.create_time}:{self.event}:{self.event_key}"[:200]


def _sign(*parts: str) -> str:
    signer = WeChatSigner()
    signer.add_data(*parts)
    return str(signer.signature)


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def safe_xml(text: str | bytes) -> dict[str, str]:
    """The <xml> element's children as a dict, parsed by defusedxml (no DTD, no entities,
    nothing external). Raises Refused(400) for a hostile or malformed body."""
    try:
        root = DefusedET.fromstring(text, forbid_dtd=True, forbid_entities=True)
    except (DefusedXmlException, DefusedET.ParseError, ValueError) as exc:
        raise Refused(400, f"xml refused ({type(exc).__name__})") from exc
    if root.tag != "xml":
        raise Refused(400, "not a WeChat message")
    return {child.tag: (child.text or "") for child in root}


class Protocol:
    def __init__(
        self,
        *,
        token: str,
        app_id: str,
        aes_key: str | None,
        mode: str = "safe",
        wall_clock: Callable[[], float] = time.time,
        max_skew: int = MAX_CLOCK_SKEW,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"WECHAT_MESSAGE_MODE must be one of {', '.join(MODES)}")
        if not token:
            raise ValueError("WECHAT_TOKEN is not set")
        if mode != "plain" and not aes_key:
            raise ValueError("WECHAT_ENCODING_AES_KEY is needed in compatible and safe mode")
        self.token = token
        self.app_id = app_id
        self.mode: Mode = mode  # type: ignore[assignment]
        self.crypto = WeChatCrypto(token, aes_key, app_id) if aes_key else None
        # the transport's clock (WeChat's timestamps are real time), not the domain's
        self.wall_clock = wall_clock
        self.max_skew = max_skew

    # ------------------------------------------------------------- checks

    def _fresh(self, params: Mapping[str, str]) -> tuple[str, str]:
        timestamp, nonce = params.get("timestamp", ""), params.get("nonce", "")
        if not timestamp.isdigit() or not nonce:
            raise Refused(403, "no timestamp or nonce")
        if abs(self.wall_clock() - int(timestamp)) > self.max_skew:
            raise Refused(403, "stale timestamp")
        return timestamp, nonce

    def _check_signature(self, params: Mapping[str, str], timestamp: str, nonce: str) -> None:
        if not _same(params.get("signature", ""), _sign(self.token, timestamp, nonce)):
            raise Refused(403, "bad signature")

    def _decrypt(self, params: Mapping[str, str], timestamp: str, nonce: str, encrypt: str) -> str:
        assert self.crypto is not None
        given = params.get("msg_signature", "")
        if not _same(given, _sign(self.token, timestamp, nonce, encrypt)):
            raise Refused(403, "bad msg_signature")
        try:
            return str(PrpCrypto(self.crypto.key).decrypt(encrypt, self.app_id))
        except (InvalidAppIdException, InvalidSignatureException) as exc:
            raise Refused(403, "encrypted for another account") from exc
        except Exception as exc:  # bad base64, padding, length: not a WeChat ciphertext
            raise Refused(400, f"cannot decrypt ({type(exc).__name__})") from exc

    # ------------------------------------------------------------- GET

    def verify_url(self, params: Mapping[str, str]) -> str:
        """The echostr to answer WeChat's server-URL check with. The plain signature is
        WeChat's check for an official account in every mode; a msg_signature, when given,
        covers an encrypted echostr, which is decrypted."""
        timestamp, nonce = self._fresh(params)
        echostr = params.get("echostr", "")
        if not echostr:
            raise Refused(400, "no echostr")
        if "msg_signature" in params and self.crypto is not None:
            return self._decrypt(params, timestamp, nonce, echostr)
        self._check_signature(params, timestamp, nonce)
        return echostr

    # ------------------------------------------------------------- POST

    def read(self, params: Mapping[str, str], body: bytes) -> Inbound:
        """The message in a POST body. Refused(403) before anything is parsed when the
        signature is wrong or the timestamp stale; Refused(400) for a bad body."""
        if len(body) > MAX_BODY:
            raise Refused(413, "body too large")
        timestamp, nonce = self._fresh(params)
        encrypted = params.get("encrypt_type", "raw").lower() == "aes"
        if self.mode == "safe" and not encrypted:
            raise Refused(403, "safe mode takes encrypted messages only")
        if self.mode == "plain" and encrypted:
            raise Refused(400, "plain mode takes no encrypted messages")
        if not encrypted or "signature" in params:
            # plain and compatible always carry it; in safe mode WeChat sends it too
            self._check_signature(params, timestamp, nonce)
        outer = safe_xml(body)
        if encrypted:
            encrypt = outer.get("Encrypt", "")
            if not encrypt:
                raise Refused(400, "no Encrypt element")
            inner = self._decrypt(params, timestamp, nonce, encrypt)
            fields = safe_xml(inner)
        else:
            fields = outer
        if not fields.get("MsgType") or not fields.get("FromUserName"):
            raise Refused(400, "not a WeChat message")
        return Inbound(
            msg_type=fields["MsgType"].lower(),
            openid=fields["FromUserName"],
            account=fields.get("ToUserName", ""),
            create_time=int(fields["CreateTime"]) if fields.get("CreateTime", "").isdigit() else 0,
            msg_id=fields.get("MsgId", ""),
            content=fields.get("Content", ""),
            media_id=fields.get("MediaId", ""),
            event=fields.get("Event", "").lower() if fields["MsgType"].lower() == "event" else "",
            event_key=fields.get("EventKey", "") or "",
            encrypted=encrypted,
            nonce=nonce,
        )

    def reply(self, inbound: Inbound, text: str) -> str:
        """The passive reply: one text message, encrypted when the message came encrypted."""
        xml = TextReply(
            source=_cdata(inbound.account), target=_cdata(inbound.openid), content=_cdata(text)
        ).render()
        if inbound.encrypted and self.crypto is not None:
            return str(self.crypto.encrypt_message(xml, inbound.nonce, str(int(self.wall_clock()))))
        return str(xml)


def _cdata(text: str) -> str:
    """Text safe inside wechatpy's CDATA sections, which it does not escape: a "]]>" typed by
    a user and echoed back would end the section and let them write XML of their own. Split
    it across two sections, which any XML reader joins back into the same text."""
    return text.replace("]]>", "]]]]><![CDATA[>")
