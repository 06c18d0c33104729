"""The words that refuse an unknown choice, stated once: "Unknown stage. Use one of: identified,
qualified, …", built from the choices themselves so the message lists exactly what is accepted."""

from collections.abc import Iterable

from django.db.models import Choices


def use_one_of(choices: type[Choices] | Iterable[str]) -> str:
    """``Use one of: a, b, c.`` for a ``TextChoices`` class (its values) or a list of values."""
    values = choices.values if isinstance(choices, type) else list(choices)
    return "Use one of: " + ", ".join(str(value) for value in values) + "."


def unknown_choice_message(what: str, choices: type[Choices] | Iterable[str]) -> str:
    """``Unknown <what>. Use one of: …`` for a field whose value is not among ``choices``."""
    return f"Unknown {what}. {use_one_of(choices)}"
