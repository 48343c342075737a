"""The Blueprint every resource uses: exact decimals in JSON bodies and our page limits."""

from __future__ import annotations

import json
from decimal import Decimal

import flask_smorest
from webargs.flaskparser import FlaskParser

from inventory.db.queries import page

MAX_PAGE_SIZE = 200


class DecimalJSONParser(FlaskParser):
    """Read JSON numbers with a fraction as ``Decimal``: 0.1 stays exactly 0.1, never a float."""

    def _raw_load_json(self, req):
        if not (req.mimetype == "application/json" or req.mimetype.endswith("+json")):
            return super()._raw_load_json(req)
        data = req.get_data(cache=True)
        return json.loads(data.decode("utf-8"), parse_float=Decimal)


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = DecimalJSONParser()

    def paged(self):
        return self.paginate(page_size=50, max_page_size=MAX_PAGE_SIZE)


def listing(query, pagination_parameters) -> list[dict]:
    """One page of a read query; flask-smorest puts the counts in the X-Pagination header."""
    rows, total = page(query, pagination_parameters.page, pagination_parameters.page_size)
    pagination_parameters.item_count = total
    return rows
