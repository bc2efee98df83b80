"""The Telegram adapter: updates become Conversation calls, and the core's Replies become Telegram messages.

No decisions are made here. The adapter renders (HTML-escaped, split at Telegram's limit, buttons carrying the
core's actions), keeps each chat's state in persisted `chat_data`, and is a polite API client. Diagram of the
message flow and the run modes: docs/telegram.md.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import importlib.util
import logging
import os
import re
import sys
import textwrap
from collections.abc import Callable, Sequence
from contextlib import suppress
from pathlib import Path
from typing import Any, Literal

from telegram import (
    Bot,
    BotCommand,
    CallbackQuery,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    LinkPreviewOptions,
    Message,
    MessageEntity,
    Update,
)
from telegram.constants import (
    ChatType,
    ParseMode,
)
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    AIORateLimiter,
    ApplicationBuilder,
    BasePersistence,
    BaseRateLimiter,
    CallbackQueryHandler,
    CommandHandler,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest

from ..config import Settings, SettingsError
from ..core.answers import Answerer
from ..core.conversation import COMMANDS, PRIVACY_COMMANDS, ChatState, Conversation, Turn
from ..core.problems import KnowledgeError
from ..core.replies import Reply
from ..core.text import command_name
from ..curation.interaction_log import InteractionLog
from .context import Context, TelegramApplication
from .curator import ADMIN_COMMANDS, CURATOR_ACTION_PATTERN, CuratorDesk, open_interaction_log
from .current import CurrentAnswerer
from .flood import FloodGuard
from .persistence import BatchedPicklePersistence
from .render import MESSAGE_LIMIT, adapter_problems, keyboard, split_message, telegram_length, to_html
from .update_processor import ChatOrderedProcessor

logger = logging.getLogger(__name__)


# The core's button actions (see replies.Button). Anything else is a button this version never made.
ACTION_PATTERN = re.compile(r"^(?:(?:faq|topic|elig):.+|topics|eligibility|ask)$")
INLINE_RESULTS = 10
INLINE_DESCRIPTION_CHARS = 120
# Updates we act on; edited messages and channel posts are not even fetched (a reply to them is noise).
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.INLINE_QUERY]
# Start-up retries (deleteWebhook/setWebhook, getMe) before giving up; polling itself retries forever.
BOOTSTRAP_RETRIES = 5
# Updates processed at once (each chat still strictly in order; see update_processor.py). Most of them wait
# on the rate limiter or a round trip, which costs nothing; the cap only bounds memory in a flood.
MAX_CONCURRENT_UPDATES = 128
# HTTP connections to the Bot API. The rate limiter lets about 30 calls a second through, so even at a 500 ms
# round trip about 15 are in flight; httpcore looks at every open connection for every request, so a much
# bigger pool only costs CPU per answer (measured: 128 connections doubled it). A call that finds every
# connection busy waits up to POOL_TIMEOUT_SECONDS.
CONNECTION_POOL_SIZE = 16
POOL_TIMEOUT_SECONDS = 10.0
# How often changed chat state is written to disk; shutdown always writes it.
PERSISTENCE_INTERVAL_SECONDS = 10
STATE_FILE = "telegram_state.pickle"

STATE_KEY = "state"  # the Conversation's state for this chat
PANELS_KEY = "panels"  # message ids of the live browse menu and self-check step, to edit them in place
# What a turn was triggered by (a command, a button's action kind, typed text) decides which live message,
# if any, it may edit: browsing edits the topics menu; the self-check edits or retires its current step.
BROWSE_TRIGGERS = frozenset({"topics", "topic"})
CHECK_TRIGGERS = frozenset({"text", "elig", "eligibility", "cancel", "start", "stale"})


class _Default(enum.Enum):
    DEFAULT = enum.auto()


DEFAULT = _Default.DEFAULT
PanelKind = Literal["browse", "check"]


def _in_self_check(state: ChatState) -> bool:
    return state.get("eligibility") is not None


def _panel_kind(trigger: str, before: ChatState, turn: Turn) -> PanelKind | None:
    if trigger in BROWSE_TRIGGERS:
        return "browse"
    if trigger in CHECK_TRIGGERS and (_in_self_check(before) or _in_self_check(turn.state)):
        return "check"
    return None


# --- Handlers -----------------------------------------------------------------------------------------------


class _AddressedToBot(filters.MessageFilter):
    """Every message in a private chat; in a group, only those that mention the bot or reply to it."""

    def __init__(self, bot: Bot) -> None:
        super().__init__(name="AddressedToBot")
        self._bot = bot

    def filter(self, message: Message) -> bool:
        if message.chat.type == ChatType.PRIVATE:
            return True
        replied = message.reply_to_message
        if replied is not None and replied.from_user is not None and replied.from_user.id == self._bot.id:
            return True
        handle = f"@{self._bot.username}".lower()
        entities = {**message.parse_entities(), **message.parse_caption_entities()}
        for entity, text in entities.items():
            if entity.type == MessageEntity.MENTION and text.lower() == handle:
                return True
            if entity.type == MessageEntity.BOT_COMMAND and text.lower().endswith(handle):
                return True
        return False


class TelegramChat:
    """The update handlers, bound to one Conversation when the application is built."""

    def __init__(self, current: CurrentAnswerer, desk: CuratorDesk | None = None) -> None:
        self.current = current  # shared with the curator's desk; /reload swaps what it holds
        self.desk = desk  # the curator's loop, when there is an interaction log

    @property
    def conversation(self) -> Conversation:
        return self.current.conversation

    @property
    def answerer(self) -> Answerer:
        return self.current.answerer

    @property
    def messages(self) -> Any:
        return self.current.messages

    # Messages -------------------------------------------------------------------------------------------

    async def on_command(self, update: Update, context: Context) -> None:
        """A known command (/start, /help, ...), possibly addressed as /help@botname in a group."""
        message = update.effective_message
        if message is None or message.text is None:
            return
        name = command_name(message.text) or ""
        before, turn = self._take_turn(context, lambda state: self.conversation.command(state, name))
        kind = _panel_kind(name, before, turn)
        await self._respond(context, message.chat_id, turn, anchor=message, kind=kind, quote=True)

    async def on_text(self, update: Update, context: Context) -> None:
        """Typed text: a question, or an answer inside the self-check."""
        message = update.effective_message
        if message is None or message.text is None:
            return
        text = self._without_mention(message.text, context.bot)
        before, turn = self._take_turn(context, lambda state: self.conversation.handle(state, text))
        if self.desk is not None:
            turn = self.desk.after_question(update, turn)
        kind = _panel_kind("text", before, turn)
        await self._respond(context, message.chat_id, turn, anchor=message, kind=kind, quote=True)

    async def on_non_text(self, update: Update, context: Context) -> None:
        """Stickers, photos, voice, locations, documents...: the bot only reads text."""
        message = update.effective_message
        if message is None:
            return
        reply = Reply(self.messages["only_text"])
        await self._deliver_new(context, message.chat_id, reply, anchor=message, quote=True)

    # Buttons --------------------------------------------------------------------------------------------

    async def on_button(self, update: Update, context: Context) -> None:
        """A press on one of our buttons; its data is a core action such as `faq:<id>` or `elig:<value>`."""
        query = update.callback_query
        if query is None or query.data is None:
            return
        await self._acknowledge(query)
        action = query.data
        before, turn = self._take_turn(context, lambda state: self.conversation.press(state, action))
        kind = _panel_kind(action.partition(":")[0], before, turn)
        await self._after_press(context, update, turn, kind=kind)

    async def on_stale_button(self, update: Update, context: Context) -> None:
        """A press whose data no handler knows: a button from an older version of the bot, or forged."""
        query = update.callback_query
        if query is None:
            return
        await self._acknowledge(query)
        # No version of the core has a "stale" action; Conversation.press answers it with "menu expired".
        before, turn = self._take_turn(context, lambda state: self.conversation.press(state, "stale"))
        await self._after_press(context, update, turn, kind=_panel_kind("stale", before, turn))

    # Inline mode ----------------------------------------------------------------------------------------

    async def on_inline_query(self, update: Update, context: Context) -> None:
        """`@botname cost` in any chat: the best-matching FAQ answers, ready to share into that chat."""
        query = update.inline_query
        if query is None:
            return
        results = [self._inline_result(entry_id) for entry_id in self._inline_matches(query.query)]
        button = InlineQueryResultsButton(text=self.messages["inline_open_chat"], start_parameter="inline")
        try:
            await query.answer(results, cache_time=300, is_personal=False, button=button)
        except BadRequest as exc:
            # The user typed on and Telegram dropped this query; nothing to tell anyone.
            logger.info("Inline query could not be answered: %s", exc)

    def _inline_matches(self, text: str) -> list[str]:
        if not text.strip():
            return []
        ids: list[str] = []
        for candidate in self.answerer.matcher.rank(text):
            if candidate.entry.kind == "faq" and candidate.entry.id not in ids:
                ids.append(candidate.entry.id)
            if len(ids) == INLINE_RESULTS:
                break
        return ids

    def _inline_result(self, entry_id: str) -> InlineQueryResultArticle:
        entry = self.answerer.knowledge.by_id[entry_id]
        answer = self.answerer.entry_answer(entry).text
        shared = f"<b>{to_html(entry.question)}</b>\n\n{to_html(answer)}"
        if telegram_length(f"{entry.question}\n\n{answer}") > MESSAGE_LIMIT:
            shared = to_html(split_message(answer)[0])
        return InlineQueryResultArticle(
            id=entry.id,
            title=entry.question,
            description=textwrap.shorten(answer, INLINE_DESCRIPTION_CHARS, placeholder="…"),
            input_message_content=InputTextMessageContent(shared, parse_mode=ParseMode.HTML),
        )

    # Errors ---------------------------------------------------------------------------------------------

    async def on_error(self, update: object, context: Context) -> None:
        """Log with traceback; tell the user something went wrong, without details. Never raises."""
        error = context.error
        if isinstance(error, Forbidden):
            logger.info("Telegram refused a call (the user blocked the bot or removed it): %s", error)
            return
        update_id = update.update_id if isinstance(update, Update) else None
        if isinstance(error, NetworkError):
            logger.warning("Network error while handling update %s", update_id, exc_info=error)
        else:
            logger.error("Error while handling update %s", update_id, exc_info=error)
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            return
        try:
            await context.bot.send_message(chat.id, to_html(self.messages["something_went_wrong"]))
        except TelegramError as exc:
            logger.warning("Could not tell chat %s that something went wrong: %s", chat.id, exc)

    async def on_flood(self, update: Update) -> None:
        """The first update over a sender's flood limit: one polite "slow down" instead of an answer."""
        notice = self.messages["slow_down"]
        query = update.callback_query
        if query is not None:
            with suppress(BadRequest):
                await query.answer(notice)  # a short pop-up, and the button stops spinning
            return
        message = update.effective_message
        if message is not None:
            with suppress(Forbidden):
                await message.reply_text(to_html(notice))

    async def register_commands(self, application: TelegramApplication) -> None:
        """Show the command menu in Telegram's UI; run once when the bot starts."""
        names = (*COMMANDS, *PRIVACY_COMMANDS) if self.desk is not None else COMMANDS
        commands = [BotCommand(name, self.messages[f"command_{name}"]) for name in names]
        try:
            await application.bot.set_my_commands(commands)
        except TelegramError as exc:
            # The menu is a convenience: typed commands work without it, so this never stops the bot.
            logger.warning("The command menu could not be registered: %s", exc)

    # State ----------------------------------------------------------------------------------------------

    def _take_turn(self, context: Context, act: Callable[[ChatState], Turn]) -> tuple[ChatState, Turn]:
        """Read the chat's state, run the core, store the new state.

        No await between reading and writing, so each update's state change is atomic even when updates
        are processed concurrently. State saved by an older version of the bot or knowledge base that the
        core cannot use is logged and dropped: the chat starts afresh instead of failing on every message.
        """
        chat_data = context.chat_data if context.chat_data is not None else {}
        stored = chat_data.get(STATE_KEY)
        before: ChatState = stored if isinstance(stored, dict) else {}
        try:
            turn = act(before)
        except Exception:
            if not before:
                raise
            logger.exception("Saved chat state could not be used; the chat starts afresh")
            before = {}
            turn = act(before)
        chat_data[STATE_KEY] = turn.state
        return before, turn

    @staticmethod
    def _without_mention(text: str, bot: Bot) -> str:
        """The question without the @botname that addressed it in a group."""
        return re.sub(rf"@{re.escape(bot.username)}\b", " ", text, flags=re.IGNORECASE).strip()

    # Sending --------------------------------------------------------------------------------------------

    async def _acknowledge(self, query: CallbackQuery) -> None:
        """Stop the button's loading spinner; an old query (e.g. from before a restart) cannot be answered."""
        try:
            await query.answer()
        except BadRequest as exc:
            logger.debug("Callback query not answered: %s", exc)

    async def _after_press(
        self, context: Context, update: Update, turn: Turn, *, kind: PanelKind | None
    ) -> None:
        query = update.callback_query
        chat = update.effective_chat
        if query is None or chat is None:
            return  # a button on a message shared via inline mode: we never put buttons there
        pressed = query.message if isinstance(query.message, Message) else None
        expired = bool(turn.replies) and turn.replies[0].text == self.messages["button_expired"]
        if expired and pressed is not None:
            # Its buttons will never work again; the fresh menu comes as a new message.
            await self._remove_keyboard(context, chat.id, pressed.message_id)
        edit = None if expired else pressed
        await self._respond(context, chat.id, turn, anchor=pressed, kind=kind, quote=False, pressed=edit)

    async def _respond(
        self,
        context: Context,
        chat_id: int,
        turn: Turn,
        *,
        anchor: Message | None,
        kind: PanelKind | None,
        quote: bool,
        pressed: Message | None = None,
    ) -> None:
        """Show a turn's replies, editing the live menu or self-check step in place when it was pressed.

        `anchor` is the message the replies follow (in its chat and forum topic); `quote` quotes it, which
        PTB does only in groups, where it shows whom the bot answers.

        A chat has at most one live self-check step: when the next step arrives as a new message (the user
        typed the answer, or asked a question first), the previous step loses its buttons.
        """
        panels = self._panels(context)
        live = panels.get(kind) if kind else None
        edit = pressed if pressed is not None and live == pressed.message_id else None
        shown: list[Message] = []
        edited = False
        for index, reply in enumerate(turn.replies):
            message = await self._edit(edit, reply) if index == 0 and edit is not None else None
            edited = edited or message is not None
            if message is None:
                first = quote and index == 0
                message = await self._deliver_new(context, chat_id, reply, anchor=anchor, quote=first)
            if message is None:
                return  # Forbidden: the user blocked the bot
            shown.append(message)
        if kind is None or not shown:
            return
        keeps_panel = bool(turn.replies[-1].buttons) and (kind == "browse" or _in_self_check(turn.state))
        new_live = shown[-1].message_id if keeps_panel else None
        # An edited reply went into the live message itself; otherwise a new step replaced it.
        if kind == "check" and live is not None and live != new_live and not edited:
            await self._remove_keyboard(context, chat_id, live)
        if new_live is None:
            panels.pop(kind, None)
        else:
            panels[kind] = new_live

    @staticmethod
    def _panels(context: Context) -> dict[str, int]:
        if context.chat_data is None:
            return {}
        panels = context.chat_data.get(PANELS_KEY)
        if not isinstance(panels, dict):
            panels = context.chat_data[PANELS_KEY] = {}
        return panels

    async def _edit(self, message: Message, reply: Reply) -> Message | None:
        """Replace a message's text and buttons; None when it cannot be edited (then a new one is sent)."""
        chunks = split_message(reply.text)
        if len(chunks) > 1:
            return None
        try:
            edited = await message.edit_text(to_html(chunks[0]), reply_markup=keyboard(reply.buttons))
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return message  # the same step asked again: already on screen
            logger.info("Could not edit message %s, sending a new one: %s", message.message_id, exc)
            return None
        return edited if isinstance(edited, Message) else message

    async def _deliver_new(
        self, context: Context, chat_id: int, reply: Reply, *, anchor: Message | None, quote: bool
    ) -> Message | None:
        """Send a reply as new message(s), buttons under the last; None if the user has blocked the bot."""
        chunks = split_message(reply.text)
        sent: Message | None = None
        try:
            for index, chunk in enumerate(chunks):
                markup = keyboard(reply.buttons) if index == len(chunks) - 1 else None
                if anchor is not None:
                    do_quote = None if quote and index == 0 else False
                    sent = await anchor.reply_text(to_html(chunk), reply_markup=markup, do_quote=do_quote)
                else:
                    sent = await context.bot.send_message(chat_id, to_html(chunk), reply_markup=markup)
        except Forbidden as exc:
            logger.info("Not delivered to chat %s (the user blocked the bot or removed it): %s", chat_id, exc)
            return None
        return sent

    async def _remove_keyboard(self, context: Context, chat_id: int, message_id: int) -> None:
        """Retire an old menu's buttons; best effort, as the message may be gone or too old to edit."""
        with suppress(BadRequest, Forbidden):
            await context.bot.edit_message_reply_markup(chat_id, message_id, reply_markup=None)


