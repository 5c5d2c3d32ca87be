"""The district's directory, kept in the console (/console/directory): sub-districts, contact
points and departments here; representatives in ``directory_reps``, staff accounts in
``directory_staff``. Who may read and edit what is ``directory_scope``; a record outside it is
answered 404, exactly like one that does not exist. Every change is logged with who made it.
"""

from __future__ import annotations

import logging

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from console import bp
from console.directory_common import (
    allow,
    check_code,
    fill,
    form_page,
    print_posters,
    representative_rows,
    session,
    sub_districts,
    submitted,
)
from console.directory_forms import (
    ContactPointForm,
    DepartmentForm,
    PrintForm,
    SubDistrictForm,
    normalise_aliases,
)
from console.directory_scope import edits, edits_district, reads, sees_directory
from models import ContactPoint, Department, District, Representative, SubDistrict
from models import representative_contact_points as served
from qr.export import run_by_name
from texts import directory as words

log = logging.getLogger(__name__)


@bp.context_processor
def _directory_words() -> dict:
    user = current_user
    shown = bool(getattr(user, "is_authenticated", False) and sees_directory(user.actor))
    return {"directory_link": shown, "d": words}


# -- the index and sub-districts ----------------------------------------------------------------

@bp.route("/directory")
@login_required
def directory():
    actor = current_user.actor
    allow(sees_directory(actor))
    with session() as db:
        subs = sub_districts(db)
        points = dict(db.execute(select(ContactPoint.sub_district_id, func.count())
                                 .group_by(ContactPoint.sub_district_id)).all())
        reps = dict(db.execute(select(Representative.sub_district_id, func.count())
                               .where(Representative.active.is_(True)).group_by(Representative.sub_district_id))
                    .all())
    return render_template("console/directory.html", subs=subs, points=points, reps=reps,
                           edits_district=edits_district(actor))


@bp.route("/directory/sub-districts/new", methods=["GET", "POST"])
@login_required
def new_sub_district():
    allow(edits_district(current_user.actor))
    form = SubDistrictForm()
    with session() as db:
        district = db.scalar(select(District).order_by(District.id))
        if district is not None:
            del form.district_name
        if submitted(form) and check_code(db, SubDistrict, form) and _district_named(form, district):
            if district is None:
                district = District(code="district", name=form.district_name.data)
                db.add(district)
            sub = SubDistrict(district=district, code=form.code.data)
            fill(sub, form, ("name", "committee_name", "committee_phone"))
            db.add(sub)
            db.commit()
            log.info("directory: staff %s created sub-district %s", current_user.actor.id, sub.code)
            flash(words.CREATED.format(name=sub.name), "info")
            return redirect(url_for("console.sub_district", code=sub.code))
    return form_page(form, words.NEW_HEADING.format(kind=words.SUB_DISTRICT), url_for("console.directory"))


def _district_named(form, district) -> bool:
    if district is None and not form.district_name.data:
        form.district_name.errors.append(words.REQUIRED)
        return False
    return True


def _readable_sub(db: Session, code: str) -> SubDistrict:
    sub = db.scalar(select(SubDistrict).where(SubDistrict.code == code))
    allow(sub is not None and reads(current_user.actor, sub.id))
    return sub


@bp.route("/directory/sub-districts/<code>")
@login_required
def sub_district(code: str):
    actor = current_user.actor
    with session() as db:
        sub = _readable_sub(db, code)
        points = list(db.scalars(select(ContactPoint).where(ContactPoint.sub_district_id == sub.id)
                                 .order_by(ContactPoint.code)))
        reps = representative_rows(db, Representative.sub_district_id == sub.id)
    return render_template("console/directory_sub_district.html", sub=sub, points=points, reps=reps,
                           edits=edits(actor, sub.id), edits_district=edits_district(actor),
                           print_form=PrintForm(paper="A4"))


