"""Where each chat's state (self-check progress, live menus) is kept across restarts: one pickle file.

python-telegram-bot's `PicklePersistence` rewrites its whole file once for every chat that changed, on the
event loop: after a burst of 300 teachers that is 300 rewrites of a growing file in a row, the biggest CPU
cost per answer. `BatchedPicklePersistence` keeps the same file format and the library's loading, but
writes once per persistence cycle, atomically (a temporary file, then a rename), in a worker thread.
"""

from __future__ import annotations

import asyncio
import logging
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

from telegram.ext import PersistenceInput, PicklePersistence

logger = logging.getLogger(__name__)

# Only chat_data is used: the Conversation's state and the ids of live menus, all plain data.
STORE = PersistenceInput(bot_data=False, chat_data=True, user_data=False, callback_data=False)


class BatchedPicklePersistence(PicklePersistence[dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """PicklePersistence that writes the file at most once per cycle, off the event loop."""

    def __init__(self, filepath: Path, update_interval: float) -> None:
        super().__init__(filepath, store_data=STORE, on_flush=True, update_interval=update_interval)
        self._writing: asyncio.Task[None] | None = None
        self._write_again = False

    async def get_chat_data(self) -> dict[int, dict[Any, Any]]:
        """The saved chats; a file that cannot be read is set aside (and logged), and the bot starts afresh."""
        try:
            return await super().get_chat_data()
        except TypeError as exc:  # how PicklePersistence reports a file it cannot unpickle
            aside = self.filepath.with_name(f"{self.filepath.name}.unreadable")
            logger.error(
                "Chat state in %s cannot be read (%s); it was moved to %s and every chat starts afresh",
                self.filepath,
                exc.__cause__ or exc,
                aside.name,
            )
            os.replace(self.filepath, aside)
            return await super().get_chat_data()

    async def update_chat_data(self, chat_id: int, data: dict[Any, Any]) -> None:
        await super().update_chat_data(chat_id, data)  # on_flush=True: in memory only
        self._schedule_write()

    async def drop_chat_data(self, chat_id: int) -> None:
        await super().drop_chat_data(chat_id)
        self._schedule_write()  # a forgotten chat must leave the file too, not only memory

    async def flush(self) -> None:
        """Shutdown: wait for a write in progress, then write what is in memory now."""
        if self._writing is not None:
            await asyncio.shield(self._writing)
        await asyncio.to_thread(self._write, self._snapshot())

    def _schedule_write(self) -> None:
        if self._writing is not None and not self._writing.done():
            self._write_again = True  # the running write has an older snapshot
            return
        self._writing = asyncio.get_running_loop().create_task(self._write_soon())

    async def _write_soon(self) -> None:
        while True:
            # The application hands over every changed chat in one go; let the whole batch land first.
            await asyncio.sleep(0)
            self._write_again = False
            try:
                await asyncio.to_thread(self._write, self._snapshot())
            except OSError as exc:
                logger.error("Chat state could not be saved to %s: %s", self.filepath, exc)
            if not self._write_again:
                return

    def _snapshot(self) -> dict[str, Any]:
        """The file's content, copied on the event loop so the worker thread never sees a dict change.

        The application gives persistence deep copies and replaces them rather than changing them, so a
        shallow copy of the outer mapping is a consistent snapshot.
        """
        return {
            "user_data": dict(self.user_data or {}),
            "chat_data": dict(self.chat_data or {}),
            "bot_data": self.bot_data if self.bot_data is not None else {},
            "callback_data": self.callback_data,
            "conversations": dict(self.conversations or {}),
        }

    def _write(self, snapshot: dict[str, Any]) -> None:
        directory = self.filepath.parent
        fd, temporary = tempfile.mkstemp(dir=directory, prefix=f".{self.filepath.name}.")
        try:
            with os.fdopen(fd, "wb") as file:
                pickle.dump(snapshot, file, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, self.filepath)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
