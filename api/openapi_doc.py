"""What the OpenAPI document says about every operation without each view repeating it.

The statuses the machinery answers (body checks, routing, the database) and the links a client
follows from a created record to what it can do with it are derived here, once, from the shape of
each operation, so a new endpoint is documented truthfully by being written like its neighbours.
"""

from __future__ import annotations

import json
import re

from apispec import BasePlugin

# flask-smorest documents X-Pagination as an object; on the wire it is one header, a string
# holding JSON, and that is what a client (or a fuzzer checking headers) must be told.
PAGINATION_EXAMPLE = {
    "total": 120,
    "total_pages": 3,
    "first_page": 1,
    "last_page": 3,
    "page": 2,
    "previous_page": 1,
    "next_page": 3,
}
PAGINATION_HEADER = {
    "description": (
        "The page's place in the whole list, as a JSON object in a string: total (rows in all "
        "pages), total_pages, first_page, last_page, page (this one), and previous_page / "
        "next_page when they exist. Absent on a CSV or XLSX export, which holds every row."
    ),
    "schema": {"type": "string"},
    "example": json.dumps(PAGINATION_EXAMPLE),
}

_WRITES = {"post", "put", "patch", "delete"}
_BODY_METHODS = {"post", "put", "patch"}
_PATH_PARAMETER = re.compile(r"\{([^}]+)\}")


def open_bounds(self, field, ret: dict, **kwargs) -> dict:
    """An apispec attribute function: a ``Range`` with an open end (``min_inclusive=False``:
    zero itself refused) says so. Numbers get OpenAPI 3.0's ``exclusiveMinimum`` /
    ``exclusiveMaximum``; decimal strings, whose bounds apispec writes as ``x-minimum`` /
    ``x-maximum``, get ``x-exclusiveMinimum`` / ``x-exclusiveMaximum`` beside them."""
    numeric = ret.get("type") in ("number", "integer")
    prefix = "" if numeric else "x-"
    found: dict = {}
    for validator in field.validators:
        if not (hasattr(validator, "min_inclusive") and hasattr(validator, "max_inclusive")):
            continue
        if validator.min is not None and not validator.min_inclusive:
            found[f"{prefix}exclusiveMinimum"] = True
        if validator.max is not None and not validator.max_inclusive:
            found[f"{prefix}exclusiveMaximum"] = True
    return found


def _has(responses: dict, status: int) -> bool:
    return status in responses or str(status) in responses


def declare_statuses(path: str, method: str, operation: dict) -> None:
    """Add the statuses every operation of this shape can answer, besides its own."""
    responses = operation.setdefault("responses", {})

    def add(status: int, component: str) -> None:
        if not _has(responses, status):
            responses[status] = component

    # check_body refuses any body it will not read on every write, and the database being
    # out of reach is a 503 anywhere.
    if method in _BODY_METHODS:
        add(413, "REQUEST_ENTITY_TOO_LARGE")
        add(415, "UNSUPPORTED_MEDIA_TYPE")
    if "requestBody" in operation:
        add(400, "BAD_REQUEST")  # a body that is not JSON at all
    # A query parameter the operation does not document is refused on every operation.
    add(422, "UNPROCESSABLE_ENTITY")
    if _PATH_PARAMETER.search(path):
        add(404, "NOT_FOUND")
    creates = _has(responses, 201)
    if method in _WRITES and (creates or _PATH_PARAMETER.search(path)):
        # A write that creates or changes a named record meets the services' rules: a duplicate
        # or an illegal transition (409).
        add(409, "CONFLICT")
    add(503, "SERVICE_UNAVAILABLE")


def _pointer(path: str, method: str) -> str:
    return "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method


def _returns_one_record(response: dict) -> bool:
    schema = (response.get("content") or {}).get("application/json", {}).get("schema", {})
    return "$ref" in schema


class LinksAndStatusesPlugin(BasePlugin):
    """apispec plugin: generic statuses per operation, and OpenAPI links from each POST that
    creates a record (201 with its ``id``) to every operation on ``<that path>/{id}...``."""

    def __init__(self):
        self._operations: dict[str, dict] = {}  # path -> its operations, as the spec holds them

    def operation_helper(self, path=None, operations=None, **kwargs):
        for method, operation in operations.items():
            if method in {"get", "head", "post", "put", "patch", "delete"}:
                declare_statuses(path, method, operation)
        self._operations[path] = operations
        for other, other_operations in list(self._operations.items()):
            self._link(path, operations, other, other_operations)
            if other != path:
                self._link(other, other_operations, path, operations)

    @staticmethod
    def _link(source: str, source_ops: dict, target: str, target_ops: dict) -> None:
        creator = source_ops.get("post")
        if not creator or not target.startswith(source + "/{"):
            return
        created = creator["responses"].get(201) or creator["responses"].get("201")
        if not isinstance(created, dict) or not _returns_one_record(created):
            return
        new = _PATH_PARAMETER.findall(target[len(source) :])
        if len(new) != 1:
            return  # the target needs an id this response does not carry
        parameters = {name: f"$request.path.{name}" for name in _PATH_PARAMETER.findall(source)}
        parameters[new[0]] = "$response.body#/id"
        links = created.setdefault("links", {})
        for method in target_ops:
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            name = method.title() + "".join(
                part.title() for part in re.findall(r"[a-z]+", target[len(source) :])
            )
            links[name] = {"operationRef": _pointer(target, method), "parameters": parameters}
