"""Representatives' duty records (履职登记) in the console: every representative in one's scope with
their record for a period, one representative's record, the offline work staff enter for them
(接待选民、走访、调研、视察), and an .xlsx export of all the records for a period.

Who sees whom is the directory's rule (``directory_scope``): the district office and observers
every representative, a sub-district clerk their own sub-district's; department liaisons have no
duty records (404). Entering or removing offline work is for those who edit the representative.

Points (积分制, ``duty.points``) show here and in the export only, for the congress office's own
use. No list is sorted by points and no rank is shown (国办函〔2026〕12号): the list is in
sub-district and code order, and says so.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Iterator
from datetime import date, datetime

from flask import abort, after_this_request, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from redis.exceptions import RedisError
from sqlalchemy import Connection, select
from wtforms import Field, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length, Optional, Regexp, ValidationError

from bot.services import services
from cases import duty
from cases.calendar import beijing_date, load_calendar
from cases.ledger import append_table
from cases.numbering import BEIJING_OFFSET
from console import bp
from console.directory_common import allow
from console.directory_scope import clause, edits, reads, sees_directory
from models import ContactPoint, Representative, SubDistrict
from models.duty import ACTIVITY_KINDS
from models.staff import StaffRole
from texts import LEVEL_LABELS
from texts import console as console_words
from texts import duty as words
from texts import public as public_words

log = logging.getLogger(__name__)

DAY = r"^\d{4}-\d{2}-\d{2}$"
CACHE_SECONDS = 600
NOTES_MAX = 500


@bp.context_processor
def _duty_words() -> dict:
    """The words of the duty pages, and of the directory's public-page switch."""
    return {"duty_words": words, "public_words": public_words}


# -- periods and scope ----------------------------------------------------------------------------

def _period(now: datetime) -> tuple[duty.Period, str]:
    """The period asked for (``?period=month|last_month|year|last_year`` or ``?from=&to=``) and
    which shortcut it is (empty for dates typed); this month when none or a wrong one is asked."""
    shortcuts = {"month": duty.month_to_date, "last_month": duty.last_month, "year": duty.year_to_date,
                 "last_year": duty.last_year}
    first, last = request.args.get("from", ""), request.args.get("to", "")
    if first or last:
        try:
            return duty.checked_period(date.fromisoformat(first), date.fromisoformat(last)), ""
        except ValueError:
            flash(words.PERIOD_BAD, "error")
    choice = request.args.get("period", "month")
    choice = choice if choice in shortcuts else "month"
    return shortcuts[choice](now), choice


def _scoped_representatives(conn: Connection, actor) -> list:
    """The active representatives the user reads, by sub-district and code: never by points."""
    return conn.execute(
        select(Representative.id, Representative.code, Representative.name, Representative.level,
               Representative.sub_district_id, SubDistrict.name.label("sub"))
        .outerjoin(SubDistrict, SubDistrict.id == Representative.sub_district_id)
        .where(Representative.active.is_(True), clause(actor, Representative.sub_district_id))
        .order_by(SubDistrict.code.is_(None), SubDistrict.code, Representative.code)).all()


def _records(conn: Connection, ids, period: duty.Period, *, offline: bool = True) -> dict[int, duty.Record]:
    settings = services().settings
    return duty.records(conn, ids, period, settings.cases_take_within_working_hours,
                        load_calendar(settings.calendar_holidays), offline=offline)


def _scope_key(actor) -> str:
    """Whose records: every user of one scope reads the same."""
    return f"sub-district:{actor.sub_district_id}" if actor.role is StaffRole.SUBDISTRICT else "district"


