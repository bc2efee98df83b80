"""The real bot process over a real socket: `python -m bot` long-polling a test-only Bot API server.

The server (tests/fake_bot_api.py) listens on 127.0.0.1; the bot finds it through TELEGRAM_API_BASE_URL,
exactly as it would find a self-hosted Bot API server. Each test pushes updates, waits (with a deadline)
for what the bot sends, and scripts failures: a 429 with retry_after, a 502 and a dropped connection on
getUpdates. The self-check test stops the process with SIGINT halfway and starts it again on the same
DATA_DIR. The last test scans every log and data file the module produced for the token.

Expected words come from the knowledge base, loaded here as the bot loads it (with the real date).
"""

from __future__ import annotations

import asyncio
import html
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from fake_bot_api import FakeBotApi, Sent

from bot.content import load_answerer
from bot.core.answers import Answerer
from bot.core.eligibility import UNSURE, Criteria, EligibilityEngine, Step
from bot.telegram.app import STATE_FILE
from bot.telegram.flood import DEFAULT_BURST, DEFAULT_REFILL_PER_SECOND

ROOT = Path(__file__).resolve().parent.parent
# The shape of a real token (digits:secret), so the bot's settings accept it; it only ever reaches 127.0.0.1.
TOKEN = "5550001234:over-http-SECRET-never-in-any-log_0123456789"
SECRET = TOKEN.partition(":")[2]
TEACHER_ID = 31337
START_TIMEOUT = 15.0  # process start to first getUpdates; about 1 s on a quiet machine
REPLY_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0
# Settings the surrounding shell may have set that would change what the bot does here.
BOT_VARIABLES = ("TELEGRAM_", "WEBHOOK_", "DATA_DIR", "KNOWLEDGE_DIR", "LOG_", "ADMIN_IDS", "CURATOR_")


# --- The bot process ------------------------------------------------------------------------------------------


class BotProcess:
    """`python -m bot` against the fake server; stdout and stderr go to files in `log_dir`."""

    def __init__(self, api: FakeBotApi, data_dir: Path, log_dir: Path, name: str) -> None:
        self.api = api
        self.data_dir = data_dir
        self.stdout = log_dir / f"{name}.stdout.log"
        self.stderr = log_dir / f"{name}.stderr.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(BOT_VARIABLES)}
        env |= {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": self.api.base_url,
            "DATA_DIR": str(self.data_dir),
            "LOG_LEVEL": "DEBUG",  # the most the bot ever logs, so the token scan sees the worst case
            "PYTHONUNBUFFERED": "1",
        }
        with self.stdout.open("wb") as out, self.stderr.open("wb") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot"], cwd=ROOT, env=env, stdout=out, stderr=err
            )

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def output(self) -> str:
        """What the process printed so far (for failure messages)."""
        return "\n".join(
            p.read_text(errors="replace")[-3000:] for p in (self.stdout, self.stderr) if p.exists()
        )

    async def until_polling(self) -> None:
        """Wait until this process has asked for updates."""
        before = len(self.api.calls_to("getUpdates"))
        await until(lambda: len(self.api.calls_to("getUpdates")) > before, START_TIMEOUT, "polling", self)

    async def stop(self, signal_number: int = signal.SIGINT) -> int:
        """SIGINT as Ctrl+C sends it (SIGTERM: `docker stop`); the exit code (killed after STOP_TIMEOUT)."""
        assert self.process is not None
        if self.running:
            self.process.send_signal(signal_number)
        deadline = time.monotonic() + STOP_TIMEOUT
        while self.running and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        self.kill()
        return self.process.returncode

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


