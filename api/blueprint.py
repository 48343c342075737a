"""The Blueprint every resource uses: exact decimals in JSON bodies, our page limits, and no
query parameter the endpoint does not document."""

from __future__ import annotations

import json
from decimal import Decimal
from functools import cache, wraps

import flask_smorest
import marshmallow as ma
from flask import Response, current_app, request
from webargs.flaskparser import FlaskParser

from inventory.db.queries import page
from inventory.errors import ValidationFailed

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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # On the blueprint, not the app: every resource gets it without asking, and the spec,
        # Swagger UI and the web pages (other blueprints) are left alone.
        self.before_request(refuse_unknown_query_parameters)

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


def refuse_unknown_query_parameters() -> None:
    """``before_request``: a query parameter the endpoint does not document is a 422 that names
    it and the known ones. webargs drops unknown query parameters silently, so without this
    ``?warehouse=MAIN`` would answer as if no filter had been asked for."""
    if not request.args or request.method == "OPTIONS":
        return
    known = documented_query_parameters(request.endpoint, request.method)
    unknown = sorted(set(request.args) - known)
    if not unknown:
        return
    takes = (
        f"This endpoint takes: {', '.join(sorted(known))}."
        if known
        else "This endpoint takes no query parameters."
    )
    plural = "s" if len(unknown) > 1 else ""
    raise ValidationFailed(
        f"Unknown query parameter{plural}: {', '.join(unknown)}. {takes}",
        errors={name: [f"Unknown query parameter. {takes}"] for name in unknown},
        extra={"known_parameters": sorted(known)},
    )


def documented_query_parameters(endpoint: str | None, method: str) -> frozenset[str]:
    """The query parameters the OpenAPI document lists for ``method`` on ``endpoint``: those of
    its query schema, its pagination and any documented by hand."""
    view = current_app.view_functions.get(endpoint or "")
    view_class = getattr(view, "view_class", None)
    func = getattr(view_class, method.lower(), None) if view_class else view
    if func is None and method == "HEAD" and view_class is not None:
        func = getattr(view_class, "get", None)
    return _query_parameters(func)


@cache
def _query_parameters(func) -> frozenset[str]:
    apidoc = getattr(func, "_apidoc", {})
    names = set()
    parameters = list(apidoc.get("arguments", {}).get("parameters", []))
    if "pagination" in apidoc:
        parameters.append(apidoc["pagination"]["parameters"])
    for parameter in parameters:
        if parameter.get("in") != "query":
            continue
        schema = parameter["schema"]
        fields = (schema() if isinstance(schema, type) else schema).fields
        names |= {f.data_key or name for name, f in fields.items() if not f.dump_only}
    for parameter in apidoc.get("manual_doc", {}).get("parameters", []):
        if parameter.get("in") == "query":
            names.add(parameter["name"])
    return frozenset(names)
