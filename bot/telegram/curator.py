"""The curator's loop in Telegram: the question log, feedback, hand-off to a person, admin commands, privacy.

`CuratorDesk` sits beside `TelegramChat` (telegram_app.py): it logs each answered question, adds the
"Helpful" / "Not helpful" and "Ask a person" buttons, posts agreed hand-offs to the curator chat and
delivers the curators' replies, answers `/privacy` and `/forget`, runs the admin commands and the daily
purge and weekly report jobs. Every blocking database call runs in a worker thread; a database that
cannot be read or written never stops the bot answering questions.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
import sqlite3
import time
from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path
from typing import Any

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, TelegramError

from ..config import Settings
from ..content import load_answerer
from ..core.answers import Answer
from ..core.conversation import Turn
from ..core.problems import KnowledgeError
from ..core.replies import Button
from ..core.text import command_name
from ..curation.interaction_log import InteractionLog
from ..curation.report import build_report, render_text
from .context import Context, TelegramApplication
from .current import CurrentAnswerer
from .render import adapter_problems, keyboard, split_message, to_html

logger = logging.getLogger(__name__)

ADMIN_COMMANDS = ("stats", "report", "reload")

# Button actions of the curator's loop: feedback (fb:up/down) and hand-off (ho:ask/yes/no), each naming the
# logged question by its ref.
CURATOR_ACTION_PATTERN = re.compile(r"^(?:fb:(?:up|down)|ho:(?:ask|yes|no)):[A-Za-z0-9_-]{1,16}$")
STATS_PERIOD_SECONDS = 7 * 86400
WEEKLY_SECONDS = 7 * 86400
DAILY_SECONDS = 86400


class CuratorDesk:
    def __init__(self, settings: Settings, log: InteractionLog, current: CurrentAnswerer) -> None:
        self.settings = settings
        self.log = log
        self.current = current  # shared with the chat handlers; reload swaps what it holds

    @property
    def messages(self) -> Any:
        return self.current.messages  # follows /reload

    # Questions --------------------------------------------------------------------------------------------

    def after_question(self, update: Update, turn: Turn) -> Turn:
        """Log a typed question's outcome and add its feedback or hand-off buttons (private chats only)."""
        answer = turn.answer
        user, chat = update.effective_user, update.effective_chat
        if answer is None or user is None or chat is None:
            return turn
        entry_id = answer.entry.id if answer.entry is not None else None
        ref = self.log.record(user.id, chat.type, answer.question, answer.status, entry_id, answer.score)
        if chat.type != ChatType.PRIVATE or not turn.replies:
            return turn  # in a group, anyone could press them, and a reply would go to the whole group
        extra = self._buttons_for(answer, ref)
        if not extra:
            return turn
        last = turn.replies[-1]
        replies = [*turn.replies[:-1], dataclasses.replace(last, buttons=(*last.buttons, *extra))]
        return dataclasses.replace(turn, replies=replies)

    def _buttons_for(self, answer: Answer, ref: str) -> tuple[Button, ...]:
        if answer.status == "answered":
            return (
                Button(self.messages["button_helpful"], f"fb:up:{ref}"),
                Button(self.messages["button_not_helpful"], f"fb:down:{ref}"),
            )
        if answer.status in ("suggest", "fallback"):
            return (Button(self.messages["button_ask_person"], f"ho:ask:{ref}"),)
        return ()

    # Buttons ----------------------------------------------------------------------------------------------

    async def on_button(self, update: Update, context: Context) -> None:
        query = update.callback_query
        user, chat = update.effective_user, update.effective_chat
        if query is None or query.data is None or user is None or chat is None:
            return
        kind, action, ref = query.data.split(":", 2)
        pressed = query.message if isinstance(query.message, Message) else None
        if kind == "fb":
            feedback = "helpful" if action == "up" else "not_helpful"
            self.log.record_feedback(ref, user.id, feedback)
            with suppress(BadRequest):
                await query.answer(self.messages["feedback_thanks"] if action == "up" else None)
            if pressed is not None:
                await self._remove_buttons(pressed, prefix="fb:")
            if action == "down":
                await self._offer_handoff(context, chat.id, ref)
            return
        with suppress(BadRequest):
            await query.answer()
        if action == "ask":
            if pressed is not None:
                await self._remove_buttons(pressed, prefix="ho:")
            await self._offer_handoff(context, chat.id, ref)
            return
        if pressed is not None:
            await self._remove_buttons(pressed, prefix="ho:")
        if action == "no":
            await self._send(context, chat.id, self.messages["handoff_declined"])
            return
        await self._hand_off(context, user.id, chat.id, ref)

    async def _offer_handoff(self, context: Context, chat_id: int, ref: str) -> None:
        if self.settings.curator_chat_id is None:
            await self._send(context, chat_id, self.messages["handoff_unavailable"])
            return
        buttons = (
            Button(self.messages["button_handoff_yes"], f"ho:yes:{ref}"),
            Button(self.messages["button_handoff_no"], f"ho:no:{ref}"),
        )
        await self._send(context, chat_id, self.messages["handoff_offer"], buttons)

    async def _hand_off(self, context: Context, user_id: int, chat_id: int, ref: str) -> None:
        curator_chat = self.settings.curator_chat_id
        if curator_chat is None:
            await self._send(context, chat_id, self.messages["handoff_unavailable"])
            return
        try:
            asked = await asyncio.to_thread(self.log.question, ref, user_id)
        except sqlite3.Error as exc:
            logger.error("Hand-off: the question log cannot be read (%s)", exc)
            await self._send(context, chat_id, self.messages["handoff_unavailable"])
            return
        if asked is None:
            await self._send(context, chat_id, self.messages["handoff_gone"])
            return
        post = self.messages["handoff_post"].format(question=asked.question, outcome=self._outcome(asked))
        try:
            posted = await self._send(context, curator_chat, post, raise_errors=True)
        except TelegramError as exc:
            logger.error("Hand-off could not be posted to the curator chat: %s", exc)
            await self._send(context, chat_id, self.messages["handoff_unavailable"])
            return
        if posted is not None:
            self.log.record_handoff(posted.message_id, user_id, chat_id)
        await self._send(context, chat_id, self.messages["handoff_sent"])

    def _outcome(self, asked: Any) -> str:
        if asked.status == "answered" and asked.entry_id in self.current.answerer.knowledge.by_id:
            entry = self.current.answerer.knowledge.by_id[asked.entry_id]
            return str(self.messages["handoff_outcome_answered"].format(entry=entry.question))
        if asked.status == "suggest":
            return str(self.messages["handoff_outcome_suggest"])
        return str(self.messages["handoff_outcome_fallback"])

    # The curator chat -------------------------------------------------------------------------------------

    async def on_curator_reply(self, update: Update, context: Context) -> None:
        """A message in the curator chat that replies to one of the bot's messages."""
        message = update.effective_message
        if message is None or message.reply_to_message is None or not message.text:
            return
        replied = message.reply_to_message
        if replied.from_user is None or replied.from_user.id != context.bot.id:
            return  # curators talking among themselves
        try:
            target = await asyncio.to_thread(self.log.handoff_target, replied.message_id)
        except sqlite3.Error as exc:
            logger.error("Curator reply: the question log cannot be read (%s)", exc)
            await self._reply(message, self.messages["log_unavailable"])
            return
        if target == "unknown":
            await self._reply(message, self.messages["curator_reply_not_handoff"])
            return
        if target == "forgotten":
            await self._reply(message, self.messages["curator_reply_forgotten"])
            return
        text = self.messages["curator_reply"].format(reply=message.text)
        try:
            await self._send(context, target, text, raise_errors=True)
        except Forbidden:
            await self._reply(message, self.messages["curator_reply_blocked"])
            return
        except TelegramError as exc:
            logger.error("Curator reply could not be delivered: %s", exc)
            await self._reply(message, self.messages["something_went_wrong"])
            return
        await self._reply(message, self.messages["curator_reply_sent"])

    # Privacy ----------------------------------------------------------------------------------------------

    async def on_privacy_command(self, update: Update, context: Context) -> None:
        message, user, chat = update.effective_message, update.effective_user, update.effective_chat
        if message is None or message.text is None or user is None or chat is None:
            return
        name = command_name(message.text) or ""
        if name == "privacy":
            await self._reply(
                message, self.messages["privacy"].format(retention_days=self.settings.retention_days)
            )
            return
        try:
            await asyncio.to_thread(self.log.forget, user.id)
        except sqlite3.Error as exc:
            logger.error("/forget: the question log cannot be changed (%s)", exc)
            await self._reply(message, self.messages["forget_failed"])
            return
        if chat.type == ChatType.PRIVATE:
            context.application.drop_chat_data(chat.id)  # the self-check and live menus of this chat
        await self._reply(message, self.messages["forget_done"])

    # Admin ------------------------------------------------------------------------------------------------

    async def on_admin_command(self, update: Update, context: Context) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or message.text is None:
            return
        if user is None or user.id not in self.settings.admin_ids:
            return  # registered for ADMIN_IDS only (filters.User); anyone else never gets here
        name = command_name(message.text) or ""
        if name == "reload":
            await self._reply(message, await self.reload())
            return
        try:
            rows = await asyncio.to_thread(self.log.rows, time.time() - STATS_PERIOD_SECONDS)
        except sqlite3.Error as exc:
            logger.error("/%s: the question log cannot be read (%s)", name, exc)
            await self._reply(message, self.messages["log_unavailable"])
            return
        if name == "stats":
            questions = len(rows)
            answered = sum(r.status == "answered" for r in rows)
            text = self.messages["admin_stats"].format(
                questions=questions,
                answered=answered,
                answer_rate=f"{answered / questions:.0%}" if questions else "-",
                unsure=sum(r.status == "suggest" for r in rows),
                unanswered=sum(r.status == "fallback" for r in rows),
                helpful=sum(r.feedback == "helpful" for r in rows),
                not_helpful=sum(r.feedback == "not_helpful" for r in rows),
            )
        else:
            text = render_text(build_report(rows, self.current.answerer.matcher), "7 days")
        await self._reply(message, text)

    async def reload(self) -> str:
        """Re-read and validate the knowledge base off the event loop; keep the old one if it is broken."""
        current = self.current.answerer
        try:
            answerer = await asyncio.to_thread(load_answerer, self.settings.knowledge_dir, current.today)
            problems = adapter_problems(answerer.knowledge)
            if problems:
                raise KnowledgeError(problems)
        except KnowledgeError as exc:
            listed = "\n".join(str(p) for p in exc.problems)
            return str(self.messages["reload_failed"].format(count=len(exc.problems), problems=listed))
        self.current.use(answerer)
        logger.info("Knowledge base reloaded from %s", self.settings.knowledge_dir)
        return str(self.messages["reload_done"].format(entries=len(answerer.knowledge.faq_entries)))

    # Jobs -------------------------------------------------------------------------------------------------

    def schedule(self, application: TelegramApplication) -> None:
        """Daily purge of old log rows; a weekly report to the curator chat when there is one."""
        jobs = application.job_queue
        if jobs is None:
            logger.warning("No job queue: old questions are not purged automatically")
            return
        jobs.run_repeating(self.purge_job, interval=DAILY_SECONDS, first=60, name="purge")
        if self.settings.curator_chat_id is not None:
            jobs.run_repeating(
                self.weekly_report_job, interval=WEEKLY_SECONDS, first=WEEKLY_SECONDS, name="report"
            )

    async def purge_job(self, context: Context) -> None:
        try:
            purged = await asyncio.to_thread(self.log.purge_older_than, self.settings.retention_days)
        except sqlite3.Error as exc:
            logger.error("Daily purge failed: the question log cannot be changed (%s)", exc)
            return
        logger.info("Purged %d question(s) older than %d days", purged, self.settings.retention_days)

    async def weekly_report_job(self, context: Context) -> None:
        if self.settings.curator_chat_id is None:
            return
        try:
            rows = await asyncio.to_thread(self.log.rows, time.time() - WEEKLY_SECONDS)
        except sqlite3.Error as exc:
            logger.error("Weekly report skipped: the question log cannot be read (%s)", exc)
            return
        report = render_text(build_report(rows, self.current.answerer.matcher), "7 days")
        text = f"{self.messages['weekly_report_intro']}\n\n{report}"
        with suppress(TelegramError):
            await self._send(context, self.settings.curator_chat_id, text)

    # Sending ----------------------------------------------------------------------------------------------

    async def _send(
        self,
        context: Context,
        chat_id: int,
        text: str,
        buttons: Sequence[Button] = (),
        *,
        raise_errors: bool = False,
    ) -> Message | None:
        """Send text (split to fit), buttons under the last part; the last message sent."""
        chunks = split_message(text)
        sent: Message | None = None
        try:
            for index, chunk in enumerate(chunks):
                markup = keyboard(tuple(buttons)) if index == len(chunks) - 1 else None
                sent = await context.bot.send_message(chat_id, to_html(chunk), reply_markup=markup)
        except Forbidden as exc:
            if raise_errors:
                raise
            logger.info("Not delivered to chat %s (blocked or removed): %s", chat_id, exc)
        return sent

    async def _reply(self, message: Message, text: str) -> None:
        with suppress(Forbidden):
            for chunk in split_message(text):
                await message.reply_text(to_html(chunk))

    async def _remove_buttons(self, message: Message, *, prefix: str) -> None:
        """Take this loop's buttons off a message, keeping the others (related questions)."""
        markup = message.reply_markup
        if markup is None:
            return
        kept = tuple(
            Button(button.text, str(button.callback_data))
            for row in markup.inline_keyboard
            for button in row
            if button.callback_data is not None and not str(button.callback_data).startswith(prefix)
        )
        with suppress(BadRequest, Forbidden):
            await message.edit_reply_markup(reply_markup=keyboard(kept))


def open_interaction_log(settings: Settings) -> InteractionLog:
    """The log in DATA_DIR, keyed by LOG_KEY or a key generated once into DATA_DIR."""
    from ..curation.interaction_log import LOG_FILE, load_or_create_key

    return InteractionLog(
        Path(settings.data_dir) / LOG_FILE, load_or_create_key(settings.data_dir, settings.log_key)
    )