# --- The application ----------------------------------------------------------------------------------------


def build_application(
    settings: Settings,
    answerer: Answerer,
    *,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    persistence: BasePersistence[Any, Any, Any] | _Default | None = DEFAULT,
    rate_limiter: BaseRateLimiter[Any] | _Default | None = DEFAULT,
    flood_guard: FloodGuard | None = None,
    max_concurrent_updates: int = MAX_CONCURRENT_UPDATES,
    interaction_log: InteractionLog | _Default | None = DEFAULT,
) -> TelegramApplication:
    """The bot, ready to run or to test: every handler registered, in order.

    `request`/`get_updates_request` replace the HTTP client (tests pass a fake). `persistence` defaults to a
    pickle file in DATA_DIR; `rate_limiter` to AIORateLimiter; `flood_guard` to a FloodGuard with its default
    limits; `interaction_log` to the SQLite log in DATA_DIR (None: no log, no feedback or hand-off buttons).
    Updates from different chats run concurrently, each chat's in order. Raises KnowledgeError when the knowledge base
    lacks something the Telegram bot needs.
    """
    problems = adapter_problems(answerer.knowledge)
    if problems:
        raise KnowledgeError(problems)
    builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] = (
        ApplicationBuilder()
        .token(settings.token)
        .base_url(settings.bot_api_url)
        .base_file_url(settings.bot_api_file_url)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                allow_sending_without_reply=True,
            )
        )
    )
    if rate_limiter is DEFAULT:
        # Queues sends under Telegram's flood limits; on a 429 it waits `retry_after` and tries again.
        rate_limiter = AIORateLimiter(max_retries=3)
    if rate_limiter is not None:
        builder = builder.rate_limiter(rate_limiter)
    if request is not None:
        builder = builder.request(request)
    else:
        builder = builder.connection_pool_size(CONNECTION_POOL_SIZE).pool_timeout(POOL_TIMEOUT_SECONDS)
    if get_updates_request is not None:
        builder = builder.get_updates_request(get_updates_request)
    if persistence is DEFAULT:
        persistence = BatchedPicklePersistence(
            settings.data_dir / STATE_FILE, update_interval=PERSISTENCE_INTERVAL_SECONDS
        )
    if persistence is not None:
        builder = builder.persistence(persistence)
    processor = ChatOrderedProcessor(max_concurrent_updates, flood_guard or FloodGuard())
    current = CurrentAnswerer(answerer)
    if interaction_log is DEFAULT:
        interaction_log = open_interaction_log(settings)
    desk = CuratorDesk(settings, interaction_log, current) if interaction_log is not None else None
    chat = TelegramChat(current, desk)
    processor.on_flood = chat.on_flood

    async def on_start(application: TelegramApplication) -> None:
        await chat.register_commands(application)
        if desk is not None:
            desk.schedule(application)

    async def on_stop(application: TelegramApplication) -> None:
        if interaction_log is not None:
            await asyncio.to_thread(interaction_log.close)  # every queued row written

    application = builder.concurrent_updates(processor).post_init(on_start).post_shutdown(on_stop).build()
    addressed = _AddressedToBot(application.bot)
    new_message = filters.UpdateType.MESSAGE  # edits and channel posts are left alone: a reply would be noise

    # Order matters: within a group PTB runs only the first handler whose filters match.
    # 0. In the curator chat, a reply to one of the bot's hand-off posts goes back to the teacher.
    if desk is not None and settings.curator_chat_id is not None:
        curator_reply = (
            filters.Chat(settings.curator_chat_id) & filters.REPLY & filters.TEXT & ~filters.COMMAND
        )
        application.add_handler(MessageHandler(curator_reply & new_message, desk.on_curator_reply))
    # 1. Known commands first, so /help is never read as a question. CommandHandler itself ignores
    #    /help@otherbot in groups. Admin commands reach the desk only from ADMIN_IDS.
    application.add_handler(CommandHandler(COMMANDS, chat.on_command, filters=new_message))
    if desk is not None:
        application.add_handler(
            CommandHandler(PRIVACY_COMMANDS, desk.on_privacy_command, filters=new_message)
        )
        admins = filters.User(user_id=settings.admin_ids)
        application.add_handler(
            CommandHandler(ADMIN_COMMANDS, desk.on_admin_command, filters=new_message & admins)
        )
    # Anyone else's /stats, /report, /reload gets exactly what an unknown command gets.
    application.add_handler(CommandHandler(ADMIN_COMMANDS, chat.on_command, filters=new_message))
    # 2. Any other command: "unknown command" - in a group only when clearly meant for us (/foo@thisbot).
    application.add_handler(MessageHandler(filters.COMMAND & new_message & addressed, chat.on_command))
    # 3. Free text goes to the matcher or the self-check. Our own inline results, pasted back into the chat,
    #    are not questions.
    application.add_handler(
        MessageHandler(
            filters.TEXT & ~filters.COMMAND & ~filters.VIA_BOT & new_message & addressed, chat.on_text
        )
    )
    # 4. Anything else a user sends (sticker, photo, voice, location...), but not service messages such as
    #    "X joined the group".
    application.add_handler(
        MessageHandler(~filters.TEXT & ~filters.StatusUpdate.ALL & new_message & addressed, chat.on_non_text)
    )
    # 5. Buttons: feedback and hand-off; the core's namespaced actions; then, because it matches anything,
    #    the stale-button handler.
    if desk is not None:
        application.add_handler(CallbackQueryHandler(desk.on_button, pattern=CURATOR_ACTION_PATTERN))
    application.add_handler(CallbackQueryHandler(chat.on_button, pattern=ACTION_PATTERN))
    application.add_handler(CallbackQueryHandler(chat.on_stale_button))
    # 6. Inline mode: @botname <words> in any chat.
    application.add_handler(InlineQueryHandler(chat.on_inline_query))
    application.add_error_handler(chat.on_error)
    return application


