"""The Blueprint every resource uses: exact decimals in JSON bodies and our page limits."""

from __future__ import annotations

import json
from decimal import Decimal
from functools import wraps

import flask_smorest
import marshmallow as ma
from flask import Response
from webargs.flaskparser import FlaskParser

from inventory.db.queries import page

MAX_PAGE_SIZE = 200
MAX_PAGE = 2**31 - 1


class DecimalJSONParser(FlaskParser):
    """Read JSON numbers with a fraction as ``Decimal``: 0.1 stays exactly 0.1, never a float."""

    def _raw_load_json(self, req):
        if not (req.mimetype == "application/json" or req.mimetype.endswith("+json")):
            return super()._raw_load_json(req)
        text = req.get_data(cache=True).decode("utf-8")
        try:
            return json.loads(text, parse_float=Decimal)
        except RecursionError:
            # A body nested thousands of levels deep; refuse it as unreadable JSON (400).
            raise json.JSONDecodeError("JSON nested too deeply", text, 0) from None


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = DecimalJSONParser()

    def arguments(self, schema, *, location="json", example=None, examples=None, **kwargs):
        """As flask-smorest's, but a body schema's ``Meta.example`` documents the request when
        the view gives none, so every request body in the document shows one that works."""
        if location == "json" and example is None and examples is None:
            example = getattr(getattr(schema, "Meta", None), "example", None)
        return super().arguments(
            schema, location=location, example=example, examples=examples, **kwargs
        )

    def paged(self):
        paginate = self.paginate(page_size=50, max_page_size=MAX_PAGE_SIZE)

        def decorator(func):
            @wraps(func)
            def counted(*args, **kwargs):
                result = func(*args, **kwargs)
                if isinstance(result, Response):
                    # An export: every row in one file, nothing to page. flask-smorest warns
                    # about an uncounted page; _set_pagination_metadata then skips the header.
                    kwargs["pagination_parameters"].item_count = 0
                return result

            wrapper = paginate(counted)
            # flask-smorest leaves ``page`` unbounded, and a page far past the end overflows the
            # database's OFFSET (a 500). The schema class it made for this view is the one it
            # parses with and documents, so bounding its field bounds both.
            schema = wrapper._apidoc["pagination"]["parameters"]["schema"]
            schema._declared_fields["page"] = ma.fields.Integer(
                load_default=1, validate=ma.validate.Range(min=1, max=MAX_PAGE)
            )
            return wrapper

        return decorator

    def _set_pagination_metadata(self, page_params, result, headers):
        if isinstance(result, Response):
            return result, headers  # an export holds every row: no pages to describe
        return super()._set_pagination_metadata(page_params, result, headers)


def listing(query, pagination_parameters) -> list[dict]:
    """One page of a read query; flask-smorest puts the counts in the X-Pagination header."""
    rows, total = page(query, pagination_parameters.page, pagination_parameters.page_size)
    pagination_parameters.item_count = total
    return rows
