"""A burst of teachers against the real bot process: answers per second, CPU per answer, memory, start-up.

Starts `python -m bot` (long polling) against a Bot API stand-in on 127.0.0.1 (tests/fake_bot_api.py)
whose every call takes a configurable round trip, waits until the bot is idle on getUpdates, then delivers
300 questions from 300 different users at once and times the answers. Linux only (reads /proc).

Run: .venv/bin/python benchmarks/bench_telegram_burst.py [--teachers 300] [--round-trip 0.08]
Targets (issue 6): >= 27 answers/s at 80 ms, <= 5 ms CPU per answer, <= 80 MB peak RSS, <= 1 s start-up.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the Bot API stand-in is shared with the tests

from fake_bot_api import FakeBotApi, Sent  # noqa: E402

# The shape of a real token (digits:secret), so the bot's settings accept it; it is never sent anywhere.
BENCH_TOKEN = "123456789:benchmark-token-not-real-aaaaaaaaaaaaaaaa"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
FLOODER_ID = 99
TARGETS = {"answers_per_second": 27.0, "cpu_ms_per_answer": 5.0, "peak_rss_mb": 80.0, "startup_seconds": 1.0}


def questions() -> list[str]:
    lines = (ROOT / "eval" / "dev.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines if line.strip()]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc status")


async def run(
    teachers: int, round_trip: float, timeout: float, profile: str | None = None, flood: int = 0
) -> dict[str, float]:
    api = FakeBotApi(round_trip=round_trip)
    await api.start()
    answered: dict[int, Sent] = {}
    all_answered = asyncio.Event()

    def on_send(sent: Sent) -> None:
        if sent.chat_id == FLOODER_ID:
            return
        answered.setdefault(sent.chat_id, sent)
        if len(answered) >= teachers:
            all_answered.set()

    api.on_send = on_send
    with tempfile.TemporaryDirectory() as data_dir:
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": BENCH_TOKEN,
            "TELEGRAM_API_BASE_URL": api.base_url,
            "DATA_DIR": data_dir,
            "LOG_LEVEL": "WARNING",
        }
        started = time.perf_counter()
        profiler = ["-m", "cProfile", "-o", profile] if profile else []
        bot = await asyncio.create_subprocess_exec(sys.executable, *profiler, "-m", "bot", cwd=ROOT, env=env)
        try:
            while api.first_get_updates is None:
                if bot.returncode is not None:
                    raise RuntimeError(f"the bot exited with {bot.returncode} before polling")
                await asyncio.sleep(0.005)
            startup = api.first_get_updates - started
            await asyncio.sleep(1.0)  # let start-up work (command menu etc.) finish before the burst
            cpu_before = cpu_seconds(bot.pid)
            asked = questions()
            burst_start = time.perf_counter()
            for n in range(flood):
                api.push_message(FLOODER_ID, f"{asked[n % len(asked)]} ({n})")
            for n in range(teachers):
                api.push_message(100_000 + n, asked[n % len(asked)])
            await asyncio.wait_for(all_answered.wait(), timeout)
            burst_seconds = max(s.time for s in answered.values()) - burst_start
            cpu_used = cpu_seconds(bot.pid) - cpu_before
            peak = peak_rss_mb(bot.pid)
        finally:
            if bot.returncode is None:
                bot.send_signal(signal.SIGINT)
                try:
                    await asyncio.wait_for(bot.wait(), 15)
                except TimeoutError:
                    bot.kill()
            await api.stop()
    return {
        "teachers": teachers,
        "round_trip_ms": round_trip * 1000,
        "answers_per_second": teachers / burst_seconds,
        "burst_seconds": burst_seconds,
        "cpu_ms_per_answer": cpu_used * 1000 / teachers,
        "peak_rss_mb": peak,
        "startup_seconds": startup,
        "flood_messages": flood,
        "flooder_replies": sum(1 for s in api.sent if s.chat_id == FLOODER_ID),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--teachers", type=int, default=300)
    parser.add_argument("--round-trip", type=float, default=0.08, help="seconds per Bot API call (0.08)")
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument(
        "--flood", type=int, default=0, metavar="N", help="one more user sends N messages at the same moment"
    )
    parser.add_argument(
        "--profile", metavar="FILE", help="run the bot under cProfile and write its stats here"
    )
    args = parser.parse_args()
    figures = asyncio.run(run(args.teachers, args.round_trip, args.timeout, args.profile, args.flood))
    print(
        f"{figures['teachers']} teachers at once, {figures['round_trip_ms']:.0f} ms round trip per Bot API call"
    )
    print(
        f"  answers per second : {figures['answers_per_second']:.1f}"
        f"  (all answered in {figures['burst_seconds']:.1f} s; target >= {TARGETS['answers_per_second']:.0f})"
    )
    print(
        f"  CPU per answer     : {figures['cpu_ms_per_answer']:.2f} ms  (target <= {TARGETS['cpu_ms_per_answer']:.0f})"
    )
    print(f"  peak memory (RSS)  : {figures['peak_rss_mb']:.1f} MB  (target <= {TARGETS['peak_rss_mb']:.0f})")
    print(f"  start-up           : {figures['startup_seconds']:.2f} s to first getUpdates  (target <= 1)")
    if figures["flood_messages"]:
        print(
            f"  flood              : one user sent {figures['flood_messages']:.0f} messages at once and got "
            f"{figures['flooder_replies']:.0f} replies (answers up to the burst limit, then one slow-down)"
        )
    met = (
        figures["answers_per_second"] >= TARGETS["answers_per_second"]
        and figures["cpu_ms_per_answer"] <= TARGETS["cpu_ms_per_answer"]
        and figures["peak_rss_mb"] <= TARGETS["peak_rss_mb"]
        and figures["startup_seconds"] <= TARGETS["startup_seconds"]
    )
    print("  all targets met" if met else "  NOT all targets met")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
