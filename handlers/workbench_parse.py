"""Reading a representative's or clerk's command, as people type it on a phone: full-width
characters, spaces or none, a leading 「#」, the verb's common synonyms, a number whole or in
part. A pure function, tested as a table."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from cases.numbering import ID_DIGITS

VERBS = ("待办", "查看", "接单", "回复", "转街道", "转部门", "转上级", "退回", "指派", "反映", "帮助", "我的履职")
SYNONYMS = {"答复": "回复", "转社区": "转街道", "详情": "查看", "待办事项": "待办", "我的待办": "待办",
            "列表": "待办", "使用帮助": "帮助", "help": "帮助", "?": "帮助", "退单": "退回",
            "转上级人大": "转上级", "提建议": "转上级",
            "履职": "我的履职", "履职记录": "我的履职", "我的履职记录": "我的履职", "履职情况": "我的履职",
            "我的履职情况": "我的履职"}
# Every word that starts a command, the longest first (「待办事项」 before 「待办」).
_LONGEST_FIRST = tuple(sorted([*VERBS, *SYNONYMS], key=len, reverse=True))
_KNOWN = frozenset(_LONGEST_FIRST)
WITHOUT_NUMBER = frozenset({"待办", "帮助", "反映", "我的履职"})
NEEDS_TEXT = frozenset({"回复", "退回"})
NEEDS_ARGUMENT = frozenset({"转部门", "指派"})  # a department, a representative's code

# A case number whole (2026-000123) or its last digits, in ASCII digits (NFKC has folded
# full-width ones); a case id longer than ID_DIGITS names no case (ids are signed 64-bit).
_NUMBER = re.compile(r"(?:[0-9]{4}-)?([0-9]+)")
_SEPARATORS = " \t\r\n:,;.、，：；。"
_LEADING = re.compile(r"^[\s:,;.、，：；。]+")


@dataclass(frozen=True)
class Command:
    verb: str
    number: str = ""
    argument: str = ""
    text: str = ""


@dataclass(frozen=True)
class Unparsed:
    verb: str | None  # the command it was meant to be (its usage is the answer); None: not a command
    typed: str = ""  # the mistyped word, when the verb was guessed from it


def fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().lstrip("#").strip()


def _folded_with_origins(text: str) -> tuple[str, list[int]]:
    """``text`` folded (NFKC) and, for each folded character, where it came from in ``text``: the
    command is read in folded form, the words after it are kept exactly as typed."""
    folded, origins = [], []
    for index, char in enumerate(text):
        for piece in unicodedata.normalize("NFKC", char):
            folded.append(piece)
            origins.append(index)
    return "".join(folded), origins


def _one_edit_apart(a: str, b: str) -> bool:
    return len(a) == len(b) and sum(x != y for x, y in zip(a, b, strict=True)) == 1


def parse(text: str) -> Command | Unparsed:
    all_folded, origins = _folded_with_origins(text)
    start = len(all_folded) - len(all_folded.lstrip(" \t\r\n#"))
    folded = all_folded[start:].rstrip()
    said = next((word for word in _LONGEST_FIRST if folded.lower().startswith(word)), None)
    if said is None:
        head = re.split(r"[\s\d]", folded, maxsplit=1)[0]
        guess = next((verb for verb in VERBS if len(verb) >= 2 and _one_edit_apart(head, verb)), None)
        return Unparsed(guess, head) if guess else Unparsed(None)

    def as_typed(position: int) -> str:
        """What was typed from ``position`` of ``folded`` on, unfolded."""
        at = start + position
        return _LEADING.sub("", text[origins[at]:]).rstrip() if at < len(origins) else ""

    verb = SYNONYMS.get(said, said)
    rest_at = len(said) + len(folded[len(said):]) - len(folded[len(said):].lstrip(_SEPARATORS))
    rest = folded[rest_at:]
    if verb == "帮助":
        wanted = fold(rest)
        return Command(verb, argument=SYNONYMS.get(wanted, wanted) if wanted in _KNOWN else "")
    if verb == "反映":
        return Command(verb, text=as_typed(rest_at)) if rest.strip() else Unparsed(verb)
    if verb in WITHOUT_NUMBER:
        return Command(verb)
    match = _NUMBER.match(rest)
    if match is None or len(match.group(1)) > ID_DIGITS:
        return Unparsed(verb)
    after = rest_at + match.end()
    argument = ""
    if verb in NEEDS_ARGUMENT:
        tail = folded[after:].lstrip(_SEPARATORS)
        argument = tail.split(maxsplit=1)[0].strip(_SEPARATORS) if tail.strip() else ""
        if not argument:
            return Unparsed(verb)
        after = len(folded) - len(tail) + tail.index(argument) + len(argument)
    words_typed = as_typed(after)
    if verb in NEEDS_TEXT and not words_typed:
        return Unparsed(verb)
    return Command(verb, match.group(0), argument, words_typed)
