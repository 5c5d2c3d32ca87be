"""The monthly report workbook (月报) of one scope — the district or one sub-district — and one
Beijing calendar month: sheet 「汇总」 with the month's figures and native Excel charts drawn from
its cells, and sheet 「台账」, the month's ledger (the same rows and writer as the console's download).

What is counted (also said on the sheet): received = the cases filed in the month (00:00 Beijing
on the 1st to 00:00 on the next 1st), less merged, invalid and withdrawn ones, as the dashboard
counts them (``cases.figures.counted_live``); taken up, answered or closed, overdue and the
rates = what became of those same cases by the time the report is made. A case filed in the month
and answered later still belongs to its month. Ratings: each case's final verdict (its latest
rating request: rated, or expired: 未评价, counted apart and never as satisfied).

Also here: which scopes there are, and who may read a kept report (``sees``, ``clause``).

The ledger sheet is ``cases.ledger``'s, as the console exports it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, PieChart, Reference
from openpyxl.chart.data_source import AxDataSource, NumData, NumVal, StrData, StrRef, StrVal
from openpyxl.styles import Font
from sqlalchemy import ColumnElement, Connection, and_, false, func, select, true
from sqlalchemy import case as when

import texts
from cases import figures, ledger
from cases.notices import STAFF_TEMPLATE, Notice
from cases.scope import Actor
from cases.status import ActorKind
from cases.tallies import ANSWERED, NOT_COUNTED, add_months, month_of, month_start
from models import Case, Department, District, MonthlyReport, SubDistrict
from models.report import ReportScope, scope_key
from models.staff import StaffRole
from texts import reports as words

PERCENT = "0.0%"
CHART_ANCHOR_COLUMN = "E"
ROW_CM = 0.53            # a default row (15 points) on paper
CHART_MIN_CM = 7.5
BAR_CM = 0.7             # per bar, so that twenty representatives' names stay legible
SUMMARY_WIDTHS = {"A": 28, "B": 14, "C": 14}


# -- months and scopes ------------------------------------------------------------------------------

def previous_month(now: datetime) -> date:
    """The last full Beijing month before ``now`` (its first day)."""
    return add_months(month_of(now), -1)


def in_month(month: date) -> ColumnElement[bool]:
    """Cases filed in the Beijing month ``month``."""
    return and_(Case.created_at >= month_start(month), Case.created_at < month_start(add_months(month, 1)))


@dataclass(frozen=True)
class Scope:
    kind: ReportScope
    sub_district_id: int | None
    name: str      # 示例区, 东街街道

    @property
    def key(self) -> str:
        return scope_key(self.kind, self.sub_district_id)

    @property
    def where(self) -> ColumnElement[bool]:
        return true() if self.kind is ReportScope.DISTRICT else Case.sub_district_id == self.sub_district_id

    @property
    def slug(self) -> str:
        """Its file's name on disk (ASCII, stable when the sub-district is renamed)."""
        return "district" if self.kind is ReportScope.DISTRICT else f"sub-district-{self.sub_district_id}"


def scopes(conn: Connection) -> list[Scope]:
    """The district, then each sub-district in code order."""
    district = conn.scalar(select(District.name).order_by(District.id).limit(1)) or words.WHOLE_DISTRICT
    subs = conn.execute(select(SubDistrict.id, SubDistrict.name).order_by(SubDistrict.code)).all()
    return [Scope(ReportScope.DISTRICT, None, district)] + [Scope(ReportScope.SUB_DISTRICT, sd, name)
                                                           for sd, name in subs]


def title(scope_name: str, month: date) -> str:
    return words.TITLE.format(scope=scope_name, year=month.year, month=month.month)


def file_name(scope_name: str, month: date) -> str:
    return words.FILE_NAME.format(scope=scope_name, year=month.year, month=month.month)


# -- who reads a kept report ------------------------------------------------------------------------

def sees(actor: Actor, scope: ReportScope, sub_district_id: int | None) -> bool:
    """The district office and observers read every report; a sub-district's clerk their own
    sub-district's (not the district's); department liaisons none."""
    if actor.kind is not ActorKind.STAFF:
        return False
    if actor.role in (StaffRole.DISTRICT, StaffRole.OBSERVER):
        return True
    return (actor.role is StaffRole.SUBDISTRICT and actor.sub_district_id is not None
            and scope is ReportScope.SUB_DISTRICT and sub_district_id == actor.sub_district_id)


