"""Numbers people (or old links) put in a page's address: whatever is typed, a list page answers
with a page, never a 500. int() refuses "²" (a digit to str.isdigit) and texts of over 4,300
digits; 2**63 does not fit the database's integers."""

from __future__ import annotations

import pytest

from inventory.domain.actors import ALL_ROLES
from tests.page_helpers import signed_in

LISTS = [
    "/desk",
    "/counting",
    "/purchasing/requests",
    "/purchasing/approvals",
    "/purchasing/orders",
    "/purchasing/orders/from-requests",
    "/suppliers",
    "/items",
    "/reorder",
    "/admin/users",
    "/finance/spend",
]
ODD = ["²", "①", "0", "-1", str(2**63), "9" * 4301, "abc"]


@pytest.mark.parametrize("path", LISTS)
def test_any_page_number_gets_a_page(client, make, path):
    signed_in(client, make, *sorted(ALL_ROLES))
    for odd in ODD:
        answer = client.get(path, query_string={"page": odd})
        assert answer.status_code == 200, (path, odd, answer.status_code)
        assert answer.mimetype == "text/html"


def test_a_page_past_the_last_shows_the_last(client, make):
    # "No users. 6 rows." with only a Previous link, before.
    signed_in(client, make, "admin")
    html = client.get("/admin/users", query_string={"page": 999999}).get_data(as_text=True)
    assert "No users" not in html
