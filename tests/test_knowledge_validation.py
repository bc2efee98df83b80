"""Every kind of broken knowledge file is reported as `file:line: message`, and nothing starts on it."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from bot_process import run_bot

from bot.content import default_knowledge_dir, load_answerer
from bot.core.problems import KnowledgeError

ROOT = Path(__file__).resolve().parent.parent


def read_faq(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((folder / "faq.yaml").read_text(encoding="utf-8"))
    return data


def write_faq(folder: Path, data: dict[str, Any]) -> str:
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1000)
    (folder / "faq.yaml").write_text(text, encoding="utf-8")
    return text


def line_of(text: str, needle: str) -> int:
    """1-based line number of the first line containing needle."""
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


def problems_for(folder: Path) -> list[str]:
    with pytest.raises(KnowledgeError) as caught:
        load_answerer(folder)
    return [str(p) for p in caught.value.problems]


def test_shipped_knowledge_base_is_valid() -> None:
    answerer = load_answerer(default_knowledge_dir())
    assert len(answerer.knowledge.faq_entries) >= 40


def test_missing_required_field_names_file_and_line(knowledge_copy: Path) -> None:
    data = read_faq(knowledge_copy)
    victim = data["entries"][3]
    del victim["answer"]
    text = write_faq(knowledge_copy, data)
    line = line_of(text, f"id: {victim['id']}")
    assert f"knowledge/faq.yaml:{line}: missing required field 'answer'" in problems_for(knowledge_copy)


def test_unknown_field_is_reported(knowledge_copy: Path) -> None:
    data = read_faq(knowledge_copy)
    data["entries"][0]["anwser"] = "typo in a field name"
    text = write_faq(knowledge_copy, data)
    line = line_of(text, "anwser:")
    assert any(
        p.startswith(f"knowledge/faq.yaml:{line}: unknown field 'anwser'")
        for p in problems_for(knowledge_copy)
    )


def test_duplicate_id_is_reported_with_both_places(knowledge_copy: Path) -> None:
    data = read_faq(knowledge_copy)
    first, second = data["entries"][0], data["entries"][1]
    second["id"] = first["id"]
    text = write_faq(knowledge_copy, data)
    first_line = line_of(text, f"id: {first['id']}")
    second_line = first_line + text.splitlines()[first_line:].index(f"- id: {first['id']}") + 1
    problems = problems_for(knowledge_copy)
    assert (
        f"knowledge/faq.yaml:{second_line}: duplicate id '{first['id']}' (first at knowledge/faq.yaml:{first_line})"
        in problems
    )


def test_unknown_related_id_is_reported(knowledge_copy: Path) -> None:
    data = read_faq(knowledge_copy)
    entry = data["entries"][2]
    entry["related"] = ["no_such_entry"]
    text = write_faq(knowledge_copy, data)
    line = line_of(text, f"id: {entry['id']}")
    assert (
        f"knowledge/faq.yaml:{line}: entry '{entry['id']}' relates to unknown id 'no_such_entry'"
        in problems_for(knowledge_copy)
    )


def test_quote_not_in_source_is_reported(knowledge_copy: Path) -> None:
    data = read_faq(knowledge_copy)
    entry = data["entries"][4]
    entry["source"]["quote"] = "the programme comes with a free laptop"
    text = write_faq(knowledge_copy, data)
    line = line_of(text, f"id: {entry['id']}")
    problems = problems_for(knowledge_copy)
    assert any(
        p.startswith(f"knowledge/faq.yaml:{line}: entry '{entry['id']}': quote not found") for p in problems
    )


def test_quote_matches_despite_curly_quotes_and_line_breaks(knowledge_copy: Path) -> None:
    data = read_faq(knowledge_copy)
    # The page writes "2 years’ experience" with a curly apostrophe; a straight one must still match.
    data["entries"][0]["source"] = {
        "file": "post16-mastery-specialist-programme-page.txt",
        "section": "Who can apply?",
        "quote": "A minimum of 2 years' experience\n   teaching maths",
    }
    write_faq(knowledge_copy, data)
    load_answerer(knowledge_copy)


def test_answer_longer_than_telegram_allows_is_reported(knowledge_copy: Path) -> None:
    data = read_faq(knowledge_copy)
    entry = data["entries"][5]
    entry["answer"] = "You can. " * 600
    text = write_faq(knowledge_copy, data)
    line = line_of(text, "You can. You can.")
    problems = problems_for(knowledge_copy)
    assert any(
        p.startswith(f"knowledge/faq.yaml:{line}: answer is 5399 characters; Telegram allows 4096")
        for p in problems
    )


def test_indistinguishable_phrasings_are_reported(knowledge_copy: Path) -> None:
    data = read_faq(knowledge_copy)
    first, second = data["entries"][0], data["entries"][10]
    second["alternates"] = [*second.get("alternates", []), first["question"]]
    text = write_faq(knowledge_copy, data)
    line = line_of(text, f"id: {second['id']}")
    problems = problems_for(knowledge_copy)
    assert any(
        p.startswith(
            f"knowledge/faq.yaml:{line}: entry '{second['id']}' has a phrasing the matcher cannot tell apart"
        )
        and first["id"] in p
        for p in problems
    )


def test_yaml_syntax_error_names_the_line(knowledge_copy: Path) -> None:
    path = knowledge_copy / "smalltalk.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(2, "  - id: [unclosed")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    problems = problems_for(knowledge_copy)
    assert len(problems) == 1
    assert problems[0].startswith("knowledge/smalltalk.yaml:") and "invalid YAML" in problems[0]


def test_bad_matcher_setting_and_missing_message_are_reported(knowledge_copy: Path) -> None:
    matcher = knowledge_copy / "matcher.yaml"
    matcher.write_text(
        matcher.read_text(encoding="utf-8").replace("answer_margin: ", "answer_margin: lots #")
    )
    messages = knowledge_copy / "messages.yaml"
    texts = yaml.safe_load(messages.read_text(encoding="utf-8"))
    del texts["fallback"]
    messages.write_text(yaml.safe_dump(texts), encoding="utf-8")
    problems = problems_for(knowledge_copy)
    margin_line = line_of(matcher.read_text(encoding="utf-8"), "answer_margin:")
    assert f"knowledge/matcher.yaml:{margin_line}: 'answer_margin' must be a number" in problems
    assert "knowledge/messages.yaml:1: missing message 'fallback'" in problems


def test_unknown_topic_and_menu_action_are_reported(knowledge_copy: Path) -> None:
    data = read_faq(knowledge_copy)
    entry = data["entries"][6]
    entry["topic"] = "gardening"
    text = write_faq(knowledge_copy, data)
    menu = knowledge_copy / "menu.yaml"
    menu.write_text(menu.read_text(encoding="utf-8").replace("action: topics", "action: topic:gardening"))
    problems = problems_for(knowledge_copy)
    line = line_of(text, "id: " + entry["id"])
    assert f"knowledge/faq.yaml:{line}: entry '{entry['id']}' has unknown topic 'gardening'" in problems
    assert any(p.startswith("knowledge/menu.yaml:") and "topic:gardening" in p for p in problems)


def run_bot_on(*args: str, knowledge: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return run_bot("--knowledge", str(knowledge), *args, stdin=stdin)


def test_check_command_passes_on_shipped_knowledge() -> None:
    result = run_bot_on("check", knowledge=default_knowledge_dir())
    assert result.returncode == 0, result.stderr
    assert "Knowledge base OK" in result.stdout


def test_check_command_and_bot_refuse_a_broken_knowledge_base(knowledge_copy: Path) -> None:
    data = read_faq(knowledge_copy)
    data["entries"][2]["related"] = ["no_such_entry"]
    text = write_faq(knowledge_copy, data)
    expected = f"knowledge/faq.yaml:{line_of(text, 'id: ' + data['entries'][2]['id'])}:"
    check = run_bot_on("check", knowledge=knowledge_copy)
    assert check.returncode == 1
    assert expected in check.stderr and "no_such_entry" in check.stderr
    started = run_bot_on(knowledge=knowledge_copy, stdin="how much does it cost?\n")
    assert started.returncode == 1
    assert expected in started.stderr
    assert started.stdout == ""
