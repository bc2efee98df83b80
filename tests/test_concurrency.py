"""Many teachers at once: chats run concurrently, each chat strictly in order, floods shed.

These drive the real application the way polling does (updates put on `update_queue`, dispatched by the
update processor), against the offline fake Telegram with a round-trip delay on every Bot API call.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from telegram import Update
from telegram.ext import SimpleUpdateProcessor
from telegram_driver import FAKE_TOKEN, ChatDriver, FakeTelegram, RecordingRequest

from bot.config import Settings
from bot.core.answers import Answerer
from bot.core.conversation import ChatState, Conversation
from bot.telegram.app import build_application
from bot.telegram.context import TelegramApplication
from bot.telegram.flood import Admission, FloodGuard
from bot.telegram.update_processor import ChatOrderedProcessor

RoundTrip = Callable[[str, dict[str, Any]], float]


def build(
    tmp_path: Path,
    answerer: Answerer,
    fake: FakeTelegram,
    round_trip: RoundTrip,
    *,
    max_concurrent_updates: int = 64,
    flood_guard: FloodGuard | None = None,
) -> TelegramApplication:
    return build_application(
        Settings(token=FAKE_TOKEN, data_dir=tmp_path),
        answerer,
        request=RecordingRequest(fake, round_trip=round_trip),
        get_updates_request=RecordingRequest(fake, poll_delay=0.05),
        persistence=None,
        rate_limiter=None,  # the fake has no flood limits; AIORateLimiter would pace 20,000 calls at 30/s
        flood_guard=flood_guard or FloodGuard(burst=1000),
        max_concurrent_updates=max_concurrent_updates,
    )


@pytest.fixture
def fake() -> FakeTelegram:
    return FakeTelegram()


async def run_through_queue(app: TelegramApplication, updates: list[Update]) -> None:
    """Deliver updates as polling does, and wait until every one has been processed."""
    await app.start()
    try:
        for update in updates:
            await app.update_queue.put(update)
        await app.update_queue.join()
    finally:
        await app.stop()


def teacher(app: TelegramApplication, fake: FakeTelegram, number: int) -> ChatDriver:
    user: dict[str, Any] = {"id": 10_000 + number, "is_bot": False, "first_name": f"Teacher {number}"}
    return ChatDriver(app, fake, chat_id=user["id"], user=user, collect_errors=False)


# --- Flood guard (pure) -------------------------------------------------------------------------------------


def test_flood_guard_lets_a_burst_through_then_warns_once_then_drops() -> None:
    now = [0.0]
    guard = FloodGuard(burst=3, refill_per_second=1.0, clock=lambda: now[0])
    verdicts = [guard.admit("sam") for _ in range(6)]
    assert verdicts == [Admission.OK] * 3 + [Admission.WARN] + [Admission.DROP] * 2
    assert guard.admit("alex") is Admission.OK  # one sender's flood is nobody else's
    now[0] += 1.0
    assert guard.admit("sam") is Admission.OK  # a second later there is room again
    assert guard.admit("sam") is Admission.WARN  # and a new flood gets a new notice


def test_flood_guard_forgets_quiet_senders() -> None:
    now = [0.0]
    guard = FloodGuard(burst=2, refill_per_second=1.0, clock=lambda: now[0])
    for sender in range(5000):
        guard.admit(sender)
    now[0] += 10.0
    for _ in range(2000):
        guard.admit("active")
    assert guard.tracked_senders < 10


# --- Order within a chat ------------------------------------------------------------------------------------


async def two_quick_presses(
    tmp_path: Path, answerer: Answerer, fake: FakeTelegram, processor_factory: Callable[[], Any] | None
) -> ChatDriver:
    """A teacher at the "FE setting" step taps Yes, then "Both" on the next step before the bot caught up.

    Telegram answers the first press's acknowledgement slowly and the second's at once, so if the updates
    were not kept in order the second press would reach the dialogue first.
    """
    presses: list[str] = []

    def round_trip(method: str, params: dict[str, Any]) -> float:
        if method == "answerCallbackQuery":
            presses.append(params["callback_query_id"])
            return 0.2 if len(presses) == 1 else 0.0
        return 0.001

    app = build(tmp_path, answerer, fake, round_trip)
    if processor_factory is not None:
        app._update_processor = processor_factory()  # the control: what a bot without chat ordering does
    sam = teacher(app, fake, 1)
    async with app:
        await sam.send("/eligibility")
        await sam.send("5")  # years of experience: now at the FE setting step
        step = sam.last()
        updates = [
            sam.update(sam.press_payload(step, "elig:yes")),
            sam.update(sam.press_payload(step, "elig:both")),
        ]
        await run_through_queue(app, updates)
    return sam


async def test_two_quick_presses_in_a_self_check_are_applied_in_order(
    tmp_path: Path, answerer: Answerer, fake: FakeTelegram
) -> None:
    sam = await two_quick_presses(tmp_path, answerer, fake, processor_factory=None)
    texts = [m.text for m in fake.changed if m.chat_id == sam.chat_id]
    assert not any("didn't understand" in text for text in texts), texts[-3:]
    observation = answerer.knowledge.eligibility.steps[3]
    assert observation.id == "observation"
    assert observation.question in sam.last_text()  # both answers taken: the next question is step 4


async def test_the_order_test_fails_without_chat_ordering(
    tmp_path: Path, answerer: Answerer, fake: FakeTelegram
) -> None:
    """The scenario above really races: PTB's plain concurrent processor applies the presses out of order."""
    sam = await two_quick_presses(
        tmp_path, answerer, fake, processor_factory=lambda: SimpleUpdateProcessor(64)
    )
    texts = [m.text for m in fake.changed if m.chat_id == sam.chat_id]
    assert any("didn't understand" in text for text in texts)


