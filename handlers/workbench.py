"""The workbench: a representative or a clerk who bound their own WeChat works on their cases from
the chat. Recognised before any resident handler, so nothing they type becomes a resident's case
unless they start it with 「反映」. Every step goes through ``cases.actions.perform``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from cases import directory, duty, queries
from cases.actions import CaseNotFound, NotPermitted, perform
from cases.calendar import load_calendar
from cases.intake import MessageContent
from cases.numbering import case_number
from cases.scope import Actor
from cases.status import ActorKind, MessageKind, Tier
from cases.transitions import TransitionError
from handlers.context import Context
from handlers.registry import Handler, Reply
from handlers.report import file_content
from handlers.workbench_parse import Command, Unparsed, parse
from texts import beijing_time, clip, representative_title
from texts import duty as duty_words
from texts import workbench as words

TO_DO_SHOWN = 8  # cases one 「待办」 answer lists
# A passive reply carries at most 2,048 bytes; a case's detail is cut to fit.
REPLY_LIMIT_CHARS = 600
ANSWER_LIMIT_CHARS = 1000


def is_worker(ctx: Context) -> bool:
    return ctx.incoming.msg_type != "event" and ctx.worker() is not None


def on_worker(ctx: Context) -> Reply:
    actor = ctx.worker()
    if ctx.incoming.msg_type != "text":
        return words.NOT_TEXT
    parsed = parse(ctx.text)
    if isinstance(parsed, Unparsed):
        if parsed.verb is None:
            return words.NOT_A_COMMAND
        if parsed.typed:
            return words.did_you_mean(parsed.typed, parsed.verb)
        return words.usage(parsed.verb)
    return COMMANDS[parsed.verb](ctx, actor, parsed)


def _is_clerk(actor: Actor) -> bool:
    return actor.kind is ActorKind.STAFF


def _help(ctx: Context, actor: Actor, command: Command) -> Reply:
    if command.argument:
        return words.usage(command.argument)
    return words.help_text(_is_clerk(actor))


def _age(since: datetime, now: datetime) -> str:
    hours = max(int((now - since).total_seconds() // 3600), 0)
    return words.age(hours)


def _todo(ctx: Context, actor: Actor, command: Command) -> Reply:
    rows, more = queries.todo(ctx.conn, actor, TO_DO_SHOWN)
    return words.todo_list([
        {"number": case_number(row.id, row.created_at), "status": row.status, "summary": row.summary,
         "age": _age(row.created_at, ctx.now), "overdue": row.due_at is not None and row.due_at < ctx.now}
        for row in rows
    ], more)


def _find(ctx: Context, actor: Actor, command: Command) -> int | str:
    """The case's id, or the answer that says why there is none."""
    found = queries.find_case(ctx.conn, actor, command.number)
    if found.ambiguous:
        return words.AMBIGUOUS_NUMBER.format(digits=command.number, numbers="、".join(found.ambiguous))
    if found.case_id is None:
        return words.NO_SUCH_CASE.format(number=command.number)
    return found.case_id


def _show(ctx: Context, actor: Actor, command: Command) -> Reply:
    case_id = _find(ctx, actor, command)
    if isinstance(case_id, str):
        return case_id
    case = queries.detail(ctx.conn, case_id)
    timeline = [f"{beijing_time(at)} {who} {words.EVENT_LABELS.get(action, action)}"
                + (f"：{clip(note, 60)}" if note else "") for at, action, who, note in case.timeline]
    return clip(words.case_detail(
        number=case.number, status=case.status, tier=case.tier, submitted_at=beijing_time(case.created_at),
        handler=case.handler, words=[clip(text, 200) for text in case.words], photos=case.photos,
        voices=case.voices, videos=case.videos, location=case.location, timeline=timeline,
    ), REPLY_LIMIT_CHARS)


def _step(action: str, done_key: str | None = None, **fixed) -> Callable[[Context, Actor, Command], Reply]:
    """A command that takes one step on the case it names."""

    def run(ctx: Context, actor: Actor, command: Command) -> Reply:
        case_id = _find(ctx, actor, command)
        if isinstance(case_id, str):
            return case_id
        options = dict(fixed)
        if action == "reply" and len(command.text) > ANSWER_LIMIT_CHARS:
            return words.TOO_LONG.format(length=len(command.text), limit=ANSWER_LIMIT_CHARS)
        if action == "assign" and fixed.get("tier") is Tier.DEPARTMENT:
            match = directory.match_department(ctx.conn, f"{command.argument} {command.text}".strip())
            if match.id is None:
                return words.NO_DEPARTMENT.format(name=command.argument, hint=words.CLOSEST.format(
                    names="、".join(match.closest)))
            options.update(department_id=match.id, note=match.rest)
        elif action == "route":
            if not _is_clerk(actor):
                return words.STAFF_ONLY
            rep_id = directory.representative_id_by_code(ctx.conn, command.argument)
            if rep_id is None:
                codes = directory.representative_codes(ctx.conn, actor.sub_district_id)
                return words.UNKNOWN_REPRESENTATIVE.format(code=command.argument, hint=words.representative_codes(codes))
            options.update(representative_id=rep_id, note=command.text)
        else:
            options.setdefault("note", command.text)
        try:
            with ctx.conn.begin_nested():
                done = perform(ctx.conn, case_id, action, actor, ctx.now, **options)
        except CaseNotFound:
            return words.NO_SUCH_CASE.format(number=command.number)
        except (NotPermitted, TransitionError):
            status = queries.detail(ctx.conn, case_id)
            return words.NOT_ALLOWED.format(status=words.STATUS_LABELS[status.status],
                                            action=words.ACTION_NAMES.get(action, action), number=status.number)
        unit = queries.detail(ctx.conn, case_id).handler
        return words.DONE[done_key or action].format(
            number=done.number, short=str(case_id), unit=unit, committee=queries.committee_of(ctx.conn, case_id),
            name=unit.removesuffix(representative_title("")))

    return run


def _report(ctx: Context, actor: Actor, command: Command) -> Reply:
    """A representative's or clerk's own problem: filed as any resident's would be."""
    return file_content(ctx, MessageContent(kind=MessageKind.TEXT, msg_id=None, content=command.text))


def _my_record(ctx: Context, actor: Actor, command: Command) -> Reply:
    """A representative's own duty record (履职登记), this month and this year; no points."""
    if actor.kind is not ActorKind.REPRESENTATIVE:
        return duty_words.FOR_REPRESENTATIVES
    settings = ctx.settings
    return duty.own_record(ctx.conn, actor.id, actor.name, ctx.now, settings.cases_take_within_working_hours,
                           load_calendar(settings.calendar_holidays))


COMMANDS: dict[str, Callable[[Context, Actor, Command], Reply]] = {
    "帮助": _help,
    "待办": _todo,
    "查看": _show,
    "接单": _step("accept"),
    "回复": _step("reply"),
    "转街道": _step("assign", "assign_subdistrict", tier=Tier.SUBDISTRICT),
    "转部门": _step("assign", "assign_department", tier=Tier.DEPARTMENT),
    "转上级": _step("assign", "assign_higher_congress", tier=Tier.HIGHER_CONGRESS),
    "退回": _step("return"),
    "指派": _step("route"),
    "反映": _report,
    "我的履职": _my_record,
}

HANDLERS = [Handler("workbench", is_worker, on_worker)]
