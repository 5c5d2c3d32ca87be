"""Representatives in the directory: their details and photo, and from their page a bind code for
their own WeChat, a re-issued poster code (with the reason), and their poster as a PDF."""

from __future__ import annotations

import io
import logging
import secrets
from pathlib import Path

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.exceptions import RequestEntityTooLarge

from bot.services import services
from console import bp
from console.directory_common import (
    allow,
    bind_code_page,
    button,
    check_code,
    editable_points,
    fill,
    form_page,
    print_posters,
    session,
    submitted,
)
from console.directory_forms import (
    PHOTO_MAX_BYTES,
    ButtonForm,
    PhotoForm,
    PrintForm,
    ReissueForm,
    RepresentativeForm,
)
from console.directory_print import wechat_call
from console.directory_scope import edits, edits_district, reads
from models import ContactPoint, QrCodeIssue, Representative
from qr.codes import reissue_permanent_qr
from qr.export import served_photo
from texts import LEVEL_LABELS
from texts import directory as words

log = logging.getLogger(__name__)

PHOTO_DIR = "representatives"          # under media.dir
PHOTO_BOX = (900, 1200)                # 3:4, enough for an A3 poster's photo at 300 dpi
PHOTO_MAX_PIXELS = 40_000_000          # what a phone takes; more is refused before decoding
REP_FIELDS = ("name", "level", "constituency", "work_unit", "introduction")


class PhotoError(ValueError):
    pass


