"""Filing a case for a resident without WeChat (代录): a walk-in at the contact point, a phone
call, a letter, an elderly resident. The case is opened by ``cases.intake.file_for_resident``
(the same case rows, number and ``submit`` event as a WeChat report), in the sub-district of the
contact point, which must be the clerk's own; then a slip to print and hand over, with the number,
how to follow the case, and a code the resident (or a relative, on their phone) scans to follow it
in WeChat (``qr.binding``: a one-time ``link:`` code, 30 days)."""

from __future__ import annotations

import base64
from datetime import datetime

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import Connection, select
from wtforms import StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length, Optional, Regexp

from bot.services import services
from cases import intake
from cases.numbering import case_number
from cases.privacy import name_shown_to, shown_to
from cases.scope import Actor, CaseScope, covers, may
from cases.status import CHANNELS
from console import bp
from console.case_page import case_or_404
from console.directory_print import wechat_call
from models import Case, CaseMessage, ContactPoint, Representative, Resident, SubDistrict
from qr.binding import issue_bind_code
from qr.codes import qr_png
from texts import beijing_time
from texts import console as words


class FileCaseForm(FlaskForm):
    channel = StringField(words.CHANNEL, validators=[DataRequired(words.FIELD_REQUIRED), AnyOf(CHANNELS)])
    name = StringField(words.RESIDENT_NAME, validators=[DataRequired(words.FIELD_REQUIRED), Length(max=32)])
    phone = StringField(words.RESIDENT_PHONE, validators=[Optional(), Length(max=32), Regexp(r"^[0-9+\- ]{3,32}$")])
    text = TextAreaField(words.WHAT_THEY_SAID, validators=[DataRequired(words.FIELD_REQUIRED), Length(max=2000)])
    contact_point = StringField(words.CONTACT_POINT, validators=[DataRequired(words.FIELD_REQUIRED), Length(max=32)])
    representative = StringField(words.REPRESENTATIVE, validators=[Optional(), Length(max=32)])


def _may_file(actor: Actor) -> None:
    if not may(actor, "file"):
        abort(403)


def _places(conn: Connection, actor: Actor) -> tuple[list, list]:
    """The contact points and active representatives ``actor`` may file at and for."""
    points = [row for row in conn.execute(select(ContactPoint.code, ContactPoint.name, ContactPoint.sub_district_id)
                                          .order_by(ContactPoint.code))
              if covers(actor, CaseScope(None, None, row.sub_district_id, None))]
    reps = [row for row in conn.execute(select(Representative.code, Representative.name, Representative.id,
                                               Representative.sub_district_id)
                                        .where(Representative.active.is_(True)).order_by(Representative.code))
            if covers(actor, CaseScope(None, row.id, row.sub_district_id, None))]
    return points, reps


@bp.route("/cases/new", methods=["GET", "POST"])
@login_required
def file_case():
    actor = current_user.actor
    _may_file(actor)
    form = FileCaseForm()
    with services().engine.begin() as conn:
        points, reps = _places(conn, actor)
        if form.validate_on_submit():
            filed = _file(conn, form, actor)
            if filed is not None:
                flash(words.FILED.format(number=filed.number), "info")
                return redirect(url_for("console.slip", number=filed.number))
    status = 400 if form.csrf_token.errors else 200
    return render_template("console/file_case.html", form=form, points=points, reps=reps,
                           channels=words.CHANNEL_LABELS), status


def _file(conn: Connection, form: FileCaseForm, actor: Actor) -> intake.Filed | None:
    """File what the form holds, or put the reason on the form and return None."""
    point = conn.execute(select(ContactPoint.id, ContactPoint.sub_district_id)
                         .where(ContactPoint.code == form.contact_point.data.strip())).first()
    rep_id = None
    if form.representative.data:
        rep_id = conn.scalar(select(Representative.id).where(Representative.code == form.representative.data.strip(),
                                                             Representative.active.is_(True)))
        if rep_id is None:
            form.representative.errors.append(words.UNKNOWN_REPRESENTATIVE)
            return None
    if point is None or not covers(actor, CaseScope(None, rep_id, point.sub_district_id, None)):
        form.contact_point.errors.append(words.NOT_YOURS_TO_FILE)
        return None
    walk_in = intake.WalkIn(channel=form.channel.data, name=form.name.data, phone=form.phone.data or "",
                            text=form.text.data, contact_point_id=point.id, representative_id=rep_id)
    return intake.file_for_resident(conn, walk_in, actor, services().clock.now())


@bp.route("/cases/<number>/slip")
@login_required
def slip(number: str):
    """The slip the resident takes home: the number, when and where it was filed, what they said
    (as the user may read it), and how to follow it."""
    actor = current_user.actor
    with services().engine.connect() as conn:
        case_id = case_or_404(conn, number)
        row = conn.execute(
            select(Case.id, Case.created_at, Case.resident_id, Resident.openid, Resident.name, Resident.channel,
                   ContactPoint.name.label("place"),
                   ContactPoint.phone, SubDistrict.committee_name, SubDistrict.committee_phone)
            .join(Resident, Resident.id == Case.resident_id)
            .outerjoin(ContactPoint, ContactPoint.id == Case.contact_point_id)
            .outerjoin(SubDistrict, SubDistrict.id == Case.sub_district_id)
            .where(Case.id == case_id)).one()
        said = conn.scalars(select(CaseMessage.content).where(CaseMessage.case_id == case_id, CaseMessage.content != "")
                            .order_by(CaseMessage.id)).all()
    place = row.place or row.committee_name or ""
    phone = row.phone or row.committee_phone or ""
    follow = (words.SLIP_FOLLOW_PHONE if phone else words.SLIP_FOLLOW_NO_PHONE).format(
        place=place, phone=phone, number=case_number(row.id, row.created_at))
    link = _link_code(row.resident_id) if row.openid is None and may(actor, "file") else None
    return render_template("console/slip.html", number=case_number(row.id, row.created_at), case=row, place=place,
                           name=name_shown_to(actor, row.name or ""), said=[shown_to(actor, text) for text in said],
                           follow=follow, call_back=row.channel is not None and row.openid is None,
                           link_image=link and base64.b64encode(qr_png(link[0], 360)).decode("ascii"),
                           link_expires=link and beijing_time(link[1]))


def _link_code(resident_id: int) -> tuple[str, datetime] | None:
    """A fresh one-time code that links the resident to the WeChat that scans it (its URL and when
    it expires); None, with the reason shown, when WeChat cannot make one."""
    svc = services()
    return wechat_call(lambda db: issue_bind_code(db, svc.wechat, db.get(Resident, resident_id), svc.clock.now()))
