"""The answerer every Telegram handler uses now, held in one place so /reload swaps it for all of them."""

from __future__ import annotations

from typing import Any

from ..core.answers import Answerer
from ..core.conversation import Conversation


class CurrentAnswerer:
    """The current knowledge base's answerer, conversation and messages; chats keep their state on reload."""

    def __init__(self, answerer: Answerer) -> None:
        self.use(answerer)

    def use(self, answerer: Answerer) -> None:
        """Answer from now on with another (reloaded) knowledge base."""
        self.answerer = answerer
        self.conversation = Conversation(answerer)
        self.messages: Any = answerer.knowledge.messages
