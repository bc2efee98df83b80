"""The bot's settings: the only reader of environment variables. Validated, and never showing the token.

`Settings.from_env()` is the Telegram bot's whole configuration. The command line needs only a few of the
same variables (no token): `knowledge_dir`, `data_dir`, `log_key` and `has_token` read those.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from urllib.parse import urlsplit

from .content.locate import default_knowledge_dir

# Loose on purpose: Telegram does not document the token format, but a value that is not "digits:secret"
# is certainly a copy-and-paste mistake, and failing here beats a 401 from Telegram after start-up.
TOKEN_SHAPE = re.compile(r"^\d+:[A-Za-z0-9_-]{30,}$")
# setWebhook's secret_token: 1-256 characters, only these.
SECRET_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
DEFAULT_API_BASE_URL = "https://api.telegram.org"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class SettingsError(ValueError):
    """A setting is missing or invalid; the message names the variable, never a secret value."""


def _env(name: str) -> dict[str, str]:
    return {"env": name}


@dataclass(frozen=True)
class Settings:
    """Everything the Telegram bot is configured with; build it with `Settings.from_env()`.

    `repr()` hides the token and the webhook secret, so logging a Settings object is safe.
    """

    token: str = field(repr=False, metadata=_env("TELEGRAM_BOT_TOKEN"))
    api_base_url: str = field(default=DEFAULT_API_BASE_URL, metadata=_env("TELEGRAM_API_BASE_URL"))
    webhook_url: str | None = field(default=None, metadata=_env("WEBHOOK_URL"))
    webhook_listen: str = field(default="0.0.0.0", metadata=_env("WEBHOOK_LISTEN"))
    webhook_port: int = field(default=8443, metadata=_env("WEBHOOK_PORT"))
    webhook_secret_token: str | None = field(default=None, repr=False, metadata=_env("WEBHOOK_SECRET_TOKEN"))
    data_dir: Path = field(default=Path("data"), metadata=_env("DATA_DIR"))
    knowledge_dir: Path = field(default_factory=default_knowledge_dir, metadata=_env("KNOWLEDGE_DIR"))
    log_level: str = field(default="INFO", metadata=_env("LOG_LEVEL"))
    admin_ids: frozenset[int] = field(default=frozenset(), metadata=_env("ADMIN_IDS"))
    curator_chat_id: int | None = field(default=None, metadata=_env("CURATOR_CHAT_ID"))
    retention_days: int = field(default=180, metadata=_env("RETENTION_DAYS"))
    log_key: str | None = field(default=None, repr=False, metadata=_env("LOG_KEY"))

    def __post_init__(self) -> None:
        if not TOKEN_SHAPE.match(self.token):
            raise SettingsError(
                "TELEGRAM_BOT_TOKEN does not look like a bot token (expected digits, a colon and at least "
                "30 letters, digits, '_' or '-', as @BotFather gives it)"
            )
        secret = self.token.partition(":")[2]
        for variable, url in (
            ("TELEGRAM_API_BASE_URL", self.api_base_url),
            ("WEBHOOK_URL", self.webhook_url),
        ):
            if url is not None and secret in url:
                raise SettingsError(f"{variable} must not contain the bot token (it would end up in logs)")
        _check_url("TELEGRAM_API_BASE_URL", self.api_base_url)
        if self.webhook_url is not None:
            _check_url("WEBHOOK_URL", self.webhook_url)
            scheme = urlsplit(self.webhook_url).scheme
            # Telegram's own servers only deliver to HTTPS; a self-hosted Bot API server may use plain HTTP.
            if scheme != "https" and self.api_base_url == DEFAULT_API_BASE_URL:
                raise SettingsError(
                    "WEBHOOK_URL must start with https:// (Telegram only delivers webhooks over HTTPS)"
                )
        if not 1 <= self.webhook_port <= 65535:
            raise SettingsError(
                f"WEBHOOK_PORT must be a port number from 1 to 65535, not {self.webhook_port}"
            )
        if not self.webhook_listen.strip():
            raise SettingsError("WEBHOOK_LISTEN must be an address to listen on, such as 0.0.0.0")
        if self.webhook_secret_token is not None and not SECRET_TOKEN_SHAPE.match(self.webhook_secret_token):
            raise SettingsError("WEBHOOK_SECRET_TOKEN must be 1-256 characters of A-Z, a-z, 0-9, '_' or '-'")
        if self.retention_days < 1:
            raise SettingsError(f"RETENTION_DAYS must be at least 1, not {self.retention_days}")
        if self.log_level not in LOG_LEVELS:
            raise SettingsError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {self.log_level!r}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read and validate every setting; raise SettingsError naming the first bad variable.

        An empty variable counts as unset, so a copied `.env.example` with blank lines works.
        """
        env = os.environ if environ is None else environ
        raw = {f.name: value for f in fields(cls) if (value := env.get(f.metadata["env"], "").strip())}
        if "token" not in raw:
            raise SettingsError(
                "TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather and set its token"
            )
        values: dict[str, object] = {"token": raw["token"]}
        if "api_base_url" in raw:
            values["api_base_url"] = _server_root(raw["api_base_url"])
        for name in ("webhook_url", "webhook_listen", "webhook_secret_token"):
            if name in raw:
                values[name] = raw[name]
        if "webhook_port" in raw:
            values["webhook_port"] = _integer("WEBHOOK_PORT", raw["webhook_port"], "a port number")
        if "data_dir" in raw:
            values["data_dir"] = Path(raw["data_dir"])
        if "knowledge_dir" in raw:
            values["knowledge_dir"] = Path(raw["knowledge_dir"])
        if "log_level" in raw:
            values["log_level"] = raw["log_level"].upper()
        if "admin_ids" in raw:
            values["admin_ids"] = frozenset(
                _integer("ADMIN_IDS", item, "a comma-separated list of Telegram user ids")
                for item in raw["admin_ids"].split(",")
                if item.strip()
            )
        if "curator_chat_id" in raw:
            values["curator_chat_id"] = _integer(
                "CURATOR_CHAT_ID", raw["curator_chat_id"], "a Telegram chat id (groups start with -100)"
            )
        if "retention_days" in raw:
            values["retention_days"] = _integer("RETENTION_DAYS", raw["retention_days"], "a number of days")
        if "log_key" in raw:
            values["log_key"] = raw["log_key"]
        return cls(**values)  # type: ignore[arg-type]

    @property
    def uses_webhook(self) -> bool:
        return self.webhook_url is not None

    @property
    def webhook_path(self) -> str:
        """The path Telegram posts updates to, from WEBHOOK_URL (not the token: proxies log paths)."""
        return urlsplit(self.webhook_url or "").path.strip("/")

    @property
    def bot_api_url(self) -> str:
        """python-telegram-bot's `base_url`: the token is appended to it."""
        return f"{self.api_base_url}/bot"

    @property
    def bot_api_file_url(self) -> str:
        """python-telegram-bot's `base_file_url`, on the same server."""
        return f"{self.api_base_url}/file/bot"

    @property
    def log_level_number(self) -> int:
        return logging.getLevelNamesMapping()[self.log_level]

    @property
    def secrets(self) -> tuple[str, ...]:
        """Values that must never reach a log line: the token, its secret half, the webhook secret, LOG_KEY."""
        candidates = (self.token, self.token.partition(":")[2], self.webhook_secret_token, self.log_key)
        return tuple(s for s in candidates if s)


