"""A test-only Bot API stand-in on 127.0.0.1, for load runs against the real bot process.

It speaks just enough HTTP/1.1 (keep-alive, Content-Length bodies) and just enough of the Bot API for the
bot to start, long-poll and answer: getMe, deleteWebhook, setMyCommands, getUpdates, sendMessage,
editMessageText, editMessageReplyMarkup, answerCallbackQuery. Every call waits `round_trip` seconds before it
is answered, like a call to Telegram from a server far away. Never use it for anything but benchmarks.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

BOT_USER = {"id": 777000, "is_bot": True, "first_name": "Benchmark bot", "username": "benchmark_bot"}


@dataclass
class Sent:
    """One message the bot sent, as the stand-in received it."""

    time: float
    chat_id: int
    text: str


@dataclass
class FakeBotApi:
    round_trip: float = 0.08
    host: str = "127.0.0.1"
    port: int = 0  # 0: any free port; read `port` after `start()`
    calls: dict[str, int] = field(default_factory=dict)
    sent: list[Sent] = field(default_factory=list)
    first_get_updates: float | None = None
    on_send: Callable[[Sent], None] | None = None
    _pending: list[dict[str, Any]] = field(default_factory=list)
    _new_updates: asyncio.Event = field(default_factory=asyncio.Event)
    _update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def push_message(self, user_id: int, text: str) -> None:
        """A private message from user `user_id`, delivered on the bot's next getUpdates."""
        user = {"id": user_id, "is_bot": False, "first_name": f"Teacher {user_id}"}
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": user["first_name"]},
            "from": user,
            "text": text,
        }
        self._pending.append({"update_id": next(self._update_ids), "message": message})
        self._new_updates.set()

    # HTTP ------------------------------------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                request_line, *header_lines = head.decode("latin-1").split("\r\n")
                headers = {
                    name.strip().lower(): value.strip()
                    for name, _, value in (line.partition(":") for line in header_lines if line)
                }
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                method = request_line.split()[1].rsplit("/", 1)[-1]
                params = _parameters(headers.get("content-type", ""), body)
                result = await self._call(method, params)
                payload = json.dumps(result).encode()
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    + f"Content-Length: {len(payload)}\r\n\r\n".encode()
                    + payload
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass  # the client went away, or the stand-in is stopping mid long poll
        finally:
            writer.close()

    # Bot API ---------------------------------------------------------------------------------------------

    async def _call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        self.calls[method] = self.calls.get(method, 0) + 1
        if method == "getUpdates":
            if self.first_get_updates is None:
                self.first_get_updates = time.perf_counter()
            result: Any = await self._get_updates(params)
        else:
            await asyncio.sleep(self.round_trip)
            result = self._answer(method, params)
        return {"ok": True, "result": result}

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset", 0) or 0)
        self._pending = [u for u in self._pending if u["update_id"] >= offset]
        if not self._pending:
            self._new_updates.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_updates.wait(), float(params.get("timeout", 0) or 0))
        await asyncio.sleep(self.round_trip)
        limit = int(params.get("limit", 100) or 100)
        return [u for u in self._pending if u["update_id"] >= offset][:limit]

    def _answer(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT_USER
        if method in ("sendMessage", "editMessageText"):
            chat_id = int(params["chat_id"])
            if method == "sendMessage":
                sent = Sent(time.perf_counter(), chat_id, str(params.get("text", "")))
                self.sent.append(sent)
                if self.on_send is not None:
                    self.on_send(sent)
            return {
                "message_id": int(params.get("message_id", 0) or next(self._message_ids)),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "from": BOT_USER,
                "text": str(params.get("text", "")),
            }
        return True  # deleteWebhook, setMyCommands, answerCallbackQuery, editMessageReplyMarkup, ...


def _parameters(content_type: str, body: bytes) -> dict[str, Any]:
    """python-telegram-bot posts form fields (JSON values as strings); accept a JSON body too."""
    if not body:
        return {}
    if content_type.startswith("application/json"):
        loaded = json.loads(body)
        return loaded if isinstance(loaded, dict) else {}
    return dict(parse_qsl(body.decode(), keep_blank_values=True))
