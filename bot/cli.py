"""Command line: `python -m bot [check|ask|eval|chat]`; with no command, the Telegram bot or the console chat."""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from pathlib import Path

from . import config
from .content import load_answerer
from .core.answers import Answerer
from .core.problems import KnowledgeError


def _load(directory: Path) -> Answerer:
    """Load the knowledge base or exit 1 with every problem as `file:line: message` on stderr."""
    try:
        return load_answerer(directory)
    except KnowledgeError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"The knowledge base has {len(exc.problems)} problem(s); nothing was started.", file=sys.stderr)
        raise SystemExit(1) from None


def _check(args: argparse.Namespace) -> int:
    answerer = _load(args.knowledge)
    knowledge = answerer.knowledge
    counts = {
        kind: sum(e.kind == kind for e in knowledge.entries) for kind in ("faq", "smalltalk", "not_covered")
    }
    steps = len(knowledge.eligibility.steps)
    print(
        f"Knowledge base OK: {counts['faq']} FAQ entries in {len(knowledge.topics)} topics, "
        f"{counts['smalltalk']} small-talk entries, {counts['not_covered']} not-covered entries, "
        f"{steps} eligibility steps."
    )
    return 0


def _ask(args: argparse.Namespace) -> int:
    answerer = _load(args.knowledge)
    questions = sys.stdin if args.question == "-" else [args.question]
    for line in questions:
        answer = answerer.ask(line.rstrip("\n"))
        if args.json:
            print(json.dumps(answer.to_json(), ensure_ascii=False), flush=True)
        else:
            reply = answer.reply(answerer.knowledge.messages)
            print(reply.text)
            for number, button in enumerate(reply.buttons, start=1):
                print(f"  {number}. {button.label}")
    return 0


def _eval(args: argparse.Namespace) -> int:
    from .curation.evaluation import evaluate, read_questions

    answerer = _load(args.knowledge)
    try:
        questions = read_questions(args.file)
    except (OSError, ValueError) as exc:
        print(exc, file=sys.stderr)
        return 1
    result = evaluate(answerer, questions)
    for question, answer, verdict in result.misses:
        entry = answer.entry.id if answer.entry else "-"
        print(
            f"{verdict:5} {question.id} [{question.kind}] {question.question!r} -> {answer.status} {entry} {answer.score:.3f}"
        )
    print(result.summary())
    return 0


def _report(args: argparse.Namespace) -> int:
    from .curation.interaction_log import LOG_FILE, InteractionLog, load_or_create_key
    from .curation.report import build_report, render_csv, render_suggestions, render_text, since_timestamp

    try:
        since = since_timestamp(args.since)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    answerer = _load(args.knowledge)
    data_dir = config.data_dir()
    path = data_dir / LOG_FILE
    if not path.exists():
        print(f"No interaction log at {path} yet: nothing to report.", file=sys.stderr)
        return 1
    log = InteractionLog(path, load_or_create_key(data_dir, config.log_key()))
    try:
        rows = log.rows(since)
    except sqlite3.Error as exc:
        print(f"{path}: cannot read the interaction log ({exc})", file=sys.stderr)
        return 1
    finally:
        log.close()
    report = build_report(rows, answerer.matcher)
    if args.csv:
        print(render_csv(report), end="")
    elif args.suggest:
        entry_files = {entry.id: entry.file for entry in answerer.knowledge.entries}
        threshold = answerer.knowledge.matcher.suggest_threshold
        print(render_suggestions(report, close_enough=threshold, entry_files=entry_files), end="")
    else:
        print(render_text(report, args.since))
    return 0


def _chat(args: argparse.Namespace) -> int:
    from .console import run_console
    from .core.conversation import Conversation

    run_console(Conversation(_load(args.knowledge)), sys.stdin, sys.stdout, as_json=args.json)
    return 0


def _run(args: argparse.Namespace) -> int:
    if not config.has_token():
        print("TELEGRAM_BOT_TOKEN is not set, so this is the local console chat.", file=sys.stderr)
        args.json = False
        return _chat(args)
    from .telegram.app import run_telegram

    return run_telegram(_load(args.knowledge), knowledge_dir=args.knowledge)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    parser.add_argument(
        "--knowledge",
        type=Path,
        default=config.knowledge_dir(),
        help="knowledge folder (default: ./knowledge, or $KNOWLEDGE_DIR)",
    )
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("check", help="validate the knowledge base").set_defaults(handler=_check)
    ask = commands.add_parser("ask", help="answer one question ('-' reads one per line from stdin)")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print one JSON object per question")
    ask.set_defaults(handler=_ask)
    evaluation = commands.add_parser("eval", help="score a question set (JSONL)")
    evaluation.add_argument("file", type=Path)
    evaluation.set_defaults(handler=_eval)
    report = commands.add_parser("report", help="curator's report from the interaction log in DATA_DIR")
    report.add_argument("--since", default="7d", help="period to cover, e.g. 7d, 24h, 2w (default 7d)")
    output = report.add_mutually_exclusive_group()
    output.add_argument("--csv", action="store_true", help="unanswered questions and their groups as CSV")
    output.add_argument("--suggest", action="store_true", help="ready-to-paste YAML for each group")
    report.set_defaults(handler=_report)
    chat = commands.add_parser("chat", help="chat in the terminal")
    chat.add_argument("--json", action="store_true", help="scripted: one JSON line per bot message")
    chat.set_defaults(handler=_chat)
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", _run)
    return int(handler(args))
