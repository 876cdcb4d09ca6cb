"""One page of a list, the same for every list the services page (companies, deals, the contract archive)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    """The items of page `page` (from 1) of a list `per_page` long each, and how many the whole list holds."""

    items: list
    total: int
    page: int
    per_page: int

    @property
    def last_page(self) -> int:
        return max(1, -(-self.total // self.per_page))