# --- Running ------------------------------------------------------------------------------------------------


class RedactingFormatter(logging.Formatter):
    """Formats log lines with the secrets (bot token, webhook secret) replaced, tracebacks included.

    python-telegram-bot logs its API URL, token and all, at DEBUG; httpx logs request URLs at INFO.
    """

    def __init__(self, fmt: str, secrets: Sequence[str]) -> None:
        super().__init__(fmt)
        # Longest first, so the whole token is replaced before its secret half.
        self._secrets = sorted((s for s in secrets if len(s) >= 8), key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        return text


def configure_logging(settings: Settings) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(
        RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", settings.secrets)
    )
    logging.basicConfig(level=settings.log_level_number, handlers=[handler], force=True)
    # Request logs carry the token in the URL; keep them out even at LOG_LEVEL=DEBUG.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)


def _refuse(reason: str) -> int:
    print(f"The Telegram bot was not started: {reason}", file=sys.stderr)
    return 1


def run_telegram(
    answerer: Answerer, settings: Settings | None = None, knowledge_dir: Path | None = None
) -> int:
    """Run the bot until stopped (long polling, or a webhook server if WEBHOOK_URL is set); the exit code."""
    try:
        settings = settings or Settings.from_env()
    except SettingsError as exc:
        return _refuse(str(exc))
    if knowledge_dir is not None:
        settings = dataclasses.replace(settings, knowledge_dir=knowledge_dir)  # what /reload re-reads
    configure_logging(settings)
    if settings.uses_webhook and importlib.util.find_spec("tornado") is None:
        return _refuse('WEBHOOK_URL is set, but webhook mode needs "python-telegram-bot[webhooks]" installed')
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return _refuse(f"DATA_DIR {str(settings.data_dir)!r} cannot be created: {exc.strerror}")
    if not os.access(settings.data_dir, os.W_OK):
        return _refuse(f"DATA_DIR {str(settings.data_dir)!r} is not writable")
    try:
        application = build_application(settings, answerer)
    except KnowledgeError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return _refuse(f"the knowledge base has {len(exc.problems)} problem(s)")
    logger.info("Starting (%s) with %r", "webhook" if settings.uses_webhook else "long polling", settings)
    try:
        if settings.uses_webhook:
            application.run_webhook(
                listen=settings.webhook_listen,
                port=settings.webhook_port,
                url_path=settings.webhook_path,
                webhook_url=settings.webhook_url,
                secret_token=settings.webhook_secret_token,
                allowed_updates=ALLOWED_UPDATES,
                bootstrap_retries=BOOTSTRAP_RETRIES,
            )
        else:
            application.run_polling(allowed_updates=ALLOWED_UPDATES, bootstrap_retries=BOOTSTRAP_RETRIES)
    except InvalidToken:
        return _refuse("Telegram rejected TELEGRAM_BOT_TOKEN; check it with @BotFather")
    except NetworkError as exc:
        # Start-up retried BOOTSTRAP_RETRIES times; a supervisor (Docker's restart policy) can try again later.
        logger.error("Could not reach the Bot API at %s", settings.api_base_url, exc_info=exc)
        return _refuse(f"the Bot API at {settings.api_base_url} could not be reached")
    return 0
