from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from bot.content import default_knowledge_dir, load_answerer
from bot.core.answers import Answerer

# The source documents speak for 2022-2024; tests pin "today" so date-bound answers are predictable.
TODAY = date(2026, 11, 25)


@pytest.fixture(scope="session")
def answerer() -> Answerer:
    return load_answerer(default_knowledge_dir(), today=lambda: TODAY)


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped knowledge folder, for tests that break it."""
    target = tmp_path / "knowledge"
    shutil.copytree(default_knowledge_dir(), target)
    return target