@bp.route("/directory/sub-districts/<code>/edit", methods=["GET", "POST"])
@login_required
def edit_sub_district(code: str):
    with session() as db:
        sub = db.scalar(select(SubDistrict).where(SubDistrict.code == code))
        allow(sub is not None and edits_district(current_user.actor))
        form = SubDistrictForm(obj=sub)
        del form.code, form.district_name
        if submitted(form):
            fill(sub, form, ("name", "committee_name", "committee_phone"))
            db.commit()
            log.info("directory: staff %s edited sub-district %s", current_user.actor.id, code)
            flash(words.SAVED.format(name=sub.name), "info")
            return redirect(url_for("console.sub_district", code=code))
        heading = words.EDIT_HEADING.format(kind=words.SUB_DISTRICT, name=sub.name)
    return form_page(form, heading, url_for("console.sub_district", code=code))


@bp.route("/directory/sub-districts/<code>/posters", methods=["POST"])
@login_required
def sub_district_posters(code: str):
    with session() as db:
        sub = db.scalar(select(SubDistrict).where(SubDistrict.code == code))
        allow(sub is not None and edits(current_user.actor, sub.id))
        name = sub.name
    return print_posters(url_for("console.sub_district", code=code), name=name, sub_district=code)


# -- contact points -----------------------------------------------------------------------------

POINT_FIELDS = ("name", "kind", "run_by", "address", "reception_hours", "phone")


def _point_options(subs: list[SubDistrict]) -> dict:
    return {"kind": list(words.KIND_LABELS.items()), "run_by": list(words.RUN_BY_LABELS.items()),
            "sub_district": [(sub.code, sub.name) for sub in subs]}


def _save_point(db: Session, point: ContactPoint, form) -> None:
    fill(point, form, POINT_FIELDS)
    point.latitude, point.longitude = form.coordinates()
    if "reception_day" in form:
        point.reception_day = int(form.reception_day.data) if form.reception_day.data else None
    if "sub_district" in form:
        point.sub_district_id = db.scalar(select(SubDistrict.id).where(SubDistrict.code == form.sub_district.data))
    if "public_page" in form:
        point.public_page = bool(form.public_page.data)


def _point_form(db: Session, obj=None, sub_code: str = "") -> ContactPointForm:
    """The form, with the sub-district a choice for the district office only (a clerk's points
    stay in their own sub-district)."""
    actor = current_user.actor
    subs = [sub for sub in sub_districts(db) if edits(actor, sub.id)]
    form = ContactPointForm(obj=obj, sub_codes=[sub.code for sub in subs])
    if not edits_district(actor):
        del form.sub_district
    elif not form.is_submitted():
        form.sub_district.data = sub_code
    form.options = _point_options(subs)
    return form


@bp.route("/directory/points/new", methods=["GET", "POST"])
@login_required
def new_point():
    actor = current_user.actor
    with session() as db:
        own = actor.sub_district_id if not edits_district(actor) else None
        allow(edits_district(actor) or edits(actor, own))
        preset = request.args.get("sub", "")
        form = _point_form(db, sub_code=preset)
        if submitted(form) and check_code(db, ContactPoint, form):
            point = ContactPoint(code=form.code.data, sub_district_id=own)
            _save_point(db, point, form)
            db.add(point)
            db.commit()
            log.info("directory: staff %s created contact point %s", actor.id, point.code)
            flash(words.CREATED.format(name=point.name), "info")
            return redirect(url_for("console.point", code=point.code))
    return form_page(form, words.NEW_HEADING.format(kind=words.CONTACT_POINT), url_for("console.directory"),
                     form.options)


def _point_or_404(db: Session, code: str, *, write: bool = False) -> ContactPoint:
    point = db.scalar(select(ContactPoint).where(ContactPoint.code == code))
    rule = edits if write else reads
    allow(point is not None and rule(current_user.actor, point.sub_district_id))
    return point


@bp.route("/directory/points/<code>")
@login_required
def point(code: str):
    with session() as db:
        found = _point_or_404(db, code)
        at_point = select(served.c.representative_id).where(served.c.contact_point_id == found.id)
        reps = representative_rows(db, (Representative.primary_contact_point_id == found.id)
                                    | Representative.id.in_(at_point))
        sub, body = found.sub_district, run_by_name(found, None)
    return render_template("console/directory_point.html", point=found, sub=sub, reps=reps, run_by=body,
                           edits=edits(current_user.actor, found.sub_district_id), print_form=PrintForm(paper="A4"))


