"""The `/leads-needed` answer: the funnel, with both divisions shown so a marketer can check."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from blocks.format import format_amount, format_rate
from blocks.message import Message
from domain.funnel import Funnel, Period

_PER = {Period.YEAR: "a year", Period.QUARTER: "a quarter", Period.MONTH: "a month"}


def funnel_message(funnel: Funnel, *, as_typed: bool = False) -> Message:
    # Numbers someone typed are echoed as typed (the arithmetic shown is the arithmetic done);
    # measured ones (a trailing deal size and rate) read in whole dollars and tenths of a %.
    revenue = format_amount(funnel.revenue, cents=as_typed)
    deal = format_amount(funnel.deal_size, cents=as_typed)
    rate = format_rate(funnel.rate, as_typed=as_typed)
    customers, leads = f"{funnel.customers_needed:,}", f"{funnel.leads_needed:,}"
    period = _PER[funnel.period]
    text = (
        f"{revenue} {period} needs {customers} customers and {leads} leads "
        f"({funnel.leads_per_month:,} a month, {funnel.leads_per_week:,} a week)."
    )
    months = funnel.period.months
    split = (
        "Per month and per week are the leads spread over the period "
        f"({months} month{'s' if months > 1 else ''}, {float(funnel.period.weeks):.4g} weeks), "
        "rounded up: you cannot win part of a customer."
    )
    return Message(
        text=text,
        blocks=[
            HeaderBlock(text=PlainTextObject(text=f"Leads needed for {revenue} {period}")),
            SectionBlock(
                fields=[
                    MarkdownTextObject(text=f"*Customers needed*\n{customers}"),
                    MarkdownTextObject(text=f"*Leads needed*\n{leads}"),
                    MarkdownTextObject(text=f"*Leads per month*\n{funnel.leads_per_month:,}"),
                    MarkdownTextObject(text=f"*Leads per week*\n{funnel.leads_per_week:,}"),
                ]
            ),
            DividerBlock(),
            SectionBlock(
                text=MarkdownTextObject(
                    text=(
                        f"{revenue} ÷ {deal} average deal = *{customers} customers*\n"
                        f"{customers} ÷ {rate} lead-to-customer rate = *{leads} leads*"
                    )
                )
            ),
            ContextBlock(elements=[MarkdownTextObject(text=split)]),
        ],
    )