def _scope_records(conn: Connection, actor, ids: list[int], period: duty.Period,
                   now: datetime) -> tuple[dict[int, duty.Record], datetime]:
    """Every record of the user's scope and when its figures were counted: the figures kept from
    the cases at most once every CACHE_SECONDS per scope and period (a year of a district with a
    million cases reads some 400,000 of them: seconds), kept in Redis; the offline work always
    as it stands, so what staff just entered shows at once."""
    key = f"minyi:duty:{_scope_key(actor)}:{period.first.isoformat()}:{period.last.isoformat()}"
    redis = services().redis
    try:
        kept = redis.get(key)
    except RedisError:
        kept = None
    stored = json.loads(kept) if kept else None
    if stored and set(map(str, ids)) <= set(stored["records"]):
        found = {rep_id: duty.from_plain(stored["records"][str(rep_id)]) for rep_id in ids}
        counted_at = datetime.fromisoformat(stored["at"])
    else:
        found, counted_at = _records(conn, ids, period, offline=False), now
        plain = {str(rep_id): duty.as_plain(record) for rep_id, record in found.items()}
        try:
            redis.set(key, json.dumps({"records": plain, "at": now.isoformat()}), ex=CACHE_SECONDS)
        except RedisError as error:
            log.warning("duty records not kept (Redis: %s)", error)
    duty.count_offline(conn, found, period)
    return found, counted_at


def _may_enter(actor) -> bool:
    """Those who edit representatives enter their offline work: the district office, the clerks."""
    return actor.role in (StaffRole.DISTRICT, StaffRole.SUBDISTRICT)


def _page_context(period: duty.Period, choice: str) -> dict:
    settings = services().settings
    return {"period": period, "choice": choice, "period_label": words.period_label(period.first, period.last),
            "rules": settings.duty_point_rules, "promise": words.hours(settings.cases_take_within_working_hours),
            "levels": LEVEL_LABELS}


# -- the list and one representative's record ---------------------------------------------------

