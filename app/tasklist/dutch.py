"""Form validation messages in Dutch, for caseworkers; the API keeps the engine's English."""

from __future__ import annotations

import re

_MESSAGES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^is required$"), "Dit veld is verplicht."),
    (re.compile(r"^must be at most (\S+) characters long$"), "Hoogstens {0} tekens."),
    (re.compile(r"^must be at least (\S+) characters long$"), "Minstens {0} tekens."),
    (re.compile(r"^must be at most (\S+)$"), "Hoogstens {0}."),
    (re.compile(r"^must be at least (\S+)$"), "Minstens {0}."),
    (re.compile(r"^must be on or after (\S+)$"), "Op of na {0}."),
    (re.compile(r"^must be on or before (\S+)$"), "Op of vóór {0}."),
    (re.compile(r"^must be a whole number$"), "Vul een geheel getal in."),
    (re.compile(r"^is out of range for a whole number$"), "Dit getal is te groot of te klein."),
    (
        re.compile(r"^must be a date as YYYY-MM-DD$"),
        "Vul een datum in als dd-mm-jjjj, bijvoorbeeld 15-12-2026.",
    ),
    (re.compile(r"^must be one of"), "Kies een van de mogelijkheden."),
    (re.compile(r"^must be true or false$"), "Kies ja of nee."),
    (re.compile(r"^is read-only and cannot be changed$"), "Dit veld kan niet worden gewijzigd."),
    (re.compile(r"^must be text$"), "Vul tekst in."),
    (re.compile(r"^unknown field$"), "Dit veld hoort niet bij het formulier."),
]


_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def _dutch_value(value: str) -> str:
    """A date in a message as dd-mm-jjjj; anything else unchanged."""
    match = _ISO_DATE.match(value)
    return f"{match.group(3)}-{match.group(2)}-{match.group(1)}" if match else value


def dutch(message: str) -> str:
    """The Dutch text for an engine validation message; a general one when it is not known."""
    for pattern, text in _MESSAGES:
        match = pattern.match(message)
        if match:
            return text.format(*(_dutch_value(v) for v in match.groups()))
    return "Ongeldige waarde."
