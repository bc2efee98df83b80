"""How the Telegram bot schedules updates: different chats at once, each chat strictly in order.

python-telegram-bot processes one update at a time by default, so a burst of teachers queues behind each
Bot API round trip. `ChatOrderedProcessor` is the library's own extension point for this (a
`BaseUpdateProcessor` given to `ApplicationBuilder.concurrent_updates`): updates run concurrently, up to
`max_concurrent_updates`, but those of one chat wait for each other in arrival order, so a teacher tapping
two self-check buttons quickly never has the second applied before, or alongside, the first.

It also sheds floods before they take a chat's turn: a `FloodGuard` admits each sender's update, turns the
first one over the limit into a "slow down" notice (`on_flood`) and drops the rest unprocessed, so one
user's 50 messages cost other teachers nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from .flood import Admission, FloodGuard

logger = logging.getLogger(__name__)

FloodNotice = Callable[[Update], Awaitable[None]]


@dataclass
class _ChatTurns:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    holders: int = 0  # updates of this chat running or waiting; at 0 the entry is removed


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Concurrent across chats, sequential within a chat, with flood shedding per sender."""

    def __init__(self, max_concurrent_updates: int, flood_guard: FloodGuard | None = None) -> None:
        super().__init__(max_concurrent_updates)
        self.flood_guard = flood_guard
        # Set once the application exists (it sends the "slow down" message); without it floods are dropped.
        self.on_flood: FloodNotice | None = None
        self._chats: dict[int, _ChatTurns] = {}

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    @property
    def busy_chats(self) -> int:
        """Chats with an update running or waiting right now."""
        return len(self._chats)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        if not isinstance(update, Update):
            await coroutine
            return
        admission = self._admit(update)
        if admission is Admission.DROP:
            _discard(coroutine)
            return
        chat = update.effective_chat
        if chat is None:
            # Inline queries and presses on inline-mode messages touch no chat's state: no turn to wait for.
            await coroutine
            return
        async with self._turn_of(chat.id):
            if admission is Admission.WARN:
                _discard(coroutine)
                await self._notify_flood(update)
            else:
                await coroutine

    def _admit(self, update: Update) -> Admission:
        if self.flood_guard is None or update.inline_query is not None:
            return Admission.OK  # Telegram sends an inline query per keystroke; that is not a flood
        sender = update.effective_user or update.effective_chat
        if sender is None:
            return Admission.OK
        return self.flood_guard.admit(sender.id)

    async def _notify_flood(self, update: Update) -> None:
        if self.on_flood is None:
            return
        try:
            await self.on_flood(update)
        except Exception:
            # The notice runs outside the application's handlers, so its error handler never sees this.
            logger.exception("Could not send the slow-down notice")

    @asynccontextmanager
    async def _turn_of(self, chat_id: int) -> AsyncIterator[None]:
        """Wait for this chat's earlier updates (asyncio.Lock wakes waiters first come, first served)."""
        turns = self._chats.get(chat_id)
        if turns is None:
            turns = self._chats[chat_id] = _ChatTurns()
        turns.holders += 1
        try:
            async with turns.lock:
                yield
        finally:
            turns.holders -= 1
            if turns.holders == 0:
                del self._chats[chat_id]


def _discard(coroutine: Awaitable[Any]) -> None:
    """Drop an update's processing without running it (and without a "never awaited" warning)."""
    close = getattr(coroutine, "close", None)
    if close is not None:
        close()
