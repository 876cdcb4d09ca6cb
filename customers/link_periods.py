"""When a link holds, and shares in parts per million: what links, contact links and control all read.

A link holds from `valid_from` (inclusive) up to `valid_to` (exclusive); either may
be open. A new shareholder starting the day the old one ends never overlaps it.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import and_, or_

PPM_PER_PERCENT = 10_000


def valid_on(model, on: date):
    """Return the condition "`model`'s link holds on `on`" (valid_from inclusive, valid_to exclusive)."""
    return and_(or_(model.valid_from.is_(None), model.valid_from <= on),
                or_(model.valid_to.is_(None), model.valid_to > on))


def holds(link, on: date) -> bool:
    """Tell whether a loaded link holds on `on`, by the same rule as valid_on."""
    return (link.valid_from is None or link.valid_from <= on) and (link.valid_to is None or link.valid_to > on)
