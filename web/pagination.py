"""Paged lists in the API: the body stays a JSON list, the paging travels in headers.

`X-Total-Count` says how many items the whole list holds; `Link` (RFC 8288)
gives the first, previous, next and last pages, as GitHub's API does, so a
client that ignores the headers still reads a plain list.
"""
from __future__ import annotations

from urllib.parse import urlencode

from flask import jsonify, request


def paged_response(body: list, *, total: int, page: int, per_page: int):
    """Return `body` as JSON with the X-Total-Count and Link headers of page `page`."""
    response = jsonify(body)
    response.headers["X-Total-Count"] = str(total)
    last = max(1, -(-total // per_page))
    pages = {"first": 1, "prev": page - 1 if page > 1 else None, "next": page + 1 if page < last else None,
             "last": last}
    response.headers["Link"] = ", ".join(f'<{page_url(number, per_page)}>; rel="{rel}"'
                                         for rel, number in pages.items() if number is not None)
    return response


def page_url(page: int, per_page: int) -> str:
    """Return this request's URL, same query, for page `page`."""
    args = [(key, value) for key, value in request.args.items(multi=True) if key not in ("page", "per_page")]
    return f"{request.base_url}?{urlencode([*args, ('page', page), ('per_page', per_page)])}"
