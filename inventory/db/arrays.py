"""Lists as statement parameters, so that a statement's text does not depend on their length.

With an expanding ``IN (...)`` every length is a different statement: psycopg converts each text
anew (and does not cache the conversion past 50 parameters), and PostgreSQL cannot reuse a
prepared plan. On PostgreSQL a list goes as one array parameter instead, and a list of pairs as
two arrays unnested side by side; the text is then the same for 1 or 500 lines. SQLite has no
arrays: there the ``IN`` list expands.
"""

from __future__ import annotations

from sqlalchemy import Integer, any_, bindparam, func, select, tuple_
from sqlalchemy.dialects.postgresql import ARRAY

_INTS = ARRAY(Integer)


def one_of(column, name: str, postgresql: bool):
    """``column`` is one of the list passed as ``name``."""
    if postgresql:
        return column == any_(bindparam(name, type_=_INTS))
    return column.in_(bindparam(name, expanding=True))


def pair_in(first, second, name: str, postgresql: bool):
    """``(first, second)`` is one of the pairs passed by ``pairs(name, ...)``."""
    if postgresql:
        firsts = func.unnest(bindparam(f"{name}_1", type_=_INTS))
        seconds = func.unnest(bindparam(f"{name}_2", type_=_INTS))
        return tuple_(first, second).in_(select(firsts, seconds))
    return tuple_(first, second).in_(bindparam(name, expanding=True))


def pairs(name: str, values, postgresql: bool) -> dict:
    """The parameters for ``pair_in(..., name, postgresql)``."""
    values = list(values)
    if postgresql:
        return {f"{name}_1": [a for a, _ in values], f"{name}_2": [b for _, b in values]}
    return {name: values}
