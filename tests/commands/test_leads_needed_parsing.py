"""Reading `/leads-needed` text: every documented form, and never an exception on any text."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from slack_sdk.models.blocks import Block

from commands.leads_needed import answer, parse
from commands.parsing import ParseError, parse_amount, parse_rate
from domain.funnel import Period


@pytest.mark.parametrize(
    ("token", "value"),
    [
        ("100000", 100_000),
        ("$100,000", 100_000),
        ("100k", 100_000),
        ("$100K", 100_000),
        ("1.5m", 1_500_000),
        ("2.5k", 2_500),
        ("$1,000", 1_000),
        ("€2bn", 2_000_000_000),
        ("1,234.56", Fraction(123456, 100)),
    ],
)
def test_amounts_in_every_documented_form(token: str, value: Fraction) -> None:
    assert parse_amount(token, what="revenue") == value


@pytest.mark.parametrize(
    ("token", "value"),
    [
        ("4%", Fraction(1, 25)),
        ("0.04", Fraction(1, 25)),
        ("3.2%", Fraction(4, 125)),
        ("100%", Fraction(1)),
        (".5", Fraction(1, 2)),
    ],
)
def test_rates_as_percent_or_fraction(token: str, value: Fraction) -> None:
    assert parse_rate(token) == value


@pytest.mark.parametrize("token", ["1,00", "12,3456", "1.2.3", "k", "$", "1e6", "0x10", "٣"])
def test_malformed_amounts_are_refused(token: str) -> None:
    with pytest.raises(ParseError):
        parse_amount(token, what="revenue")


def test_the_period_follows_the_numbers() -> None:
    assert parse("1.5m 2.5k 3.2% per quarter").period == Period.QUARTER
    assert parse("1.5m 2.5k 3.2% monthly").period == Period.MONTH
    assert parse("1.5m 2.5k 3.2%").period == Period.YEAR


def test_commas_between_numbers_are_forgiven() -> None:
    request = parse("100000, 1000, 4%")

    assert request.revenue == 100_000
    assert request.deal_size == 1_000
    assert request.rate == Fraction(1, 25)


@settings(max_examples=300)
@given(st.text(max_size=80))
def test_any_text_gets_an_answer_or_a_reason_never_an_exception(text: str) -> None:
    message = answer(text).to_dict()

    assert message["text"]
    for block in message["blocks"]:
        parsed = Block.parse(block)
        assert parsed is not None
        parsed.validate_json()


@given(
    st.lists(
        st.one_of(
            st.from_regex(r"\$?[0-9]{1,7}(\.[0-9]{1,3})?[kmb]?", fullmatch=True),
            st.from_regex(r"[0-9]{1,3}(\.[0-9]{1,2})?%", fullmatch=True),
            st.sampled_from(["per", "year", "quarter", "month", "-1", "0", "help", "%", ",", "."]),
        ),
        max_size=6,
    )
)
def test_number_like_text_gets_an_answer_or_a_reason(tokens: list[str]) -> None:
    message = answer(" ".join(tokens)).to_dict()

    assert message["text"]
    assert "\n" not in message["text"] or message["text"].startswith("How /leads-needed counts")
