"""What the item, supplier and reorder pages share: the page number from the query string, one
page of a read query, and a query string's filters read by the API's own query schema."""

from __future__ import annotations

import math
from dataclasses import dataclass

import marshmallow as ma
from flask import request, url_for

from inventory.db.queries import page
from web.blueprint import pages
from web.forms import form_id, load

PAGE_SIZE = 50
MAX_PAGE = 2**31 - 1


@dataclass(frozen=True)
class Page:
    rows: list[dict]
    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.size))


def whole(text: str, upper: int = MAX_PAGE) -> int | None:
    """``text`` as a whole number 1..``upper``, else None. ``isdecimal``, not ``isdigit``: "²"
    is a digit ``int`` refuses; the length first, as ``int`` refuses over 4,300 digits."""
    if not (text.isdecimal() and len(text) <= len(str(upper))):
        return None
    number = int(text)
    return number if 1 <= number <= upper else None


def page_number(name: str = "page") -> int:
    """``?page=`` as a number from 1 up; anything else is the first page."""
    return whole(request.args.get(name, "")) or 1


def one_page(query, name: str = "page", size: int = PAGE_SIZE) -> Page:
    number = page_number(name)
    rows, total = page(query, number, size)
    return Page(rows, number, size, total)


def filters(schema: ma.Schema, names, source=None) -> tuple[dict, dict[str, str], dict[str, str]]:
    """The query string's (or ``source``'s) ``names``, blank ones dropped, loaded by
    ``schema``: the loaded filters (empty when any is invalid), the errors by field and the
    values as typed."""
    source = request.args if source is None else source
    typed = {n: (source.get(n) or "").strip() for n in names}
    given = {n: v for n, v in typed.items() if v}
    loaded, errors = load(schema, given)
    return (loaded or {}), errors, typed


def ids(values) -> list:
    """Form ids as numbers where they are numbers; the rest stay text for the schema to name."""
    return [form_id(v) for v in values]


def page_url(name: str, number: int, anchor: str | None = None) -> str:
    """This page's address with ``name`` set to page ``number``, the other arguments kept. A
    page shown again after a refused post pages on the address it was read from (``GET_PAGES``),
    not on the post's."""
    endpoint = request.endpoint
    args = request.args.to_dict()
    if request.method != "GET":
        endpoint, keep = GET_PAGES.get(endpoint, (endpoint, ()))
        args = {k: request.form[k] for k in keep if request.form.get(k)}
    return url_for(endpoint, **(request.view_args or {}), **{**args, name: number}, _anchor=anchor)


# Post endpoint -> (the page it is shown on, the form fields that page reads from its address).
GET_PAGES: dict[str, tuple[str, tuple[str, ...]]] = {}


@pages.context_processor
def _paging_helpers():
    return {"page_url": page_url}
