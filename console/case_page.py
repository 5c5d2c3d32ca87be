"""One case: the resident's messages in order with their photos, the suggestion and its evidence,
the timeline, related cases, and the steps the user may take (each through ``perform``)."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import abort, flash, redirect, render_template, send_file, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import Connection, select
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import AnyOf, Length, Optional

from bot.services import services
from cases import queries
from cases.actions import CaseNotFound, NotPermitted, perform
from cases.numbering import case_number
from cases.privacy import shown_to
from cases.routing.related import related_cases
from cases.scope import CaseScope, clause, covers, may
from cases.status import COLOURS, Tier
from cases.transitions import TRANSITIONS, TransitionError
from console import bp
from models import Attachment, Case, CaseMessage, CaseSuggestion, Department, Representative, SubDistrict
from texts import console as words
from texts import routing as routing_words
from texts import workbench as labels

log = logging.getLogger(__name__)

ACTIONS = tuple(words.ACTION_LABELS)          # the steps the console offers, in this order
ASSIGN_TIERS = (Tier.SUBDISTRICT, Tier.DEPARTMENT, Tier.HIGHER_CONGRESS)


class ActionForm(FlaskForm):
    action = HiddenField(validators=[AnyOf(ACTIONS)])
    note = TextAreaField(words.NOTE, validators=[Optional(), Length(max=2000)])
    tier = StringField(words.TIER, validators=[Optional(), AnyOf([t.value for t in Tier])])
    department = StringField(words.DEPARTMENT, validators=[Optional(), Length(max=32)])
    category = StringField(words.CATEGORY, validators=[Optional(), Length(max=64)])
    colour = StringField(words.COLOUR, validators=[Optional(), AnyOf(COLOURS)])
    target = StringField(words.MERGE_INTO, validators=[Optional(), Length(max=20)])


def _case_or_404(conn: Connection, number: str) -> int:
    found = queries.find_case(conn, current_user.actor, number)
    if not found.case_id:
        abort(404)
    return found.case_id


@bp.route("/cases/<number>")
@login_required
def case(number: str):
    actor = current_user.actor
    services_ = services()
    with services_.engine.connect() as conn:
        case_id = _case_or_404(conn, number)
        row = conn.execute(
            select(Case.id, Case.created_at, Case.status, Case.tier, Case.category, Case.colour, Case.due_at,
                   Case.summary, Representative.name.label("rep"), SubDistrict.name.label("sd"),
                   Department.name.label("dept"))
            .outerjoin(Representative, Representative.id == Case.representative_id)
            .outerjoin(SubDistrict, SubDistrict.id == Case.sub_district_id)
            .outerjoin(Department, Department.id == Case.department_id)
            .where(Case.id == case_id)).one()
        messages = _messages(conn, case_id, actor)
        steps = queries.timeline(conn, case_id)
        suggestion = conn.scalar(select(CaseSuggestion.detail).where(CaseSuggestion.case_id == case_id))
        related = related_cases(conn, case_id, services_.clock.now(), within=clause(actor))
        departments = conn.execute(select(Department.code, Department.name).order_by(Department.name)).all()
    status = row.status
    offered = [a for a in ACTIONS if may(actor, a) and status in TRANSITIONS[a][0]]
    return render_template(
        "console/case.html", number=case_number(row.id, row.created_at), case=row, messages=messages,
        status_label=labels.STATUS_LABELS[status], tier_label=labels.TIER_LABELS.get(row.tier, "") if row.tier else "",
        handler=queries.handling_unit(row.tier, row.rep, row.sd, row.dept),
        timeline=[(at, labels.EVENT_LABELS.get(action, action), who, shown_to(actor, note))
                  for at, action, who, note in steps],
        suggestion=suggestion, related=related, offered=offered, form=ActionForm(), departments=departments,
        colour_labels=routing_words.COLOUR_LABELS, tier_labels=labels.TIER_LABELS, assign_tiers=ASSIGN_TIERS,
        heading_of=routing_words.EXPLAIN_HEADINGS)


def _messages(conn: Connection, case_id: int, actor) -> list[dict]:
    rows = conn.execute(
        select(CaseMessage.id, CaseMessage.kind, CaseMessage.content, CaseMessage.created_at,
               CaseMessage.location_label, CaseMessage.latitude, CaseMessage.longitude, CaseMessage.url)
        .where(CaseMessage.case_id == case_id).order_by(CaseMessage.id)).all()
    stored = {message_id: attachment_id for message_id, attachment_id in conn.execute(
        select(Attachment.message_id, Attachment.id).where(
            Attachment.message_id.in_([r.id for r in rows]), Attachment.status == "stored"))}
    shown = []
    for r in rows:
        shown.append({"kind": str(r.kind), "at": r.created_at, "text": shown_to(actor, r.content or ""),
                      "place": r.location_label or (f"{r.latitude:.5f}, {r.longitude:.5f}"
                                                    if r.latitude is not None else ""),
                      "attachment": stored.get(r.id)})
    return shown


@bp.route("/cases/<number>/act", methods=["POST"])
@login_required
def act(number: str):
    form = ActionForm()
    actor = current_user.actor
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        flash(words.NOT_NOW.format(action=words.ACTION_LABELS.get(form.action.data, "")), "error")
        return redirect(url_for("console.case", number=number))
    action = form.action.data
    label = words.ACTION_LABELS[action]
    now = services().clock.now()
    with services().engine.begin() as conn:
        case_id = _case_or_404(conn, number)
        options = {"note": (form.note.data or "").strip()}
        if form.tier.data:
            options["tier"] = Tier(form.tier.data)
        if action == "assign" and options.get("tier") is Tier.DEPARTMENT:
            options["department_id"] = conn.scalar(select(Department.id).where(Department.code == form.department.data))
        if action == "merge":
            target = queries.find_case(conn, actor, (form.target.data or "").strip())
            if target.case_id is None:
                flash(words.NOT_NOW.format(action=label), "error")
                return redirect(url_for("console.case", number=number))
            options["merged_into_id"] = target.case_id
        if action == "classify":
            options.update(category=(form.category.data or "").strip() or None, colour=form.colour.data or None)
        try:
            with conn.begin_nested():
                done = perform(conn, case_id, action, actor, now, **options)
        except CaseNotFound:
            abort(404)
        except NotPermitted:
            abort(403)
        except TransitionError as error:
            log.info("console %s refused on case %s: %s", action, case_id, error)
            flash(words.NOT_NOW.format(action=label), "error")
            return redirect(url_for("console.case", number=number))
    flash(words.DONE.format(action=label, number=done.number), "info")
    return redirect(url_for("console.case", number=number))


@bp.route("/media/<int:attachment_id>")
@login_required
def media(attachment_id: int):
    """A photo (or other medium) of a case the user may see, from local storage."""
    with services().engine.connect() as conn:
        row = conn.execute(
            select(Attachment.path, Attachment.content_type, Case.resident_id, Case.representative_id,
                   Case.sub_district_id, Case.department_id)
            .join(CaseMessage, CaseMessage.id == Attachment.message_id).join(Case, Case.id == CaseMessage.case_id)
            .where(Attachment.id == attachment_id, Attachment.status == "stored")).first()
    if row is None or not covers(current_user.actor, CaseScope(row.resident_id, row.representative_id,
                                                               row.sub_district_id, row.department_id)):
        abort(404)
    root = Path(services().settings.media_dir).resolve()
    path = (root / row.path).resolve()
    if root not in path.parents or not path.is_file():
        abort(404)
    return send_file(path, mimetype=row.content_type or "application/octet-stream", max_age=3600)

