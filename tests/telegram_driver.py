"""An offline Telegram for tests: a fake Bot API behind PTB's public `BaseRequest` seam, and a chat driver.

`FakeTelegram` keeps what each chat shows (messages, their text and buttons) and checks requests the way
Telegram does: HTML must parse, text must fit 4096 characters, callback data 64 bytes. `RecordingRequest`
is the `BaseRequest` the application talks to; several can share one FakeTelegram, so an application
rebuilt after a "restart" sees the same chat. `ChatDriver` reads like a user: `send`, `click`, `last_text`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from telegram import Update
from telegram.ext import Application
from telegram.request import BaseRequest, RequestData

FAKE_TOKEN = "123456:TEST-not-a-real-token-for-offline-tests"
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "FAQ bot", "username": "mastery_faq_test_bot"}
TEACHER_ID = 4242
TEACHER = {"id": TEACHER_ID, "is_bot": False, "first_name": "Sam", "username": "sam_teacher"}
OTHER_TEACHER: dict[str, Any] = {"id": 4343, "is_bot": False, "first_name": "Alex"}

# Tags Telegram's HTML parse mode understands.
_TELEGRAM_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
    "tg-spoiler", "span", "blockquote", "tg-emoji",
}  # fmt: skip


class BadRequestError(Exception):
    """What Telegram answers with 400 Bad Request; the message is its description."""


class HtmlError(BadRequestError):
    def __str__(self) -> str:
        return f"can't parse entities: {self.args[0]}"


class _TelegramHtml(HTMLParser):
    """Parses text as Telegram would in HTML mode; raises HtmlError where Telegram answers 400."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _TELEGRAM_TAGS:
            raise HtmlError(f"unsupported start tag {tag!r}")
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open.pop() != tag:
            raise HtmlError(f"unexpected end tag {tag!r}")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse_telegram_html(markup: str) -> str:
    """The text a user sees for an HTML-mode message; HtmlError for what Telegram would reject."""
    # Telegram rejects a bare '&' or '<' that does not start an entity or a tag; HTMLParser is lenient.
    for index, character in enumerate(markup):
        if character == "&" and not _starts_entity(markup, index):
            raise HtmlError(f"unescaped '&' at {index}")
        if character == "<" and not re.match(r"</?[a-z-]+", markup[index:]):
            raise HtmlError(f"unescaped '<' at {index}")
    parser = _TelegramHtml()
    parser.feed(markup)
    parser.close()
    if parser.open:
        raise HtmlError(f"unclosed tags {parser.open}")
    return "".join(parser.text)


def _starts_entity(markup: str, index: int) -> bool:
    end = markup.find(";", index)
    name = markup[index + 1 : end] if end != -1 else ""
    return name in ("lt", "gt", "amp", "quot") or (name.startswith("#") and name[1:].lstrip("x").isalnum())


@dataclass
class ShownMessage:
    """A message as the chat shows it."""

    message_id: int
    chat_id: int
    text: str
    buttons: list[tuple[str, str]] = field(default_factory=list)  # (label, callback data)
    html: str = ""

    @property
    def labels(self) -> list[str]:
        return [label for label, _ in self.buttons]


@dataclass
class Call:
    method: str
    params: dict[str, Any]


