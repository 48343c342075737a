"""A NUL character in a page's address or form: neither database stores one, and PostgreSQL
refuses it even in a comparison, so a page refuses it first (400) instead of failing (500)."""

from __future__ import annotations

import pytest

from inventory.domain.actors import ALL_ROLES
from tests.page_helpers import signed_in


@pytest.mark.parametrize(
    "path, query",
    [
        ("/desk/lookup", {"type": "receipt", "sku": "A\x00B"}),
        ("/admin/jobs", {"name": "re\x00order"}),
        ("/items", {"q": "\x00"}),
        ("/suppliers", {"q": "\x00"}),
    ],
)
def test_a_nul_in_the_address_is_refused_not_a_500(backend, client, make, path, query):
    signed_in(client, make, *sorted(ALL_ROLES))
    answer = client.get(path, query_string=query)
    assert answer.status_code == 400, (path, answer.status_code)
    assert "NUL" in answer.get_data(as_text=True)