@bp.route("/directory/points/<code>/edit", methods=["GET", "POST"])
@login_required
def edit_point(code: str):
    with session() as db:
        found = _point_or_404(db, code, write=True)
        form = _point_form(db, obj=found, sub_code=found.sub_district.code)
        del form.code
        if submitted(form):
            _save_point(db, found, form)
            db.commit()
            log.info("directory: staff %s edited contact point %s", current_user.actor.id, code)
            flash(words.SAVED.format(name=found.name), "info")
            return redirect(url_for("console.point", code=code))
        heading = words.EDIT_HEADING.format(kind=words.CONTACT_POINT, name=found.name)
    return form_page(form, heading, url_for("console.point", code=code), form.options)


@bp.route("/directory/points/<code>/posters", methods=["POST"])
@login_required
def point_posters(code: str):
    with session() as db:
        name = _point_or_404(db, code, write=True).name
    return print_posters(url_for("console.point", code=code), name=name, contact_point=code)


# -- departments --------------------------------------------------------------------------------

DEPARTMENT_FIELDS = ("name", "short_name", "phone")


@bp.route("/directory/departments")
@login_required
def departments():
    allow(sees_directory(current_user.actor))
    with session() as db:
        rows = list(db.scalars(select(Department).order_by(Department.code)))
    return render_template("console/directory_departments.html", departments=rows,
                           edits_district=edits_district(current_user.actor))


def _aliases_free(db: Session, form, department_id: int | None) -> bool:
    """No short name or alias of this department is another's already (「转部门」 must know which)."""
    words_here = normalise_aliases(form.aliases.data) + ([form.short_name.data] if form.short_name.data else [])
    for other in db.scalars(select(Department).where(Department.id != department_id) if department_id
                            else select(Department)):
        theirs = {*normalise_aliases(other.aliases), other.short_name, other.name} - {""}
        clash = next((alias for alias in words_here if alias in theirs), None)
        if clash:
            form.aliases.errors.append(words.ALIAS_TAKEN.format(alias=clash, name=other.name))
            return False
    return True


def _save_department(department: Department, form) -> None:
    fill(department, form, DEPARTMENT_FIELDS)
    department.aliases = ",".join(normalise_aliases(form.aliases.data))


@bp.route("/directory/departments/new", methods=["GET", "POST"])
@login_required
def new_department():
    allow(edits_district(current_user.actor))
    form = DepartmentForm()
    with session() as db:
        district_id = db.scalar(select(District.id).order_by(District.id))
        allow(district_id is not None)
        if submitted(form) and check_code(db, Department, form) and _aliases_free(db, form, None):
            department = Department(district_id=district_id, code=form.code.data)
            _save_department(department, form)
            db.add(department)
            db.commit()
            log.info("directory: staff %s created department %s", current_user.actor.id, department.code)
            flash(words.CREATED.format(name=department.name), "info")
            return redirect(url_for("console.departments"))
    return form_page(form, words.NEW_HEADING.format(kind=words.DEPARTMENT), url_for("console.departments"))


@bp.route("/directory/departments/<code>/edit", methods=["GET", "POST"])
@login_required
def edit_department(code: str):
    with session() as db:
        department = db.scalar(select(Department).where(Department.code == code))
        allow(department is not None and edits_district(current_user.actor))
        form = DepartmentForm(obj=department)
        del form.code
        if submitted(form) and _aliases_free(db, form, department.id):
            _save_department(department, form)
            db.commit()
            log.info("directory: staff %s edited department %s", current_user.actor.id, code)
            flash(words.SAVED.format(name=department.name), "info")
            return redirect(url_for("console.departments"))
        heading = words.EDIT_HEADING.format(kind=words.DEPARTMENT, name=department.name)
    return form_page(form, heading, url_for("console.departments"))


from console import directory_reps, directory_staff  # noqa: E402, F401 - their routes register on bp
