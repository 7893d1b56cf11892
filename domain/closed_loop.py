"""What closed-loop reports are made of (DESIGN §1.4): the figures for a slice of leads."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Figures:
    """The closed-loop numbers for one slice of leads in one period."""

    leads: int = 0
    sales_ready: int = 0  # graded sales-ready and not a duplicate: what counts for marketing
    duplicates: int = 0
    incomplete: int = 0
    accepted: int = 0
    rejected: int = 0
    won: int = 0
    lost: int = 0
    revenue: Decimal = Decimal("0.00")

    def __add__(self, other: Figures) -> Figures:
        return Figures(
            leads=self.leads + other.leads,
            sales_ready=self.sales_ready + other.sales_ready,
            duplicates=self.duplicates + other.duplicates,
            incomplete=self.incomplete + other.incomplete,
            accepted=self.accepted + other.accepted,
            rejected=self.rejected + other.rejected,
            won=self.won + other.won,
            lost=self.lost + other.lost,
            revenue=self.revenue + other.revenue,
        )


@dataclass(frozen=True)
class Group:
    """One row of a breakdown; `key` None gathers the leads that came without a value."""

    key: str | None
    figures: Figures
