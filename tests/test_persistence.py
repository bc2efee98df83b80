"""Chat state on disk: written in batches off the event loop, atomically, and a forgotten chat leaves the file."""

from __future__ import annotations

import asyncio
import logging
import pickle
from pathlib import Path
from typing import Any

import pytest
from telegram_driver import FAKE_TOKEN, ChatDriver, FakeTelegram, RecordingRequest

from bot.config import Settings
from bot.core.answers import Answerer
from bot.telegram.app import STATE_FILE, build_application
from bot.telegram.context import TelegramApplication
from bot.telegram.persistence import BatchedPicklePersistence


def build(tmp_path: Path, answerer: Answerer, fake: FakeTelegram) -> TelegramApplication:
    return build_application(
        Settings(token=FAKE_TOKEN, data_dir=tmp_path),
        answerer,
        request=RecordingRequest(fake),
        get_updates_request=RecordingRequest(fake, poll_delay=0.05),
        rate_limiter=None,
    )


def saved_chats(tmp_path: Path) -> dict[int, Any]:
    with (tmp_path / STATE_FILE).open("rb") as file:
        return dict(pickle.load(file)["chat_data"])


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0.01)


async def test_every_chat_in_a_cycle_is_on_disk_before_shutdown(tmp_path: Path, answerer: Answerer) -> None:
    fake = FakeTelegram()
    app = build(tmp_path, answerer, fake)
    async with app:
        teachers = [
            ChatDriver(app, fake, chat_id=900 + n, user={"id": 900 + n, "is_bot": False, "first_name": "T"})
            for n in range(30)
        ]
        for teacher in teachers:
            await teacher.send("/eligibility")
        await app.update_persistence()  # what the application does every PERSISTENCE_INTERVAL_SECONDS
        await settle()
        on_disk = saved_chats(tmp_path)  # read while the bot still runs: a crash now loses nothing
        assert sorted(on_disk) == [t.chat_id for t in teachers]
        assert all(on_disk[t.chat_id]["state"].get("eligibility") for t in teachers)


async def test_a_dropped_chat_leaves_the_file_at_once(tmp_path: Path, answerer: Answerer) -> None:
    fake = FakeTelegram()
    app = build(tmp_path, answerer, fake)
    async with app:
        sam = ChatDriver(app, fake)
        await sam.send("/eligibility")
        await app.update_persistence()
        await settle()
        assert sam.chat_id in saved_chats(tmp_path)
        app.drop_chat_data(sam.chat_id)
        await app.update_persistence()
        await settle()
        assert sam.chat_id not in saved_chats(tmp_path)


async def test_a_failed_write_is_logged_and_the_bot_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    persistence = BatchedPicklePersistence(tmp_path / "gone" / STATE_FILE, update_interval=60)
    with caplog.at_level(logging.ERROR):
        await persistence.update_chat_data(1, {"state": {}})
        await settle()
    assert "could not be saved" in caplog.text
    assert not list(tmp_path.glob("**/.telegram_state*")), "no temporary file is left behind"


async def test_an_unreadable_state_file_is_set_aside_and_the_bot_starts(
    tmp_path: Path, answerer: Answerer, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / STATE_FILE).write_bytes(b"this is not a pickle")
    fake = FakeTelegram()
    app = build(tmp_path, answerer, fake)
    with caplog.at_level(logging.ERROR):
        async with app:
            sam = ChatDriver(app, fake)
            await sam.send("/start")
            assert sam.last().buttons
    assert "cannot be read" in caplog.text
    assert (tmp_path / f"{STATE_FILE}.unreadable").read_bytes() == b"this is not a pickle"
    assert sam.chat_id in saved_chats(tmp_path), "the new state is saved as usual"