# --- 1,000 teachers at once ----------------------------------------------------------------------------------


def random_answers(rng: random.Random, answerer: Answerer) -> list[str]:
    """What one teacher types at each step: a mix of eligible and not, in words a teacher would use."""
    typed = []
    for step in answerer.knowledge.eligibility.steps:
        if step.id == "experience":
            typed.append(rng.choice(["1", "2", "3 years", "10", "six months"]))
        elif step.id == "students":
            typed.append(rng.choice(["Both", "GCSE resit", "Functional Skills", "Neither"]))
        else:
            typed.append(rng.choice(["yes", "yes", "yes", "no", "not sure"]))
    return typed


def expected_conversation(conversation: Conversation, answers: list[str]) -> tuple[list[str], str]:
    """The texts the teacher sends until the verdict, and the verdict, from the core on its own."""
    state: ChatState = {}
    sent = ["/eligibility"]
    turn = conversation.handle(state, sent[0])
    for answer in answers:
        if turn.state.get("eligibility") is None:
            break
        sent.append(answer)
        turn = conversation.handle(turn.state, answer)
    assert turn.state.get("eligibility") is None, "the self-check did not finish"
    return sent, turn.replies[-1].text


async def test_a_thousand_teachers_interleaved_each_get_their_own_verdict(
    tmp_path: Path, answerer: Answerer, fake: FakeTelegram
) -> None:
    rng = random.Random(2026)
    conversation = Conversation(answerer)

    def round_trip(method: str, params: dict[str, Any]) -> float:
        return rng.uniform(0.0, 0.004)  # replies come back out of order

    app = build(tmp_path, answerer, fake, round_trip, max_concurrent_updates=64)
    teachers = [teacher(app, fake, n) for n in range(1000)]
    plans = [expected_conversation(conversation, random_answers(rng, answerer)) for _ in teachers]
    assert len({verdict for _, verdict in plans}) > 20, "the profiles should lead to many different verdicts"

    # Each teacher's messages stay in their own order; across teachers they are shuffled together, and all
    # arrive before the bot has answered anything (typing while a reply is on its way).
    pending = [list(sent) for sent, _ in plans]
    queue: list[Update] = []
    while any(pending):
        number = rng.choice([n for n, texts in enumerate(pending) if texts])
        queue.append(teachers[number].update(teachers[number].text_payload(pending[number].pop(0))))
    errors: list[BaseException] = []

    async def record(update: object, context: Any) -> None:
        errors.append(context.error)

    app.add_error_handler(record)
    async with app:
        await run_through_queue(app, queue)

    assert errors == []
    wrong = [n for n, (_, verdict) in enumerate(plans) if teachers[n].last_text() != verdict]
    assert wrong == [], f"{len(wrong)} teachers got someone else's or a garbled verdict"


async def test_chat_locks_are_released_after_the_burst(
    tmp_path: Path, answerer: Answerer, fake: FakeTelegram
) -> None:
    app = build(tmp_path, answerer, fake, lambda method, params: 0.001)
    teachers = [teacher(app, fake, n) for n in range(50)]
    async with app:
        await run_through_queue(app, [t.update(t.text_payload("is it free?")) for t in teachers])
    processor = app.update_processor
    assert isinstance(processor, ChatOrderedProcessor)
    assert processor.busy_chats == 0
    assert all("free" in t.last_text().lower() or "cost" in t.last_text().lower() for t in teachers)


# --- A flood from one user ----------------------------------------------------------------------------------


async def test_a_flood_from_one_user_gets_one_slow_down_and_does_not_delay_others(
    tmp_path: Path, answerer: Answerer, fake: FakeTelegram
) -> None:
    app = build(
        tmp_path,
        answerer,
        fake,
        lambda method, params: 0.05,
        flood_guard=FloodGuard(burst=5, refill_per_second=1.0),
    )
    flooder = teacher(app, fake, 0)
    others = [teacher(app, fake, n) for n in range(1, 21)]
    slow_down = answerer.knowledge.messages["slow_down"]
    async with app:
        updates = [flooder.update(flooder.text_payload(f"is it free? {n}")) for n in range(50)]
        updates += [t.update(t.text_payload("do I need QTS?")) for t in others]
        await app.start()
        try:
            for update in updates:
                await app.update_queue.put(update)
            # The flooder's 5 answers take 5 round trips in a row; the others each need one, concurrently.
            while any(not fake.chats.get(t.chat_id) for t in others):
                await asyncio.sleep(0.005)
            flooder_replies_by_then = len([m for m in fake.changed if m.chat_id == flooder.chat_id])
            await app.update_queue.join()
        finally:
            await app.stop()

    flooder_texts = [m.text for m in fake.changed if m.chat_id == flooder.chat_id]
    assert len(flooder_texts) == 6, flooder_texts  # 5 answers, then one notice; the other 44 dropped
    assert flooder_texts.count(slow_down) == 1
    assert flooder_replies_by_then < 6, "the other teachers waited for the flood"
    assert all("QTS" in t.last_text() for t in others)
