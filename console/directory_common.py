"""What the directory's pages share: the 404 rule's check, the session, codes taken, forms
submitted and drawn, the print buttons."""

from __future__ import annotations

import base64
import logging

from flask import abort, flash, redirect, render_template, request
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.services import services
from console.directory_forms import ButtonForm, PrintForm
from console.directory_print import posters_download, wechat_call
from console.directory_scope import clause, edits
from models import ContactPoint, Representative, SubDistrict
from qr.binding import issue_bind_code
from qr.codes import qr_png
from texts import beijing_time
from texts import console as console_words
from texts import directory as words

log = logging.getLogger(__name__)

def allow(check: bool) -> None:
    """Outside the rule: 404, as for a record that does not exist."""
    if not check:
        abort(404)


def session() -> Session:
    return Session(services().engine, expire_on_commit=False)


def taken_by(db: Session, model, code: str) -> str | None:
    """The name of the record already holding ``code``, if any."""
    return db.scalar(select(model.name).where(model.code == code))


def check_code(db: Session, model, form) -> bool:
    """A new record's code is free; else the field says who holds it."""
    holder = taken_by(db, model, form.code.data)
    if holder is not None:
        form.code.errors.append(words.CODE_TAKEN.format(code=form.code.data, name=holder))
        return False
    return True


def submitted(form) -> bool:
    """A POST whose form is valid; a missing or stale CSRF token is also said in words."""
    if request.method != "POST":
        return False
    if form.validate_on_submit():
        return True
    if "csrf_token" in form.errors:
        flash(console_words.FORM_EXPIRED, "error")
    return False


def form_page(form, heading: str, cancel: str, options: dict | None = None, multipart: bool = False):
    """One form, drawn field by field; 400 when it came back with errors."""
    status = 400 if request.method == "POST" else 200
    return render_template("console/directory_form.html", form=form, heading=heading, cancel=cancel,
                           options=options or {}, multipart=multipart), status


def sub_districts(db: Session) -> list[SubDistrict]:
    """The sub-districts the user reads, in code order."""
    return list(db.scalars(select(SubDistrict).where(clause(current_user.actor, SubDistrict.id))
                           .order_by(SubDistrict.code)))


def editable_points(db: Session) -> list[ContactPoint]:
    """The contact points the user may put a representative at."""
    actor = current_user.actor
    return [point for point in db.scalars(select(ContactPoint).where(clause(actor, ContactPoint.sub_district_id))
                                          .order_by(ContactPoint.code)) if edits(actor, point.sub_district_id)]


def print_posters(back: str, **which: str):
    """A print button's POST: the PDF, or back to the page with the reason flashed."""
    form = PrintForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        flash(words.CHOOSE_ONE, "error")
        return redirect(back)
    name = which.pop("name")
    return posters_download(name, form.paper.data, **which) or redirect(back)


def fill(record, form, names) -> None:
    for name in names:
        if name in form:
            setattr(record, name, form[name].data or "")


def representative_rows(db: Session, where) -> list:
    return db.execute(
        select(Representative.code, Representative.name, Representative.level, Representative.active,
               Representative.openid.is_not(None).label("bound"), ContactPoint.name.label("point"))
        .outerjoin(ContactPoint, ContactPoint.id == Representative.primary_contact_point_id)
        .where(where).order_by(Representative.active.desc(), Representative.code)).all()


def button(back: str, form=None):
    """A button's POST: (its form, None) when valid; else (None, a redirect back with the errors
    flashed). Without its CSRF token: 400."""
    form = form or ButtonForm()
    if form.validate_on_submit():
        return form, None
    if form.csrf_token.errors:
        abort(400)
    for errors in form.errors.values():
        for message in errors:
            flash(message, "error")
    return None, redirect(back)


def bind_code_page(model, holder_id: int, heading: str, back: str):
    """Issue a one-time bind code for ``holder`` and show it once (it is stored only hashed)."""
    svc = services()
    issued = wechat_call(lambda db: issue_bind_code(db, svc.wechat, db.get(model, holder_id), svc.clock.now()))
    if issued is None:
        return redirect(back)
    url, expires_at = issued
    log.info("directory: staff %s issued a bind code for %s %s", current_user.actor.id, model.__tablename__,
             holder_id)
    image = base64.b64encode(qr_png(url, 480)).decode("ascii")
    return render_template("console/directory_secret.html", heading=heading, back=back, bind_image=image,
                           bind_url=url, expires=beijing_time(expires_at), sandbox=svc.settings.wechat_sandbox)
