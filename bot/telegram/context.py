"""The types every Telegram handler shares: the application and the handler context."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, ContextTypes

TelegramApplication = Application[Any, Any, Any, Any, Any, Any]
Context = ContextTypes.DEFAULT_TYPE
