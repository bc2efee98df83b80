"""Where the knowledge folder is when no `--knowledge` or KNOWLEDGE_DIR names one.

The folder sits beside `bot/` in a source checkout (and an editable install). An installed package (a wheel,
the Docker image) has no such neighbour; there the folder is looked for in the working directory, as the
Docker image runs from /app with /app/knowledge.
"""

from __future__ import annotations

from pathlib import Path

KNOWLEDGE_FOLDER = "knowledge"
# A file every knowledge folder has: tells a knowledge folder from any other folder of that name.
_MARKER = "faq.yaml"
_CHECKOUT = Path(__file__).resolve().parent.parent.parent / KNOWLEDGE_FOLDER


def default_knowledge_dir(cwd: Path | None = None) -> Path:
    """The checkout's knowledge folder, else ./knowledge; the checkout's path when neither exists."""
    if (_CHECKOUT / _MARKER).is_file():
        return _CHECKOUT
    here = (cwd or Path.cwd()) / KNOWLEDGE_FOLDER
    if (here / _MARKER).is_file():
        return here
    return _CHECKOUT
