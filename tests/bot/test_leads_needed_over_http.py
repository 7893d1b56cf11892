"""`/leads-needed` driven over HTTP, signed as Slack signs it, against the running app."""

from __future__ import annotations

import time

import pytest

from tests.app_server import RunningApp
from tests.app_server import blocks_text as reply_text


def test_the_method_example_gives_100_customers_and_2500_leads(app: RunningApp) -> None:
    response = app.command("/leads-needed", "100000 1000 4%")

    assert response.status_code == 200
    body = response.json()
    assert body["response_type"] == "ephemeral"
    shown = reply_text(body)
    assert "*Customers needed*\n100" in shown
    assert "*Leads needed*\n2,500" in shown
    assert "$100,000 ÷ $1,000 average deal = *100 customers*" in shown
    assert "100 ÷ 4% lead-to-customer rate = *2,500 leads*" in shown
    assert "*Leads per month*\n209" in shown  # 2,500 ÷ 12, rounded up
    assert "*Leads per week*\n49" in shown  # 2,500 ÷ 52, rounded up
    assert "100 customers" in body["text"] and "2,500 leads" in body["text"]


@pytest.mark.parametrize(
    ("text", "customers", "leads"),
    [
        ("$100k $1,000 0.04", "100", "2,500"),
        ("1.5m 2.5k 3.2% per quarter", "600", "18,750"),
        ("100001 1000 4%", "101", "2,525"),  # a part customer rounds up to a whole one
    ],
)
def test_every_documented_form_is_understood(
    app: RunningApp, text: str, customers: str, leads: str
) -> None:
    shown = reply_text(app.command("/leads-needed", text).json())

    assert f"*Customers needed*\n{customers}" in shown
    assert f"*Leads needed*\n{leads}" in shown


def test_a_quarterly_target_is_spread_over_three_months(app: RunningApp) -> None:
    shown = reply_text(app.command("/leads-needed", "1.5m 2.5k 3.2% per quarter").json())

    assert "Leads needed for $1,500,000 a quarter" in shown
    assert "*Leads per month*\n6,250" in shown
    assert "*Leads per week*\n1,443" in shown  # 18,750 ÷ 13 weeks, rounded up


def test_numbers_typed_are_echoed_as_typed_so_the_arithmetic_shown_is_the_one_done(
    app: RunningApp,
) -> None:
    shown = reply_text(app.command("/leads-needed", "1,000,000 3,333.33 4.45205%").json())

    assert "$1,000,000 ÷ $3,333.33 average deal = *301 customers*" in shown
    assert "301 ÷ 4.45205% lead-to-customer rate = *6,761 leads*" in shown


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("lots of money", "`lots` is not a number"),
        ("100000 0 4%", "Deal size must be above zero"),
        ("-5 1000 4%", "Revenue must be above zero"),
        ("100000 1000 0%", "Rate must be above 0%"),
        ("100000 1000 101%", "above 100%"),
        ("100000 1000", "Give three numbers"),
        ("100000 1000 4% 7", "Give exactly three numbers, not 4"),
        ("100000 1000 4", "ambiguous"),
        ("100000 1000 4% per fortnight", "is not one of `per year`, `per quarter`, `per month`"),
        ("", "give the numbers"),
    ],
)
def test_bad_input_gets_one_line_reason_and_an_example(
    app: RunningApp, text: str, reason: str
) -> None:
    response = app.command("/leads-needed", text)

    assert response.status_code == 200
    body = response.json()
    assert body["response_type"] == "ephemeral"
    assert reason in body["text"]
    assert "Try `/leads-needed 100000 1000 4%`" in body["text"]
    assert "\n" not in body["text"]
    assert "Traceback" not in response.text


def test_help_explains_the_method_in_three_lines(app: RunningApp) -> None:
    body = app.command("/leads-needed", "help").json()

    method = body["text"].split("\n")[1:]
    assert len(method) == 3
    assert "÷ average deal size" in method[0]
    assert "÷ lead-to-customer rate" in method[1]
    assert "Example: `/leads-needed 100000 1000 4%`" in reply_text(body)


def test_an_unsigned_request_is_refused_and_causes_nothing(app: RunningApp) -> None:
    response = app.post_slack(
        "command=%2Fleads-needed&text=100000+1000+4%25&user_id=U1",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    assert response.status_code == 401
    assert "2,500" not in response.text
    assert app.slack.calls == []


def test_a_request_signed_with_another_secret_is_refused(app: RunningApp) -> None:
    response = app.command("/leads-needed", "100000 1000 4%", signing_secret="not-the-secret")

    assert response.status_code == 401
    assert "2,500" not in response.text
    assert app.slack.calls == []


def test_a_ten_minute_old_request_is_refused_as_a_replay(app: RunningApp) -> None:
    response = app.command("/leads-needed", "100000 1000 4%", timestamp=int(time.time()) - 600)

    assert response.status_code == 401
    assert "2,500" not in response.text
    assert app.slack.calls == []
