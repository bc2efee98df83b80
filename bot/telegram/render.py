"""Rendering for Telegram: the core's plain text and buttons as HTML, split messages and inline keyboards.

Shared by the chat handlers and the curator's desk, so both send exactly alike.
"""

from __future__ import annotations

import hashlib
import html
import logging
from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import CallbackQueryLimit, InlineKeyboardButtonLimit

from ..core.knowledge import Knowledge
from ..core.problems import Problem
from ..core.replies import Button
from ..core.text import MESSAGE_LIMIT

logger = logging.getLogger(__name__)

CALLBACK_DATA_LIMIT = InlineKeyboardButtonLimit.MAX_CALLBACK_DATA
POPUP_LIMIT = CallbackQueryLimit.ANSWER_CALLBACK_QUERY_TEXT_LENGTH

__all__ = ["MESSAGE_LIMIT", "adapter_problems", "callback_data", "keyboard", "split_message", "to_html"]


def telegram_length(text: str) -> int:
    """Telegram counts message length in UTF-16 code units, after entity parsing."""
    return len(text.encode("utf-16-le")) // 2


def split_message(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Plain text cut into messages Telegram accepts: at paragraph breaks, else line breaks, else spaces."""
    text = text.strip()
    if telegram_length(text) <= limit:
        return [text]
    for separator in ("\n\n", "\n", " "):
        parts = text.split(separator)
        if len(parts) == 1:
            continue
        chunks: list[str] = []
        current = ""
        for part in parts:
            candidate = f"{current}{separator}{part}" if current else part
            if telegram_length(candidate) <= limit:
                current = candidate
                continue
            if current:
                chunks.append(current)
            current = part
        chunks.append(current)
        # A single part may still be too long; it is cut again at the next finer separator.
        return [piece for chunk in chunks if chunk.strip() for piece in split_message(chunk, limit)]
    pieces, current = [], ""
    for character in text:
        if telegram_length(current + character) > limit:
            pieces.append(current)
            current = ""
        current += character
    return [*pieces, current]


def to_html(text: str) -> str:
    """Knowledge-base or user text as Telegram HTML: shown literally, never interpreted as markup."""
    return html.escape(text, quote=False)


def callback_data(action: str) -> str:
    """A button's payload: the core's action, which must fit Telegram's 64 bytes.

    A longer action cannot be sent; it becomes a marker that no handler pattern accepts, so pressing it
    gives "that menu has expired" instead of a wrong answer (a cut `faq:` id might name another entry).
    """
    encoded = action.encode()
    if len(encoded) <= CALLBACK_DATA_LIMIT:
        return action
    logger.error(
        "Button action is %d bytes, over Telegram's %d: %r", len(encoded), CALLBACK_DATA_LIMIT, action
    )
    return f"too-long:{hashlib.sha256(encoded).hexdigest()[:16]}"


def keyboard(buttons: Sequence[Button]) -> InlineKeyboardMarkup | None:
    """One button per row: labels are whole questions, too long to sit side by side."""
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=callback_data(b.action))] for b in buttons]
    )


def adapter_problems(knowledge: Knowledge) -> list[Problem]:
    """What the Telegram adapter needs from the knowledge base beyond `python -m bot check`."""
    problems: list[Problem] = []
    too_long = f"is too long for a Telegram button (at most {CALLBACK_DATA_LIMIT} bytes with its prefix)"
    for entry in knowledge.faq_entries:
        if len(f"faq:{entry.id}".encode()) > CALLBACK_DATA_LIMIT:
            problems.append(Problem(entry.file, entry.line, f"id '{entry.id}' {too_long}"))
    for topic in knowledge.topics:
        if len(f"topic:{topic.id}".encode()) > CALLBACK_DATA_LIMIT:
            problems.append(Problem("knowledge/faq.yaml", 0, f"topic id '{topic.id}' {too_long}"))
    notice = knowledge.messages.get("slow_down", "")
    if len(notice) > POPUP_LIMIT:
        problems.append(
            Problem(
                "knowledge/messages.yaml",
                0,
                f"slow_down is shown as a pop-up: at most {POPUP_LIMIT} characters",
            )
        )
    return problems