def clause(actor: Actor) -> ColumnElement[bool]:
    """``sees`` as a condition on ``monthly_reports``."""
    if actor.kind is not ActorKind.STAFF:
        return false()
    if actor.role in (StaffRole.DISTRICT, StaffRole.OBSERVER):
        return true()
    if actor.role is StaffRole.SUBDISTRICT and actor.sub_district_id is not None:
        return and_(MonthlyReport.scope == ReportScope.SUB_DISTRICT,
                    MonthlyReport.sub_district_id == actor.sub_district_id)
    return false()


def has_reports(actor: Actor) -> bool:
    """Has this actor a reports page at all (department liaisons have not)?"""
    return actor.kind is ActorKind.STAFF and actor.role in (StaffRole.DISTRICT, StaffRole.OBSERVER,
                                                            StaffRole.SUBDISTRICT)


# -- the figures ------------------------------------------------------------------------------------

def departments(conn: Connection, where) -> list[tuple[str, int, int]]:
    """(department, cases passed to it, of which answered or closed), most first."""
    answered = func.sum(when((Case.status.in_(ANSWERED), 1), else_=0))
    rows = conn.execute(
        select(func.coalesce(func.nullif(Department.short_name, ""), Department.name), func.count(), answered)
        .select_from(Case).join(Department, Department.id == Case.department_id)
        .where(where, Case.status.not_in(NOT_COUNTED))
        .group_by(Department.id, Department.short_name, Department.name)
        .order_by(func.count().desc(), Department.name)).all()
    return [(name, count, int(done or 0)) for name, count, done in rows]


def month_figures(conn: Connection, scope: Scope, month: date, now: datetime) -> dict:
    """The summary sheet's figures of ``scope`` for ``month``, as of ``now``."""
    where = and_(scope.where, in_month(month))
    counts = figures.counted_live(conn, where, month, now)
    counts.overdue = figures.overdue(conn, where, month, now)
    shown = figures.shown(conn, counts)
    found = {name: shown[name] for name in ("received", "taken", "answered", "overdue", "answer_rate", "rated",
                                            "unrated", "satisfaction_rate", "solved_rate")}
    found["by_tier"] = [(bar.label, bar.count) for bar in shown["by_tier"]]
    found["by_category"] = [(bar.label, bar.count) for bar in shown["by_category"]]
    if scope.kind is ReportScope.DISTRICT:
        found["by_sub_district"] = [(bar.label, bar.count) for bar in shown["by_sub_district"]]
    found["by_representative"] = [(bar.label, bar.count) for bar in shown["by_representative"]]
    found["by_department"] = departments(conn, where)
    return found


# -- the workbook -----------------------------------------------------------------------------------

class _Sheet:
    """Rows appended to a write-only sheet, numbered, so that charts can point at their cells."""

    def __init__(self, sheet):
        self.sheet = sheet
        self.row = 0

    def add(self, *values, bold: bool = False, size: int | None = None, formats: Iterable[str | None] = ()) -> int:
        formats = list(formats)
        cells = []
        for index, value in enumerate(values):
            cell = WriteOnlyCell(self.sheet, value=ledger.cell_value(value))
            if bold or size:
                cell.font = Font(bold=bold, size=size)
            if index < len(formats) and formats[index] and value is not None:
                cell.number_format = formats[index]
            cells.append(cell)
        self.sheet.append(cells)
        self.row += 1
        return self.row

    def skip(self, rows: int = 1) -> None:
        for _ in range(rows):
            self.sheet.append([])
            self.row += 1


def _cached(chart, header: str, labels: list[str], values: list[int]) -> None:
    """Put the values beside the cell references of the chart's one series, so that a viewer that
    does not recalculate (a phone's preview, some WPS builds) still draws it."""
    series = chart.series[0]
    series.val.numRef.numCache = NumData(formatCode="General", ptCount=len(values),
                                         pt=[NumVal(idx=i, v=v) for i, v in enumerate(values)])
    series.cat = AxDataSource(strRef=StrRef(f=series.cat.numRef.f, strCache=StrData(
        ptCount=len(labels), pt=[StrVal(idx=i, v=str(label)) for i, label in enumerate(labels)])))
    series.tx.strRef.strCache = StrData(ptCount=1, pt=[StrVal(idx=0, v=header)])