async def until(
    condition: Callable[[], Any], timeout: float, what: str, bot: BotProcess | None = None
) -> Any:
    """Poll `condition` until it is truthy and return its value; fail naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if bot is not None and not bot.running:
            pytest.fail(
                f"the bot exited ({bot.process and bot.process.returncode}) before {what}:\n{bot.output()}"
            )
        if time.monotonic() > deadline:
            details = f":\n{bot.output()}" if bot is not None else ""
            pytest.fail(f"timed out after {timeout} s waiting for {what}{details}")
        await asyncio.sleep(0.01)


class Pace:
    """The bot's flood limit (bot/flood.py), kept to as a teacher would: a token bucket a little stricter.

    A teacher reads each question before pressing an answer; a test presses as soon as the answer is on
    screen, and would be told to slow down from the seventh press on. A new bot process starts with a full
    bucket, so a restart starts a new Pace.
    """

    def __init__(self) -> None:
        self.capacity = DEFAULT_BURST - 1  # one spare: the bot admits an update a little after it is sent
        self.rate = DEFAULT_REFILL_PER_SECOND * 0.9
        self.tokens = float(self.capacity)
        self.updated = time.monotonic()

    async def take(self) -> None:
        self._refill()
        if self.tokens < 1:
            await asyncio.sleep((1 - self.tokens) / self.rate)
            self._refill()
        self.tokens -= 1

    def _refill(self) -> None:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now


class Teacher:
    """One user in a private chat with the bot, through the fake server, at a human pace."""

    def __init__(self, api: FakeBotApi, user_id: int = TEACHER_ID) -> None:
        self.api = api
        self.user_id = user_id
        self.pace = Pace()

    def mark(self) -> int:
        return len(self.api.changed)

    async def says(self, text: str) -> int:
        """Send a message; the mark to wait for its replies from."""
        await self.pace.take()
        mark = self.mark()
        self.api.push_message(self.user_id, text)
        return mark

    async def presses(self, label: str) -> int:
        """Press the button with this label on the newest message showing it; the mark for the replies."""
        for message in reversed(self.messages()):
            if any(button_label == label for button_label, _ in message.buttons):
                await self.pace.take()
                mark = self.mark()
                self.api.push_callback(self.user_id, message, message.button_data(label))
                return mark
        shown = [m.buttons for m in self.messages()]
        raise AssertionError(f"no button {label!r}; the chat shows {shown}")

    def messages(self) -> list[Sent]:
        """The bot's messages in this chat as they look now, oldest first."""
        ids = sorted(mid for chat, mid in self.api.shown if chat == self.user_id)
        return [self.api.shown[(self.user_id, mid)] for mid in ids]

    async def reply(
        self, mark: int, matches: Callable[[str], bool], what: str, bot: BotProcess | None = None
    ) -> Sent:
        """The first message sent or edited in this chat since `mark` whose text (unescaped) `matches`."""

        def found() -> Sent | None:
            for message in self.api.changed[mark:]:
                if message.chat_id == self.user_id and matches(html.unescape(message.text)):
                    return message
            return None

        result: Sent = await until(found, REPLY_TIMEOUT, what, bot)
        return result


# --- Fixtures -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def answerer() -> Answerer:
    """The knowledge base as the bot process loads it: the real date, not the pinned one of conftest."""
    return load_answerer()


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every bot run's logs and DATA_DIR in this module, for the token scan at the end."""
    return tmp_path_factory.mktemp("bot_over_http")


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    server = FakeBotApi(round_trip=0.0, token=TOKEN)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


StartBot = Callable[..., Awaitable[BotProcess]]


@pytest.fixture
async def start_bot(api: FakeBotApi, runs: Path, request: pytest.FixtureRequest) -> AsyncIterator[StartBot]:
    """Start the bot process (again) on this test's DATA_DIR and wait until it polls; killed at teardown."""
    test_dir = runs / request.node.name
    data_dir = test_dir / "data"
    started: list[BotProcess] = []

    async def start() -> BotProcess:
        bot = BotProcess(api, data_dir, test_dir, f"run{len(started) + 1}")
        started.append(bot)
        bot.start()
        await bot.until_polling()
        return bot

    test_dir.mkdir()
    try:
        yield start
    finally:
        for bot in started:
            bot.kill()


# --- A FAQ exchange ---------------------------------------------------------------------------------------------


