"""One chat's conversation, transport-free: commands, questions, buttons and the eligibility self-check.

`Conversation.handle(state, text)` and `Conversation.press(state, action)` take the chat's saved state (plain,
JSON-serialisable data) and return the new state plus the replies to send. The console chat and the Telegram
adapter both drive this; neither makes a decision of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .answers import Answer, Answerer
from .eligibility import EligibilityEngine, prefill_from_question
from .replies import Button, Reply
from .text import command_name

ChatState = dict[str, Any]
COMMANDS = ("start", "help", "eligibility", "topics", "about", "cancel")
PRIVACY_COMMANDS = ("privacy", "forget")


@dataclass(frozen=True)
class Turn:
    state: ChatState
    replies: list[Reply]
    # The matcher's outcome when the turn answered a typed question (adapters log it); None otherwise.
    answer: Answer | None = None


class Conversation:
    def __init__(self, answerer: Answerer) -> None:
        self.answerer = answerer
        self.knowledge = answerer.knowledge
        self.messages = answerer.knowledge.messages
        self.engine = EligibilityEngine(self.knowledge.eligibility, answerer.today)

    def handle(self, state: ChatState, text: str) -> Turn:
        """Typed text: a /command, an answer inside the self-check, or a question."""
        command = command_name(text)
        if command is not None:
            return self.command(state, command)
        dialogue = state.get("eligibility")
        if dialogue is not None:
            return self._continue_self_check(state, dialogue, text)
        answer = self.answerer.ask(text)
        new_state = {**state, "last_question": text[:500]}
        return Turn(new_state, [answer.reply(self.messages)], answer)

    def command(self, state: ChatState, command: str) -> Turn:
        if command == "start":
            menu = tuple(Button(item.label, item.action) for item in self.knowledge.start_menu)
            return Turn(self._without_dialogue(state), [Reply(self.messages["welcome"], menu)])
        if command == "help":
            return Turn(state, [Reply(self.messages["help"])])
        if command == "about":
            return Turn(state, [Reply(self.messages["about"])])
        if command in PRIVACY_COMMANDS:
            # Adapters that keep data (Telegram) answer these themselves; this chat keeps nothing.
            return Turn(state, [Reply(self.messages["console_privacy"])])
        if command == "topics":
            return Turn(state, [self.topics_menu()])
        if command == "eligibility":
            return self.start_self_check(state, prefill_from=None)
        if command == "cancel":
            if state.get("eligibility") is not None:
                result = self.engine.step(state["eligibility"], "elig:cancel")
                return Turn(self._without_dialogue(state), [result.reply])
            return Turn(state, [Reply(self.messages["cancelled"])])
        return Turn(state, [Reply(self.messages["unknown_command"])])

    def press(self, state: ChatState, action: str) -> Turn:
        """A button press, identified by its action (see replies.Button)."""
        kind, _, target = action.partition(":")
        if kind == "elig":
            dialogue = state.get("eligibility")
            if dialogue is None:
                return self._expired(state)
            return self._continue_self_check(state, dialogue, action)
        if kind == "faq" and target in self.knowledge.by_id:
            answer = self.answerer.entry_answer(self.knowledge.by_id[target])
            return Turn(state, [answer.reply(self.messages)])
        if kind == "topic" and any(t.id == target for t in self.knowledge.topics):
            return Turn(state, [self.topic_menu(target)])
        if action == "topics":
            return Turn(state, [self.topics_menu()])
        if action == "eligibility":
            return self.start_self_check(state, prefill_from=state.get("last_question"))
        if action == "ask":
            return Turn(state, [Reply(self.messages["ask_prompt"])])
        return self._expired(state)

    def expects_number(self, state: ChatState) -> bool:
        """Whether the self-check waits for a number (so a typed "3" is an answer, not a button)."""
        dialogue = state.get("eligibility")
        return dialogue is not None and self.engine.expects_number(dialogue)

    def start_self_check(self, state: ChatState, prefill_from: str | None) -> Turn:
        """Start the self-check, filling in what the user's last question already said."""
        today = self.answerer.today()
        prefill = (
            prefill_from_question(self.knowledge.eligibility, prefill_from, today) if prefill_from else None
        )
        dialogue, reply = self.engine.start(prefill)
        return Turn({**state, "eligibility": dialogue}, [reply])

    def topics_menu(self) -> Reply:
        buttons = tuple(
            Button(t.title, f"topic:{t.id}")
            for t in self.knowledge.topics
            if self.knowledge.entries_in_topic(t.id)
        )
        return Reply(self.messages["topics_intro"], buttons)

    def topic_menu(self, topic_id: str) -> Reply:
        topic = next(t for t in self.knowledge.topics if t.id == topic_id)
        buttons = tuple(Button(e.question, f"faq:{e.id}") for e in self.knowledge.entries_in_topic(topic_id))
        return Reply(f"{topic.title}:", (*buttons, Button(self.messages["button_topics"], "topics")))

    def _continue_self_check(self, state: ChatState, dialogue: Any, text: str) -> Turn:
        result = self.engine.step(dialogue, text)
        if not result.understood and not text.startswith("elig:"):
            # A question asked mid-dialogue is answered, then the same step is asked again.
            answer = self.answerer.ask(text)
            if answer.status in ("answered", "smalltalk"):
                return Turn(state, [Reply(answer.text), self.engine.current_reply(dialogue)])
        new_state = {**state, "eligibility": result.state}
        reply = result.reply
        if result.finished:  # the verdict: offer a fresh check or the topics, not a dead end
            after = (
                Button(self.messages["button_check_again"], "eligibility"),
                Button(self.messages["button_topics"], "topics"),
            )
            reply = Reply(reply.text, after)
        return Turn(new_state, [reply])

    def _without_dialogue(self, state: ChatState) -> ChatState:
        return {k: v for k, v in state.items() if k != "eligibility"}

    def _expired(self, state: ChatState) -> Turn:
        menu = tuple(Button(item.label, item.action) for item in self.knowledge.start_menu)
        return Turn(self._without_dialogue(state), [Reply(self.messages["button_expired"], menu)])
