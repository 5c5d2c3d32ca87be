"""The monthly cycle's jobs: the monthly report workbooks (月报) and the reception day reminder.

``produce_monthly_reports`` makes the last full Beijing month's report for the district and each
sub-district that has none yet, whenever it runs (the first run after the 1st makes them; later
runs find them kept and do nothing; it never goes further back than that month). Each report is
written to a temporary file in ``reports.dir`` and renamed into place, then kept (a
``monthly_reports`` row, unique per scope and month) and announced in one transaction. A run killed
after the file but before the row writes the same file again; one killed after some scopes makes
the rest; a second scheduler racing it loses on the unique key and leaves the report to the first.
So each report is kept and announced exactly once.

``remind_reception_days`` tells each active representative with a bound WeChat of a contact
point, the day before its reception day (Beijing date), between 09:00 and 20:00: once per point,
representative and day however often it runs (the outbox key says which).
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Connection, insert, or_, select
from sqlalchemy.exc import IntegrityError

from bot.services import Services
from cases import actions
from cases import reports as rules
from cases.numbering import BEIJING_OFFSET
from models import ContactPoint, MonthlyReport, OutboxMessage, Representative, StaffUser
from models import representative_contact_points as served
from models.report import ReportScope
from models.staff import StaffRole

log = logging.getLogger(__name__)

REMIND_HOURS = (9, 20)             # Beijing time: nobody is woken at night by tomorrow's duty
STALE_PART_SECONDS = 3600          # a half-written file older than this was left by a killed run


def report_path(month, scope: rules.Scope) -> str:
    """Where a report lives under ``reports.dir``: 2026-11/district.xlsx, 2026-11/sub-district-3.xlsx."""
    return f"{month:%Y-%m}/{scope.slug}.xlsx"


def _staff_openids(conn: Connection, scope: rules.Scope) -> list[str]:
    """The bound WeChat of each active staff member a report concerns: the district office for the
    district's, the sub-district's clerks for theirs."""
    query = select(StaffUser.openid).where(StaffUser.active.is_(True), StaffUser.openid.is_not(None))
    if scope.kind is ReportScope.DISTRICT:
        query = query.where(StaffUser.role == StaffRole.DISTRICT)
    else:
        query = query.where(StaffUser.role == StaffRole.SUBDISTRICT, StaffUser.sub_district_id == scope.sub_district_id)
    return list(conn.scalars(query.order_by(StaffUser.id)))


def _write(svc: Services, target: Path, scope: rules.Scope, month, now: datetime) -> dict:
    """The workbook written beside ``target`` and renamed onto it (never half a file under its
    name); returns its figures."""
    target.parent.mkdir(parents=True, exist_ok=True)
    for part in target.parent.glob(".*.part"):
        try:
            if time.time() - part.stat().st_mtime > STALE_PART_SECONDS:
                part.unlink()
        except FileNotFoundError:
            pass
    handle, temporary = tempfile.mkstemp(prefix=f".{scope.slug}-", suffix=".part", dir=target.parent)
    os.close(handle)
    try:
        with svc.engine.execution_options(sqlite_begin="DEFERRED").connect() as conn:
            figures = rules.build(conn, temporary, scope, month, now)
        with open(temporary, "rb") as written:
            os.fsync(written.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    folder = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
    return figures


def produce_monthly_reports(svc: Services, now: datetime) -> int:
    """Make the reports of the last full month that are not kept yet; returns how many were made."""
    month = rules.previous_month(now)
    folder = Path(svc.settings.reports_dir)
    with svc.engine.connect() as conn:
        every = rules.scopes(conn)
        kept = set(conn.scalars(select(MonthlyReport.scope_key).where(MonthlyReport.month == month)))
    made = 0
    for scope in every:
        if scope.key in kept:
            continue
        relative = report_path(month, scope)
        try:
            figures = _write(svc, folder / relative, scope, month, now)
        except Exception:  # noqa: BLE001 - one scope's failure must not keep the others' reports back; logged
            log.exception("monthly report %s %s could not be written", scope.key, f"{month:%Y-%m}")
            continue
        try:
            with svc.engine.begin() as conn:
                report_id = conn.execute(insert(MonthlyReport).values(
                    scope=scope.kind, sub_district_id=scope.sub_district_id, scope_key=scope.key, month=month,
                    path=relative, size=(folder / relative).stat().st_size, created_at=now,
                ).returning(MonthlyReport.id)).scalar_one()
                notices = rules.announcement(scope, month, figures, _staff_openids(conn, scope), now)
                actions.queue(conn, f"report:{report_id}", notices, None, now)
        except IntegrityError:
            log.info("monthly report %s %s: kept by another run first", scope.key, f"{month:%Y-%m}")
            continue
        log.info("monthly report %s %s made (%d cases in its ledger)", scope.key, f"{month:%Y-%m}",
                 figures["ledger_rows"])
        made += 1
    return made


def remind_reception_days(svc: Services, now: datetime) -> int:
    """Remind representatives of tomorrow's reception day at their contact points; returns how
    many reminders were queued."""
    local = now + BEIJING_OFFSET
    if not REMIND_HOURS[0] <= local.hour < REMIND_HOURS[1]:
        return 0
    tomorrow = local.date() + timedelta(days=1)
    with svc.engine.connect() as conn:
        points = conn.execute(select(ContactPoint.id, ContactPoint.name, ContactPoint.address,
                                     ContactPoint.reception_hours)
                              .where(ContactPoint.reception_day == tomorrow.day).order_by(ContactPoint.id)).all()
    queued = 0
    for point in points:
        try:
            with svc.engine.begin() as conn:
                queued += _remind_at(conn, point, tomorrow, now)
        except IntegrityError:
            log.info("reception reminders for contact point %s: queued by another run first", point.id)
    return queued


def _remind_at(conn: Connection, point, day, now: datetime) -> int:
    at_point = select(served.c.representative_id).where(served.c.contact_point_id == point.id)
    representatives = conn.execute(
        select(Representative.id, Representative.openid)
        .where(Representative.active.is_(True), Representative.openid.is_not(None),
               or_(Representative.primary_contact_point_id == point.id, Representative.id.in_(at_point)))
        .order_by(Representative.id)).all()
    queued = 0
    for representative in representatives:
        cause = f"reception:{point.id}:{representative.id}:{day.isoformat()}"
        notice = rules.reception_reminder(representative.openid, point.name, point.address, point.reception_hours,
                                          day, now)
        # the key actions.queue gives it: looked up first, so a run every minute adds nothing
        key = f"{cause}:{notice.purpose}:{notice.openid}"
        if conn.scalar(select(OutboxMessage.id).where(OutboxMessage.idempotency_key == key)) is None:
            queued += actions.queue(conn, cause, [notice], None, now)
    return queued
