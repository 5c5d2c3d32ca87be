"""Staff accounts, kept by the district office: create one, deactivate or re-activate it, reset its
password, issue a bind code for the clerk's own WeChat. A new or reset password is made here and
shown once, as `minyi demo load` prints them; accounts are stored by ``accounts.staff``."""

from __future__ import annotations

import logging
import secrets

from flask import flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased
from werkzeug.security import generate_password_hash

from accounts.staff import AccountError, check_password, create_staff_user
from bot.services import services
from console import bp
from console.directory_common import allow, bind_code_page, button, form_page, session, submitted
from console.directory_forms import ButtonForm, StaffForm
from console.directory_scope import edits_district
from models import Department, StaffRole, StaffUser, SubDistrict
from texts import beijing_time
from texts import console as console_words
from texts import directory as words

log = logging.getLogger(__name__)

SUB, DEPT = "sub:", "dept:"     # a unit's value in the form: which table, then its code


def one_time_password() -> str:
    password = secrets.token_urlsafe(9)   # 12 characters
    check_password(password)
    return password


def unit_error(role: str, unit: str, subs: set[str], departments: set[str]) -> str | None:
    """What is wrong with the unit chosen for an account of ``role``, or None."""
    if role in (StaffRole.DISTRICT, StaffRole.OBSERVER):
        return words.UNIT_NOT_WANTED if unit else None
    known = {f"{SUB}{code}" for code in subs} if role == StaffRole.SUBDISTRICT else {f"{DEPT}{code}" for code in departments}
    return None if unit in known else words.UNIT_NEEDED


def _staff_or_404(db: Session, username: str) -> StaffUser:
    user = db.scalar(select(StaffUser).where(StaffUser.username == username))
    allow(user is not None and edits_district(current_user.actor))
    return user


def _units(db: Session) -> tuple[dict[str, str], dict[str, str]]:
    subs = dict(db.execute(select(SubDistrict.code, SubDistrict.name).order_by(SubDistrict.code)).all())
    departments = dict(db.execute(select(Department.code, Department.name).order_by(Department.code)).all())
    return subs, departments


@bp.route("/directory/staff")
@login_required
def staff():
    allow(edits_district(current_user.actor))
    unit_sub, unit_dept = aliased(SubDistrict), aliased(Department)
    with session() as db:
        rows = db.execute(
            select(StaffUser.id, StaffUser.username, StaffUser.display_name, StaffUser.role, StaffUser.active,
                   StaffUser.openid.is_not(None).label("bound"), StaffUser.created_at,
                   unit_sub.name.label("sub"), unit_dept.name.label("dept"))
            .outerjoin(unit_sub, unit_sub.id == StaffUser.sub_district_id)
            .outerjoin(unit_dept, unit_dept.id == StaffUser.department_id)
            .order_by(StaffUser.active.desc(), StaffUser.username)).all()
    return render_template("console/directory_staff.html", rows=rows, button=ButtonForm(),
                           roles=console_words.ROLE_LABELS, beijing_time=beijing_time, me=current_user.actor.id)


@bp.route("/directory/staff/new", methods=["GET", "POST"])
@login_required
def new_staff():
    allow(edits_district(current_user.actor))
    form = StaffForm()
    with session() as db:
        subs, departments = _units(db)
        if submitted(form) and _place_ok(db, form, subs, departments):
            password = one_time_password()
            unit = form.unit.data.split(":", 1)[1] if form.unit.data else None
            try:
                create_staff_user(db, username=form.username.data, display_name=form.display_name.data,
                                  role=form.role.data, unit_code=unit, password=password, now=services().clock.now())
                db.commit()
            except AccountError as error:   # the rules above are the same; only a race gets here
                log.info("console account refused: %s", error)
                form.username.errors.append(words.FORM_INVALID)
            else:
                log.info("directory: staff %s created account %s", current_user.actor.id, form.username.data)
                return _password_page(form.username.data, password, words.ACCOUNT_CREATED)
    options = {"role": list(console_words.ROLE_LABELS.items()),
               "unit": [("", words.NONE)] + [(f"{SUB}{code}", name) for code, name in subs.items()]
               + [(f"{DEPT}{code}", name) for code, name in departments.items()]}
    return form_page(form, words.NEW_HEADING.format(kind=words.STAFF), url_for("console.staff"), options)


def _place_ok(db: Session, form: StaffForm, subs: dict, departments: dict) -> bool:
    if db.scalar(select(StaffUser.id).where(StaffUser.username == form.username.data)) is not None:
        form.username.errors.append(words.USERNAME_TAKEN.format(username=form.username.data))
        return False
    problem = unit_error(form.role.data, form.unit.data or "", set(subs), set(departments))
    if problem:
        form.unit.errors.append(problem)
        return False
    return True


def _password_page(username: str, password: str, outcome: str):
    return render_template("console/directory_secret.html", heading=words.ONE_TIME_HEADING,
                           back=url_for("console.staff"), outcome=outcome.format(username=username),
                           password=words.ONE_TIME_PASSWORD.format(username=username, password=password))


@bp.route("/directory/staff/<username>/password", methods=["POST"])
@login_required
def reset_staff_password(username: str):
    with session() as db:
        user = _staff_or_404(db, username)
        _, refused = button(url_for("console.staff"))
        if refused:
            return refused
        password = one_time_password()
        user.password_hash = generate_password_hash(password)   # every session of the account ends
        db.commit()
    log.info("directory: staff %s reset the password of account %s", current_user.actor.id, username)
    return _password_page(username, password, words.PASSWORD_RESET)


def _set_active(username: str, active: bool):
    back = url_for("console.staff")
    with session() as db:
        user = _staff_or_404(db, username)
        _, refused = button(back)
        if refused:
            return refused
        if not active and user.id == current_user.actor.id:
            flash(words.NOT_YOURSELF, "error")
            return redirect(back)
        user.active = active
        db.commit()
    log.info("directory: staff %s set account %s active=%s", current_user.actor.id, username, active)
    flash((words.ACTIVATED if active else words.DEACTIVATED).format(username=username), "info")
    return redirect(back)


@bp.route("/directory/staff/<username>/deactivate", methods=["POST"])
@login_required
def deactivate_staff(username: str):
    return _set_active(username, False)


@bp.route("/directory/staff/<username>/activate", methods=["POST"])
@login_required
def activate_staff(username: str):
    return _set_active(username, True)


@bp.route("/directory/staff/<username>/bind-code", methods=["POST"])
@login_required
def staff_bind_code(username: str):
    back = url_for("console.staff")
    with session() as db:
        user = _staff_or_404(db, username)
        holder_id, name = user.id, user.display_name
    _, refused = button(back)
    if refused:
        return refused
    return bind_code_page(StaffUser, holder_id, words.BIND_HEADING.format(name=name), back)
