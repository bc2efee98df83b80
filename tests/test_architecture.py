"""The layering in docs/architecture.md, checked: no import cycle in bot/, and a core that stays pure."""

from __future__ import annotations

import ast
from pathlib import Path

BOT = Path(__file__).resolve().parent.parent / "bot"


def _module_name(path: Path) -> str:
    parts = path.relative_to(BOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    """Every module of bot/ and what it imports: top level, under TYPE_CHECKING and inside functions."""
    graph: dict[str, set[str]] = {}
    for path in sorted(BOT.rglob("*.py")):
        name = _module_name(path)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                found.add(base)
                found.update(f"{base}.{alias.name}" for alias in node.names)
        graph[name] = found
    modules = set(graph)
    return {name: {m for m in found if m in modules and m != name} for name, found in graph.items()}


def _raw_imports(module: str) -> set[str]:
    path = BOT.parent / (module.replace(".", "/") + ".py")
    if not path.exists():
        path = BOT.parent / module.replace(".", "/") / "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            found.add(node.module)
    return found


def test_no_module_in_bot_imports_another_in_a_cycle() -> None:
    graph = _imports()
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            cycle = [*path[path.index(module) :], module]
            raise AssertionError(f"import cycle: {' -> '.join(cycle)}")
        if module in done:
            return
        for target in sorted(graph[module]):
            # A package's __init__ re-exporting its own modules is not a cycle through the package.
            if module.startswith(f"{target}.") and target in graph:
                continue
            visit(target, [*path, module])
        done.add(module)

    for module in sorted(graph):
        visit(module, [])


def test_the_core_imports_no_adapter_and_no_telegram() -> None:
    graph = _imports()
    for module, targets in graph.items():
        if not module.startswith("bot.core"):
            continue
        outside = {t for t in targets if not t.startswith("bot.core")}
        assert not outside, f"{module} imports {outside}: the core imports only the core"
        third_party = {m for m in _raw_imports(module) if m.split(".")[0] in ("telegram", "yaml", "sqlite3")}
        assert not third_party, f"{module} imports {third_party}: the core does no I/O and knows no Telegram"


def test_content_and_curation_know_no_telegram() -> None:
    graph = _imports()
    for module, targets in graph.items():
        if module.startswith(("bot.content", "bot.curation")):
            assert not {t for t in targets if t.startswith(("bot.telegram", "bot.cli", "bot.console"))}, (
                module
            )
            assert not {m for m in _raw_imports(module) if m.split(".")[0] == "telegram"}, module
