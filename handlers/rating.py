"""A resident's answer to the rating question (验单) in the chat.

The question (``cases.ratings.ask``) asks one thing at a time, answered by one digit: 1 解决,
2 部分解决, 3 未解决; then (this handler's reply) 1 满意, 2 基本满意, 3 不满意. Full-width and
circled digits, 一二三, two digits at once (「13」) and the words themselves (「解决了」「不满意」)
are understood too, and so is a verdict said first in a longer text, the rest being the comment
(「不满意，还是漏水」: ``split_verdict``). A digit that is no answer (「4」「0」「123」) gets the
question again with a hint. With several open, the answer goes to the one half answered (its
second question was asked last), else to the latest asked; the reply names the case's number.

Only while a rating is open: with none, a verdict's words and digits fall through to the
resident's commands and reports (joined to their open case, or filed), as does any other text.
「评价」 is a command: it shows the open question again, or says there is none.

After 不满意 or 未解决 the resident is asked what was wrong (conversation state
``rating_comment``): their next text within ``COMMENT_WITHIN`` is the comment, passed to whoever
handles the case now, if it is a short text (``COMMENT_LONGEST``) and no command; 「0」 skips it.
A command (「进度」「评价」), a digit (another rating's answer), a long text or one that opens a new
problem (「另外3楼又漏水了」「新问题……」: ``looks_like_new_report``) is handled as usual.

Placed after the workbench (representatives and clerks never rate) and before the resident's
conversation, commands and reports. While another conversation is open (choosing a contact point
by number), digits are that conversation's.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from cases import ratings
from handlers.commands import LONGEST_COMMAND, normalize_command
from handlers.context import Context
from handlers.registry import PASS, Handler, Reply
from models.rating import SATISFACTION_VALUES, SOLVED_VALUES
from texts import ratings as words
from texts import residents as resident_words

COMMENT_STATE = "rating_comment"
COMMENT_WITHIN = timedelta(minutes=10)
COMMENT_LONGEST = 200   # a comment is a few words; a longer text is a report, filed as usual
MISTYPED = "mistyped"
REJECTING = frozenset(("unsolved", "dissatisfied"))
CHINESE_DIGITS = {"一": "1", "二": "2", "三": "3"}


def _folded(table):
    return {normalize_command(key) or key: value for key, value in table.items()}


SOLVED_WORDS = _folded(words.SOLVED_WORDS)
SATISFACTION_WORDS = _folded(words.SATISFACTION_WORDS)
RATE_COMMANDS = frozenset(_folded(dict.fromkeys(words.RATE_COMMANDS)))
SKIP_COMMENT = frozenset(_folded(dict.fromkeys(words.SKIP_COMMENT)))
# What a resident asked for a comment may type that is no comment: handled as usual.
OTHER_COMMANDS = frozenset(_folded(dict.fromkeys(
    resident_words.MY_CASES_COMMANDS + resident_words.HELP_COMMANDS + resident_words.NEW_PROBLEM_COMMANDS
    + resident_words.GREETINGS + resident_words.THANKS + resident_words.ACKNOWLEDGEMENTS)))
NEW_PROBLEM_WORDS = tuple(_folded(dict.fromkeys(resident_words.NEW_PROBLEM_COMMANDS)))
NEW_REPORT_OPENERS = tuple(_folded(dict.fromkeys(words.NEW_REPORT_OPENERS)))
# Verdict words longest first, so that 「没有解决好」 is not read as 「没有解决」 and a remainder.
VERDICT_WORDS = sorted([(word, "solved", value) for word, value in words.SOLVED_WORDS.items()]
                       + [(word, "satisfaction", value) for word, value in words.SATISFACTION_WORDS.items()],
                       key=lambda entry: -len(entry[0]))


@dataclass(frozen=True)
class Answer:
    solved: str | None = None
    satisfaction: str | None = None


def parse_answer(text: str, awaiting: str) -> Answer | str | None:
    """What ``text`` answers while the question ``awaiting`` (solved / satisfaction) is open: an
    Answer, MISTYPED for digits that answer nothing, or None for text that is no answer at all."""
    folded = normalize_command(text)
    folded = CHINESE_DIGITS.get(folded, folded)
    if folded.isascii() and folded.isdigit():
        if len(folded) > 3:
            return None   # a phone number, a house number: not an answer
        if len(folded) == 1 and folded in "123":
            value = int(folded) - 1
            return Answer(solved=SOLVED_VALUES[value]) if awaiting == "solved" else \
                Answer(satisfaction=SATISFACTION_VALUES[value])
        if len(folded) == 2 and awaiting == "solved" and set(folded) <= set("123"):
            return Answer(SOLVED_VALUES[int(folded[0]) - 1], SATISFACTION_VALUES[int(folded[1]) - 1])
        return MISTYPED
    if folded in SOLVED_WORDS:
        return Answer(solved=SOLVED_WORDS[folded])
    if folded in SATISFACTION_WORDS:
        return Answer(satisfaction=SATISFACTION_WORDS[folded])
    return None


def _is_separator(char: str) -> bool:
    return char.isspace() or unicodedata.category(char)[0] in "PS"


def _after_pause(text: str) -> str:
    while text and _is_separator(text[0]):
        text = text[1:]
    return text


def split_verdict(text: str) -> tuple[Answer, str] | None:
    """A verdict said in words at the start of a longer text, one or both questions' (「不满意，还是
    漏水」「没解决，不满意：……」), and the rest (the comment); None when the text opens with none.
    A word that rejects may run on into the rest (「不满意还是漏水」); one that accepts must be
    followed by a pause, so that 「解决一下楼道的灯」 is a request, not a verdict."""
    rest = _after_pause(text.strip())
    found: dict[str, str] = {}
    while len(found) < 2:
        for word, question, value in VERDICT_WORDS:
            if question in found or not rest.startswith(word):
                continue
            after = rest[len(word):]
            if after and value not in REJECTING and not _is_separator(after[0]):
                continue
            found[question] = value
            rest = _after_pause(after)
            break
        else:
            break
    if not found:
        return None
    return Answer(found.get("solved"), found.get("satisfaction")), rest.strip()


def looks_like_new_report(text: str) -> bool:
    """A text the resident means as a new problem rather than a word on the answer: it opens
    with 「另外」「再反映」…, or says 「新问题」 anywhere."""
    folded = normalize_command(text)
    return folded.startswith(NEW_REPORT_OPENERS) or any(word in folded for word in NEW_PROBLEM_WORDS)


def _may_be_rating(text: str) -> bool:
    """Could ``text`` answer a rating (whether one is open is the handler's to find out)?"""
    if len(text) <= LONGEST_COMMAND and (normalize_command(text) in RATE_COMMANDS
                                         or parse_answer(text, "solved") is not None):
        return True
    return len(text) <= COMMENT_LONGEST and split_verdict(text) is not None


def is_rating_text(ctx: Context) -> bool:
    if ctx.incoming.msg_type != "text" or not ctx.text:
        return False
    if ctx.state is not None:
        return ctx.state.name == COMMENT_STATE
    return _may_be_rating(ctx.text)


def on_rating_text(ctx: Context) -> Reply | object:
    if ctx.state is not None:
        reply = _on_comment(ctx)
        if reply is not AS_USUAL:
            return reply
        if not _may_be_rating(ctx.text):
            return PASS
    return _on_answer(ctx)


def _on_answer(ctx: Context) -> Reply | object:
    pending = ratings.pending_for(ctx.conn, ctx.incoming.openid, ctx.now, ctx.settings.ratings_expire_days)
    text = ctx.text
    if len(text) <= LONGEST_COMMAND and normalize_command(text) in RATE_COMMANDS:
        return _question(pending[0]) if pending else words.NOTHING_TO_RATE
    if not pending:   # nothing to rate: the words are the resident's as usual (their case, a report)
        return PASS
    current = pending[0]
    awaiting = "satisfaction" if current.solved else "solved"
    parsed = parse_answer(text, awaiting) if len(text) <= LONGEST_COMMAND else None
    comment = ""
    if parsed is None:
        split = split_verdict(text)
        if split is None or looks_like_new_report(split[1]):
            return PASS
        parsed, comment = split
    if parsed == MISTYPED:
        return words.MISTYPED[awaiting]
    solved = parsed.solved or current.solved
    satisfaction = parsed.satisfaction or current.satisfaction
    comment = comment or current.comment
    ctx.confirm_resident()  # it writes next: a representative's or clerk's words are not a rating
    if not (solved and satisfaction):
        ratings.note_answer(ctx.conn, current.id, solved, satisfaction, comment)
        chosen = words.SOLVED_LABELS[solved] if solved else words.SATISFACTION_LABELS[satisfaction]
        question = words.SATISFACTION_QUESTION if solved else words.SOLVED_QUESTION
        return words.CHOSEN.format(label=chosen) + question
    verdict = ratings.rate(ctx.conn, current.id, solved, satisfaction, comment, ctx.now)
    return _after(ctx, verdict, pending[1:], commented=bool(comment))


def _question(pending: ratings.Pending) -> str:
    if not pending.half_answered:
        return words.FIRST_QUESTION_AGAIN.format(number=pending.number)
    question = words.SATISFACTION_QUESTION if pending.solved else words.SOLVED_QUESTION
    return words.SECOND_QUESTION_AGAIN.format(number=pending.number) + question


def _after(ctx: Context, verdict: ratings.Verdict, others: list[ratings.Pending], commented: bool) -> str:
    """Thanks, what became of the case, and the comment's question after 不满意 or 未解决 (unless
    the resident said what was wrong with their verdict)."""
    if verdict.outcome == "expired":
        return words.NOTHING_TO_RATE
    if verdict.outcome == "superseded":
        return words.SUPERSEDED.format(number=verdict.number)
    values = {"number": verdict.number, "unit": verdict.unit, **words.verdict(verdict.solved, verdict.satisfaction)}
    rejected = ratings.rejects(verdict.solved, verdict.satisfaction)
    if verdict.outcome == "closed":
        reply = words.THANKS_CLOSED.format(**values)
    elif verdict.outcome == "reopened":
        reply = words.REOPENED.format(**values)
    elif verdict.outcome == "kept" and rejected:
        reply = words.KEPT.format(**values)
    else:
        reply = words.THANKS.format(**values)
    if rejected and verdict.outcome != "already" and commented:
        reply += words.COMMENT_INCLUDED
    elif rejected and verdict.outcome != "already":
        ctx.set_state(COMMENT_STATE, rating=verdict.rating_id, until=(ctx.now + COMMENT_WITHIN).isoformat())
        return reply + words.ask_comment(verdict.solved, verdict.satisfaction)
    if others:
        reply += words.MORE_TO_RATE.format(number=others[0].number)
    return reply


# _on_comment's answer for a text that is no comment: handled as usual, a rating's answer first.
AS_USUAL = object()


def _on_comment(ctx: Context) -> Reply | object:
    """The resident's words after 不满意 or 未解决, if they come in time and are a comment; PASS
    for a command or a report, AS_USUAL for what may answer a rating (「评价」, a digit) or comes
    too late."""
    data = ctx.state.data
    ctx.clear_state()
    text = ctx.text
    folded = normalize_command(text)
    short = len(text) <= LONGEST_COMMAND
    if ctx.now > datetime.fromisoformat(data["until"]):
        return AS_USUAL
    if short and folded in SKIP_COMMENT:
        return words.COMMENT_SKIPPED
    if short and (folded in RATE_COMMANDS or CHINESE_DIGITS.get(folded, folded).isdigit()):
        return AS_USUAL
    if not folded or (short and folded in OTHER_COMMANDS) or len(text) > COMMENT_LONGEST \
            or looks_like_new_report(text):
        return PASS
    ctx.confirm_resident()
    unit = ratings.add_comment(ctx.conn, int(data["rating"]), text, ctx.now)
    return words.COMMENT_THANKS.format(unit=unit) if unit else words.COMMENT_SKIPPED


HANDLERS = [Handler("rating", is_rating_text, on_rating_text)]
