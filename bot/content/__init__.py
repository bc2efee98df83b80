"""Content: knowledge/*.yaml read, validated (every problem as `file:line: message`) and built into the core's
frozen objects. The only package that reads the knowledge folder."""

from .knowledge import load_answerer, load_knowledge
from .locate import default_knowledge_dir

__all__ = ["default_knowledge_dir", "load_answerer", "load_knowledge"]
