"""Bulk price adjustment (M10): the rule, cleaned once, rendered as ONE SQL expression over the
``price`` column. The preview (apps.catalog.selectors.price_adjust_preview) and the apply
(the bulk action "adjust_price") both evaluate that same expression in PostgreSQL, so what the
preview shows is exactly what is applied.

Rule: percent or amount, up or down, then never below zero, then a rounding rule:

    none    to the cent (the column's precision; half away from zero)
    whole   to the nearest whole unit            12.49 → 12.00, 12.50 → 13.00
    0.99    to the nearest price ending in .99   12.40 → 11.99, 12.60 → 12.99
    0.95    to the nearest price ending in .95   12.40 → 11.95, 12.60 → 12.95

and never below zero again after rounding (0.30 with "0.99" becomes 0.00, not -0.01).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError


class Mode:
    PERCENT = "percent"
    AMOUNT = "amount"
    choices = (PERCENT, AMOUNT)


class Direction:
    UP = "up"
    DOWN = "down"
    choices = (UP, DOWN)


class Rounding:
    NONE = "none"
    WHOLE = "whole"
    END_99 = "0.99"
    END_95 = "0.95"
    choices = (NONE, WHOLE, END_99, END_95)
    labels = {NONE: "No rounding (to the cent)", WHOLE: "Whole units", END_99: "Ending in .99", END_95: "Ending in .95"}


PERCENT_UP_MAX = Decimal(1000)
AMOUNT_MAX = Decimal("1000000000")
PRICE_MAX = "9999999999.99"  # numeric(12, 2)


@dataclass(frozen=True)
class PriceAdjustment:
    mode: str
    direction: str
    value: Decimal
    rounding: str = Rounding.NONE

    def sql(self, column: str = "price") -> tuple[str, list]:
        """(SQL expression, params) of the new price for one row."""
        if self.mode == Mode.PERCENT:
            factor = (Decimal(100) + (self.value if self.direction == Direction.UP else -self.value)) / Decimal(100)
            base, params = f"({column} * %s::numeric)", [factor]
        else:
            sign = "+" if self.direction == Direction.UP else "-"
            base, params = f"({column} {sign} %s::numeric)", [self.value]
        x = f"GREATEST({base}, 0)"
        if self.rounding == Rounding.WHOLE:
            x = f"round({x}, 0)"
        elif self.rounding == Rounding.END_99:
            x = f"GREATEST(round({x} + 0.01, 0) - 0.01, 0)"
        elif self.rounding == Rounding.END_95:
            x = f"GREATEST(round({x} + 0.05, 0) - 0.05, 0)"
        else:
            x = f"round({x}, 2)"
        return f"LEAST({x}, {PRICE_MAX})::numeric(12, 2)", params

    def as_dict(self) -> dict:
        return {"mode": self.mode, "direction": self.direction, "value": str(self.value), "rounding": self.rounding}

    def describe(self) -> str:
        amount = f"{self.value}%" if self.mode == Mode.PERCENT else f"{self.value}"
        rounding = "" if self.rounding == Rounding.NONE else f", rounded to {Rounding.labels[self.rounding].lower()}"
        return f"{'Raise' if self.direction == Direction.UP else 'Lower'} prices by {amount}{rounding}"


def price_adjustment_clean(params: Mapping) -> PriceAdjustment:
    """Validate {"mode", "direction", "value", "rounding"}; ValidationError with field errors."""
    errors: dict = {}
    mode = params.get("mode")
    if mode not in Mode.choices:
        errors["mode"] = "One of: percent, amount."
    direction = params.get("direction")
    if direction not in Direction.choices:
        errors["direction"] = "One of: up, down."
    rounding = params.get("rounding") or Rounding.NONE
    if rounding not in Rounding.choices:
        errors["rounding"] = f"One of: {', '.join(Rounding.choices)}."
    raw = params.get("value")
    value = Decimal(0)
    if isinstance(raw, bool) or raw in (None, ""):
        errors["value"] = "How much: a number greater than 0."
    else:
        try:
            value = Decimal(str(raw))
        except (InvalidOperation, ValueError):
            errors["value"] = "A number, e.g. 10 or 2.50."
        else:
            if not value.is_finite() or value <= 0:
                errors["value"] = "A number greater than 0."
            elif value != value.quantize(Decimal("0.01")):
                errors["value"] = "At most 2 decimal places."
            elif mode == Mode.PERCENT and direction == Direction.DOWN and value > 100:
                errors["value"] = "A price cannot drop by more than 100%."
            elif mode == Mode.PERCENT and value > PERCENT_UP_MAX:
                errors["value"] = f"At most {PERCENT_UP_MAX}%."
            elif mode == Mode.AMOUNT and value > AMOUNT_MAX:
                errors["value"] = "Too large."
    if errors:
        raise ValidationError(errors)
    return PriceAdjustment(mode=mode, direction=direction, value=value, rounding=rounding)
