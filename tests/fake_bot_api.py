"""A test-only Bot API server on 127.0.0.1, for running the real bot process over a real socket.

Used by tests/test_bot_over_http.py (one teacher's sessions, failures, restarts) and by
benchmarks/bench_telegram_burst.py (a burst of teachers). Point the bot at it with
TELEGRAM_API_BASE_URL=`base_url`.

It speaks just enough HTTP/1.1 (keep-alive, Content-Length bodies) and just enough of the Bot API for the
bot to start, long-poll and answer: getMe, deleteWebhook, setMyCommands, getUpdates, sendMessage,
editMessageText, editMessageReplyMarkup, answerCallbackQuery. Every call is recorded in order (`calls`);
every message the bot sent or edited is kept with its buttons (`changed`, `shown`). A test pushes updates
(`push_message`, `push_callback`) and scripts failures (`fail_next`: a Bot API error with its HTTP status;
`drop_next`: the connection closed without an answer). Every call but getUpdates waits `round_trip`
seconds before it is answered, like a call to Telegram from a server far away. Never use it for anything
but tests and benchmarks.
"""

from __future__ import annotations

import asyncio
import contextlib
import http
import itertools
import json
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

BOT_USER = {"id": 777000, "is_bot": True, "first_name": "Benchmark bot", "username": "benchmark_bot"}


@dataclass
class Call:
    """One Bot API call as the server received it; `time` is time.perf_counter() on arrival."""

    time: float
    method: str
    params: dict[str, Any]


