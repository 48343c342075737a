"""``flask reports export NAME --format csv|xlsx --output FILE``: a report from
delivery/report_catalogue.py as a file, with its totals and the filters used, and a progress bar.

The filters load through the same query schema the API reads, so they validate and default the
same way; a filter the report does not take is a usage error (exit 2) naming the ones it does.
The command runs as the operator of the server: it sees money. Rows stream from the database
into the file (CSV a chunk at a time, XLSX through openpyxl's write-only mode).
"""

from __future__ import annotations

import sys

import click
import marshmallow as ma
from flask.cli import AppGroup

from delivery import exports
from delivery.config import service_zone
from delivery.report_catalogue import FILTER_KEYS, REPORTS, USED_KEYS, Report, filters_used
from inventory.services import finance_reports

reports_cli = AppGroup("reports", help="Reports as files.")

# CLI option → query key; ``from``/``to`` become ``since``/``until`` for the reports that
# name their range that way.
FILTER_OPTIONS = ("group_by", *FILTER_KEYS, *(k for k in USED_KEYS if k != "group_by"))


def _query_keys(report: Report) -> set[str]:
    return {field.data_key or name for name, field in report.query().fields.items()}


def _range_keys(keys: set[str]) -> tuple[str, str] | None:
    for pair in (("from", "to"), ("since", "until")):
        if set(pair) <= keys:
            return pair
    return None


def _query(report: Report, given: dict) -> dict:
    """The report's arguments: the options given, loaded through its query schema."""
    keys = _query_keys(report)
    raw = {k: v for k, v in given.items() if k in FILTER_OPTIONS and v not in (None, ())}
    dates = _range_keys(keys)
    for option, value in (("from", given["date_from"]), ("to", given["date_to"])):
        if value is None:
            continue
        if dates is None:
            raise click.UsageError(f"The report {report.name} takes no --{option}.")
        raw[dates[0] if option == "from" else dates[1]] = value
    unknown = sorted(k for k in raw if k not in keys)
    if unknown:
        takes = sorted(f"--{k.replace('_', '-')}" for k in keys & set(FILTER_OPTIONS))
        raise click.UsageError(
            f"The report {report.name} takes no "
            f"{', '.join('--' + k.replace('_', '-') for k in unknown)}; "
            f"its filters: {', '.join(takes) or 'none'}."
        )
    if "group_by" in raw:
        raw["group_by"] = list(raw["group_by"])
    try:
        return report.query().load(raw)
    except ma.ValidationError as exc:
        raise click.UsageError(f"Bad filter: {exc.messages}") from exc


@reports_cli.command("export")
@click.argument("name", metavar="NAME", type=click.Choice(sorted(REPORTS)))
@click.option(
    "--format", "fmt", required=True, type=click.Choice(["csv", "xlsx"]), help="The file type."
)
@click.option(
    "--output", required=True, type=click.Path(dir_okay=False, writable=True), help="The file."
)
@click.option("--from", "date_from", help="First day (YYYY-MM-DD), or since for exceptions.")
@click.option("--to", "date_to", help="Last day, included, or until for exceptions.")
@click.option("--group-by", multiple=True, help="spend, cogs: repeat for several dimensions.")
@click.option("--supplier-id", type=int)
@click.option("--cost-centre-id", type=int)
@click.option("--warehouse-id", type=int)
@click.option("--item-id", type=int)
@click.option("--category")
@click.option("--reason", help="cogs: the issue reason.")
@click.option("--period", help="budget: the budget's period.")
@click.option("--slow-days", type=int, help="slow-moving: idle this long is slow.")
@click.option("--dead-days", type=int, help="slow-moving: idle this long is dead.")
@click.option("--status", help="slow-moving: slow or dead.")
@click.option("--abc", help="abc-xyz: A, B or C.")
@click.option("--xyz", help="abc-xyz: X, Y or Z.")
@click.option("--sort", help="abc-xyz: the order.")
@click.option("--kind", help="exceptions: one kind.")
@click.option("--price-threshold-pct", type=float, help="exceptions: price variance threshold.")
@click.option("--unusual-share", type=float, help="exceptions: unusual warehouse share.")
def export(name, fmt, output, **given):
    """Write report NAME to OUTPUT as CSV or XLSX: header, every row, the totals and the filters
    used."""
    from api.cli import refusals_as_cli_errors

    report = REPORTS[name]
    args = _query(report, given)
    with refusals_as_cli_errors():
        win = None
        if report.windowed:
            win = finance_reports.window(args.get("date_from"), args.get("date_to"), service_zone())
        rows, totals = report.build(win, args)
        count = report.count(args) if report.count else None
        used = filters_used(args, win)
        written = {"rows": 0}
        with click.progressbar(
            rows, length=count, label=f"{name} rows", show_pos=True, file=sys.stderr
        ) as bar:
            counted = _counting(bar, written)
            if fmt == "csv":
                with open(output, "wb") as out:
                    for chunk in exports.report_csv_chunks(counted, report.columns, totals, used):
                        out.write(chunk)
            else:
                exports.report_xlsx_file(
                    counted, report.columns, totals, used, report.sheet, output
                )
    click.echo(f"{name}: {written['rows']} rows written to {output} ({fmt}).")


def _counting(rows, written: dict):
    for row in rows:
        written["rows"] += 1
        yield row
