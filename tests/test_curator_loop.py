"""The curator's loop in Telegram, offline: log, feedback, hand-off and replies, admin commands, privacy.

Teachers and curators are ChatDrivers on one fake Telegram; the interaction log is a real SQLite file in a
temporary DATA_DIR, read back raw where privacy is at stake.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from telegram_driver import FAKE_TOKEN, TEACHER, TEACHER_ID, ChatDriver, FakeTelegram, RecordingRequest

from bot.config import Settings, SettingsError
from bot.core.answers import Answerer
from bot.curation.interaction_log import LOG_FILE, InteractionLog, load_or_create_key
from bot.telegram.app import STATE_FILE, build_application
from bot.telegram.context import TelegramApplication

CURATOR_CHAT = -100777
ADMIN: dict[str, Any] = {"id": 5151, "is_bot": False, "first_name": "Pat", "username": "pat_admin"}
CURATOR: dict[str, Any] = {"id": 6161, "is_bot": False, "first_name": "Jo", "username": "jo_curator"}
OTHER: dict[str, Any] = {"id": 4343, "is_bot": False, "first_name": "Alex", "username": "alex_teacher"}


class Bot:
    """One running bot: its fake Telegram, application, log and the people talking to it."""

    def __init__(self, app: TelegramApplication, fake: FakeTelegram, log: InteractionLog) -> None:
        self.app, self.fake, self.log = app, fake, log
        self.errors: list[BaseException] = []
        self.teacher = ChatDriver(app, fake, errors=self.errors)
        self.other = ChatDriver(app, fake, chat_id=OTHER["id"], user=OTHER, errors=self.errors)
        self.admin = ChatDriver(app, fake, chat_id=ADMIN["id"], user=ADMIN, errors=self.errors)
        self.curator = ChatDriver(
            app, fake, chat_id=CURATOR_CHAT, user=CURATOR, chat_type="supergroup", errors=self.errors
        )

    def rows(self) -> list[Any]:
        return self.log.rows()


def make_bot(tmp_path: Path, answerer: Answerer, **settings: Any) -> Bot:
    config = Settings(token=FAKE_TOKEN, data_dir=tmp_path, admin_ids=frozenset({ADMIN["id"]}), **settings)
    fake = FakeTelegram()
    log = InteractionLog(tmp_path / LOG_FILE, load_or_create_key(tmp_path), busy_timeout=0.2)
    app = build_application(
        config,
        answerer,
        request=RecordingRequest(fake),
        get_updates_request=RecordingRequest(fake, poll_delay=0.05),
        rate_limiter=None,
        interaction_log=log,
    )
    return Bot(app, fake, log)


@pytest.fixture
async def bot(tmp_path: Path, answerer: Answerer) -> AsyncIterator[Bot]:
    running = make_bot(tmp_path, answerer, curator_chat_id=CURATOR_CHAT)
    async with running.app:
        yield running
    assert running.errors == [], "a handler raised"


@pytest.fixture
def messages(answerer: Answerer) -> Any:
    return answerer.knowledge.messages


def curator_posts(bot: Bot) -> list[Any]:
    return bot.curator.messages()


# --- The log and feedback -----------------------------------------------------------------------------------


async def test_questions_are_logged_with_outcome_and_no_identity(bot: Bot, tmp_path: Path) -> None:
    await bot.teacher.send("How much does the programme cost?")
    await bot.teacher.send("who won the football last night")
    rows = bot.rows()
    assert [(r.question, r.status, r.entry_id) for r in rows] == [
        ("How much does the programme cost?", "answered", "cost"),
        ("who won the football last night", "fallback", None),
    ]
    assert {r.user_key for r in rows} == {bot.log.user_key(TEACHER_ID)}
    assert rows[0].chat_type == "private"
    raw = (tmp_path / LOG_FILE).read_bytes() + b"".join(
        p.read_bytes() for p in tmp_path.glob(f"{LOG_FILE}-*")
    )
    for identity in (str(TEACHER_ID), TEACHER["first_name"], TEACHER["username"]):
        assert str(identity).encode() not in raw


async def test_helpful_is_recorded_and_its_buttons_go(bot: Bot, messages: Any, answerer: Answerer) -> None:
    await bot.teacher.send("How much does the programme cost?")
    answer = bot.teacher.last()
    await bot.teacher.click(messages["button_helpful"])
    assert bot.rows()[0].feedback == "helpful"
    assert bot.fake.calls_to("answerCallbackQuery")[-1].params.get("text") == messages["feedback_thanks"]
    labels = bot.fake.chats[TEACHER_ID][answer.message_id].labels
    related = [answerer.knowledge.by_id[r].question for r in answerer.knowledge.by_id["cost"].related]
    assert labels == related, "the related questions stay, the feedback buttons go"


async def test_feedback_from_someone_else_does_not_count(bot: Bot, messages: Any) -> None:
    await bot.teacher.send("How much does the programme cost?")
    data = dict(bot.teacher.last().buttons)[messages["button_not_helpful"]]
    await bot.other.press(bot.teacher.last(), data)  # a forged press with the teacher's ref
    assert bot.rows()[0].feedback is None


async def test_many_teachers_logging_at_once_lose_no_row(tmp_path: Path, answerer: Answerer) -> None:
    running = make_bot(tmp_path, answerer)
    teachers = [
        ChatDriver(
            running.app,
            running.fake,
            chat_id=20_000 + n,
            user={"id": 20_000 + n, "is_bot": False, "first_name": "T"},
            collect_errors=False,
        )
        for n in range(200)
    ]
    updates = [
        t.update(t.text_payload(q)) for q in ("is it free?", "do I need QTS?", "hello") for t in teachers
    ]
    async with running.app:
        await running.app.start()
        for update in updates:
            await running.app.update_queue.put(update)
        await running.app.update_queue.join()
        await running.app.stop()
    rows = running.rows()
    assert len(rows) == 600
    assert len({r.user_key for r in rows}) == 200


# --- Hand-off to a person -----------------------------------------------------------------------------------


async def test_not_helpful_offers_a_person_and_the_curator_sees_the_question_only(
    bot: Bot, messages: Any
) -> None:
    await bot.teacher.send("How much does the programme cost?")
    await bot.teacher.click(messages["button_not_helpful"])
    assert bot.rows()[0].feedback == "not_helpful"
    assert bot.teacher.last_text() == messages["handoff_offer"]
    await bot.teacher.click(messages["button_handoff_yes"])
    assert bot.teacher.last_text() == messages["handoff_sent"]
    (post,) = curator_posts(bot)
    assert "How much does the programme cost?" in post.text
    assert "not helpful" in post.text
    for identity in (str(TEACHER_ID), TEACHER["first_name"], TEACHER["username"]):
        assert identity not in post.text


async def test_no_thanks_passes_nothing_on(bot: Bot, messages: Any) -> None:
    await bot.teacher.send("who won the football last night")
    await bot.teacher.click(messages["button_ask_person"])
    await bot.teacher.click(messages["button_handoff_no"])
    assert bot.teacher.last_text() == messages["handoff_declined"]
    assert curator_posts(bot) == []


async def test_a_curator_reply_reaches_that_teacher_and_nobody_else(bot: Bot, messages: Any) -> None:
    await bot.other.send("Can I bring my dog to the sessions?")
    await bot.teacher.send("who won the football last night")
    await bot.teacher.click(messages["button_ask_person"])
    await bot.teacher.click(messages["button_handoff_yes"])
    other_before = [m.text for m in bot.other.messages()]
    (post,) = curator_posts(bot)
    await bot.curator.send("Hi, this bot only covers the programme. Try a sports site!", reply_to=post)
    expected = messages["curator_reply"].format(
        reply="Hi, this bot only covers the programme. Try a sports site!"
    )
    assert bot.teacher.last_text() == expected
    assert [m.text for m in bot.other.messages()] == other_before
    assert bot.curator.last_text() == messages["curator_reply_sent"]


async def test_a_reply_to_a_message_that_is_not_a_handoff(bot: Bot, messages: Any) -> None:
    await bot.curator.send(f"/help@{bot.app.bot.username}")
    await bot.curator.send("What should I say?", reply_to=bot.curator.last())
    assert bot.curator.last_text() == messages["curator_reply_not_handoff"]
    # Curators replying to each other: the bot stays out of it.
    sent_before = len(bot.fake.calls_to("sendMessage"))
    payload = bot.curator.text_payload("agreed")
    payload["message"]["reply_to_message"] = bot.curator.text_payload("shall we?")["message"]
    await bot.curator.process(payload)
    assert len(bot.fake.calls_to("sendMessage")) == sent_before


async def test_a_reply_after_the_teacher_used_forget(bot: Bot, messages: Any) -> None:
    await bot.teacher.send("who won the football last night")
    await bot.teacher.click(messages["button_ask_person"])
    await bot.teacher.click(messages["button_handoff_yes"])
    await bot.teacher.send("/forget")
    assert bot.teacher.last_text() == messages["forget_done"]
    (post,) = curator_posts(bot)
    await bot.curator.send("Here is your answer", reply_to=post)
    assert bot.curator.last_text() == messages["curator_reply_forgotten"]
    assert "Here is your answer" not in bot.teacher.last_text()


async def test_a_reply_to_a_teacher_who_blocked_the_bot(bot: Bot, messages: Any) -> None:
    await bot.teacher.send("who won the football last night")
    await bot.teacher.click(messages["button_ask_person"])
    await bot.teacher.click(messages["button_handoff_yes"])
    (post,) = curator_posts(bot)
    bot.fake.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
    await bot.curator.send("Here is your answer", reply_to=post)
    assert bot.curator.last_text() == messages["curator_reply_blocked"]


async def test_without_a_curator_chat_the_bot_says_where_to_ask(
    tmp_path: Path, answerer: Answerer, messages: Any
) -> None:
    running = make_bot(tmp_path, answerer)
    async with running.app:
        await running.teacher.send("who won the football last night")
        await running.teacher.click(messages["button_ask_person"])
        assert running.teacher.last_text() == messages["handoff_unavailable"]
        assert "Maths Hub" in messages["handoff_unavailable"]


# --- Admin commands ------------------------------------------------------------------------------------------


async def test_a_non_admin_gets_unknown_command_for_every_admin_command(bot: Bot, messages: Any) -> None:
    for command in ("/stats", "/report", "/reload"):
        await bot.teacher.send(command)
        assert bot.teacher.last_text() == messages["unknown_command"], command


async def test_admin_stats_and_report(bot: Bot) -> None:
    await bot.teacher.send("How much does the programme cost?")
    await bot.teacher.send("who won the football last night")
    await bot.teacher.send("who won the football on saturday")
    await bot.admin.send("/stats")
    stats = bot.admin.last_text()
    assert "3 questions, 1 answered (33%)" in stats
    assert "2 with no answer" in stats
    await bot.admin.send("/report")
    report = bot.admin.last_text()
    assert "who won the football" in report
    assert "cost: 1" in report


async def test_reload_with_a_broken_file_keeps_the_old_knowledge(
    tmp_path: Path, answerer: Answerer, knowledge_copy: Path, messages: Any
) -> None:
    running = make_bot(tmp_path, answerer, knowledge_dir=knowledge_copy)
    async with running.app:
        faq = knowledge_copy / "faq.yaml"
        faq.write_text(faq.read_text(encoding="utf-8") + "\n  - id: [broken\n", encoding="utf-8")
        await running.admin.send("/reload")
        reply = running.admin.last_text()
        assert reply.startswith(messages["reload_failed"].split("{")[0])
        assert "faq.yaml:" in reply
        await running.teacher.send("How much does the programme cost?")
        assert running.teacher.last_text() == answerer.ask("How much does the programme cost?").text


async def test_reload_with_a_valid_change_takes_effect(
    tmp_path: Path, answerer: Answerer, knowledge_copy: Path
) -> None:
    running = make_bot(tmp_path, answerer, knowledge_dir=knowledge_copy)
    async with running.app:
        path = knowledge_copy / "messages.yaml"
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("Sorry, I don't know that command.", "I don't know that command."))
        await running.admin.send("/reload")
        assert running.admin.last_text().startswith("Reloaded")
        await running.teacher.send("/frobnicate")
        assert running.teacher.last_text().startswith("I don't know that command.")


# --- Privacy --------------------------------------------------------------------------------------------------


async def test_privacy_says_what_is_kept_and_for_how_long(tmp_path: Path, answerer: Answerer) -> None:
    running = make_bot(tmp_path, answerer, retention_days=90)
    async with running.app:
        await running.teacher.send("/privacy")
        text = running.teacher.last_text()
    assert "90 days" in text
    assert "/forget" in text


async def test_forget_leaves_no_trace_of_the_teacher(bot: Bot, tmp_path: Path, messages: Any) -> None:
    question = "Is there funding for release time in the second year?"
    await bot.teacher.send(question)
    await bot.teacher.send("/eligibility")
    await bot.other.send("Do I need QTS?")
    await bot.app.update_persistence()
    await bot.teacher.send("/forget")
    assert bot.teacher.last_text() == messages["forget_done"]
    await bot.app.update_persistence()
    for _ in range(20):
        await asyncio.sleep(0.01)

    assert [r.question for r in bot.rows()] == ["Do I need QTS?"]
    raw = b"".join(p.read_bytes() for p in tmp_path.glob(f"{LOG_FILE}*"))
    assert question.encode() not in raw, "the deleted question is not left in the database file"
    assert bot.log.user_key(TEACHER_ID).encode() not in raw
    assert TEACHER_ID not in bot.app.chat_data or not bot.app.chat_data[TEACHER_ID].get("state")
    assert str(TEACHER_ID).encode() not in (tmp_path / STATE_FILE).read_bytes()


# --- A broken database ---------------------------------------------------------------------------------------


async def test_a_corrupt_database_logs_once_and_the_bot_keeps_answering(
    tmp_path: Path, answerer: Answerer, caplog: pytest.LogCaptureFixture, messages: Any
) -> None:
    (tmp_path / LOG_FILE).write_bytes(b"this is not a database" * 100)
    running = make_bot(tmp_path, answerer)
    with caplog.at_level(logging.ERROR):
        async with running.app:
            for _ in range(3):
                await running.teacher.send("How much does the programme cost?")
                assert running.teacher.last_text() == answerer.ask("How much does the programme cost?").text
            running.log.flush()
            await running.admin.send("/stats")
            assert running.admin.last_text() == messages["log_unavailable"]
    problems = [r for r in caplog.records if "not writable" in r.getMessage()]
    assert len(problems) == 1


async def test_a_locked_database_logs_once_and_the_bot_keeps_answering(
    tmp_path: Path, answerer: Answerer, caplog: pytest.LogCaptureFixture
) -> None:
    running = make_bot(tmp_path, answerer)
    locker = sqlite3.connect(tmp_path / LOG_FILE)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        with caplog.at_level(logging.ERROR):
            async with running.app:
                for _ in range(3):
                    await running.teacher.send("Do I need QTS?")
                    assert "QTS" in running.teacher.last_text()
                running.log.flush()
    finally:
        locker.rollback()
        locker.close()
    assert len([r for r in caplog.records if "not writable" in r.getMessage()]) == 1


async def test_the_daily_purge_removes_old_questions(bot: Bot, tmp_path: Path) -> None:
    await bot.teacher.send("Do I need QTS?")
    bot.log.flush()
    with sqlite3.connect(tmp_path / LOG_FILE) as connection:
        connection.execute("UPDATE interactions SET time = ?", (time.time() - 200 * 86400,))
    await bot.other.send("How much does the programme cost?")
    assert bot.app.post_init is not None and bot.app.job_queue is not None
    await bot.app.post_init(bot.app)  # schedules the jobs, as on start
    (purge,) = bot.app.job_queue.get_jobs_by_name("purge")
    await purge.run(bot.app)
    assert len(bot.app.job_queue.get_jobs_by_name("report")) == 1  # weekly, to the curator chat
    assert [r.question for r in bot.rows()] == ["How much does the programme cost?"]


def test_settings_for_the_curator_loop() -> None:
    env = {"TELEGRAM_BOT_TOKEN": FAKE_TOKEN, "CURATOR_CHAT_ID": "-100123", "RETENTION_DAYS": "30"}
    settings = Settings.from_env({**env, "LOG_KEY": "a-secret-key-for-hashing"})
    assert (settings.curator_chat_id, settings.retention_days) == (-100123, 30)
    assert "a-secret-key-for-hashing" in settings.secrets
    assert "a-secret-key-for-hashing" not in repr(settings)
    with pytest.raises(SettingsError, match="RETENTION_DAYS"):
        Settings.from_env({**env, "RETENTION_DAYS": "0"})
    with pytest.raises(SettingsError, match="CURATOR_CHAT_ID"):
        Settings.from_env({**env, "CURATOR_CHAT_ID": "@mychannel"})
