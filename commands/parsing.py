"""Reading the numbers people type in Slack: amounts like `$1.5m`, rates like `4%`, periods."""

from __future__ import annotations

import re
from fractions import Fraction

from blocks.format import clip, escape
from blocks.message import Message, problem
from domain.funnel import Period

# An amount: optional currency sign, digits with optional thousands commas and decimals,
# optional k/m/b suffix. Anchored and bounded, so arbitrary text never reaches Fraction().
_AMOUNT = re.compile(
    r"^[$€£]?(?P<number>\d{1,3}(?:,\d{3})+(?:\.\d{1,6})?|\d{1,15}(?:\.\d{1,6})?|\.\d{1,6})"
    r"(?P<suffix>[kmb]|bn)?$",
    re.IGNORECASE | re.ASCII,
)
_RATE = re.compile(r"^(?P<number>\d{1,3}(?:\.\d{1,6})?|\.\d{1,6})(?P<percent>%)?$", re.ASCII)
_SUFFIX = {"": 1, "k": 1_000, "m": 1_000_000, "b": 1_000_000_000, "bn": 1_000_000_000}
MAX_AMOUNT = Fraction(10**15)


class ParseError(ValueError):
    """Input a person typed that we cannot read; the message is shown to them as is."""


def problem_from(error: ParseError, *, example: str) -> Message:
    """A ParseError as the one-line reason people read, with a form that works."""
    reason = str(error)
    return problem(reason[:1].upper() + reason[1:], example=example)


def quoted(token: str, *, limit: int = 40) -> str:
    """Echo what someone typed back at them, short and literal."""
    literal = escape(clip(token.replace("`", "'"), limit))
    return f"`{literal}`"


def parse_amount(token: str, *, what: str) -> Fraction:
    """`100000`, `$100,000`, `100k`, `1.5m` → an exact amount above zero."""
    text = token.strip()
    if text.startswith("-") and _AMOUNT.match(text[1:]):
        raise ParseError(f"{what} must be above zero, not {quoted(token)}")
    match = _AMOUNT.match(text.removeprefix("+"))
    if match is None:
        raise ParseError(
            f"{what} {quoted(token)} is not an amount (try `100000`, `$100k` or `1.5m`)"
        )
    suffix = (match["suffix"] or "").lower()
    value = Fraction(match["number"].replace(",", "")) * _SUFFIX[suffix]
    if value <= 0:
        raise ParseError(f"{what} must be above zero, not {quoted(token)}")
    if value > MAX_AMOUNT:
        raise ParseError(f"{what} {quoted(token)} is larger than this bot counts (at most 10^15)")
    return value


def parse_rate(token: str) -> Fraction:
    """`4%` or `0.04` → 0.04. A bare number above 1 is refused: `4` could mean 4% or 400%."""
    text = token.strip()
    if text.startswith("-") and _RATE.match(text[1:]):
        raise ParseError(f"rate must be above 0%, not {quoted(token)}")
    match = _RATE.match(text.removeprefix("+"))
    if match is None:
        raise ParseError(f"rate {quoted(token)} is not a rate (try `4%` or `0.04`)")
    value = Fraction(match["number"])
    if match["percent"]:
        value /= 100
    elif value > 1:
        raise ParseError(
            f"rate {quoted(token)} is ambiguous: write {quoted(token + '%')} or a fraction like "
            "`0.04`"
        )
    if value <= 0:
        raise ParseError(f"rate must be above 0%, not {quoted(token)}")
    if value > 1:
        raise ParseError(f"rate {quoted(token)} is above 100%")
    return value


def parse_period(words: list[str]) -> Period:
    """`per year`, `per quarter`, `per month` (or `yearly`, …); nothing means a year."""
    if not words:
        return Period.YEAR
    text = " ".join(words).lower()
    text = re.sub(r"^(per|a|each|every|/)\s*", "", text)
    aliases = {
        "year": Period.YEAR,
        "yearly": Period.YEAR,
        "annual": Period.YEAR,
        "annually": Period.YEAR,
        "yr": Period.YEAR,
        "quarter": Period.QUARTER,
        "quarterly": Period.QUARTER,
        "q": Period.QUARTER,
        "month": Period.MONTH,
        "monthly": Period.MONTH,
        "mo": Period.MONTH,
    }
    if text in aliases:
        return aliases[text]
    raise ParseError(
        f"period {quoted(' '.join(words))} is not one of `per year`, `per quarter`, `per month`"
    )


# `<@U123ABC>` or `<@U123ABC|name>` as Slack escapes a mention, or a bare user id. Ids are
# kept short enough that "manager of <@ID>" fits the change history's 64 characters.
_MENTION = re.compile(r"^<@(?P<id>[UW][A-Z0-9]{1,49})(?:\|[^>]*)?>$", re.ASCII)
_USER_ID = re.compile(r"^@?(?P<id>[UW][A-Z0-9]{1,49})$", re.ASCII)


def user_id_of(token: str) -> str:
    """The Slack user a mention (or a bare id) names; a ParseError for anything else."""
    match = _MENTION.match(token) or _USER_ID.match(token)
    if match is None:
        raise ParseError(f"{quoted(token)} is not a Slack user: pick people from the @ menu")
    return match["id"]


def not_found(kind: str, name: str, did_you_mean: list[str], *, listing: str) -> Message:
    """`No campaign is called X: did you mean Y?` (or where to see them all)."""
    if did_you_mean:
        meant = " or ".join(f"`{one}`" for one in did_you_mean)
        return problem(
            f"No {kind} is called {quoted(name, limit=80)}: did you mean {meant}?",
            example=f"/{kind} {did_you_mean[0]}",
        )
    return problem(
        f"No {kind} is called {quoted(name, limit=80)}; `{listing}` shows them all",
        example=listing,
    )