async def test_a_question_gets_its_answer_and_a_related_button_works(
    api: FakeBotApi, start_bot: StartBot, answerer: Answerer
) -> None:
    expected = answerer.ask("how much does it cost?")
    assert expected.entry is not None and expected.entry.id == "cost"
    bot = await start_bot()
    teacher = Teacher(api)

    answer = await teacher.reply(
        await teacher.says("how much does it cost?"),
        lambda text: text == expected.text,
        "the cost answer",
        bot,
    )
    labels = [label for label, _ in answer.buttons]
    assert labels[: len(expected.related)] == [e.question for e in expected.related]

    related = expected.related[0]
    mark = await teacher.presses(related.question)
    wanted = answerer.entry_answer(related).text
    await teacher.reply(mark, lambda text: text == wanted, "the related question's answer", bot)
    assert api.calls_to("answerCallbackQuery"), "the button's spinner was stopped"
    assert await bot.stop() == 0


# --- The self-check across a restart ------------------------------------------------------------------------------


def planned_answer(criteria: Criteria, step: Step, first_yes_no: bool) -> tuple[str, Any]:
    """(button label, stored value): Not sure for years, No for the first yes/no, else Yes or the first choice."""
    if step.kind == "choice":
        return step.choices[0].label, step.choices[0].value
    value = UNSURE if step.kind == "years" else "no" if first_yes_no else "yes"
    return criteria.buttons[value], value


async def test_a_self_check_is_finished_after_the_bot_restarts(
    api: FakeBotApi, start_bot: StartBot, answerer: Answerer
) -> None:
    criteria = answerer.knowledge.eligibility
    steps = criteria.steps
    total = len(steps)

    def shows(fragment: str) -> Callable[[str], bool]:
        return lambda text: fragment in text

    def progress(number: int) -> str:
        return str(criteria.messages["progress"].format(number=number, total=total))

    answers: dict[str, Any] = {}
    labels: list[str] = []
    first_yes_no = next(s.id for s in steps if s.kind == "yes_no")
    for step in steps:
        label, value = planned_answer(criteria, step, step.id == first_yes_no)
        answers[step.id] = value
        labels.append(label)
    half = total // 2
    assert 2 <= half < total, "the self-check has enough steps to stop halfway"

    bot = await start_bot()
    teacher = Teacher(api)
    menu = await teacher.reply(
        await teacher.says("/start"),
        lambda text: text == answerer.knowledge.messages["welcome"],
        "the welcome",
        bot,
    )
    check_label = next(item.label for item in answerer.knowledge.start_menu if item.action == "eligibility")
    assert menu.button_data(check_label) == "eligibility"
    intro = criteria.messages["intro"].format(total=total)
    step_message = await teacher.reply(
        await teacher.presses(check_label),
        lambda text: text.startswith(intro) and progress(1) in text,
        "the first self-check question",
        bot,
    )
    for number in range(1, half + 1):
        assert step_message.button_data(labels[number - 1]).startswith("elig:")
        step_message = await teacher.reply(
            await teacher.presses(labels[number - 1]),
            shows(progress(number + 1)),
            f"question {number + 1}",
            bot,
        )

    assert await bot.stop() == 0, "SIGINT stops the bot cleanly"
    assert (bot.data_dir / STATE_FILE).exists(), "the chat state was saved at shutdown"

    bot = await start_bot()
    teacher.pace = Pace()  # a new process: the flood limit starts afresh
    for number in range(half + 1, total):
        step_message = await teacher.reply(
            await teacher.presses(labels[number - 1]),
            shows(progress(number + 1)),
            f"question {number + 1} after the restart",
            bot,
        )
    verdict_text = EligibilityEngine(criteria, answerer.today).verdict(answers).text
    verdict = await teacher.reply(
        await teacher.presses(labels[-1]),
        lambda text: text.startswith(criteria.messages["verdict_heading"]),
        "the verdict",
        bot,
    )
    shown = html.unescape(verdict.text)
    assert shown == verdict_text, "the verdict counts the answers from both sides of the restart"
    # Spelled out: what was answered before the restart is in it.
    before = {s.id: s for s in steps[:half]}
    assert answers["experience"] == UNSURE and before["experience"].what_counts in shown
    assert answers[first_yes_no] == "no" and before[first_yes_no].criterion in shown
    assert verdict.message_id == step_message.message_id, (
        "the step message from before the restart became the verdict"
    )
    after = [answerer.knowledge.messages["button_check_again"], answerer.knowledge.messages["button_topics"]]
    assert [label for label, _ in verdict.buttons] == after, "the verdict offers a fresh check or the topics"
    assert await bot.stop() == 0


