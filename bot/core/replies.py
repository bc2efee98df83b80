"""What the core asks an adapter to show: text plus the buttons to offer. No Telegram types here."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Button:
    """A choice offered to the user: `label` is shown; `action` says what pressing it does.

    Actions: `faq:<entry id>`, `topic:<topic id>`, `topics`, `eligibility`, `ask`, or `elig:<answer>` inside
    the self-check. Adapters carry `action` as the button's payload.
    """

    label: str
    action: str


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: tuple[Button, ...] = ()

    @property
    def button_labels(self) -> list[str]:
        return [b.label for b in self.buttons]
