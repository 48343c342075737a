"""Period close: snapshot the books at a month's end and refuse postings dated inside it;
reopen (admin): drop the period and every later one with their snapshots."""

from __future__ import annotations

from inventory import clock
from inventory.db import period_queries, period_writes
from inventory.domain import periods as p
from inventory.domain.actors import Actor
from inventory.services import audit
from inventory.services.tx import retrying, transaction


@retrying
def close(actor: Actor, name: str) -> dict:
    """Close the period ``name`` (``YYYY-MM``): in order, once, after it has ended."""
    period = p.parse(name)
    zone = clock.service_zone()
    with transaction() as session:
        period_writes.hold_postings(session)
        last = period_queries.closed_through(session)
        now = clock.now()
        p.check_closable(period, last, now, zone)
        row = {
            "period": period.name,
            "starts_at": period.starts_at(zone),
            "ends_at": period.ends_at(zone),
            "closed_by": actor.id,
            "closed_at": now,
        }
        previous = period_queries.last_snapshot_before(session, row["starts_at"])
        period_writes.close_period(session, row, previous)
        audit.record(actor, "period.close", "accounting_period", period.name, after=_shown(row))
        return row


@retrying
def reopen(actor: Actor, name: str) -> list[str]:
    """Reopen ``name`` and every later closed period; return the periods reopened."""
    period = p.parse(name)
    with transaction() as session:
        period_writes.hold_postings(session)
        p.check_reopenable(period, period_queries.closed_through(session))
        reopened = period_writes.reopen_from(session, period.name)
        audit.record(
            actor,
            "period.reopen",
            "accounting_period",
            period.name,
            before={"closed": reopened},
            after={"reopened": reopened},
        )
        return reopened


def _shown(row: dict) -> dict:
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in row.items()}