# --- Failures on the wire ---------------------------------------------------------------------------------------


async def test_a_429_on_send_message_is_waited_out_and_the_answer_arrives(
    api: FakeBotApi, start_bot: StartBot, answerer: Answerer
) -> None:
    expected = answerer.ask("is it free?").text
    bot = await start_bot()
    teacher = Teacher(api)
    api.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    pushed = time.perf_counter()
    answer = await teacher.reply(
        await teacher.says("is it free?"), lambda text: text == expected, "the answer", bot
    )
    refused, delivered = api.calls_to("sendMessage")
    assert delivered.time - refused.time >= 1.0, "the bot waited retry_after before sending again"
    assert answer.time - pushed >= 1.0
    assert await bot.stop() == 0


async def test_polling_recovers_from_a_502_and_a_dropped_connection(
    api: FakeBotApi, start_bot: StartBot, answerer: Answerer
) -> None:
    bot = await start_bot()
    teacher = Teacher(api)
    help_text = answerer.knowledge.messages["help"]
    # While the bot long-polls, script the next two getUpdates to fail; a message ends the current poll.
    api.fail_next("getUpdates", 502, "Bad Gateway")
    api.drop_next("getUpdates")
    pushed = time.perf_counter()
    await teacher.reply(await teacher.says("/help"), lambda text: text == help_text, "the help", bot)

    # The 502, the dropped connection, then a poll that is answered again.
    def polls_since() -> int:
        return sum(c.time > pushed for c in api.calls_to("getUpdates"))

    await until(lambda: polls_since() >= 3, 10, "polling after the failures", bot)

    expected = answerer.ask("how much does it cost?").text
    await teacher.reply(
        await teacher.says("how much does it cost?"), lambda text: text == expected, "an answer", bot
    )
    assert bot.running, "the bot kept running through the failures"
    assert await bot.stop() == 0


# --- The token ------------------------------------------------------------------------------------------------------


async def test_no_log_or_data_file_holds_the_token(
    api: FakeBotApi, start_bot: StartBot, answerer: Answerer, runs: Path
) -> None:
    """Runs last: a session with errors of its own, then every file this module produced is scanned."""
    messages = answerer.knowledge.messages
    bot = await start_bot()
    teacher = Teacher(api)
    api.fail_next("sendMessage", 500, "Internal Server Error")  # a handler error: logged with traceback
    await teacher.reply(
        await teacher.says("is it free?"),
        lambda text: text == messages["something_went_wrong"],
        "the apology",
        bot,
    )
    api.fail_next("getUpdates", 502, "Bad Gateway")
    api.fail_next("answerCallbackQuery", 400, "Bad Request: query is too old")
    menu = await teacher.reply(
        await teacher.says("/start"), lambda text: text == messages["welcome"], "the menu", bot
    )
    mark = teacher.mark()
    api.push_callback(TEACHER_ID, menu, "from-an-older-version")
    await teacher.reply(mark, lambda text: text == messages["button_expired"], "menu expired", bot)
    assert await bot.stop(signal.SIGTERM) == 0, "docker stop's SIGTERM stops the bot cleanly too"

    files = [p for p in runs.rglob("*") if p.is_file()]
    logs = [p for p in files if p.name.endswith(".log")]
    assert len(logs) >= 2 and bot.data_dir / STATE_FILE in files
    assert any(b"[redacted]" in p.read_bytes() for p in logs), "the token was there to redact (DEBUG logs)"
    holding = [str(p.relative_to(runs)) for p in files if SECRET.encode() in p.read_bytes()]
    assert holding == [], "the token's secret part is in these files"