@dataclass
class Sent:
    """One message the bot sent or edited, as it looks after that call (`reply_markup` parsed JSON)."""

    time: float
    chat_id: int
    text: str
    message_id: int = 0
    reply_markup: dict[str, Any] | None = None
    method: str = "sendMessage"

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """(label, callback_data) of every inline button, row by row."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]

    def button_data(self, label: str) -> str:
        """The callback data of the button with this label; AssertionError naming the labels if none."""
        for button_label, data in self.buttons:
            if button_label == label:
                return data
        raise AssertionError(f"no button {label!r} on message {self.message_id}: {self.buttons}")


@dataclass
class FakeBotApi:
    round_trip: float = 0.08
    host: str = "127.0.0.1"
    port: int = 0  # 0: any free port; read `port` after `start()`
    token: str | None = None  # if set, a request for another token gets 404, as from Telegram
    calls: list[Call] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)  # sendMessage only, in order
    changed: list[Sent] = field(default_factory=list)  # sent or edited (text or buttons), in order
    shown: dict[tuple[int, int], Sent] = field(default_factory=dict)  # (chat_id, message_id): as now
    first_get_updates: float | None = None
    on_send: Callable[[Sent], None] | None = None
    _pending: list[dict[str, Any]] = field(default_factory=list)
    _new_updates: asyncio.Event = field(default_factory=asyncio.Event)
    _update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _callback_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _failures: dict[str, deque[tuple[int, str, int | None] | None]] = field(default_factory=dict)
    _server: asyncio.Server | None = None
    _connections: set[asyncio.Task[None]] = field(default_factory=set)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        # Connections still open (a long poll, an idle keep-alive) end here, not when the loop closes.
        for task in self._connections:
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    # Updates ---------------------------------------------------------------------------------------------

    def push_message(self, user_id: int, text: str) -> None:
        """A private message from user `user_id`, delivered on the bot's next getUpdates.

        Text starting with "/" carries a bot_command entity for its first word, as Telegram adds it.
        """
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": _private_chat(user_id),
            "from": _user(user_id),
            "text": text,
        }
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        self._push({"message": message})

    def push_callback(self, user_id: int, message: Sent, data: str) -> None:
        """User `user_id` presses a button with `data` on `message`, a message the bot sent to them."""
        query = {
            "id": str(next(self._callback_ids)),
            "from": _user(user_id),
            "chat_instance": f"instance-{message.chat_id}",
            "data": data,
            "message": self._message_json(message),
        }
        self._push({"callback_query": query})

    def _push(self, update: dict[str, Any]) -> None:
        self._pending.append({"update_id": next(self._update_ids), **update})
        self._new_updates.set()

    # Scripted failures -----------------------------------------------------------------------------------

    def fail_next(self, method: str, status: int, description: str, retry_after: int | None = None) -> None:
        """The next call to `method` gets a Bot API error with this HTTP status (429, 502...), once."""
        self._failures.setdefault(method, deque()).append((status, description, retry_after))

    def drop_next(self, method: str) -> None:
        """The next call to `method` is read, then its connection is closed without an answer."""
        self._failures.setdefault(method, deque()).append(None)

    # HTTP ------------------------------------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                request_line, *header_lines = head.decode("latin-1").split("\r\n")
                headers = {
                    name.strip().lower(): value.strip()
                    for name, _, value in (line.partition(":") for line in header_lines if line)
                }
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                path = request_line.split()[1]
                method = path.rsplit("/", 1)[-1]
                params = _parameters(headers.get("content-type", ""), body)
                if self.token is not None and not path.startswith(f"/bot{self.token}/"):
                    status, result = 404, _error(404, "Not Found")
                else:
                    self.calls.append(Call(time.perf_counter(), method, params))
                    queued = self._failures.get(method)
                    failure = queued.popleft() if queued else False
                    if failure is None:
                        return  # drop_next: the connection closes unanswered
                    if isinstance(failure, tuple):
                        status, result = failure[0], _error(*failure)
                    else:
                        status, result = await self._call(method, params)
                payload = json.dumps(result).encode()
                writer.write(
                    f"HTTP/1.1 {status} {http.HTTPStatus(status).phrase}\r\n".encode()
                    + b"Content-Type: application/json\r\n"
                    + f"Content-Length: {len(payload)}\r\n\r\n".encode()
                    + payload
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass  # the client went away, or the stand-in is stopping mid long poll
        finally:
            self._connections.discard(task)
            writer.close()

    # Bot API ---------------------------------------------------------------------------------------------

    async def _call(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """The HTTP status and body for one call."""
        if method == "getUpdates":
            if self.first_get_updates is None:
                self.first_get_updates = time.perf_counter()
            result: Any = await self._get_updates(params)
        else:
            await asyncio.sleep(self.round_trip)
            try:
                result = self._answer(method, params)
            except KeyError as exc:
                return 400, _error(400, f"Bad Request: {exc.args[0]}")
        return 200, {"ok": True, "result": result}

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
        if method in ("sendMessage", "editMessageText", "editMessageReplyMarkup"):
            chat_id = int(params["chat_id"])
            markup = params.get("reply_markup")
            if isinstance(markup, str):
                markup = json.loads(markup) if markup else None
            if method == "sendMessage":
                message = Sent(
                    time.perf_counter(), chat_id, str(params.get("text", "")), next(self._message_ids)
                )
            else:
                old = self.shown.get((chat_id, int(params["message_id"])))
                if old is None:
                    raise KeyError("message to edit not found")
                text = str(params["text"]) if method == "editMessageText" else old.text
                message = Sent(time.perf_counter(), chat_id, text, old.message_id, method=method)
            message.reply_markup = markup or None
            self.shown[(chat_id, message.message_id)] = message
            self.changed.append(message)
            if method == "sendMessage":
                self.sent.append(message)
                if self.on_send is not None:
                    self.on_send(message)
            return self._message_json(message)
        return True  # deleteWebhook, setMyCommands, answerCallbackQuery, ...

    @staticmethod
    def _message_json(message: Sent) -> dict[str, Any]:
        """The Message object the Bot API returns for a message the bot sent."""
        result: dict[str, Any] = {
            "message_id": message.message_id,
            "date": int(time.time()),
            "chat": _private_chat(message.chat_id),
            "from": BOT_USER,
            "text": message.text,
        }
        if message.reply_markup:
            result["reply_markup"] = message.reply_markup
        return result


def _user(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": f"Teacher {user_id}"}


def _private_chat(chat_id: int) -> dict[str, Any]:
    return {"id": chat_id, "type": "private", "first_name": f"Teacher {chat_id}"}


def _error(status: int, description: str, retry_after: int | None = None) -> dict[str, Any]:
    """The Bot API's error body, e.g. for a 429: {"ok": false, ..., "parameters": {"retry_after": 1}}."""
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return body


def _parameters(content_type: str, body: bytes) -> dict[str, Any]:
    """python-telegram-bot posts form fields (JSON values as strings); accept a JSON body too."""
    if not body:
        return {}
    if content_type.startswith("application/json"):
        loaded = json.loads(body)
        return loaded if isinstance(loaded, dict) else {}
    return dict(parse_qsl(body.decode(), keep_blank_values=True))
