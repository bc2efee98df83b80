"""The interaction log: what teachers asked and how the bot answered, in one SQLite file under DATA_DIR.

Privacy by design: users are stored only as a keyed hash of their Telegram id (the key comes from
LOG_KEY or is generated once into the data directory), never names or usernames. Writes go through a
single writer thread, so the event loop never waits on disk and no row is lost when many users write at
once. If the database cannot be opened or written, the bot keeps answering and the problem is logged once.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import queue
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

logger = logging.getLogger(__name__)

LOG_FILE = "interactions.sqlite3"
KEY_FILE = "log_key"
SCHEMA_VERSION = 2
# Rows written in one transaction at most; a burst of questions queues up while the previous batch writes.
WRITE_BATCH = 500
# How long the writer waits for more rows before committing a batch (a flush never waits).
WRITE_WINDOW_SECONDS = 0.5
_MIGRATIONS = {
    1: """
        CREATE TABLE IF NOT EXISTS interactions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            time REAL NOT NULL,
            user_key TEXT NOT NULL,
            chat_type TEXT NOT NULL,
            question TEXT NOT NULL,
            status TEXT NOT NULL,
            entry_id TEXT,
            score REAL NOT NULL,
            feedback TEXT
        );
        CREATE INDEX IF NOT EXISTS interactions_time ON interactions (time);
        CREATE INDEX IF NOT EXISTS interactions_user ON interactions (user_key);
    """,
    # 2: feedback buttons name their row by `ref`; hand-offs remember where a curator's reply goes.
    2: """
        ALTER TABLE interactions ADD COLUMN ref TEXT;
        CREATE INDEX IF NOT EXISTS interactions_ref ON interactions (ref);
        CREATE TABLE IF NOT EXISTS handoffs (
            curator_message_id INTEGER PRIMARY KEY,
            time REAL NOT NULL,
            user_key TEXT,
            chat_id INTEGER
        );
        CREATE INDEX IF NOT EXISTS handoffs_user ON handoffs (user_key);
    """,
}
# A hand-off whose teacher used /forget keeps only its post id and time: the curator can be told why a
# reply cannot be delivered, and nothing about the teacher is left.
HandoffTarget = int | Literal["forgotten", "unknown"]


@dataclass(frozen=True)
class Interaction:
    """One logged question and its outcome."""

    time: float
    user_key: str
    chat_type: str
    question: str
    status: str
    entry_id: str | None
    score: float
    feedback: str | None = None


def load_or_create_key(data_dir: Path, from_env: str | None = None) -> bytes:
    """The hashing key: LOG_KEY if set, else one generated once and kept in the data directory."""
    if from_env:
        return from_env.encode()
    path = data_dir / KEY_FILE
    if path.exists():
        return path.read_bytes().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32).encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(key)
    return key


class InteractionLog:
    """Append-only log of interactions with a background writer; readers query the same file."""

    def __init__(self, path: Path, key: bytes, *, busy_timeout: float = 5.0) -> None:
        self.path = path
        self._key = key
        self._busy_timeout = busy_timeout  # seconds to wait for a database another process has locked
        self._queue: queue.Queue[tuple[str, tuple[object, ...]] | None] = queue.Queue()
        self._reported_failure = False
        self._writer = threading.Thread(target=self._write_forever, name="interaction-log", daemon=True)
        self._writer.start()

    def user_key(self, user_id: int) -> str:
        """A pseudonymous, stable key for a Telegram user id; the id itself is never stored."""
        return hmac.new(self._key, str(user_id).encode(), hashlib.sha256).hexdigest()[:32]

    def record(
        self, user_id: int, chat_type: str, question: str, status: str, entry_id: str | None, score: float
    ) -> str:
        """Queue one interaction and return at once; the result is the row's `ref` for its feedback."""
        ref = secrets.token_urlsafe(6)
        row = (
            time.time(),
            self.user_key(user_id),
            chat_type,
            question[:4096],
            status,
            entry_id,
            float(score),
            ref,
        )
        self._queue.put(
            (
                "INSERT INTO interactions (time, user_key, chat_type, question, status, entry_id, score, ref)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
        )
        return ref

    def record_feedback(self, ref: str, user_id: int, feedback: str) -> None:
        """Queue feedback ("helpful" or "not_helpful") on one of this user's rows; returns at once."""
        self._queue.put(
            (
                "UPDATE interactions SET feedback = ? WHERE ref = ? AND user_key = ?",
                (feedback, ref, self.user_key(user_id)),
            )
        )

    def record_handoff(self, curator_message_id: int, user_id: int, chat_id: int) -> None:
        """Queue where a curator's reply to this post goes; returns at once."""
        self._queue.put(
            (
                "INSERT OR REPLACE INTO handoffs (curator_message_id, time, user_key, chat_id) VALUES (?, ?, ?, ?)",
                (curator_message_id, time.time(), self.user_key(user_id), chat_id),
            )
        )

    def question(self, ref: str, user_id: int) -> Interaction | None:
        """One of this user's interactions by its ref (None if unknown, purged or forgotten). Blocks."""
        self.flush()
        with self._connect() as connection:
            self._migrate(connection)
            row = connection.execute(
                "SELECT time, user_key, chat_type, question, status, entry_id, score, feedback"
                " FROM interactions WHERE ref = ? AND user_key = ?",
                (ref, self.user_key(user_id)),
            ).fetchone()
        return Interaction(*row) if row else None

    def handoff_target(self, curator_message_id: int) -> HandoffTarget:
        """The chat a reply to this curator post goes to, or why there is none. Blocks."""
        self.flush()
        with self._connect() as connection:
            self._migrate(connection)
            row = connection.execute(
                "SELECT chat_id FROM handoffs WHERE curator_message_id = ?", (curator_message_id,)
            ).fetchone()
        if row is None:
            return "unknown"
        return "forgotten" if row[0] is None else int(row[0])

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until every queued write has been attempted."""
        done = threading.Event()
        self._queue.put(("__flush__", (done,)))
        done.wait(timeout)

    def close(self) -> None:
        self.flush()
        self._queue.put(None)
        self._writer.join(timeout=10)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        connection = sqlite3.connect(self.path, timeout=self._busy_timeout)
        connection.execute("PRAGMA secure_delete = ON")  # deleted questions are overwritten, not left behind
        try:
            yield connection
        finally:
            connection.close()

    def _migrate(self, connection: sqlite3.Connection) -> None:
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        for target in range(version + 1, SCHEMA_VERSION + 1):
            connection.executescript(_MIGRATIONS[target])
            connection.execute(f"PRAGMA user_version = {target}")
        connection.commit()

    def _write_forever(self) -> None:
        """Write queued rows in batches: everything waiting is one transaction, so a burst costs one commit."""
        connection: sqlite3.Connection | None = None
        stopping = False
        while not stopping:
            batch: list[tuple[str, tuple[object, ...]]] = []
            flushes: list[threading.Event] = []
            item = self._queue.get()
            # Collect for a moment: during a burst, questions arrive a few at a time, and one commit for
            # many rows costs far less than one each. A flush or stop ends the wait at once.
            deadline = time.monotonic() + WRITE_WINDOW_SECONDS
            while True:
                if item is None:
                    stopping = True
                elif item[0] == "__flush__":
                    flushes.append(item[1][0])  # type: ignore[arg-type]
                else:
                    batch.append(item)
                if stopping or flushes or len(batch) >= WRITE_BATCH:
                    break
                try:
                    item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
            if batch:
                connection = self._write_batch(connection, batch)
            for done in flushes:
                done.set()
        if connection is not None:
            connection.close()

    def _write_batch(
        self, connection: sqlite3.Connection | None, batch: list[tuple[str, tuple[object, ...]]]
    ) -> sqlite3.Connection | None:
        """Write one batch; the connection to use next (None after a failure, to reopen the file)."""
        try:
            if connection is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                connection = sqlite3.connect(self.path, timeout=self._busy_timeout)
                connection.execute("PRAGMA journal_mode=WAL")
                # WAL with synchronous=NORMAL survives a crash of the bot; only a power cut may lose the
                # last few batches. One fsync per question would cost more than answering it.
                connection.execute("PRAGMA synchronous = NORMAL")
                connection.execute("PRAGMA secure_delete = ON")
                self._migrate(connection)
            with connection:  # one transaction: committed, or rolled back on error
                for sql, params in batch:
                    connection.execute(sql, params)
            self._reported_failure = False
            return connection
        except (sqlite3.Error, OSError) as exc:
            if connection is not None:
                connection.close()
            if not self._reported_failure:
                logger.error("Interaction log %s is not writable (%s); answering goes on.", self.path, exc)
                self._reported_failure = True
            return None

    def rows(self, since: float = 0.0) -> list[Interaction]:
        """Every interaction at or after `since` (seconds since the epoch), oldest first."""
        self.flush()  # read what this process has already recorded
        with self._connect() as connection:
            self._migrate(connection)
            cursor = connection.execute(
                "SELECT time, user_key, chat_type, question, status, entry_id, score, feedback"
                " FROM interactions WHERE time >= ? ORDER BY time",
                (since,),
            )
            return [Interaction(*row) for row in cursor.fetchall()]

    def forget(self, user_id: int) -> int:
        """Delete every question of one user and their hand-offs' chat; returns how many questions went."""
        self.flush()
        key = self.user_key(user_id)
        with self._connect() as connection:
            self._migrate(connection)
            deleted = connection.execute("DELETE FROM interactions WHERE user_key = ?", (key,))
            connection.execute(
                "UPDATE handoffs SET user_key = NULL, chat_id = NULL WHERE user_key = ?", (key,)
            )
            connection.commit()
            # Old copies of the pages live on in the write-ahead log until it is checkpointed.
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return deleted.rowcount

    def purge_older_than(self, days: int) -> int:
        """Delete rows older than `days`; returns how many went."""
        self.flush()
        with self._connect() as connection:
            self._migrate(connection)
            cutoff = time.time() - days * 86400
            deleted = connection.execute("DELETE FROM interactions WHERE time < ?", (cutoff,))
            connection.execute("DELETE FROM handoffs WHERE time < ?", (cutoff,))
            connection.commit()
            return deleted.rowcount
