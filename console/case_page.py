"""One case: the resident's messages in order with their photos, the suggestion and its evidence,
the answers, the proposal or referral, the timeline, related cases, and the steps the user may
take (each through ``perform``)."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import abort, flash, redirect, render_template, send_file, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import Connection, select
from wtforms import DateField, HiddenField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import AnyOf, Length, Optional, ValidationError

from bot.services import services
from cases import queries
from cases.actions import CaseNotFound, NotPermitted, ProposalDraft, due_by, perform
from cases.notices import tells_resident
from cases.numbering import case_number
from cases.privacy import name_shown_to, phone_shown_to, shown_to
from cases.routing.related import related_cases
from cases.scope import Actor, CaseScope, clause, covers, may
from cases.status import COLOURS, REFERRAL_BODIES, CaseStatus, Tier
from cases.transitions import NEEDS_TIER, TRANSITIONS, TransitionError
from console import bp
from models import (
    Attachment,
    Case,
    CaseMessage,
    CaseSuggestion,
    Department,
    Proposal,
    Representative,
    Resident,
    SubDistrict,
    proposal_signers,
)
from models.staff import StaffRole
from texts import console as words
from texts import notices as notice_words
from texts import routing as routing_words
from texts import workbench as labels

log = logging.getLogger(__name__)

ACTIONS = tuple(words.ACTION_LABELS)          # the steps the console offers, in this order
# A console action that is another step under its own name: a clerk enters a department's answer
# (反馈) as that department's reply.
STEP_OF = {"feedback": "reply"}
ASSIGN_TIERS = (Tier.SUBDISTRICT, Tier.DEPARTMENT, Tier.HIGHER_CONGRESS)
ANSWER_STEPS = ("reply", "answer_proposal")
SIGNERS_MAX = 50


class ActionForm(FlaskForm):
    action = HiddenField(validators=[AnyOf(ACTIONS)])
    note = TextAreaField(words.NOTE, validators=[Optional(), Length(max=2000)])
    tier = StringField(words.TIER, validators=[Optional(), AnyOf([t.value for t in Tier])])
    department = StringField(words.DEPARTMENT, validators=[Optional(), Length(max=32)])
    category = StringField(words.CATEGORY, validators=[Optional(), Length(max=64)])
    colour = StringField(words.COLOUR, validators=[Optional(), AnyOf(COLOURS)])
    target = StringField(words.MERGE_INTO, validators=[Optional(), Length(max=20)])
    due = DateField(words.DUE_DATE, validators=[Optional()])
    body = StringField(words.REFERRAL_BODY, validators=[Optional(), AnyOf(REFERRAL_BODIES)])
    reference = StringField(words.REFERRAL_REFERENCE, validators=[Optional(), Length(max=64)])
    reason = StringField(words.REFUSAL_REASON, validators=[Optional(), Length(max=32)])
    title = StringField(words.PROPOSAL_TITLE, validators=[Optional(), Length(max=200)])
    text = TextAreaField(words.PROPOSAL_BODY, validators=[Optional(), Length(max=20000)])
    signers = SelectMultipleField(words.SIGNERS, validate_choice=False)
    sent_to = StringField(words.SENT_TO, validators=[Optional(), Length(max=64)])

    def validate_reason(self, field) -> None:
        if field.data and field.data not in services().settings.refusal_reasons:
            raise ValidationError(words.REFUSAL_REASON)

    def validate_signers(self, field) -> None:
        if len(field.data or []) > SIGNERS_MAX or any(len(code) > 32 for code in field.data or []):
            raise ValidationError(words.SIGNERS)


def case_or_404(conn: Connection, number: str) -> int:
    found = queries.find_case(conn, current_user.actor, number)
    if not found.case_id:
        abort(404)
    return found.case_id


def offered(actor: Actor, status: CaseStatus, tier: Tier | None, department: bool) -> list[str]:
    """The console's actions this user may take on a case as it stands."""
    shown = []
    for action in ACTIONS:
        step = STEP_OF.get(action, action)
        if not may(actor, step) or status not in TRANSITIONS[step][0]:
            continue
        if step in NEEDS_TIER and tier is not NEEDS_TIER[step]:
            continue
        if action == "feedback" and (not department or actor.role is StaffRole.DEPARTMENT):
            continue   # a liaison's own reply is the department's answer
        shown.append(action)
    return shown