class FakeTelegram:
    """The Bot API's side: answers calls, keeps each chat's messages, and fails on request."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.chats: dict[int, dict[int, ShownMessage]] = {}
        self.updates: deque[dict[str, Any]] = deque()
        self._message_ids = itertools.count(1)
        self._failures: dict[str, deque[tuple[int, str, int | None]]] = {}
        self.changed: list[ShownMessage] = []  # sent or edited, in order

    def fail_next(self, method: str, code: int, description: str, *, retry_after: int | None = None) -> None:
        """Make the next call to `method` fail like Telegram would (403 blocked, 429 flood, 5xx...)."""
        self._failures.setdefault(method, deque()).append((code, description, retry_after))

    def next_message_id(self) -> int:
        return next(self._message_ids)

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def handle(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.calls.append(Call(method, params))
        queued = self._failures.get(method)
        if queued:
            code, description, retry_after = queued.popleft()
            body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
            if retry_after is not None:
                body["parameters"] = {"retry_after": retry_after}
            return code, body
        try:
            return 200, {"ok": True, "result": self._result(method, params)}
        except BadRequestError as exc:
            return 400, {"ok": False, "error_code": 400, "description": f"Bad Request: {exc}"}

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT_USER
        if method == "getUpdates":
            batch = list(self.updates)
            self.updates.clear()
            return batch
        if method == "sendMessage":
            shown = self._render(next(self._message_ids), int(params["chat_id"]), params)
            self.chats.setdefault(shown.chat_id, {})[shown.message_id] = shown
            self.changed.append(shown)
            return self.message_json(shown)
        if method == "editMessageText":
            chat_id, message_id = int(params["chat_id"]), int(params["message_id"])
            old = self._existing(chat_id, message_id)
            shown = self._render(message_id, chat_id, params)
            if (old.html, old.buttons) == (shown.html, shown.buttons):
                raise BadRequestError(
                    "message is not modified: specified new message content and reply markup "
                    "are exactly the same as a current content and reply markup of the message"
                )
            self.chats[chat_id][message_id] = shown
            self.changed.append(shown)
            return self.message_json(shown)
        if method == "editMessageReplyMarkup":
            chat_id, message_id = int(params["chat_id"]), int(params["message_id"])
            old = self._existing(chat_id, message_id)
            buttons = self._buttons(params.get("reply_markup"))
            if buttons == old.buttons:
                raise BadRequestError("message is not modified")
            old.buttons = buttons
            return self.message_json(old)
        if method in (
            "answerCallbackQuery",
            "answerInlineQuery",
            "setMyCommands",
            "deleteWebhook",
            "setWebhook",
        ):
            if method == "answerInlineQuery":
                for result in params["results"]:
                    content = result["input_message_content"]
                    self._check_text(content["message_text"], content.get("parse_mode"))
            return True
        raise BadRequestError(f"method {method} not faked")

    def _existing(self, chat_id: int, message_id: int) -> ShownMessage:
        try:
            return self.chats[chat_id][message_id]
        except KeyError:
            raise BadRequestError("message to edit not found") from None

    def _render(self, message_id: int, chat_id: int, params: dict[str, Any]) -> ShownMessage:
        markup = str(params["text"])
        text = self._check_text(markup, params.get("parse_mode"))
        return ShownMessage(message_id, chat_id, text, self._buttons(params.get("reply_markup")), html=markup)

    @staticmethod
    def _check_text(markup: str, parse_mode: str | None) -> str:
        text = parse_telegram_html(markup) if parse_mode == "HTML" else markup
        if not text.strip():
            raise BadRequestError("message text is empty")
        if len(text.encode("utf-16-le")) // 2 > 4096:
            raise BadRequestError("message is too long")
        return text

    @staticmethod
    def _buttons(markup: Any) -> list[tuple[str, str]]:
        if markup is None:
            return []
        if isinstance(markup, str):
            markup = json.loads(markup)
        buttons = []
        for row in markup.get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data", "")
                if len(data.encode()) > 64:
                    raise BadRequestError("BUTTON_DATA_INVALID")
                buttons.append((button["text"], data))
        return buttons

    @staticmethod
    def message_json(shown: ShownMessage) -> dict[str, Any]:
        """The Message object the Bot API returns for a message the bot sent."""
        chat_type = "private" if shown.chat_id > 0 else "supergroup"
        message: dict[str, Any] = {
            "message_id": shown.message_id,
            "date": int(time.time()),
            "chat": {"id": shown.chat_id, "type": chat_type},
            "from": BOT_USER,
            "text": shown.text,
        }
        if shown.buttons:
            message["reply_markup"] = {
                "inline_keyboard": [[{"text": label, "callback_data": data}] for label, data in shown.buttons]
            }
        return message


class RecordingRequest(BaseRequest):
    """PTB's HTTP client seam, answered by a FakeTelegram instead of the network."""

    def __init__(
        self,
        telegram: FakeTelegram,
        *,
        poll_delay: float = 0.0,
        round_trip: Callable[[str, dict[str, Any]], float] | None = None,
    ) -> None:
        self.telegram = telegram
        self.poll_delay = poll_delay
        # Seconds each call other than getUpdates takes, by method and parameters; None answers at once.
        self.round_trip = round_trip

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        endpoint = url.rsplit("/", 1)[-1]
        params = request_data.parameters if request_data is not None else {}
        if endpoint == "getUpdates" and self.poll_delay:
            await asyncio.sleep(self.poll_delay)  # a long poll that returns nothing new
        if endpoint != "getUpdates" and self.round_trip is not None:
            await asyncio.sleep(self.round_trip(endpoint, dict(params)))
        code, body = self.telegram.handle(endpoint, dict(params))
        return code, json.dumps(body).encode()


