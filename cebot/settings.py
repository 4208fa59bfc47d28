"""Settings from the environment or `.env` (see .env.example for every one, commented)."""

from __future__ import annotations

import secrets
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr | None = Field(default=None, alias="TELEGRAM_BOT_TOKEN")
    telegram_base_url: str = Field(
        default="https://api.telegram.org/bot", alias="TELEGRAM_BASE_URL"
    )
    telegram_base_file_url: str = Field(
        default="https://api.telegram.org/file/bot", alias="TELEGRAM_BASE_FILE_URL"
    )
    database_url: str = Field(default="sqlite:///var/cebot.sqlite3", alias="CEBOT_DATABASE_URL")
    data_dir: Path = Field(default=Path("var/data"), alias="CEBOT_DATA_DIR")
    # unset: where this process serves the pages itself (see _public_url_default)
    public_url: str = Field(default="", alias="CEBOT_PUBLIC_URL")
    # any text of at least 32 bytes of entropy, e.g. secrets.token_urlsafe(48); its UTF-8
    # bytes are the key material (cebot doctor estimates the entropy and refuses weak keys)
    secret_key: SecretStr | None = Field(default=None, alias="CEBOT_SECRET_KEY")
    # earlier keys, comma-separated, while `cebot keys rotate` moves everything to the new one
    previous_secret_keys: SecretStr | None = Field(default=None, alias="CEBOT_PREVIOUS_SECRET_KEYS")
    policy_dir: Path | None = Field(default=None, alias="CEBOT_POLICY_DIR")
    language: str = Field(default="zh", alias="CEBOT_LANGUAGE")
    log_level: str = Field(default="INFO", alias="CEBOT_LOG_LEVEL")
    # Telegram's secret_token: 1-256 characters of A-Z a-z 0-9 _ - (cebot doctor checks)
    webhook_secret: SecretStr | None = Field(default=None, alias="CEBOT_WEBHOOK_SECRET")
    listen_host: str = Field(default="127.0.0.1", alias="CEBOT_LISTEN_HOST")
    listen_port: int = Field(default=8080, alias="CEBOT_LISTEN_PORT")

    # WeChat service account (服务号): see .env.example. Unset WECHAT_APP_ID: no WeChat channel.
    wechat_app_id: str = Field(default="", alias="WECHAT_APP_ID")
    wechat_app_secret: SecretStr | None = Field(default=None, alias="WECHAT_APP_SECRET")
    # the Token set in the account's server configuration (signs every request)
    wechat_token: SecretStr | None = Field(default=None, alias="WECHAT_TOKEN")
    # EncodingAESKey: 43 characters, for the compatible and safe message modes
    wechat_encoding_aes_key: SecretStr | None = Field(default=None, alias="WECHAT_ENCODING_AES_KEY")
    # plain | compatible | safe (encrypted; the default for production)
    wechat_message_mode: str = Field(default="safe", alias="WECHAT_MESSAGE_MODE")
    # the account's original id (gh_…), the ToUserName of every message it receives
    wechat_original_id: str = Field(default="", alias="WECHAT_ORIGINAL_ID")
    wechat_api_base_url: str = Field(
        default="https://api.weixin.qq.com", alias="WECHAT_API_BASE_URL"
    )
    # template messages for notices outside the 48-hour window: JSON
    # {"<notice kind>": {"template_id": "...", "fields": {"<template field>": "<source>"}}}
    wechat_templates: str = Field(default="", alias="WECHAT_TEMPLATES")
    # seconds a turn may take before the passive reply says "已收到，正在处理…" and the
    # replies follow by customer-service message (WeChat retries after 5 s)
    wechat_reply_within: float = Field(default=4.0, gt=0, lt=5, alias="WECHAT_REPLY_WITHIN")
    # hours a certificate's download link (WeChat cannot send the PDF itself) stays valid
    wechat_download_hours: int = Field(default=24, ge=1, le=168, alias="WECHAT_DOWNLOAD_HOURS")
    # minutes an upload link (PDFs, several photos: web/upload.py) stays valid; used once
    wechat_upload_minutes: int = Field(default=30, ge=5, le=1440, alias="WECHAT_UPLOAD_MINUTES")

    @field_validator(
        "telegram_bot_token",
        "secret_key",
        "previous_secret_keys",
        "webhook_secret",
        "policy_dir",
        "wechat_app_secret",
        "wechat_token",
        "wechat_encoding_aes_key",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        # `TELEGRAM_BOT_TOKEN=` copied from .env.example means "not set yet"
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _public_url_default(self) -> Settings:
        """Without CEBOT_PUBLIC_URL the links (certificate QR codes, the privacy notice) point
        at CEBOT_LISTEN_HOST:PORT, where `cebot run` and `cebot chat` serve the pages: the
        one-process setup works with no configuration."""
        if not self.public_url.strip():
            host = self.listen_host
            if host in ("", "0.0.0.0", "::", "127.0.0.1"):
                host = "localhost"
            elif ":" in host:
                host = f"[{host}]"
            self.public_url = f"http://{host}:{self.listen_port}"
        return self

    @cached_property
    def secret(self) -> bytes:
        """The key behind ID hashes and encryption. Without CEBOT_SECRET_KEY a random one is
        made once and kept in the data directory, so a one-machine deployment just works;
        several workers must share CEBOT_SECRET_KEY (docs/deploy.md)."""
        if self.secret_key is not None and self.secret_key.get_secret_value():
            return self.secret_key.get_secret_value().encode()
        path = self.data_dir / "secret.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip().encode()

    @property
    def previous_secrets(self) -> tuple[bytes, ...]:
        if self.previous_secret_keys is None:
            return ()
        raw = self.previous_secret_keys.get_secret_value()
        return tuple(k.strip().encode() for k in raw.split(",") if k.strip())


def load_settings() -> Settings:
    return Settings()
