"""The ledger (台账) as rows and as a sheet: what the console exports (``console.ledger``) and the
monthly reports keep (``cases.reports``). Rows are read from the database in batches and written
by openpyxl's write-only workbook, so 100,000 rows need no more memory than 1,000.

Residents appear as 群众 and their number in minyi (never a name, openid or phone number); the
summary's phone and ID card numbers are masked for everyone.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from sqlalchemy import Connection, select

from cases import ratings
from cases.numbering import BEIJING_OFFSET, case_number
from cases.privacy import mask_numbers
from models import Case, CaseRating, ContactPoint, Department, Representative
from texts import console as words
from texts import ratings as rating_words
from texts import routing as routing_words
from texts import workbench as labels

BATCH = 1000
WIDTHS = (14, 18, 12, 10, 22, 48, 30, 14, 10, 22, 18, 18, 10, 18, 10)
# A cell a spreadsheet would run as a formula starts with one of these (docs/escaping.md).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def rows(conn: Connection, where, order) -> Iterator[tuple]:
    """The ledger's rows, read in batches of BATCH (a server-side cursor on PostgreSQL). 满意度 is
    the case's final verdict (``cases.ratings.latest``; texts.ratings.ledger_label)."""
    query = (select(Case.id, Case.created_at, Case.resident_id, Representative.name.label("rep"),
                    ContactPoint.name.label("cp"), Case.summary, Case.category, Case.tier, Case.colour,
                    Department.name.label("dept"), Case.assigned_at, Case.due_at, Case.status, Case.closed_at,
                    CaseRating.status.label("rating_status"), CaseRating.satisfaction)
             .outerjoin(Representative, Representative.id == Case.representative_id)
             .outerjoin(ContactPoint, ContactPoint.id == Case.contact_point_id)
             .outerjoin(Department, Department.id == Case.department_id)
             .outerjoin(CaseRating, (CaseRating.case_id == Case.id) & ratings.latest())
             .where(where).order_by(*order))
    result = conn.execution_options(stream_results=True, yield_per=BATCH).execute(query)
    for row in result:
        yield (case_number(row.id, row.created_at), _beijing(row.created_at), f"群众{row.resident_id:05d}",
               row.rep or "", row.cp or "", mask_numbers(row.summary or ""), row.category or "",
               labels.TIER_LABELS[row.tier] if row.tier else "",
               routing_words.COLOUR_LABELS.get(row.colour, "") if row.colour else "", row.dept or "",
               _beijing(row.assigned_at), _beijing(row.due_at), labels.STATUS_LABELS[row.status],
               _beijing(row.closed_at), rating_words.ledger_label(row.rating_status, row.satisfaction))


def _beijing(at: datetime | None) -> datetime | None:
    """A cell's time in Beijing time (Excel has no time zones)."""
    return at + BEIJING_OFFSET if at else None


def write(path: str, title: str, records: Iterable[tuple]) -> int:
    """The workbook at ``path``; returns how many rows it holds."""
    book = Workbook(write_only=True)
    count = write_sheet(book, title, records)
    book.save(path)
    return count


def write_sheet(book: Workbook, title: str, records: Iterable[tuple]) -> int:
    """The ledger as a sheet of the write-only ``book`` (the monthly reports add a summary beside
    it); returns how many rows it holds."""
    sheet = book.create_sheet(title)
    for index, width in enumerate(WIDTHS):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    sheet.freeze_panes = "A2"
    return append_table(sheet, words.LEDGER_COLUMNS, records)


def cell_value(value):
    """A value as a cell holds it: text that a spreadsheet would run as a formula (a resident's
    「=HYPERLINK(…)」) gets a leading '."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def append_table(sheet, columns: Iterable[str], records: Iterable[tuple],
                 formats: Mapping[int, str] | None = None) -> int:
    """A bold header and a row per record on the write-only ``sheet``: times and dates formatted,
    long text wrapped, no text ever a formula; ``formats``: column index → number format. Returns
    how many rows it wrote."""
    bold = Font(bold=True)
    header = []
    for name in columns:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    wrap = Alignment(wrap_text=True, vertical="top")
    count = 0
    for record in records:
        cells = []
        for index, value in enumerate(record):
            cell = WriteOnlyCell(sheet, value=cell_value(value))
            if formats and index in formats:
                cell.number_format = formats[index]
            elif isinstance(value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
            elif isinstance(value, str) and len(value) > 30:
                cell.alignment = wrap
            cells.append(cell)
        sheet.append(cells)
        count += 1
    return count
