"""The reorder review page: a run's suggestions and exceptions filtered and paged; accepting a
selection into draft requests and dismissing with a reason, through the review service, with
errors beside the fields and nothing written on a refusal."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from inventory.db.base import db
from inventory.db.procurement_models import PurchaseRequest
from tests.api.helpers import writes_nothing
from tests.api.reorder_helpers import REVIEW_TABLES, Reorder, suggestion_states
from tests.page_helpers import signed_in
from web.forms import KEY_FIELD

PAGE = "/reorder"


@pytest.fixture
def reorder(make) -> Reorder:
    return Reorder(make)


def _rows(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'id="suggestion-row-(\d+)"', html)]


def _requests() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(PurchaseRequest))


def _post(client, csrf, action, ids, key="k1", **fields):
    data = {"csrf_token": csrf, KEY_FIELD: key, "suggestion_ids": [str(i) for i in ids], **fields}
    return client.post(f"{PAGE}/{action}", data=data)


@pytest.mark.parametrize("role", ["purchasing", "admin"])
def test_reviewers_see_the_newest_runs_suggestions_and_exceptions(client, make, reorder, role):
    old = reorder.run()
    reorder.suggestion(old, reorder.items[0])
    run = reorder.run()
    a, b, _ = reorder.items
    first = reorder.suggestion(run, a, urgency="overdue")
    second = reorder.suggestion(run, b)
    reorder.exception(run, b, "overstock", message="Reduce order 7 by 5")
    signed_in(client, make, role)
    page = client.get(PAGE)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f"Run {run} of" in html
    assert _rows(html) == [first, second]  # most urgent first; the old run's not shown
    assert "Reduce order 7 by 5" in html and 'name="csrf_token"' in html
    assert f'name="{KEY_FIELD}"' in html
    assert "position 12" in html and "reorder point 12" in html  # the reason in numbers


@pytest.mark.parametrize("role", ["warehouse", "approver", "finance", "viewer"])
def test_other_roles_are_refused_the_page_and_the_posts(client, make, reorder, role):
    run = reorder.run()
    one = reorder.suggestion(run, reorder.items[0])
    _, csrf = signed_in(client, make, role)
    assert client.get(PAGE).status_code == 403
    with writes_nothing(REVIEW_TABLES):
        assert (
            _post(client, csrf, "accept", [one], cost_centre_id=reorder.centre).status_code == 403
        )
        assert _post(client, csrf, "dismiss", [one], reason="no").status_code == 403
    assert 'href="/reorder"' not in client.get("/").get_data(as_text=True)


def test_no_run_yet_says_so(client, make):
    signed_in(client, make, "purchasing")
    page = client.get(PAGE)
    assert page.status_code == 200
    assert "No reorder run has succeeded yet" in page.get_data(as_text=True)


def test_filters_narrow_the_list_and_bad_ones_are_said_beside_the_field(client, make, reorder):
    run = reorder.run()
    a, b, c = reorder.items
    main = reorder.suggestion(run, a, urgency="urgent")
    east = reorder.suggestion(run, b, warehouse_id=reorder.other_warehouse)
    bolts = reorder.suggestion(run, c, supplier_id=reorder.supplier_b, abc_class="C")
    signed_in(client, make, "purchasing")

    def shown(**query):
        return _rows(client.get(PAGE, query_string=query).get_data(as_text=True))

    assert shown(warehouse_id=reorder.other_warehouse) == [east]
    assert shown(supplier_id=reorder.supplier_b) == [bolts]
    assert shown(abc_class="C") == [bolts]
    assert shown(urgency="urgent") == [main]
    assert shown(urgency="normal", warehouse_id=reorder.warehouse) == [bolts]
    bad = client.get(PAGE, query_string={"urgency": "someday"})
    assert bad.status_code == 200
    html = bad.get_data(as_text=True)
    assert 'name="urgency" aria-invalid="true"' in html and 'id="urgency-error"' in html


def test_the_list_is_paged(client, make, reorder):
    run = reorder.run()
    items = [reorder.make.item(f"P{i:03d}") for i in range(55)]
    for item in items:
        reorder.suggestion(run, item)
    signed_in(client, make, "purchasing")
    first = client.get(PAGE).get_data(as_text=True)
    second = client.get(PAGE, query_string={"page": 2}).get_data(as_text=True)
    assert len(_rows(first)) == 50 and len(_rows(second)) == 5
    assert "Page 1 of 2" in first and not set(_rows(first)) & set(_rows(second))
    assert len(_rows(client.get(PAGE, query_string={"page": 99}).get_data(as_text=True))) == 0


def test_accept_raises_a_draft_request_once_per_key(backend, client, make, reorder):
    run = reorder.run()
    a, b, _ = reorder.items
    chosen = reorder.suggestion(run, a, quantity="12")
    left = reorder.suggestion(run, b)
    _, csrf = signed_in(client, make, "purchasing")
    before = _requests()
    done = _post(client, csrf, "accept", [chosen], cost_centre_id=reorder.centre, note="weekly")
    assert done.status_code == 302 and done.headers["Location"].startswith(PAGE)
    assert _requests() == before + 1
    again = _post(client, csrf, "accept", [chosen], cost_centre_id=reorder.centre, note="weekly")
    assert again.status_code == 302  # the same key: replayed, not raised twice
    assert _requests() == before + 1
    (state,) = suggestion_states([chosen]).values()
    assert state[0] == "accepted" and state[1] is not None
    html = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Accepted 1 suggestion into draft purchase request" in html
    assert _rows(html) == [left]  # open lines by default
    decided = client.get(PAGE, query_string={"status": ""}).get_data(as_text=True)
    assert "accepted → request" in decided


def test_accepting_twice_with_a_new_key_shows_the_services_message(client, make, reorder):
    run = reorder.run()
    one = reorder.suggestion(run, reorder.items[0])
    _, csrf = signed_in(client, make, "purchasing")
    _post(client, csrf, "accept", [one], key="first", cost_centre_id=reorder.centre)
    with writes_nothing(REVIEW_TABLES):
        again = _post(client, csrf, "accept", [one], key="second", cost_centre_id=reorder.centre)
    assert again.status_code == 409
    html = again.get_data(as_text=True)
    assert f"Nothing was accepted: suggestion {one} accepted already." in html
    assert 'id="review-refusal"' in html


def test_accepting_from_a_superseded_run_shows_the_services_message(client, make, reorder):
    old = reorder.run()
    stale = reorder.suggestion(old, reorder.items[0])
    newer = reorder.run()
    _, csrf = signed_in(client, make, "purchasing")
    page = client.get(PAGE, query_string={"run_id": old}).get_data(as_text=True)
    assert f"superseded by run {newer}" in page
    with writes_nothing(REVIEW_TABLES):
        refused = _post(
            client, csrf, "accept", [stale], cost_centre_id=reorder.centre, run_id=str(old)
        )
    assert refused.status_code == 409
    assert f"superseded by run {newer}" in refused.get_data(as_text=True)
    assert suggestion_states([stale])[stale][0] == "open"


def test_form_errors_are_beside_the_fields_keep_the_selection_and_write_nothing(
    client, make, reorder
):
    run = reorder.run()
    one = reorder.suggestion(run, reorder.items[0])
    _, csrf = signed_in(client, make, "purchasing")
    with writes_nothing(REVIEW_TABLES):
        no_centre = _post(client, csrf, "accept", [one], cost_centre_id="", note="typed")
        nothing_chosen = _post(client, csrf, "accept", [], cost_centre_id=reorder.centre)
        no_reason = _post(client, csrf, "dismiss", [one], reason="   ")
    assert no_centre.status_code == 422
    html = no_centre.get_data(as_text=True)
    assert (
        'name="cost_centre_id" aria-invalid="true"' in html and 'id="cost_centre_id-error"' in html
    )
    assert 'value="typed"' in html
    assert re.search(rf'value="{one}"\s+aria-label="[^"]+" checked', html)
    assert 'id="suggestion_ids-error"' in nothing_chosen.get_data(as_text=True)
    assert no_reason.status_code == 422
    assert 'name="reason" value="   " maxlength="2000" aria-invalid="true"' in no_reason.get_data(
        as_text=True
    )


def test_an_unknown_cost_centre_or_suggestion_is_refused_writing_nothing(client, make, reorder):
    run = reorder.run()
    one = reorder.suggestion(run, reorder.items[0])
    _, csrf = signed_in(client, make, "purchasing")
    with writes_nothing(REVIEW_TABLES):
        centre = _post(client, csrf, "accept", [one], key="a", cost_centre_id="2147483647")
        unknown = _post(client, csrf, "dismiss", [2147483647], key="b", reason="gone")
    assert centre.status_code in (404, 409, 422)
    assert unknown.status_code in (404, 409, 422)
    assert 'id="review-refusal"' in unknown.get_data(as_text=True)


def test_dismiss_with_a_reason(backend, client, make, reorder):
    run = reorder.run()
    one = reorder.suggestion(run, reorder.items[0])
    _, csrf = signed_in(client, make, "purchasing")
    done = _post(client, csrf, "dismiss", [one], reason="Phased out")
    assert done.status_code == 302
    assert suggestion_states([one])[one][:3] == ("dismissed", None, "Phased out")
    shown = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Dismissed 1 suggestion: Phased out" in shown
    with writes_nothing(REVIEW_TABLES):  # the same form sent twice: replayed
        assert _post(client, csrf, "dismiss", [one], reason="Phased out").status_code == 302
    with writes_nothing(REVIEW_TABLES):  # a new form for a decided line: the service refuses
        twice = _post(client, csrf, "dismiss", [one], key="k2", reason="Phased out")
    assert twice.status_code == 409 and "dismissed already" in twice.get_data(as_text=True)


def test_an_unknown_run_is_a_404_page(client, make, reorder):
    signed_in(client, make, "purchasing")
    assert client.get(PAGE, query_string={"run_id": 2147483647}).status_code == 404
    assert client.get(PAGE, query_string={"run_id": "x"}).status_code == 404


@pytest.mark.parametrize("odd", ["²", "①", "9223372036854775808", "1" * 40])
def test_odd_numbers_in_the_address_or_the_form_are_answered_not_a_500(client, make, reorder, odd):
    # "²".isdigit() is True but int("²") raises; 2**63 does not fit the database's integers.
    run = reorder.run()
    one = reorder.suggestion(run, reorder.items[0])
    _, csrf = signed_in(client, make, "purchasing")
    assert client.get(PAGE, query_string={"run_id": odd}).status_code == 404
    for name in ("page", "exc_page"):
        assert client.get(PAGE, query_string={name: odd}).status_code == 200
    with writes_nothing(REVIEW_TABLES):
        ids = _post(client, csrf, "dismiss", [odd], key="a", reason="gone")
        centre = _post(client, csrf, "accept", [one], key="b", cost_centre_id=odd)
        run_id = _post(client, csrf, "dismiss", [one], key="c", reason=" ", run_id=odd)
    assert ids.status_code == 422 and centre.status_code == 422
    assert run_id.status_code in (404, 422)


def test_a_form_error_is_named_at_the_top_in_plain_words(client, make, reorder):
    run = reorder.run()
    one = reorder.suggestion(run, reorder.items[0])
    _, csrf = signed_in(client, make, "purchasing")
    tampered = _post(client, csrf, "dismiss", ["abc"], reason="gone")
    no_centre = _post(client, csrf, "accept", [one], key="k2", cost_centre_id="")
    for response, words in (
        (tampered, "Lines: Tick the lines to act on"),
        (no_centre, "Cost centre: Choose the cost centre the requests are charged to."),
    ):
        html = response.get_data(as_text=True)
        assert response.status_code == 422 and 'id="review-refusal"' in html
        assert words in html


def test_paging_after_a_refusal_stays_on_the_review_page(client, make, reorder):
    run = reorder.run()
    one = reorder.suggestion(run, reorder.items[0])
    for i in range(55):
        reorder.suggestion(run, reorder.make.item(f"Q{i:03d}"))
    _, csrf = signed_in(client, make, "purchasing")
    refused = _post(client, csrf, "accept", [one], cost_centre_id="", urgency="normal")
    links = re.findall(r'href="([^"]*page=2[^"]*)"', refused.get_data(as_text=True))
    assert links and all(link.startswith(f"{PAGE}?") for link in links)
    assert all("urgency=normal" in link for link in links)


def test_the_same_form_key_with_other_choices_is_refused_not_a_false_success(client, make, reorder):
    run = reorder.run()
    one = reorder.suggestion(run, reorder.items[0])
    other = reorder.suggestion(run, reorder.items[1])
    _, csrf = signed_in(client, make, "purchasing")
    assert _post(client, csrf, "dismiss", [one], key="same", reason="gone").status_code == 302
    with writes_nothing(REVIEW_TABLES):
        stale = _post(client, csrf, "dismiss", [other], key="same", reason="other reason")
    assert stale.status_code == 409
    assert "already sent, with other choices" in stale.get_data(as_text=True)
    assert suggestion_states([other])[other][0] == "open"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("get", "/items/abc", 404), ("get", "/reorder/", 404), ("get", "/reorder/accept", 405)],
)
def test_an_address_that_is_no_page_is_answered_as_a_page(client, make, method, path, status):
    signed_in(client, make, "purchasing")
    response = getattr(client, method)(path)
    assert response.status_code == status and response.mimetype == "text/html"
    assert "There is no page" in response.get_data(as_text=True) or status == 405


def test_a_superseded_or_failed_run_offers_no_choices_and_says_which(client, make, reorder):
    old = reorder.run()
    reorder.suggestion(old, reorder.items[0])
    failed = reorder.run("failed")
    reorder.suggestion(failed, reorder.items[1])
    newer = reorder.run()
    signed_in(client, make, "purchasing")
    for run, words in ((old, f"superseded by run {newer}"), (failed, "did not succeed (failed)")):
        html = client.get(PAGE, query_string={"run_id": run, "status": ""}).get_data(as_text=True)
        assert words in html
        assert 'type="checkbox" name="suggestion_ids"' not in html
        assert "Accept into draft requests" not in html


def test_a_page_past_the_last_says_so_and_links_to_the_first(client, make, reorder):
    run = reorder.run()
    reorder.suggestion(run, reorder.items[0])
    signed_in(client, make, "purchasing")
    html = client.get(PAGE, query_string={"page": 1_000_000_000}).get_data(as_text=True)
    assert "Page 1000000000 is past the last page (1)." in html
    assert "No suggestion matches" not in html
    items = client.get("/items", query_string={"page": 1_000_000_000}).get_data(as_text=True)
    assert "past the last page" in items and "No items yet" not in items
