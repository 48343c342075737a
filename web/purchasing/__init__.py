"""Purchasing pages (issue 12, point 3): requests, the approval inbox, orders from approved
request lines, and receiving against an order. Importing the package registers the routes."""

from web.purchasing import approvals, orders, receiving, requests  # noqa: F401
