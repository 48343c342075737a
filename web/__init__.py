"""Server-rendered pages (Jinja + htmx) for people who do not write curl.

They call the same services and queries as the API and share its role declarations, schemas,
charts and exports through ``delivery``; they never import ``api``. Importing the page modules
registers their routes on ``pages``.
"""

from web import (  # noqa: F401 - importing a page module registers its routes
    admin_setup,
    admin_users,
    counting,
    desk,
    errors,
    finance,
    finance_periods,
    forms,
    home,
    items,
    purchasing,
    reorder,
    session,
    suppliers,
)
from web.blueprint import pages

__all__ = ["pages"]