@bp.route("/cases/<number>")
@login_required
def case(number: str):
    actor = current_user.actor
    services_ = services()
    with services_.engine.connect() as conn:
        case_id = case_or_404(conn, number)
        row = conn.execute(
            select(Case.id, Case.created_at, Case.status, Case.tier, Case.category, Case.colour, Case.due_at,
                   Case.supervised_at, Case.summary, Case.referred_to, Case.referral_reference, Case.department_id,
                   Representative.name.label("rep"), SubDistrict.name.label("sd"), Department.name.label("dept"))
            .outerjoin(Representative, Representative.id == Case.representative_id)
            .outerjoin(SubDistrict, SubDistrict.id == Case.sub_district_id)
            .outerjoin(Department, Department.id == Case.department_id)
            .where(Case.id == case_id)).one()
        messages = _messages(conn, case_id, actor)
        steps = queries.timeline(conn, case_id)
        suggestion = conn.scalar(select(CaseSuggestion.detail).where(CaseSuggestion.case_id == case_id))
        related = related_cases(conn, case_id, services_.clock.now(), within=clause(actor))
        departments = conn.execute(select(Department.code, Department.name).order_by(Department.name)).all()
        representatives = conn.execute(select(Representative.code, Representative.name)
                                       .where(Representative.active.is_(True)).order_by(Representative.name)).all()
        proposal = _proposal(conn, case_id) if row.tier is Tier.HIGHER_CONGRESS else None
        resident = resident_for(conn, case_id, actor)
    return render_template(
        "console/case.html", number=case_number(row.id, row.created_at), case=row, messages=messages,
        status_label=labels.STATUS_LABELS[row.status],
        tier_label=labels.TIER_LABELS.get(row.tier, "") if row.tier else "",
        handler=queries.handling_unit(row.tier, row.rep, row.sd, row.dept),
        timeline=[(at, labels.EVENT_LABELS.get(action, action), who, shown_to(actor, note))
                  for at, action, who, note in steps],
        answers=[(at, who, shown_to(actor, note)) for at, action, who, note in steps if action in ANSWER_STEPS],
        suggestion=suggestion, related=related, departments=departments, representatives=representatives,
        offered=offered(actor, row.status, row.tier, row.department_id is not None), form=ActionForm(),
        proposal=proposal, resident=resident, referral_body=notice_words.REFERRAL_BODIES.get(row.referred_to or ""),
        refusal_reasons=services_.settings.refusal_reasons,
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


def resident_for(conn: Connection, case_id: int, actor: Actor) -> dict | None:
    """The resident staff filed for (代录), as ``actor`` may read them; None for a WeChat resident."""
    row = conn.execute(select(Resident.openid, Resident.channel, Resident.name, Resident.phone)
                       .join(Case, Case.resident_id == Resident.id).where(Case.id == case_id)).one()
    if row.channel is None:
        return None
    return {"channel": words.CHANNEL_LABELS.get(row.channel, ""), "name": name_shown_to(actor, row.name or ""),
            "phone": phone_shown_to(actor, row.phone or ""), "wechat": row.openid is not None}


def _proposal(conn: Connection, case_id: int) -> dict | None:
    row = conn.execute(select(Proposal.id, Proposal.title, Proposal.body, Proposal.sent_to, Proposal.sent_at,
                              Proposal.answer, Proposal.answered_at)
                       .where(Proposal.case_id == case_id).order_by(Proposal.id.desc()).limit(1)).first()
    if row is None:
        return None
    signers = conn.execute(select(Representative.code, Representative.name)
                           .join(proposal_signers, proposal_signers.c.representative_id == Representative.id)
                           .where(proposal_signers.c.proposal_id == row.id).order_by(Representative.id)).all()
    return {**row._asdict(), "signers": signers}


def _options(conn: Connection, form: ActionForm, action: str, actor: Actor) -> dict | None:
    """What ``perform`` needs for ``action`` from the form; None when the form lacks it."""
    options: dict = {"note": (form.note.data or "").strip()}
    if form.tier.data:
        options["tier"] = Tier(form.tier.data)
    if action == "assign":
        if options.get("tier") is Tier.DEPARTMENT:
            options["department_id"] = conn.scalar(select(Department.id).where(Department.code == form.department.data))
        if form.due.data:
            options["due_at"] = due_by(form.due.data)
    elif action == "merge":
        target = queries.find_case(conn, actor, (form.target.data or "").strip())
        if target.case_id is None:
            return None
        options["merged_into_id"] = target.case_id
    elif action == "classify":
        options.update(category=(form.category.data or "").strip() or None, colour=form.colour.data or None)
    elif action == "feedback":
        options["for_department"] = True
    elif action == "refer":
        options.update(code=form.body.data or None, reference=(form.reference.data or "").strip())
    elif action == "refuse":
        options.update(code=form.reason.data or None, reasons=services().settings.refusal_reasons)
    elif action == "propose":
        codes = [code.strip() for code in form.signers.data or [] if code.strip()]
        ids = tuple(conn.scalars(select(Representative.id).where(Representative.code.in_(codes)))) if codes else ()
        options["proposal"] = ProposalDraft((form.title.data or "").strip(), (form.text.data or "").strip(), ids,
                                            (form.sent_to.data or "").strip())
    elif action == "close" and not options["note"]:
        return None   # 销号 records the result
    return options


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
        case_id = case_or_404(conn, number)
        options = _options(conn, form, action, actor)
        if options is None:
            flash(words.NOT_NOW.format(action=label), "error")
            return redirect(url_for("console.case", number=number))
        try:
            with conn.begin_nested():
                done = perform(conn, case_id, STEP_OF.get(action, action), actor, now, **options)
        except CaseNotFound:
            abort(404)
        except NotPermitted:
            abort(403)
        except TransitionError as error:
            log.info("console %s refused on case %s: %s", action, case_id, error)
            flash(words.NOT_NOW.format(action=label), "error")
            return redirect(url_for("console.case", number=number))
        resident = resident_for(conn, case_id, actor)
    flash(words.DONE.format(action=label, number=done.number), "info")
    if resident and not resident["wechat"] and tells_resident(STEP_OF.get(action, action)):
        flash(words.CALL_BACK.format(phone=resident["phone"]) if resident["phone"] else words.CALL_BACK_NO_PHONE,
              "error")
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
