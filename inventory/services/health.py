"""Readiness: can we reach the database."""

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from inventory.db.base import db


def database_ok() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
        return True
    except SQLAlchemyError:
        db.session.rollback()
        return False