def _chart(book_sheet, heading: str, header_row: int, rows: list[tuple], pie: bool):
    """A chart of column B under ``header_row`` (labels in column A)."""
    n = len(rows)
    chart = PieChart() if pie else BarChart()
    if not pie:
        chart.type = "bar"                  # horizontal: Chinese labels read along the axis
        chart.legend = None
        chart.x_axis.delete = False         # openpyxl 3.1 leaves axes hidden unless told
        chart.y_axis.delete = False
        chart.x_axis.scaling.orientation = "maxMin"   # the largest first, as the table lists them
    chart.title = heading
    chart.height = max(CHART_MIN_CM, BAR_CM * n + 2)
    chart.width = 16
    chart.add_data(Reference(book_sheet, min_col=2, min_row=header_row, max_row=header_row + n), titles_from_data=True)
    chart.set_categories(Reference(book_sheet, min_col=1, min_row=header_row + 1, max_row=header_row + n))
    _cached(chart, words.COUNT, [row[0] for row in rows], [row[1] for row in rows])
    book_sheet.add_chart(chart, f"{CHART_ANCHOR_COLUMN}{header_row}")
    return chart


def _summary(sheet: _Sheet, scope: Scope, month: date, now: datetime, figures: dict) -> None:
    last = add_months(month, 1) - timedelta(days=1)
    sheet.add(title(scope.name, month), bold=True, size=14)
    sheet.add(words.PERIOD.format(first=f"{month.year}年{month.month}月1日", last=f"{last.month}月{last.day}日"))
    sheet.add(words.MADE_AT.format(at=texts.beijing_time(now)))
    sheet.add(words.BASIS)
    sheet.skip()
    sheet.add(words.FIGURE, words.VALUE, bold=True)
    for name, label in words.HEADLINES.items():
        value = figures[name]
        if name.endswith("_rate"):
            sheet.add(label, value if value is not None else words.NO_FIGURE, formats=(None, PERCENT))
        else:
            sheet.add(label, value)
    for name, heading in words.SECTIONS.items():
        if name not in figures:
            continue
        rows = figures[name]
        sheet.skip()
        if name == "by_department":
            header = sheet.add(heading, *words.DEPARTMENT_COLUMNS, bold=True)
        else:
            header = sheet.add(heading, words.COUNT, bold=True)
        for row in rows:
            sheet.add(*row)
        if not rows:
            sheet.add(words.NOTHING)
            continue
        chart = _chart(sheet.sheet, heading, header, rows, pie=name == "by_tier")
        # leave the chart its rows before the next section begins
        sheet.skip(max(0, math.ceil(chart.height / ROW_CM) - len(rows)))


def build(conn: Connection, path: str, scope: Scope, month: date, now: datetime) -> dict:
    """Write ``scope``'s report of ``month`` to ``path``; returns its figures (and ``ledger_rows``)."""
    figures = month_figures(conn, scope, month, now)
    book = Workbook(write_only=True)
    summary = book.create_sheet(words.SUMMARY_SHEET)
    for column, width in SUMMARY_WIDTHS.items():
        summary.column_dimensions[column].width = width
    summary_rows = _Sheet(summary)
    _summary(summary_rows, scope, month, now, figures)
    figures["ledger_rows"] = ledger.write_sheet(
        book, words.LEDGER_SHEET, ledger.rows(conn, and_(scope.where, in_month(month)), (Case.created_at, Case.id)))
    book.save(path)
    return figures


# -- who is told ------------------------------------------------------------------------------------

def announcement(scope: Scope, month: date, figures: dict, openids: Iterable[str], now: datetime) -> list[Notice]:
    """The notice of a new report to each staff member concerned (``openids``)."""
    text = words.ANNOUNCEMENT.format(title=title(scope.name, month), received=figures["received"],
                                     answered=figures["answered"], rate=words.percent(figures["answer_rate"]))
    data = {"number": f"{month:%Y-%m}", "time": texts.beijing_time(now),
            "text": texts.clip(words.ANNOUNCEMENT_LINE.format(scope=scope.name, month=month.month), 20)}
    return [Notice(openid, "report", text, STAFF_TEMPLATE, data) for openid in dict.fromkeys(openids) if openid]


def reception_reminder(openid: str, point: str, address: str, hours: str, day: date, now: datetime) -> Notice:
    """A representative's reminder, the day before, of their contact point's public reception day."""
    text = words.RECEPTION_REMINDER.format(
        month=day.month, day=day.day, point=point, hours=words.RECEPTION_HOURS.format(hours=hours) if hours else "",
        place=words.RECEPTION_PLACE.format(address=address) if address else "")
    data = {"number": day.isoformat(), "time": texts.beijing_time(now),
            "text": texts.clip(words.RECEPTION_LINE.format(month=day.month, day=day.day), 20)}
    return Notice(openid, "reception", text, STAFF_TEMPLATE, data)
