"""Reports as files: the rows a JSON list gives, as CSV or XLSX, all of them in one download.

A client asks with ``?format=csv|xlsx`` or with an ``Accept`` header naming the media type; an
explicit ``format`` wins over the header, and anything else (no header, ``*/*``, a browser's
header) gets the JSON page as before. Views fetch at most ``row_limit()`` rows and hand them to
``download``, which refuses more than ``MAX_ROWS`` with a 422 rather than building a file the
caller (or the server's memory) cannot handle.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from flask import Response, after_this_request, request, stream_with_context
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from delivery.config import service_zone
from inventory import clock
from inventory.errors import ValidationFailed

JSON = "application/json"
CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEDIA_TYPES = {"csv": CSV, "xlsx": XLSX}
MAX_ROWS = 100_000

# Spreadsheets run a cell that starts with one of these as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_MOMENT_FORMAT = "yyyy-mm-dd hh:mm:ss"


@dataclass(frozen=True)
class Column:
    """One column of a report: the row key, its spreadsheet title and how its values print.

    ``kind``: ``text``, ``integer``, ``decimal`` (exact ``Decimal`` amounts), ``number``
    (floats such as scores) or ``moment`` (aware datetimes, written in UTC). ``places`` is the
    decimal places of ``decimal`` and ``number`` columns; ``width`` is in characters.
    """

    key: str
    title: str
    kind: str = "text"
    places: int = 0
    width: int = 12


def requested_format(explicit: str | None) -> str:
    """``json``, ``csv`` or ``xlsx``: the ``format`` query value, else the Accept header."""
    if explicit:
        return explicit
    # The answer at this URL now depends on Accept: say so, or a cache could hand a CSV to a
    # client that asked for JSON.
    after_this_request(_vary_on_accept)
    # On a tie (``*/*``, or several types at one quality) the first listed wins: JSON.
    best = request.accept_mimetypes.best_match([JSON, CSV, XLSX], default=JSON)
    return {CSV: "csv", XLSX: "xlsx"}.get(best, "json")


def _vary_on_accept(response: Response) -> Response:
    response.vary.add("Accept")
    return response


def row_limit() -> int:
    """How many rows to fetch for an export: one more than allowed, to notice too many
    without reading them all."""
    return MAX_ROWS + 1


def download(
    rows: Sequence[Mapping],
    columns: Sequence[Column],
    fmt: str,
    *,
    name: str,
    sheet: str,
    too_many: str,
) -> Response:
    """``rows`` as an attachment ``{name}.{fmt}``; 422 when there are more than ``MAX_ROWS``,
    with ``too_many`` telling the caller how to ask for less."""
    if len(rows) > MAX_ROWS:
        raise ValidationFailed(
            f"This export would have more than {MAX_ROWS:,} rows. {too_many}",
            extra={"max_rows": MAX_ROWS},
        )
    body = csv_bytes(rows, columns) if fmt == "csv" else xlsx_bytes(rows, columns, sheet)
    response = Response(body, mimetype=MEDIA_TYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


def report_day(when: date | datetime | None) -> str:
    """The day a report stands for, for its file name: ``when`` (a moment's day in the
    service's time zone, as a plain ``?as_of=`` day names it) or today (UTC)."""
    if isinstance(when, datetime):
        return when.astimezone(service_zone()).date().isoformat()
    return (when or clock.now().date()).isoformat()


def export_responses(blp, what: str):
    """Document the CSV and XLSX bodies beside the JSON one of a list's 200 (one status has
    one description, so it speaks for all three)."""
    description = (
        f"JSON: one page. CSV or XLSX (`format`, or the Accept header): {what}, every row "
        f"matching the filters in one attachment (not paged, at most {MAX_ROWS:,} rows)."
    )
    disposition = {
        "Content-Disposition": {
            "description": 'CSV and XLSX: attachment; filename="<report>-<day>.<format>"',
            "schema": {"type": "string"},
        }
    }

    def decorator(func):
        for media_type in (CSV, XLSX):
            func = blp.alt_response(
                200,
                schema={"type": "string", "format": "binary"},
                content_type=media_type,
                description=description,
                headers=disposition,
                success=True,
            )(func)
        return func

    return decorator


# --- CSV ----------------------------------------------------------------------------------------


def csv_bytes(rows: Iterable[Mapping], columns: Sequence[Column]) -> bytes:
    """UTF-8 CSV (RFC 4180, CRLF), the header named by the keys the JSON list uses; amounts
    keep their exact decimal text."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow([c.key for c in columns])
    writer.writerows([_csv_text(row.get(c.key), c) for c in columns] for row in rows)
    return out.getvalue().encode("utf-8")


def _csv_text(value, column: Column) -> str:
    if value is None:
        return ""
    if column.kind in ("decimal", "number"):
        # A Decimal formats exactly (no float on the way); a float rounds to its places.
        return f"{value:.{column.places}f}"
    if column.kind == "moment":
        return value.astimezone(UTC).isoformat()
    text = str(value)
    if column.kind == "text" and text.startswith(_FORMULA_STARTS):
        return "'" + text
    return text


# --- XLSX ---------------------------------------------------------------------------------------


def xlsx_bytes(rows: Iterable[Mapping], columns: Sequence[Column], sheet_title: str) -> bytes:
    """One worksheet: a bold, frozen header row of titles, numbers as numbers with their
    decimal places, moments as UTC date-times."""
    book, _, _ = _rows_sheet(rows, columns, sheet_title)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _rows_sheet(rows: Iterable[Mapping], columns: Sequence[Column], sheet_title: str):
    """A write-only workbook with the header and rows written; (book, sheet, formats)."""
    # Write-only mode streams rows out instead of keeping 100,000 rows of cell objects.
    book = Workbook(write_only=True)
    sheet = book.create_sheet(sheet_title)
    sheet.freeze_panes = "A2"
    for number, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(number)].width = column.width
    sheet.append([_styled(sheet, c.title, font=Font(bold=True)) for c in columns])
    formats = [_number_format(c) for c in columns]
    for row in rows:
        sheet.append(
            [_xlsx_cell(sheet, row.get(c.key), c, f) for c, f in zip(columns, formats, strict=True)]
        )
    return book, sheet, formats


def _number_format(column: Column) -> str | None:
    if column.kind in ("decimal", "number"):
        return "#,##0." + "0" * column.places if column.places else "#,##0"
    if column.kind == "moment":
        return _MOMENT_FORMAT
    return None


def _styled(sheet, value, *, font=None, number_format=None, as_text=False) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value)
    if as_text:
        cell.data_type = "s"
    if font is not None:
        cell.font = font
    if number_format is not None:
        cell.number_format = number_format
    return cell


def _xlsx_cell(sheet, value, column: Column, number_format: str | None):
    if value is None:
        return None
    if column.kind == "moment":
        # Excel has no time zones; the column title says the times are UTC.
        naive = value.astimezone(UTC).replace(tzinfo=None)
        return _styled(sheet, naive, number_format=number_format)
    if number_format is not None:
        # openpyxl writes a Decimal's own digits into the file: exact, no float on the way.
        return _styled(sheet, value, number_format=number_format)
    if column.kind == "integer":
        return int(value)
    # Control characters are not allowed in the file format; say something was there.
    text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", str(value))
    if text.startswith("="):
        # Stored as a string cell, never a formula.
        return _styled(sheet, text, as_text=True)
    return text


# --- reports with totals and the filters used, streamed ----------------------------------------

TOTAL_LABEL = "Total"


def report_csv_chunks(
    rows: Iterable[Mapping], columns: Sequence[Column], totals: Mapping, filters: Mapping
) -> Iterator[bytes]:
    """The report's CSV a chunk at a time: header, rows, then a blank line, the totals row
    (``Total`` in the first column) and one ``filter,<name>,<value>`` line per filter used."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)

    def flush() -> bytes:
        chunk = out.getvalue().encode("utf-8")
        out.seek(0)
        out.truncate()
        return chunk

    writer.writerow([c.key for c in columns])
    for number, row in enumerate(rows, start=1):
        writer.writerow([_csv_text(row.get(c.key), c) for c in columns])
        if number % 1000 == 0:
            yield flush()
    writer.writerow([])
    writer.writerow(_total_cells(columns, totals, lambda v, c: _csv_text(v, c)))
    for name, value in filters.items():
        writer.writerow(["filter", name, _filter_text(value)])
    yield flush()


def _total_cells(columns: Sequence[Column], totals: Mapping, render) -> list:
    cells = [render(totals.get(c.key), c) if c.key in totals else None for c in columns]
    cells[0] = TOTAL_LABEL
    return ["" if x is None else x for x in cells]


def _filter_text(value) -> str:
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return "" if value is None else str(value)


def report_xlsx_file(
    rows: Iterable[Mapping],
    columns: Sequence[Column],
    totals: Mapping,
    filters: Mapping,
    sheet_title: str,
    target,
) -> None:
    """Write the report to ``target`` (a path or a binary file): the rows sheet with a bold
    totals row, and a ``Filters`` sheet naming every filter used. Write-only mode keeps rows
    on disk, not as cell objects in memory."""
    book, sheet, formats = _rows_sheet(rows, columns, sheet_title)
    bold = Font(bold=True)
    total_row = []
    for i, (c, f) in enumerate(zip(columns, formats, strict=True)):
        if i == 0:
            total_row.append(_styled(sheet, TOTAL_LABEL, font=bold))
        elif c.key in totals and totals[c.key] is not None:
            total_row.append(_styled(sheet, totals[c.key], font=bold, number_format=f))
        else:
            total_row.append(None)
    sheet.append(total_row)
    used = book.create_sheet("Filters")
    used.append([_styled(used, "Filter", font=bold), _styled(used, "Value", font=bold)])
    for name, value in filters.items():
        used.append([name, _filter_text(value)])
    book.save(target)


def report_download(
    rows: Iterable[Mapping],
    columns: Sequence[Column],
    fmt: str,
    *,
    name: str,
    sheet: str,
    totals: Mapping,
    filters: Mapping,
) -> Response:
    """A report as an attachment ``{name}.{fmt}``: CSV streamed as it is written, XLSX built
    through openpyxl's write-only mode; both end with the totals and the filters used."""
    if fmt == "csv":
        body = stream_with_context(report_csv_chunks(rows, columns, totals, filters))
    else:
        out = io.BytesIO()
        report_xlsx_file(rows, columns, totals, filters, sheet, out)
        body = out.getvalue()
    response = Response(body, mimetype=MEDIA_TYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response
