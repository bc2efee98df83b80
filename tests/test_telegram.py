"""The Telegram bot end to end, offline: updates in through `process_update`, Bot API calls out to a fake.

Each test reads like a user session (see telegram_driver.ChatDriver). The fake Telegram rejects what the
real one would (bad HTML, text over 4096 characters, callback data over 64 bytes), and every handler
exception is collected and must stay empty.
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib.util
import logging
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from telegram.error import NetworkError
from telegram_driver import (
    BOT_USER,
    FAKE_TOKEN,
    OTHER_TEACHER,
    ChatDriver,
    FakeTelegram,
    HtmlError,
    RecordingRequest,
    ShownMessage,
    parse_telegram_html,
)

from bot.config import Settings, SettingsError
from bot.core.answers import Answerer
from bot.core.conversation import COMMANDS
from bot.telegram.app import ACTION_PATTERN, RedactingFormatter, build_application
from bot.telegram.context import TelegramApplication
from bot.telegram.render import adapter_problems, callback_data, split_message, to_html

ROOT = Path(__file__).resolve().parent.parent
MENTION = f"@{BOT_USER['username']}"
GROUP_ID = -1001234567890


def with_messages(answerer: Answerer, **changes: str) -> Answerer:
    """The same answerer with some messages replaced (or added)."""
    knowledge = dataclasses.replace(answerer.knowledge, messages={**answerer.knowledge.messages, **changes})
    return Answerer(knowledge, answerer.matcher, answerer.today)


@pytest.fixture
def tg_answerer(answerer: Answerer) -> Answerer:
    return answerer


@pytest.fixture
def messages(tg_answerer: Answerer) -> Any:
    return tg_answerer.knowledge.messages


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(token=FAKE_TOKEN, data_dir=tmp_path)


@pytest.fixture
def fake() -> FakeTelegram:
    return FakeTelegram()


def build(settings: Settings, answerer: Answerer, fake: FakeTelegram) -> TelegramApplication:
    return build_application(
        settings,
        answerer,
        request=RecordingRequest(fake),
        get_updates_request=RecordingRequest(fake, poll_delay=0.05),
    )


@pytest.fixture
async def app(
    settings: Settings, tg_answerer: Answerer, fake: FakeTelegram
) -> AsyncIterator[TelegramApplication]:
    application = build(settings, tg_answerer, fake)
    async with application:
        yield application


@pytest.fixture
def chat(app: TelegramApplication, fake: FakeTelegram) -> Iterator[ChatDriver]:
    driver = ChatDriver(app, fake)
    yield driver
    assert driver.errors == [], "a handler raised"


@pytest.fixture
def group(app: TelegramApplication, fake: FakeTelegram) -> Iterator[ChatDriver]:
    driver = ChatDriver(app, fake, chat_id=GROUP_ID, chat_type="supergroup")
    yield driver
    assert driver.errors == [], "a handler raised"


def start_menu_labels(answerer: Answerer) -> list[str]:
    return [item.label for item in answerer.knowledge.start_menu]


# --- Commands -------------------------------------------------------------------------------------------------


async def test_start_greets_and_offers_the_menu(chat: ChatDriver, messages: Any) -> None:
    await chat.send("/start")
    assert chat.last_text() == messages["welcome"]
    assert chat.last().labels == [
        "Check my eligibility",
        "Costs and funding",
        "Dates and cohorts",
        "Browse topics",
        "Ask a question",
    ]


async def test_start_with_a_deep_link_payload_is_still_start(chat: ChatDriver, messages: Any) -> None:
    await chat.send("/start inline")
    assert chat.last_text() == messages["welcome"]


@pytest.mark.parametrize(
    ("command", "key"), [("/help", "help"), ("/about", "about"), ("/cancel", "cancelled")]
)
async def test_simple_commands(chat: ChatDriver, messages: Any, command: str, key: str) -> None:
    shown = await chat.send(command)
    assert [m.text for m in shown] == [messages[key]]


async def test_an_unknown_command_says_so(chat: ChatDriver, messages: Any) -> None:
    await chat.send("/settings")
    assert chat.last_text() == messages["unknown_command"]


async def test_ask_a_question_button_prompts_for_one(chat: ChatDriver, messages: Any) -> None:
    await chat.send("/start")
    await chat.click("Ask a question")
    assert chat.last_text() == messages["ask_prompt"]


async def test_the_command_menu_is_registered_on_start(
    app: TelegramApplication, fake: FakeTelegram, messages: Any
) -> None:
    assert app.post_init is not None
    await app.post_init(app)
    (call,) = fake.calls_to("setMyCommands")
    commands = call.params["commands"]
    public = [*COMMANDS, "privacy", "forget"]
    assert [c["command"] for c in commands] == public
    assert [c["description"] for c in commands] == [messages[f"command_{name}"] for name in public]
    assert not {"stats", "report", "reload"} & {c["command"] for c in commands}, "admin commands stay hidden"


async def test_a_failed_command_menu_does_not_stop_the_bot(
    app: TelegramApplication, fake: FakeTelegram, chat: ChatDriver, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail_next("setMyCommands", 400, "Bad Request: method is not supported here")
    assert app.post_init is not None
    with caplog.at_level(logging.WARNING):
        await app.post_init(app)
    assert "command menu could not be registered" in caplog.text
    await chat.send("/start")
    assert chat.last().buttons, "the bot still answers"


# --- Questions ------------------------------------------------------------------------------------------------


async def test_a_confident_answer_offers_related_questions(chat: ChatDriver, tg_answerer: Answerer) -> None:
    knowledge = tg_answerer.knowledge
    await chat.send("How much does the programme cost?")
    assert chat.last_text() == knowledge.answer_text(knowledge.by_id["cost"], tg_answerer.today())
    related = [knowledge.by_id[r].question for r in knowledge.by_id["cost"].related]
    feedback = [knowledge.messages["button_helpful"], knowledge.messages["button_not_helpful"]]
    assert chat.last().labels == related + feedback
    await chat.click(related[0])
    assert chat.last_text() == knowledge.answer_text(
        knowledge.by_id[knowledge.by_id["cost"].related[0]], tg_answerer.today()
    )


async def test_an_unsure_match_asks_did_you_mean(
    chat: ChatDriver, tg_answerer: Answerer, messages: Any
) -> None:
    expected = tg_answerer.ask("mastery")
    assert expected.status == "suggest"
    await chat.send("mastery")
    assert chat.last_text() == messages["suggest_intro"]
    suggestions = [e.question for e in expected.suggestions]
    assert chat.last().labels == [*suggestions, messages["button_ask_person"]]
    await chat.click(expected.suggestions[0].question)
    assert chat.last_text() == tg_answerer.entry_answer(expected.suggestions[0]).text


async def test_no_match_gives_the_fallback_and_the_topic_menu(chat: ChatDriver, messages: Any) -> None:
    await chat.send("who won the football last night")
    assert chat.last_text() == messages["fallback"]
    assert chat.last().labels == [messages["button_topics"], messages["button_ask_person"]]
    await chat.click(messages["button_topics"])
    assert chat.last_text() == messages["topics_intro"]


async def test_markup_in_the_knowledge_base_is_shown_literally(
    settings: Settings, tg_answerer: Answerer, fake: FakeTelegram
) -> None:
    about = 'Tags like <b>this</b> & <script>alert("x")</script> are text, not markup. 5 < 6 > 4.'
    application = build(settings, with_messages(tg_answerer, about=about), fake)
    async with application:
        chat = ChatDriver(application, fake)
        await chat.send("/about")
        assert chat.last_text() == about
        assert "&lt;b&gt;this&lt;/b&gt; &amp; &lt;script&gt;" in chat.last().html
        assert chat.errors == []


async def test_markup_in_the_users_text_is_never_interpreted(chat: ChatDriver, tg_answerer: Answerer) -> None:
    await chat.send("<b>How much</b> does it cost? & is it </i> free")
    # The fake Telegram parses every HTML message as Telegram does, so an unescaped echo would have failed.
    assert chat.last_text() == tg_answerer.entry_answer(tg_answerer.knowledge.by_id["cost"]).text
    for call in chat.telegram.calls_to("sendMessage"):
        assert "<b>How much</b>" not in call.params["text"]


async def test_long_messages_are_split_on_paragraphs_with_the_buttons_last(
    settings: Settings, tg_answerer: Answerer, fake: FakeTelegram
) -> None:
    paragraphs = [f"Paragraph {n}: " + ("word & more " * 150).strip() for n in range(4)]  # ~1800 characters
    welcome = "\n\n".join(paragraphs)
    application = build(settings, with_messages(tg_answerer, welcome=welcome), fake)
    async with application:
        chat = ChatDriver(application, fake)
        shown = await chat.send("/start")
        assert len(shown) == 2
        assert [m.text for m in shown] == ["\n\n".join(paragraphs[:2]), "\n\n".join(paragraphs[2:])]
        assert shown[0].buttons == [] and shown[1].labels == start_menu_labels(tg_answerer)
        assert chat.errors == []


@pytest.mark.parametrize("text", ["<b>bold</b>", "Q&A", "a < b > c", "&amp; is how you write &", "<i>"])
def test_html_rendering_shows_any_text_literally(text: str) -> None:
    assert parse_telegram_html(to_html(text)) == text
    with pytest.raises(HtmlError):
        parse_telegram_html(text + " & <")  # the fake Telegram rejects what the real one would


def test_split_message_keeps_short_text_whole() -> None:
    assert split_message("Short answer.\n\nTwo paragraphs.") == ["Short answer.\n\nTwo paragraphs."]


def test_split_message_cuts_at_paragraphs_then_lines_then_words() -> None:
    paragraph = "line of text\n" * 30  # 390 characters
    pieces = split_message((paragraph.strip() + "\n\n") * 3, limit=1000)
    assert pieces == [paragraph.strip() + "\n\n" + paragraph.strip(), paragraph.strip()]
    one_paragraph = split_message("line of text\n" * 100, limit=1000)
    assert all(len(p) <= 1000 for p in one_paragraph) and all(p.endswith("text") for p in one_paragraph)
    words = split_message("word " * 500, limit=1000)
    assert all(len(p) <= 1000 for p in words) and " ".join(words) == ("word " * 500).strip()


def test_split_message_counts_like_telegram_and_cuts_unbreakable_text() -> None:
    emoji = "\U0001f600" * 3000  # 2 UTF-16 units each: 6000 units
    pieces = split_message(emoji)
    assert "".join(pieces) == emoji and [len(p) for p in pieces] == [2048, 952]
    assert [len(p) for p in split_message("x" * 9000)] == [4096, 4096, 808]


# --- Browsing by topic ------------------------------------------------------------------------------------------


async def test_browse_topics_then_question_then_answer(
    chat: ChatDriver, tg_answerer: Answerer, messages: Any
) -> None:
    knowledge = tg_answerer.knowledge
    await chat.send("/topics")
    menu = chat.last()
    assert menu.text == messages["topics_intro"]
    assert menu.labels == [t.title for t in knowledge.topics if knowledge.entries_in_topic(t.id)]

    await chat.click("Costs and funding")
    assert chat.last().message_id == menu.message_id, "the menu is edited in place"
    questions = [e.question for e in knowledge.entries_in_topic("costs_and_funding")]
    assert chat.last_text() == "Costs and funding:"
    assert chat.last().labels == [*questions, messages["button_topics"]]

    await chat.click(questions[0])
    answer = chat.last()
    assert answer.message_id != menu.message_id, "an answer is a new message; the menu stays"
    assert answer.text == tg_answerer.entry_answer(knowledge.entries_in_topic("costs_and_funding")[0]).text

    await chat.click(messages["button_topics"])
    assert chat.last().message_id == menu.message_id
    assert chat.last_text() == messages["topics_intro"]


async def test_start_menu_shortcuts_open_a_topic_without_losing_the_welcome(
    chat: ChatDriver, messages: Any, tg_answerer: Answerer
) -> None:
    await chat.send("/start")
    welcome = chat.last()
    await chat.click("Dates and cohorts")
    assert chat.last_text() == "Dates and cohorts:"
    assert chat.last().message_id != welcome.message_id
    assert chat.messages()[0].labels == start_menu_labels(tg_answerer)


# --- The eligibility self-check -------------------------------------------------------------------------------


@pytest.fixture
def criteria(tg_answerer: Answerer) -> Any:
    return tg_answerer.knowledge.eligibility


def progress(criteria: Any, number: int) -> str:
    return str(criteria.messages["progress"].format(number=number, total=len(criteria.steps)))


def live_steps(chat: ChatDriver) -> list[ShownMessage]:
    """Messages whose self-check buttons still work."""
    return [m for m in chat.messages() if any(data.startswith("elig:") for _, data in m.buttons)]


async def test_a_full_self_check_with_buttons_edits_one_message(
    chat: ChatDriver, criteria: Any, tg_answerer: Answerer
) -> None:
    await chat.send("/start")
    await chat.click("Check my eligibility")
    step = chat.last()
    assert step.text.startswith(criteria.messages["intro"].format(total=len(criteria.steps)))
    assert progress(criteria, 1) in step.text
    for number in range(1, len(criteria.steps) + 1):
        assert progress(criteria, number) in chat.last_text(), "progress is shown at every step"
        # The first answer button: Yes, the first choice, or Not sure for the years question.
        await chat.click(chat.last().labels[0])
        assert chat.last().message_id == step.message_id, "each answer edits the step in place"
    assert chat.last_text().startswith(criteria.messages["verdict_heading"])
    assert live_steps(chat) == []
    messages = tg_answerer.knowledge.messages
    assert chat.last().labels == [messages["button_check_again"], messages["button_topics"]]
    await chat.click(messages["button_check_again"])
    assert progress(criteria, 1) in chat.last_text(), "the verdict's button starts a fresh check"


async def test_a_full_self_check_with_typed_answers(chat: ChatDriver, criteria: Any) -> None:
    await chat.send("/eligibility")
    typed = {"years": "I've taught maths for 3 years", "yes_no": "yes", "choice": "both"}
    for number, step in enumerate(criteria.steps, start=1):
        assert progress(criteria, number) in chat.last_text()
        await chat.send(typed[step.kind])
        assert len(live_steps(chat)) <= 1, "only the current step keeps its buttons"
    assert chat.last_text().startswith(criteria.messages["verdict_heading"])
    assert criteria.messages["all_essential_met"] in chat.last_text()
    assert live_steps(chat) == []


async def test_back_restart_and_cancel(chat: ChatDriver, criteria: Any, tg_answerer: Answerer) -> None:
    buttons = criteria.buttons
    await chat.send("/eligibility")
    await chat.send("5")
    await chat.click(buttons["yes"])
    assert progress(criteria, 3) in chat.last_text()
    await chat.click(buttons["back"])
    assert progress(criteria, 2) in chat.last_text()
    await chat.click(buttons["restart"])
    assert (
        chat.last_text().startswith(criteria.messages["restarted"])
        and progress(criteria, 1) in chat.last_text()
    )
    step = chat.last()
    await chat.click(buttons["cancel"])
    assert chat.last_text() == criteria.messages["cancelled"] and chat.last().buttons == []
    # Its buttons are gone, but a client showing them still could press one: the menu has expired.
    await chat.press(step, "elig:yes")
    assert chat.last_text() == tg_answerer.knowledge.messages["button_expired"]


async def test_cancel_typed_mid_check_stops_it_and_retires_the_step(chat: ChatDriver, criteria: Any) -> None:
    await chat.send("/eligibility")
    await chat.send("/cancel")
    assert chat.last_text() == criteria.messages["cancelled"]
    assert live_steps(chat) == []


async def test_a_question_mid_check_is_answered_and_the_check_resumes(
    chat: ChatDriver, criteria: Any, tg_answerer: Answerer
) -> None:
    await chat.send("/eligibility")
    await chat.send("4 years")
    shown = await chat.send("is it free?")
    assert shown[0].text == tg_answerer.entry_answer(tg_answerer.knowledge.by_id["cost"]).text
    assert progress(criteria, 2) in shown[-1].text
    assert live_steps(chat) == [shown[-1]], "the step is asked again below the answer; the old one retires"
    await chat.click(criteria.buttons["yes"])
    assert progress(criteria, 3) in chat.last_text()


async def test_the_self_check_survives_a_restart(
    settings: Settings, tg_answerer: Answerer, fake: FakeTelegram, criteria: Any
) -> None:
    before_restart = build(settings, tg_answerer, fake)
    async with before_restart:
        chat = ChatDriver(before_restart, fake)
        await chat.send("/eligibility")
        await chat.send("3 years")
        await chat.click(criteria.buttons["yes"])
        assert progress(criteria, 3) in chat.last_text()
        step = chat.last()
        assert chat.errors == []
    assert (settings.data_dir / "telegram_state.pickle").exists()

    after_restart = build(settings, tg_answerer, fake)
    async with after_restart:
        chat = ChatDriver(after_restart, fake)
        await chat.click(criteria.steps[2].choices[0].label)
        assert progress(criteria, 4) in chat.last_text()
        assert chat.last().message_id == step.message_id, "the step from before the restart is edited"
        await chat.click(criteria.buttons["back"])
        await chat.click(criteria.buttons["back"])
        assert progress(criteria, 2) in chat.last_text(), "the answers from before the restart are remembered"
        assert chat.errors == []


async def test_unusable_saved_state_starts_the_chat_afresh(
    app: TelegramApplication,
    chat: ChatDriver,
    tg_answerer: Answerer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await chat.send("/start")
    app.chat_data[chat.chat_id]["state"] = {"eligibility": {"answers": "saved by a much older version"}}
    with caplog.at_level(logging.ERROR, logger="bot"):
        await chat.press(chat.last(), "elig:yes")
    assert chat.last_text() == tg_answerer.knowledge.messages["button_expired"]
    assert "starts afresh" in caplog.text


# --- Buttons that outlived their menu ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    ["faq:an_entry_removed_since", "topic:gone", "elig:yes", "v0|menu=3", "too-long:0123456789abcdef"],
)
async def test_a_stale_button_gets_menu_expired_and_a_fresh_menu(
    chat: ChatDriver, tg_answerer: Answerer, messages: Any, data: str
) -> None:
    await chat.send("/start")
    old_menu = chat.last()
    shown = await chat.press(old_menu, data)
    assert [m.text for m in shown] == [messages["button_expired"]]
    assert chat.last().labels == start_menu_labels(tg_answerer)
    assert chat.messages()[0].buttons == [], "the expired menu's buttons are removed"
    assert chat.telegram.calls_to("answerCallbackQuery"), "the button's spinner is stopped"


def test_every_button_the_knowledge_base_makes_fits_telegrams_64_bytes(tg_answerer: Answerer) -> None:
    assert adapter_problems(tg_answerer.knowledge) == []
    knowledge = tg_answerer.knowledge
    actions = [f"faq:{e.id}" for e in knowledge.faq_entries] + [f"topic:{t.id}" for t in knowledge.topics]
    actions += [item.action for item in knowledge.start_menu]
    assert all(callback_data(a) == a and ACTION_PATTERN.match(a) for a in actions)


def test_an_overlong_action_becomes_an_expired_marker_not_a_wrong_answer() -> None:
    data = callback_data("faq:" + "a_very_long_entry_identifier_" * 3)
    assert len(data.encode()) <= 64
    assert not ACTION_PATTERN.match(data)


# --- Inline mode --------------------------------------------------------------------------------------------------


async def test_inline_query_lists_matching_faq_answers(
    chat: ChatDriver, tg_answerer: Answerer, fake: FakeTelegram
) -> None:
    knowledge = tg_answerer.knowledge
    results = await chat.inline("cost")
    ids = [r["id"] for r in results]
    assert ids[0] == "cost"
    assert all(knowledge.by_id[i].kind == "faq" for i in ids), "small talk and known gaps are not shared"
    shared = parse_telegram_html(results[0]["input_message_content"]["message_text"])
    assert (
        shared
        == f"{knowledge.by_id['cost'].question}\n\n{tg_answerer.entry_answer(knowledge.by_id['cost']).text}"
    )
    assert results[0]["title"] == knowledge.by_id["cost"].question
    button = fake.calls_to("answerInlineQuery")[-1].params["button"]
    assert button == {"text": tg_answerer.knowledge.messages["inline_open_chat"], "start_parameter": "inline"}


@pytest.mark.parametrize("query", ["", "   ", "hello", "zzzz qqqq"])
async def test_inline_query_without_a_faq_match_offers_nothing(chat: ChatDriver, query: str) -> None:
    assert await chat.inline(query) == []


# --- Groups ---------------------------------------------------------------------------------------------------------


async def test_in_a_group_plain_chatter_is_ignored(group: ChatDriver) -> None:
    assert await group.send("is it free?") == []
    assert await group.send_other(sticker=_STICKER) == []


async def test_in_a_group_a_mention_gets_a_quoted_answer(group: ChatDriver, tg_answerer: Answerer) -> None:
    asked = await group.send(f"{MENTION} is it free?")
    assert [m.text for m in asked] == [tg_answerer.entry_answer(tg_answerer.knowledge.by_id["cost"]).text]
    call = group.telegram.calls_to("sendMessage")[-1]
    assert call.params["reply_parameters"]["message_id"] > 0, "the answer quotes the question it answers"


async def test_in_a_group_a_reply_to_the_bot_is_answered(group: ChatDriver, tg_answerer: Answerer) -> None:
    await group.send(f"{MENTION} is it free?")
    await group.send("and how many days release time?", reply_to=group.last())
    assert "15 days" in group.last_text()


async def test_in_a_group_commands_for_this_bot_are_answered_and_others_are_not(
    group: ChatDriver, messages: Any
) -> None:
    assert [m.text for m in await group.send("/help")] == [messages["help"]]
    assert [m.text for m in await group.send(f"/about{MENTION}")] == [messages["about"]]
    assert await group.send("/help@some_other_bot") == []
    assert await group.send("/settings") == [], "an unknown command may be another bot's"
    assert [m.text for m in await group.send(f"/settings{MENTION}")] == [messages["unknown_command"]]


async def test_in_a_group_anyone_can_use_the_buttons(
    app: TelegramApplication, fake: FakeTelegram, group: ChatDriver, messages: Any
) -> None:
    await group.send("/topics")
    other = ChatDriver(
        app, fake, chat_id=GROUP_ID, chat_type="supergroup", user=OTHER_TEACHER, errors=group.errors
    )
    await other.click("Costs and funding")
    assert other.last_text() == "Costs and funding:"


async def test_service_messages_in_a_group_are_ignored(group: ChatDriver) -> None:
    assert await group.send_other(new_chat_members=[OTHER_TEACHER]) == []
    assert await group.send_other(left_chat_member=OTHER_TEACHER) == []
    assert (
        await group.send_other(
            pinned_message={"message_id": 1, "date": 0, "chat": {"id": GROUP_ID, "type": "supergroup"}}
        )
        == []
    )


# --- Things that are not text questions ----------------------------------------------------------------------------

_STICKER = {
    "file_id": "s1", "file_unique_id": "u1", "type": "regular", "width": 512, "height": 512,
    "is_animated": False, "is_video": False,
}  # fmt: skip


@pytest.mark.parametrize(
    "content",
    [
        {"sticker": _STICKER},
        {
            "photo": [{"file_id": "p1", "file_unique_id": "u2", "width": 90, "height": 90}],
            "caption": "is it free?",
        },
        {"voice": {"file_id": "v1", "file_unique_id": "u3", "duration": 4}},
        {"location": {"latitude": 53.48, "longitude": -2.24}},
        {"document": {"file_id": "d1", "file_unique_id": "u4", "file_name": "cv.pdf"}},
        {"contact": {"phone_number": "+440000000", "first_name": "Sam"}},
    ],
    ids=["sticker", "photo", "voice", "location", "document", "contact"],
)
async def test_non_text_messages_get_a_short_note(
    chat: ChatDriver, messages: Any, content: dict[str, Any]
) -> None:
    assert [m.text for m in await chat.send_other(**content)] == [messages["only_text"]]


async def test_edited_messages_and_channel_posts_are_ignored(chat: ChatDriver, fake: FakeTelegram) -> None:
    edited = {
        "message_id": 7, "date": 0, "edit_date": 1, "chat": {"id": chat.chat_id, "type": "private"},
        "from": chat.user, "text": "is it free?",
    }  # fmt: skip
    assert await chat.process({"edited_message": edited}) == []
    post = {
        "message_id": 8,
        "date": 0,
        "chat": {"id": -1009, "type": "channel", "title": "News"},
        "text": "/start",
    }
    assert await chat.process({"channel_post": post}) == []
    assert await chat.process({"edited_channel_post": {**post, "edit_date": 1}}) == []
    assert fake.calls_to("sendMessage") == []


async def test_our_own_inline_results_pasted_into_the_chat_are_not_questions(chat: ChatDriver) -> None:
    assert await chat.send("It is free. The programme is fully funded...", via_bot=BOT_USER) == []


# --- Being a good API citizen ----------------------------------------------------------------------------------------


async def test_a_blocked_user_is_logged_and_ignored(
    chat: ChatDriver, fake: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
    with caplog.at_level(logging.INFO, logger="bot"):
        assert await chat.send("is it free?") == []
    assert "blocked" in caplog.text
    assert len(fake.calls_to("sendMessage")) == 1, "no retry, no 'something went wrong' to a blocked user"


async def test_a_failure_is_logged_with_traceback_and_the_user_told_without_details(
    app: TelegramApplication,
    fake: FakeTelegram,
    messages: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    chat = ChatDriver(app, fake)
    fake.fail_next("sendMessage", 500, "Internal Server Error: upstream database on fire")
    with caplog.at_level(logging.INFO, logger="bot"):
        await chat.send("is it free?")
    assert chat.last_text() == messages["something_went_wrong"]
    assert [type(e) for e in chat.errors] == [NetworkError]
    logged = [r for r in caplog.records if r.name == "bot.telegram.app" and r.exc_info]
    assert logged and logged[0].exc_info is not None and isinstance(logged[0].exc_info[1], NetworkError)
    assert "database on fire" not in chat.last_text()


async def test_flood_limits_are_waited_out_and_the_message_still_arrives(
    chat: ChatDriver, fake: FakeTelegram, tg_answerer: Answerer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # PTB 22 warns that RetryAfter.retry_after becomes a timedelta; opt in now rather than hide the warning.
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    started = time.monotonic()
    await chat.send("is it free?")
    assert time.monotonic() - started >= 1
    assert chat.last_text() == tg_answerer.entry_answer(tg_answerer.knowledge.by_id["cost"]).text


async def test_polling_survives_network_errors_and_5xx(
    settings: Settings, tg_answerer: Answerer, fake: FakeTelegram, messages: Any
) -> None:
    application = build(settings, tg_answerer, fake)
    fake.fail_next("getUpdates", 502, "Bad Gateway")
    fake.fail_next("getUpdates", 500, "Internal Server Error")
    chat_json = {"id": 4242, "type": "private"}
    message = {"message_id": 1, "date": 0, "chat": chat_json, "text": "/help",
               "entities": [{"type": "bot_command", "offset": 0, "length": 5}]}  # fmt: skip
    fake.updates.append({"update_id": 1, "message": message})
    async with application:
        assert application.updater is not None
        await application.start()
        await application.updater.start_polling(poll_interval=0.0, timeout=0)
        for _ in range(200):
            if fake.calls_to("sendMessage"):
                break
            await asyncio.sleep(0.05)
        await application.updater.stop()
        await application.stop()
    assert [c.params["text"] for c in fake.calls_to("sendMessage")] == [messages["help"]]
    assert len(fake.calls_to("getUpdates")) >= 3


async def test_the_token_never_reaches_the_logs(
    app: TelegramApplication, fake: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    chat = ChatDriver(app, fake)
    fake.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
    fake.fail_next("sendMessage", 500, "Internal Server Error")
    fake.fail_next("answerCallbackQuery", 400, "Bad Request: query is too old")
    await chat.send("is it free?")
    await chat.send("is it free?")
    await chat.send("/topics")
    await chat.click("Costs and funding")
    await chat.press(chat.last(), "junk")
    await chat.inline("cost")
    assert caplog.records, "something was logged"
    assert FAKE_TOKEN.partition(":")[2] not in caplog.text


def test_ptbs_debug_log_of_the_api_url_is_redacted(
    settings: Settings, tg_answerer: Answerer, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        build(settings, tg_answerer, FakeTelegram())
    formatter = RedactingFormatter("%(name)s %(message)s", settings.secrets)
    lines = [formatter.format(record) for record in caplog.records]
    assert any("[redacted]" in line for line in lines), "PTB logs its API URL, token included, at DEBUG"
    assert not any(FAKE_TOKEN.partition(":")[2] in line for line in lines)


# --- Start-up -----------------------------------------------------------------------------------------------------------


def _run_bot(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WEBHOOK_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot"], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip


def test_the_bot_refuses_to_start_with_a_malformed_token_and_does_not_print_it() -> None:
    result = _run_bot({"TELEGRAM_BOT_TOKEN": "12345:oops-this-is-half-a-token"})
    assert result.returncode == 1
    assert "TELEGRAM_BOT_TOKEN" in result.stderr
    assert "oops-this-is-half-a-token" not in result.stderr + result.stdout


def test_the_bot_refuses_to_start_without_a_usable_data_dir(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "state"
    not_a_folder.write_text("a file where the data folder should be")
    result = _run_bot({"TELEGRAM_BOT_TOKEN": FAKE_TOKEN, "DATA_DIR": str(not_a_folder / "data")})
    assert result.returncode == 1
    assert "DATA_DIR" in result.stderr


@pytest.mark.skipif(importlib.util.find_spec("tornado") is not None, reason="webhook support is installed")
def test_webhook_mode_without_webhook_support_says_what_to_install(tmp_path: Path) -> None:
    env = {
        "TELEGRAM_BOT_TOKEN": FAKE_TOKEN,
        "WEBHOOK_URL": "https://bot.example.org/hook",
        "DATA_DIR": str(tmp_path),
    }
    result = _run_bot(env)
    assert result.returncode == 1
    assert "python-telegram-bot[webhooks]" in result.stderr


def test_the_bot_refuses_to_start_with_a_broken_knowledge_base(knowledge_copy: Path) -> None:
    (knowledge_copy / "menu.yaml").write_text("start_menu:\n  - label: Broken\n    action: nowhere\n")
    result = _run_bot({"TELEGRAM_BOT_TOKEN": FAKE_TOKEN, "KNOWLEDGE_DIR": str(knowledge_copy)})
    assert result.returncode == 1
    assert "knowledge/menu.yaml:3" in result.stderr


# --- Settings ------------------------------------------------------------------------------------------------------------


def test_settings_defaults() -> None:
    settings = Settings.from_env({"TELEGRAM_BOT_TOKEN": FAKE_TOKEN})
    assert settings.bot_api_url == "https://api.telegram.org/bot"
    assert settings.bot_api_file_url == "https://api.telegram.org/file/bot"
    assert (settings.webhook_url, settings.webhook_listen, settings.webhook_port) == (None, "0.0.0.0", 8443)
    assert (
        settings.data_dir == Path("data")
        and settings.log_level == "INFO"
        and settings.admin_ids == frozenset()
    )
    assert not settings.uses_webhook


def test_settings_read_every_variable() -> None:
    settings = Settings.from_env(
        {
            "TELEGRAM_BOT_TOKEN": FAKE_TOKEN,
            "TELEGRAM_API_BASE_URL": "http://bot-api:8081/bot/",
            "WEBHOOK_URL": "http://bot.example.org/hooks/telegram",
            "WEBHOOK_LISTEN": "127.0.0.1",
            "WEBHOOK_PORT": "8080",
            "WEBHOOK_SECRET_TOKEN": "s3cret-s3cret_s3cret",
            "DATA_DIR": "/var/lib/bot",
            "KNOWLEDGE_DIR": "/srv/knowledge",
            "LOG_LEVEL": "debug",
            "ADMIN_IDS": "12, 34,56",
            "UNRELATED": "x",
        }
    )
    assert settings.bot_api_url == "http://bot-api:8081/bot"  # a self-hosted server may use plain HTTP
    assert settings.webhook_path == "hooks/telegram" and settings.webhook_port == 8080
    assert settings.data_dir == Path("/var/lib/bot") and settings.knowledge_dir == Path("/srv/knowledge")
    assert settings.log_level == "DEBUG" and settings.admin_ids == frozenset({12, 34, 56})


def test_settings_never_show_the_token_or_webhook_secret() -> None:
    settings = Settings.from_env(
        {"TELEGRAM_BOT_TOKEN": FAKE_TOKEN, "WEBHOOK_SECRET_TOKEN": "s3cret-s3cret_s3cret"}
    )
    assert (
        FAKE_TOKEN not in repr(settings)
        and "s3cret" not in repr(settings)
        and FAKE_TOKEN not in str(settings)
    )


def test_empty_variables_count_as_unset() -> None:
    settings = Settings.from_env({"TELEGRAM_BOT_TOKEN": FAKE_TOKEN, "WEBHOOK_URL": "", "WEBHOOK_PORT": " "})
    assert not settings.uses_webhook and settings.webhook_port == 8443


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({}, "TELEGRAM_BOT_TOKEN"),
        ({"TELEGRAM_BOT_TOKEN": "not a token"}, "TELEGRAM_BOT_TOKEN"),
        ({"TELEGRAM_API_BASE_URL": "ftp://example.org"}, "TELEGRAM_API_BASE_URL"),
        ({"TELEGRAM_API_BASE_URL": f"ftp://api.telegram.org/bot{FAKE_TOKEN}"}, "TELEGRAM_API_BASE_URL"),
        ({"WEBHOOK_URL": f"https://bot.example.org/{FAKE_TOKEN}"}, "WEBHOOK_URL"),
        ({"WEBHOOK_URL": "http://bot.example.org/hook"}, "WEBHOOK_URL"),
        ({"WEBHOOK_URL": "bot.example.org"}, "WEBHOOK_URL"),
        ({"WEBHOOK_PORT": "eighty"}, "WEBHOOK_PORT"),
        ({"WEBHOOK_PORT": "70000"}, "WEBHOOK_PORT"),
        ({"WEBHOOK_SECRET_TOKEN": "has spaces!"}, "WEBHOOK_SECRET_TOKEN"),
        ({"LOG_LEVEL": "chatty"}, "LOG_LEVEL"),
        ({"ADMIN_IDS": "12,@sam"}, "ADMIN_IDS"),
    ],
)
def test_a_bad_setting_is_named(env: dict[str, str], variable: str) -> None:
    # Every case but the missing token has a valid token, so the error must name the bad variable.
    environ = env if variable == "TELEGRAM_BOT_TOKEN" else {"TELEGRAM_BOT_TOKEN": FAKE_TOKEN, **env}
    with pytest.raises(SettingsError, match=variable) as caught:
        Settings.from_env(environ)
    assert FAKE_TOKEN not in str(caught.value)
