"""Template messages (模板消息) for notices outside the customer-service window.

WECHAT_TEMPLATES is JSON: for each notice kind, the template's id, how its fields are filled
and, optionally, where a tap on it leads:

    {"public":       {"template_id": "T1", "fields": {"first": "title", "keyword1": "deadline",
                                                       "keyword2": "days", "remark": "body"}},
     "claim-told-approved": {"template_id": "T2", "fields": {"thing1": {"source": "title",
                                                                      "max_length": 20}},
                            "url": "/"}}

The notice kind of an outbox row is its payload's `kind` for reminders (public, professional,
reviewer) and broadcasts (broadcast); for a one-off notice (services.notify) it is the message
key (claim-told-approved, rvw-digest, …), and the entry "notice" serves every notice
without one of its own. A field's source is one of:
- title: the rendered message's first line; body: the other lines; text: all of it;
- date: the day it is sent (Asia/Shanghai), YYYY-MM-DD;
- any value the row carries: year, deadline, days (left until the deadline), needed and
  pending (hours, formatted), claims, attempts_left, or a notice's own arguments.
A `url` is a path on CEBOT_PUBLIC_URL ("/verify") or an absolute http(s) URL.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from pydantic import BaseModel, Field, RootModel, ValidationError, field_validator

from core.hours import format_hours, from_half_units
from services.notify import NOTICE

NOTICE_FALLBACK = NOTICE  # the entry for every notice without its own
# payload values kept in half-hour units (services.reminders)
_HALF_HOURS = frozenset({"needed", "pending"})
_SKIP = frozenset({"kind", "key", "args", "buttons"})
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


class TemplateField(BaseModel):
    source: str = Field(min_length=1)
    # WeChat's newer templates cap a "thing" field at 20 characters, and so on: cut longer
    max_length: int | None = Field(default=None, ge=1)


class TemplateSpec(BaseModel):
    template_id: str = Field(min_length=1)
    fields: dict[str, TemplateField] = Field(min_length=1)
    url: str | None = None

    @field_validator("fields", mode="before")
    @classmethod
    def _plain_sources(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: {"source": v} if isinstance(v, str) else v for k, v in value.items()}
        return value

    @field_validator("url")
    @classmethod
    def _path_or_http(cls, value: str | None) -> str | None:
        if value is not None and not (value.startswith("/") or re.match(r"https?://", value)):
            raise ValueError("a path (/…) or an http(s) URL")
        return value


class TemplateMap(RootModel[dict[str, TemplateSpec]]):
    def for_payload(self, payload: Mapping[str, Any]) -> tuple[str, TemplateSpec | None]:
        """The notice kind of an outbox row and its template (None: none configured)."""
        kind = notice_kind(payload)
        spec = self.root.get(kind)
        if spec is None and payload.get("kind") == NOTICE:
            spec = self.root.get(NOTICE_FALLBACK)
        return kind, spec


class TemplateConfigError(ValueError):
    pass


def parse_templates(raw: str) -> TemplateMap:
    """WECHAT_TEMPLATES as a TemplateMap (empty when unset); TemplateConfigError says what is
    wrong in one line."""
    if not raw.strip():
        return TemplateMap({})
    try:
        return TemplateMap.model_validate(json.loads(raw))
    except json.JSONDecodeError as exc:
        raise TemplateConfigError(f"WECHAT_TEMPLATES is not JSON: {exc.msg}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise TemplateConfigError(f"WECHAT_TEMPLATES {where}: {first['msg']}") from None


def notice_kind(payload: Mapping[str, Any]) -> str:
    kind = str(payload.get("kind", ""))
    return str(payload.get("key", kind)) if kind == NOTICE else kind


class MissingSource(KeyError):
    pass


def template_values(
    spec: TemplateSpec, text: str, payload: Mapping[str, Any], today: date
) -> dict[str, str]:
    """The template's fields filled from the rendered text and the row's values; a source the
    row does not have raises MissingSource (a configuration error, not the row's fault)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    values: dict[str, str] = {
        "title": lines[0] if lines else "",
        "body": " ".join(lines[1:]),
        "text": " ".join(lines),
        "date": today.isoformat(),
    }
    for key, value in payload.items():
        if key in _SKIP or isinstance(value, dict | list):
            continue
        if key in _HALF_HOURS:
            values[key] = format_hours(from_half_units(int(value)))
        else:
            values[key] = str(value)
    if "deadline" in payload:
        values["days"] = str((date.fromisoformat(str(payload["deadline"])) - today).days)
    for key, value in dict(payload.get("args") or {}).items():
        values.setdefault(str(key), str(value))
    data = {}
    for name, field in spec.fields.items():
        if field.source not in values:
            raise MissingSource(field.source)
        value = _CONTROL.sub(" ", values[field.source]).strip()
        if field.max_length is not None and len(value) > field.max_length:
            value = value[: field.max_length - 1] + "…"
        data[name] = value
    return data


def template_url(spec: TemplateSpec, public_url: str) -> str | None:
    if spec.url is None:
        return None
    if spec.url.startswith("/"):
        return public_url.rstrip("/") + spec.url if public_url else None
    return spec.url
