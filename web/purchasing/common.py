"""What the purchasing pages share: page numbers, form values as the schemas want them, and
refusals said where people look."""

from __future__ import annotations

from collections.abc import Mapping

from flask import flash, request, url_for

from inventory.db.queries import page as one_page
from inventory.errors import DomainError
from web import items_paging
from web.errors import NEXT_STEP
from web.forms import flatten, form_id

PAGE_SIZE = 50


def page_number() -> int:
    """``?page=`` as a page number; anything else is the first page."""
    return items_paging.page_number()


def paged(query, number: int | None = None) -> dict:
    """One page of ``query`` (at most PAGE_SIZE rows) with what the pager needs: page
    ``number``, else the one the address asks for."""
    number = number or page_number()
    rows, total = one_page(query, number, PAGE_SIZE)
    pages = max(1, -(-total // PAGE_SIZE))
    if number > pages and total:  # past the last page (an old link): the last one
        number = pages
        rows, total = one_page(query, number, PAGE_SIZE)
    return {"rows": rows, "total": total, "page": number, "pages": pages}


def page_url(endpoint: str, number: int, **values) -> str:
    args = {k: v for k, v in request.args.items() if k != "page"}
    return url_for(endpoint, **{**args, **values, "page": number})


def as_id(value: str | None):
    """A form's id as the schemas' strict integer; blank is None, other text stays text (so the
    schema names the field)."""
    found = form_id(value)
    return None if found == "" else found


def blank_to_none(value: str | None):
    value = (value or "").strip()
    return value or None


def field_errors(error: DomainError) -> dict[str, str]:
    return flatten(error.errors) if error.errors else {}


def refused(error: DomainError) -> None:
    """Flash a service's refusal with what to do next; the page it returns to shows it."""
    hint = NEXT_STEP.get(error.status, "") if error.status in (404, 409) else ""
    flash(f"{error} {hint}".strip(), "error")


def renumber(errors: Mapping[str, str], rows: list[int], renames: Mapping[str, str]) -> dict:
    """Errors about ``lines.<k>.<field>`` (k: position among the lines sent) as errors about the
    form's row ``rows[k]``, with fields renamed for the form (``item_id`` → ``sku``)."""
    found: dict[str, str] = {}
    for key, message in errors.items():
        parts = key.split(".")
        if len(parts) >= 2 and parts[0] == "lines" and parts[1].isdecimal():
            k = int(parts[1])
            row = rows[k] if k < len(rows) else k
            field = renames.get(parts[2], parts[2]) if len(parts) > 2 else "_row"
            key = f"lines.{row}.{field}"
        found[key] = f"{found[key]} {message}" if key in found else message
    return found
