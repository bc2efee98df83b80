"""The console chat: the same conversation as on Telegram, in a terminal or scripted as JSON lines."""

from __future__ import annotations

import json
from typing import TextIO

from .core.conversation import ChatState, Conversation
from .core.replies import Button, Reply


def _pressed(text: str, offered: list[Button], *, by_number: bool) -> Button | None:
    """The button the user chose by typing its label (any case) or, in the human console, its number."""
    stripped = text.strip()
    if by_number and stripped.isdigit() and 1 <= int(stripped) <= len(offered):
        return offered[int(stripped) - 1]
    for button in offered:
        if button.label == stripped or (by_number and button.label.lower() == stripped.lower()):
            return button
    return None


def _show(reply: Reply, output: TextIO, *, as_json: bool, hint: str) -> None:
    if as_json:
        output.write(
            json.dumps({"text": reply.text, "buttons": reply.button_labels}, ensure_ascii=False) + "\n"
        )
        return
    output.write(f"\nbot> {reply.text}\n")
    if reply.buttons:
        for number, button in enumerate(reply.buttons, start=1):
            output.write(f"  {number}. {button.label}\n")
        output.write(f"  ({hint})\n")


def run_console(
    conversation: Conversation, input_stream: TextIO, output: TextIO, *, as_json: bool = False
) -> None:
    """Read what the user types, line by line, until end of input; write every message the bot sends."""
    state: ChatState = {}
    offered: list[Button] = []
    hint = conversation.messages["console_button_hint"]
    if not as_json:
        output.write(conversation.messages["welcome"] + "\n(Type /help for commands. End with Ctrl-D.)\n")
    while True:
        if not as_json:
            output.write("\nyou> ")
            output.flush()
        line = input_stream.readline()
        if not line:
            break
        text = line.rstrip("\n")
        # Years are typed as numbers, so numbers choose buttons only outside a numeric self-check step.
        by_number = not as_json and not conversation.expects_number(state)
        button = _pressed(text, offered, by_number=by_number)
        turn = conversation.press(state, button.action) if button else conversation.handle(state, text)
        state = turn.state
        offered = [b for reply in turn.replies for b in reply.buttons]
        for reply in turn.replies:
            _show(reply, output, as_json=as_json, hint=hint)
        output.flush()
    if not as_json:
        output.write("\n")