def reencode_photo(data: bytes) -> bytes:
    """An uploaded photo as a clean JPEG: JPEG or PNG only, upright, at most ``PHOTO_BOX``, no
    metadata kept. Raises PhotoError with what to tell the clerk."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in ("JPEG", "PNG"):
                raise PhotoError(words.PHOTO_TYPE)
            if image.width * image.height > PHOTO_MAX_PIXELS:
                raise PhotoError(words.PHOTO_TOO_BIG_IN_PIXELS)
            upright = ImageOps.exif_transpose(image).convert("RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise PhotoError(words.PHOTO_UNREADABLE) from None
    upright.thumbnail(PHOTO_BOX)
    out = io.BytesIO()
    upright.save(out, format="JPEG", quality=88)
    return out.getvalue()


def _store_photo(rep: Representative, jpeg: bytes) -> str:
    """Written under a new name (a poster being printed keeps the old one); the old file goes."""
    relative = Path(PHOTO_DIR) / f"{rep.id}-{secrets.token_hex(4)}.jpg"
    target = Path(services().settings.media_dir) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(jpeg)
    old = served_photo(services().settings, rep.photo_path)
    if old is not None:
        old.unlink(missing_ok=True)
    return str(relative)


def _rep_or_404(db: Session, code: str, *, write: bool = False) -> Representative:
    rep = db.scalar(select(Representative).where(Representative.code == code))
    rule = edits if write else reads
    allow(rep is not None and rule(current_user.actor, rep.sub_district_id))
    return rep


def _rep_form(db: Session, obj: Representative | None = None) -> RepresentativeForm:
    points = editable_points(db)
    form = RepresentativeForm(obj=obj, point_codes=[point.code for point in points])
    if obj is not None and not form.is_submitted():
        form.contact_point.data = obj.primary_contact_point.code if obj.primary_contact_point else ""
        form.level.data = str(obj.level)
    form.options = {"level": list(LEVEL_LABELS.items()),
                    "contact_point": [(point.code, f"{point.name}（{point.sub_district.name}）") for point in points]}
    return form


def _save_rep(db: Session, rep: Representative, form: RepresentativeForm) -> None:
    fill(rep, form, REP_FIELDS)
    rep.active = bool(form.active.data)
    point = db.scalar(select(ContactPoint).where(ContactPoint.code == form.contact_point.data))
    old = rep.primary_contact_point
    if old is not None and old.id != point.id and old in rep.contact_points:
        rep.contact_points.remove(old)          # moved: no longer listed at the old place
    if point not in rep.contact_points:
        rep.contact_points.append(point)
    rep.primary_contact_point = point
    rep.sub_district_id = point.sub_district_id


@bp.route("/directory/representatives/new", methods=["GET", "POST"])
@login_required
def new_representative():
    actor = current_user.actor
    allow(edits_district(actor) or edits(actor, actor.sub_district_id))
    with session() as db:
        form = _rep_form(db)
        if not form.is_submitted():
            form.contact_point.data = request.args.get("point", "")
        if submitted(form) and check_code(db, Representative, form):
            rep = Representative(code=form.code.data)
            _save_rep(db, rep, form)
            db.add(rep)
            db.commit()
            log.info("directory: staff %s created representative %s", actor.id, rep.code)
            flash(words.CREATED.format(name=rep.name), "info")
            return redirect(url_for("console.representative", code=rep.code))
    return form_page(form, words.NEW_HEADING.format(kind=words.REPRESENTATIVE), url_for("console.directory"),
                     form.options)


@bp.route("/directory/representatives/<code>")
@login_required
def representative(code: str):
    with session() as db:
        rep = _rep_or_404(db, code)
        point, sub = rep.primary_contact_point, rep.sub_district
        issues = db.execute(select(QrCodeIssue.issued_at, QrCodeIssue.reason, QrCodeIssue.issued_by,
                                   QrCodeIssue.retired_at)
                            .where(QrCodeIssue.representative_id == rep.id).order_by(QrCodeIssue.id)).all()
    has_photo = served_photo(services().settings, rep.photo_path) is not None
    return render_template("console/directory_representative.html", rep=rep, point=point, sub=sub, issues=issues,
                           has_photo=has_photo, level=LEVEL_LABELS.get(rep.level, ""),
                           edits=edits(current_user.actor, rep.sub_district_id), photo_form=PhotoForm(),
                           reissue_form=ReissueForm(), print_form=PrintForm(paper="A4"), button=ButtonForm())


@bp.route("/directory/representatives/<code>/edit", methods=["GET", "POST"])
@login_required
def edit_representative(code: str):
    with session() as db:
        rep = _rep_or_404(db, code, write=True)
        form = _rep_form(db, obj=rep)
        del form.code
        if submitted(form):
            _save_rep(db, rep, form)
            db.commit()
            log.info("directory: staff %s edited representative %s", current_user.actor.id, code)
            flash(words.SAVED.format(name=rep.name), "info")
            return redirect(url_for("console.representative", code=code))
        heading = words.EDIT_HEADING.format(kind=words.REPRESENTATIVE, name=rep.name)
    return form_page(form, heading, url_for("console.representative", code=code), form.options)


@bp.route("/directory/representatives/<code>/photo", methods=["POST"])
@login_required
def representative_photo(code: str):
    try:
        return _replace_photo(code)
    finally:
        request.close()   # the upload's temporary file, however far parsing got


def _replace_photo(code: str):
    back = url_for("console.representative", code=code)
    with session() as db:
        rep = _rep_or_404(db, code, write=True)
        request.max_content_length = PHOTO_MAX_BYTES + 64 * 1024   # the app's limit is the webhook's
        try:
            form = PhotoForm()
        except RequestEntityTooLarge:
            flash(words.PHOTO_TOO_LARGE.format(megabytes=PHOTO_MAX_BYTES // 2**20), "error")
            return redirect(back)
        if not form.validate_on_submit():
            if form.csrf_token.errors:
                abort(400)
            for message in form.photo.errors:
                flash(message, "error")
            return redirect(back)
        try:
            jpeg = reencode_photo(form.photo.data.read())
        except PhotoError as error:
            flash(str(error), "error")
            return redirect(back)
        rep.photo_path = _store_photo(rep, jpeg)
        db.commit()
    log.info("directory: staff %s replaced the photo of representative %s", current_user.actor.id, code)
    flash(words.PHOTO_SAVED, "info")
    return redirect(back)


@bp.route("/directory/representatives/<code>/photo")
@login_required
def representative_photo_file(code: str):
    with session() as db:
        stored = _rep_or_404(db, code).photo_path
    path = served_photo(services().settings, stored)
    allow(path is not None)
    return send_file(path, mimetype="image/jpeg", max_age=0)


@bp.route("/directory/representatives/<code>/bind-code", methods=["POST"])
@login_required
def representative_bind_code(code: str):
    back = url_for("console.representative", code=code)
    with session() as db:
        rep = _rep_or_404(db, code, write=True)
        name, rep_id = rep.name, rep.id
    form, refused = button(back)
    if refused:
        return refused
    return bind_code_page(Representative, rep_id, words.BIND_HEADING.format(name=name), back)


@bp.route("/directory/representatives/<code>/reissue", methods=["POST"])
@login_required
def representative_reissue(code: str):
    back = url_for("console.representative", code=code)
    with session() as db:
        rep = _rep_or_404(db, code, write=True)
        name, rep_id = rep.name, rep.id
    form, refused = button(back, ReissueForm())
    if refused:
        return refused
    svc = services()
    url = wechat_call(lambda db: reissue_permanent_qr(db, svc.wechat, db.get(Representative, rep_id),
                                                      svc.clock.now(), form.reason.data, current_user.username))
    if url is not None:
        log.info("directory: staff %s re-issued the poster code of representative %s", current_user.actor.id, code)
        flash(words.REISSUED.format(name=name), "info")
    return redirect(back)


@bp.route("/directory/representatives/<code>/poster", methods=["POST"])
@login_required
def representative_poster(code: str):
    with session() as db:
        name = _rep_or_404(db, code, write=True).name
    return print_posters(url_for("console.representative", code=code), name=name, representative=code)