@bp.route("/duty")
@login_required
def duty_records():
    actor = current_user.actor
    allow(sees_directory(actor))
    now = services().clock.now()
    period, choice = _period(now)
    with services().engine.connect() as conn:
        reps = _scoped_representatives(conn, actor)
        found, counted_at = _scope_records(conn, actor, [rep.id for rep in reps], period, now)
    rules = services().settings.duty_point_rules
    rows = [(rep, found[rep.id], duty.points(found[rep.id], rules)) for rep in reps]
    return render_template("console/duty.html", rows=rows, may_enter=_may_enter(actor), counted_at=counted_at,
                           minutes=CACHE_SECONDS // 60, **_page_context(period, choice))


def _representative_or_404(conn: Connection, code: str):
    rep = conn.execute(select(Representative.id, Representative.code, Representative.name, Representative.level,
                              Representative.active, Representative.sub_district_id, SubDistrict.name.label("sub"))
                       .outerjoin(SubDistrict, SubDistrict.id == Representative.sub_district_id)
                       .where(Representative.code == code)).first()
    allow(rep is not None and reads(current_user.actor, rep.sub_district_id))
    return rep


@bp.route("/duty/representatives/<code>")
@login_required
def duty_record(code: str):
    actor = current_user.actor
    allow(sees_directory(actor))
    period, choice = _period(services().clock.now())
    with services().engine.connect() as conn:
        rep = _representative_or_404(conn, code)
        record = _records(conn, [rep.id], period)[rep.id]
        done = duty.activities(conn, [rep.id], period)
        editable = _editable_ids(conn, actor)
    rules = services().settings.duty_point_rules
    removable = {activity.id for activity in done if {rep_id for rep_id, _ in activity.representatives} <= editable}
    return render_template("console/duty_record.html", rep=rep, record=record, activities=done,
                           removable=removable, button=FlaskForm(), may_enter=_may_enter(actor) and rep.id in editable,
                           breakdown=duty.points_breakdown(record, rules), total=duty.points(record, rules),
                           **_page_context(period, choice))


def _editable_ids(conn: Connection, actor) -> set[int]:
    """The representatives whose offline work the user may enter or remove."""
    if not _may_enter(actor):
        return set()
    return {rep_id for rep_id, sub_id in conn.execute(
        select(Representative.id, Representative.sub_district_id).where(clause(actor, Representative.sub_district_id)))
        if edits(actor, sub_id)}


# -- offline work ---------------------------------------------------------------------------------

class CodesField(Field):
    """Several values under one name (the representatives' checkboxes): a list of codes."""

    def _value(self):
        return ",".join(self.data or [])

    def process_formdata(self, valuelist):
        self.data = [value.strip() for value in valuelist if value.strip()]


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class ActivityForm(FlaskForm):
    kind = StringField(words.KIND, validators=[DataRequired(words.REQUIRED), AnyOf(list(ACTIVITY_KINDS),
                                                                                    message=words.CHOOSE_ONE)],
                       filters=[_strip])
    day = StringField(words.DAY, validators=[DataRequired(words.REQUIRED), Regexp(DAY, message=words.DAY_FORMAT)],
                      filters=[_strip])
    representatives = CodesField(words.REPRESENTATIVES, default=list)
    contact_point = StringField(words.CONTACT_POINT, validators=[Optional()], filters=[_strip])
    notes = TextAreaField(words.NOTES, validators=[Optional(), Length(max=NOTES_MAX,
                                                                      message=words.TOO_LONG.format(max=NOTES_MAX))],
                          description=words.NOTES_HINT, filters=[_strip])

    def __init__(self, *args, rep_codes=(), point_codes=(), today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.rep_codes, self.point_codes, self.today = frozenset(rep_codes), frozenset(point_codes), today

    def validate_representatives(self, field) -> None:
        if not field.data:
            raise ValidationError(words.CHOOSE_REPRESENTATIVES)
        if not set(field.data) <= self.rep_codes:
            raise ValidationError(words.CHOOSE_ONE)

    def validate_contact_point(self, field) -> None:
        if field.data and field.data not in self.point_codes:
            raise ValidationError(words.CHOOSE_ONE)

    def validate_day(self, field) -> None:
        try:
            day = date.fromisoformat(field.data)
        except ValueError:
            raise ValidationError(words.DAY_FORMAT) from None
        if day > self.today:
            raise ValidationError(words.DAY_IN_FUTURE)


@bp.route("/duty/activities/new", methods=["GET", "POST"])
@login_required
def new_duty_activity():
    actor = current_user.actor
    allow(_may_enter(actor))
    svc = services()
    now = svc.clock.now()
    with svc.engine.connect() as conn:
        editable = _editable_ids(conn, actor)
        reps = [rep for rep in _scoped_representatives(conn, actor) if rep.id in editable]
        points = conn.execute(select(ContactPoint.id, ContactPoint.code, ContactPoint.name)
                              .where(clause(actor, ContactPoint.sub_district_id)).order_by(ContactPoint.code)).all()
    form = ActivityForm(rep_codes=[rep.code for rep in reps], point_codes=[point.code for point in points],
                        today=beijing_date(now))
    if request.method == "GET":
        form.day.data = beijing_date(now).isoformat()
        preset = request.args.get("rep", "")
        form.representatives.data = [preset] if preset in form.rep_codes else []
    if form.validate_on_submit():
        chosen = [rep for rep in reps if rep.code in set(form.representatives.data)]
        point_id = next((point.id for point in points if point.code == form.contact_point.data), None)
        with svc.engine.begin() as conn:
            activity_id = duty.add_activity(conn, kind=form.kind.data, day=date.fromisoformat(form.day.data),
                                            representative_ids=[rep.id for rep in chosen], notes=form.notes.data or "",
                                            contact_point_id=point_id, entered_by=actor.id, now=now)
        log.info("duty: staff %s entered offline work %s for %d representatives", actor.id, activity_id, len(chosen))
        flash(words.SAVED.format(kind=words.KIND_LABELS[form.kind.data], day=form.day.data,
                                 names="、".join(rep.name for rep in chosen)), "info")
        if len(chosen) == 1:
            return redirect(url_for("console.duty_record", code=chosen[0].code))
        return redirect(url_for("console.duty_records"))
    if request.method == "POST" and "csrf_token" in form.errors:
        flash(console_words.FORM_EXPIRED, "error")
    status = 400 if request.method == "POST" else 200
    return render_template("console/duty_form.html", form=form, reps=reps, points=points), status


@bp.route("/duty/activities/<int:activity_id>/remove", methods=["POST"])
@login_required
def remove_duty_activity(activity_id: int):
    actor = current_user.actor
    allow(_may_enter(actor))
    if not FlaskForm().validate_on_submit():
        abort(400)
    svc = services()
    with svc.engine.begin() as conn:
        editable = _editable_ids(conn, actor)
        found = duty.activities(conn, editable, activity_id=activity_id)
        allow(bool(found) and {rep_id for rep_id, _ in found[0].representatives} <= editable)
        duty.remove_activity(conn, activity_id)
        back = conn.scalar(select(Representative.code).where(Representative.id == found[0].representatives[0][0]))
    log.info("duty: staff %s removed offline work %s", actor.id, activity_id)
    flash(words.REMOVED, "info")
    return redirect(url_for("console.duty_record", code=back))


# -- the export -----------------------------------------------------------------------------------

def _record_rows(reps, found: dict[int, duty.Record], rules) -> Iterator[tuple]:
    for rep in reps:
        record = found[rep.id]
        ratings = record.ratings
        yield (rep.code, rep.name, LEVEL_LABELS.get(rep.level, ""), rep.sub or "", record.received,
               record.taken_in_time, record.taken, record.answered,
               *(record.passed_on.get(tier.value, 0) for tier in duty.PASSED_ON_TIERS), record.returned,
               record.median_response_hours, ratings.rated, ratings.satisfied, ratings.basic, ratings.dissatisfied,
               ratings.expired, round(ratings.satisfaction_rate, 4) if ratings.satisfaction_rate is not None else None,
               *(record.activities.get(kind, 0) for kind in ACTIVITY_KINDS), duty.points(record, rules))


def _activity_rows(done: list[duty.Activity]) -> Iterator[tuple]:
    for activity in done:
        yield (activity.day, words.KIND_LABELS.get(activity.kind, activity.kind),
               "、".join(name for _, name in activity.representatives), activity.contact_point, activity.notes,
               activity.entered_by, activity.entered_at + BEIJING_OFFSET)


def _sheet(book: Workbook, title: str, note: str | None, columns, rows, widths, formats=None) -> None:
    """A sheet of ``rows`` under a bold header (and a note above it); ``formats``: column index →
    number format."""
    sheet = book.create_sheet(title)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    if note:
        sheet.append([note])
    append_table(sheet, columns, rows, formats)


@bp.route("/duty.xlsx")
@login_required
def duty_export():
    actor = current_user.actor
    allow(sees_directory(actor))
    now = services().clock.now()
    period, _ = _period(now)
    with services().engine.connect() as conn:
        reps = _scoped_representatives(conn, actor)
        ids = [rep.id for rep in reps]
        found, _ = _scope_records(conn, actor, ids, period, now)
        done = duty.activities(conn, ids, period)
    rules = services().settings.duty_point_rules
    handle = tempfile.NamedTemporaryFile(prefix="minyi-duty-", suffix=".xlsx", delete=False)  # noqa: SIM115
    handle.close()
    book = Workbook(write_only=True)
    note = words.EXPORT_NOTE.format(period=words.period_label(period.first, period.last))
    _sheet(book, words.SHEET_RECORDS, note, words.EXPORT_COLUMNS, _record_rows(reps, found, rules),
           (12, 10, 12, 14) + (10,) * (len(words.EXPORT_COLUMNS) - 4),
           {words.EXPORT_COLUMNS.index(words.EXPORT_SATISFACTION): "0%"})
    _sheet(book, words.SHEET_ACTIVITIES, None, words.EXPORT_ACTIVITY_COLUMNS, _activity_rows(done),
           (12, 10, 24, 18, 48, 16, 18))
    book.save(handle.name)

    @after_this_request
    def _remove(response):
        response.call_on_close(lambda: os.unlink(handle.name))
        return response

    name = words.EXPORT_FILE.format(first=period.first.isoformat(), last=period.last.isoformat())
    return send_file(handle.name, as_attachment=True, download_name=name,
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