class ChatDriver:
    """One user in one chat, talking to the application through `process_update`.

    The application must be initialized (`async with app:`). Every handler exception is collected in
    `errors` by an error handler the driver registers; tests assert it stayed empty.
    """

    _update_ids = itertools.count(1)

    def __init__(
        self,
        app: Application[Any, Any, Any, Any, Any, Any],
        telegram: FakeTelegram,
        *,
        chat_id: int = TEACHER_ID,
        user: dict[str, Any] | None = None,
        chat_type: str = "private",
        errors: list[BaseException] | None = None,
        collect_errors: bool = True,
    ) -> None:
        self.app = app
        self.telegram = telegram
        self.chat_id = chat_id
        self.user = user or TEACHER
        self.chat_type = chat_type
        self.errors: list[BaseException] = [] if errors is None else errors
        if collect_errors:
            app.add_error_handler(self._record_error)

    async def _record_error(self, update: object, context: Any) -> None:
        self.errors.append(context.error)

    # Acting --------------------------------------------------------------------------------------------

    async def send(
        self, text: str, *, reply_to: ShownMessage | None = None, **extra: Any
    ) -> list[ShownMessage]:
        """Type a message; a leading /command gets its bot_command entity, as Telegram adds it."""
        return await self.process(self.text_payload(text, reply_to=reply_to, **extra))

    def text_payload(
        self, text: str, *, reply_to: ShownMessage | None = None, **extra: Any
    ) -> dict[str, Any]:
        """The update Telegram sends when this user types `text` (see `send`), not yet processed."""
        message = self._user_message(text=text, **extra)
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        mention = f"@{BOT_USER['username']}"
        if mention in text:
            message.setdefault("entities", []).append(
                {
                    "type": "mention",
                    "offset": _utf16_offset(text, text.index(mention)),
                    "length": len(mention),
                }
            )
        if reply_to is not None:
            message["reply_to_message"] = self._bot_message_json(reply_to)
        return {"message": message}

    async def send_other(self, **content: Any) -> list[ShownMessage]:
        """A message without text: a sticker, photo, location, document..."""
        return await self.process({"message": self._user_message(**content)})

    async def click(self, label: str) -> list[ShownMessage]:
        """Press the button with this label on the newest message showing it."""
        for shown in reversed(self.messages()):
            for button_label, data in shown.buttons:
                if button_label == label:
                    return await self.press(shown, data)
        raise AssertionError(f"no button {label!r}; the chat shows {self.all_labels()}")

    async def press(self, shown: ShownMessage, data: str) -> list[ShownMessage]:
        """Press a button with any callback data, e.g. one from an older version of the bot."""
        return await self.process(self.press_payload(shown, data))

    def press_payload(self, shown: ShownMessage, data: str) -> dict[str, Any]:
        """The update Telegram sends when this user presses a button on `shown`, not yet processed."""
        query = {
            "id": str(next(self._update_ids)),
            "from": self.user,
            "chat_instance": f"instance-{self.chat_id}",
            "data": data,
            "message": self._bot_message_json(shown),
        }
        return {"callback_query": query}

    async def inline(self, query: str) -> list[dict[str, Any]]:
        """Type `@botname <query>` in some chat; the results offered."""
        before = len(self.telegram.calls_to("answerInlineQuery"))
        inline = {"id": str(next(self._update_ids)), "from": self.user, "query": query, "offset": ""}
        await self.process({"inline_query": inline})
        answers = self.telegram.calls_to("answerInlineQuery")
        assert len(answers) == before + 1, "the inline query was not answered"
        return list(answers[-1].params["results"])

    async def process(self, payload: dict[str, Any]) -> list[ShownMessage]:
        """Feed one update; return the bot messages sent or edited because of it."""
        start = len(self.telegram.changed)
        await self.app.process_update(self.update(payload))
        return self.telegram.changed[start:]

    def update(self, payload: dict[str, Any]) -> Update:
        """An Update as PTB builds it from Telegram's JSON, with a fresh update_id."""
        return Update.de_json({"update_id": next(self._update_ids), **payload}, self.app.bot)

    # Reading -------------------------------------------------------------------------------------------

    def messages(self) -> list[ShownMessage]:
        """The bot's messages in this chat, oldest first, as they look now."""
        chat = self.telegram.chats.get(self.chat_id, {})
        return [chat[i] for i in sorted(chat)]

    def last(self) -> ShownMessage:
        """The message the bot last sent or edited in this chat."""
        changed = [m for m in self.telegram.changed if m.chat_id == self.chat_id]
        assert changed, "the bot has not said anything"
        return self.telegram.chats[self.chat_id][changed[-1].message_id]

    def last_text(self) -> str:
        return self.last().text

    def all_labels(self) -> list[str]:
        return [label for shown in self.messages() for label in shown.labels]

    # Building updates ----------------------------------------------------------------------------------

    def _user_message(self, **content: Any) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": self.chat_id, "type": self.chat_type}
        if self.chat_type != "private":
            chat["title"] = "FE maths leads"
        return {
            "message_id": self.telegram.next_message_id(),
            "date": int(time.time()),
            "chat": chat,
            "from": self.user,
            **content,
        }

    def _bot_message_json(self, shown: ShownMessage) -> dict[str, Any]:
        message = FakeTelegram.message_json(shown)
        message["chat"]["type"] = self.chat_type
        return message


def _utf16_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-16-le")) // 2
