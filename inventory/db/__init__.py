"""The only package that talks SQLAlchemy: models, column types and read queries."""

from inventory.db.base import db

__all__ = ["db"]
