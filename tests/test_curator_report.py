"""The interaction log and the curator's report (the Telegram wiring comes with the curator issue)."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from bot_process import run_bot

from bot.core.answers import Answerer
from bot.curation.interaction_log import LOG_FILE, InteractionLog, load_or_create_key
from bot.curation.report import (
    build_report,
    group_questions,
    parse_period,
    render_csv,
    render_suggestions,
    render_text,
)


@pytest.fixture
def log(tmp_path: Path) -> Iterator[InteractionLog]:
    interaction_log = InteractionLog(tmp_path / LOG_FILE, load_or_create_key(tmp_path))
    yield interaction_log
    interaction_log.close()


def test_many_users_writing_at_once_lose_no_row(log: InteractionLog) -> None:
    def teacher(user_id: int) -> None:
        for n in range(20):
            log.record(user_id, "private", f"question {n}", "answered", "cost", 0.9)

    threads = [threading.Thread(target=teacher, args=(user_id,)) for user_id in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    log.flush()
    assert len(log.rows()) == 1000


def test_users_are_stored_only_as_keyed_hashes(log: InteractionLog, tmp_path: Path) -> None:
    log.record(987654321, "private", "is it free?", "answered", "cost", 0.9)
    log.flush()
    raw = (tmp_path / LOG_FILE).read_bytes()
    assert b"987654321" not in raw
    assert log.rows()[0].user_key == log.user_key(987654321) != "987654321"
    assert oct((tmp_path / "log_key").stat().st_mode & 0o777) == "0o600"


def test_forget_removes_one_user_and_keeps_the_others(log: InteractionLog) -> None:
    log.record(1, "private", "is it free?", "answered", "cost", 0.9)
    log.record(2, "private", "do I need QTS?", "answered", "des_qts", 0.9)
    assert log.forget(1) == 1
    assert [r.question for r in log.rows()] == ["do I need QTS?"]


def test_purge_removes_old_rows(log: InteractionLog) -> None:
    log.record(1, "private", "is it free?", "answered", "cost", 0.9)
    assert log.purge_older_than(180) == 0
    assert log.purge_older_than(-1) == 1


def test_unwritable_database_is_logged_once_and_nothing_raises(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where the folder should be")
    broken = InteractionLog(blocked / LOG_FILE, b"key")
    with caplog.at_level(logging.ERROR):
        for _ in range(5):
            broken.record(1, "private", "is it free?", "answered", "cost", 0.9)
        broken.close()
    assert sum("not writable" in r.getMessage() for r in caplog.records) == 1


def test_report_groups_similar_unanswered_questions(log: InteractionLog, answerer: Answerer) -> None:
    for question in (
        "where is the training held?",
        "where is training held",
        "Where will the training be held?",
    ):
        log.record(1, "private", question, "fallback", None, 0.2)
    log.record(2, "private", "is there a bursary for me", "suggest", None, 0.45)
    log.record(3, "private", "is it free?", "answered", "cost", 0.95)
    report = build_report(log.rows(), answerer.matcher)
    assert report.total == 5 and report.answered == 1
    biggest = report.unanswered_groups[0]
    assert len(biggest.questions) == 3 and biggest.nearest_entry == "venue_and_format"
    text = render_text(report, "7d")
    assert "Answer rate (answered or small talk): 20%" in text and "- cost: 1" in text
    assert "venue_and_format" in render_csv(report)
    files = {"venue_and_format": "knowledge/not_covered.yaml"}
    suggested = render_suggestions(report, close_enough=0.0, entry_files=files)
    assert "in knowledge/not_covered.yaml:\nvenue_and_format:\n- where is the training held?" in suggested
    assert "id: new_entry_1" in render_suggestions(report, close_enough=2.0, entry_files=files)


def test_paraphrases_with_few_shared_words_group_by_their_nearest_entry(answerer: Answerer) -> None:
    groups = group_questions(
        [
            "Are the sessions online or face to face?",
            "do i get a certificate at the end",
            "is it online",
            "where are the training days held",
            "is there a qualification at the end",
        ],
        answerer.matcher,
    )
    assert [set(g.questions) for g in groups] == [
        {"Are the sessions online or face to face?", "is it online", "where are the training days held"},
        {"do i get a certificate at the end", "is there a qualification at the end"},
    ]


def test_period_parsing() -> None:
    assert parse_period("7d") == 7 * 86400 and parse_period("24h") == 86400
    with pytest.raises(ValueError, match="not a period"):
        parse_period("soon")


def test_report_command_reads_the_data_directory(tmp_path: Path) -> None:
    log = InteractionLog(tmp_path / LOG_FILE, load_or_create_key(tmp_path))
    log.record(1, "private", "where is the training held?", "fallback", None, 0.2)
    log.close()
    os.environ["DATA_DIR"] = str(tmp_path)
    try:
        result = run_bot("report", "--since", "1d")
        suggest = run_bot("report", "--suggest")
    finally:
        del os.environ["DATA_DIR"]
    assert result.returncode == 0, result.stderr
    assert "where is the training held?" in result.stdout
    assert suggest.returncode == 0 and "where is the training held?" in suggest.stdout


def test_report_on_a_corrupt_log_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / LOG_FILE).write_bytes(b"garbage, not a database" * 50)
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    result = run_bot("report")
    assert result.returncode == 1
    assert f"{tmp_path / LOG_FILE}: cannot read the interaction log" in result.stderr
    assert "Traceback" not in result.stderr