def _check_url(variable: str, value: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise SettingsError(f"{variable} must be an http(s) URL such as https://example.org/path")


def _server_root(value: str) -> str:
    """The Bot API server's root URL; a python-telegram-bot style `.../bot` suffix is accepted and dropped."""
    root = value.rstrip("/")
    return root.removesuffix("/bot")


def _integer(variable: str, value: str, what: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise SettingsError(f"{variable} must be {what}; {value.strip()!r} is not a whole number") from None


def _environ(environ: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if environ is None else environ


def has_token(environ: Mapping[str, str] | None = None) -> bool:
    """Whether TELEGRAM_BOT_TOKEN is set, i.e. `python -m bot` runs the Telegram bot, not the console."""
    return bool(_environ(environ).get("TELEGRAM_BOT_TOKEN"))


def knowledge_dir(environ: Mapping[str, str] | None = None) -> Path:
    """KNOWLEDGE_DIR, else the knowledge folder found beside the code or in the working directory."""
    value = _environ(environ).get("KNOWLEDGE_DIR")
    return Path(value) if value is not None else default_knowledge_dir()


def data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """DATA_DIR (default ./data): chat state and the interaction log."""
    return Path(_environ(environ).get("DATA_DIR", "data"))


def log_key(environ: Mapping[str, str] | None = None) -> str | None:
    """LOG_KEY: the key of the log's pseudonymous user codes (None: a key generated into DATA_DIR)."""
    return _environ(environ).get("LOG_KEY")
