"""What people read about a routing suggestion: its evidence lines and how it is shown in the
representative's notice, on the console and by ``minyi routing explain``."""

from __future__ import annotations

from texts.workbench import TIER_LABELS

COLOUR_LABELS = {"蓝": "蓝色（即办）", "黄": "黄色（协办）", "红": "红色（上报）"}
UNSURE = "暂无把握"

PHRASE_EVIDENCE = "「{phrase}」→{label}"
FROM_CATEGORY = "{label}（由类别推断）"
FROM_DEPARTMENT = "{label}（由承办部门{department}推断）"
LEARNED_WORDS = "以往同类决定中的词：{words}"
DEFAULT_COLOUR = "{tier}的默认颜色"

# The lines the representative's notice carries (kept short: a notice is read on a phone).
NOTICE_LINE = "系统建议：{tier}{department}；{category}；{colour}"
NOTICE_DEPARTMENT = "（{name}）"
NOTICE_EVIDENCE = "依据：{evidence}"
NOTICE_UNSURE = "系统建议：暂无把握，请您判断"

EXPLAIN_HEADINGS = {"category": "类别", "tier": "层级", "department": "承办部门", "colour": "颜色"}
EXPLAIN_LINE = "{heading}：{answer}  置信度 {confidence:.0%}"
EXPLAIN_EVIDENCE = "    依据：{evidence}"
EXPLAIN_NO_EVIDENCE = "    依据：无（没有词语或规则指向任何答案）"
EXPLAIN_MODEL = "模型版本：{version}"


def notice_lines(detail: dict | None) -> str:
    """The suggestion as the notice shows it (ending in a newline), or "" when there is none."""
    if not detail:
        return ""
    tier, category, colour = (detail[name]["label"] for name in ("tier", "category", "colour"))
    if not tier and not category:
        return NOTICE_UNSURE + "\n"
    department = detail["department"]
    line = NOTICE_LINE.format(
        tier=TIER_LABELS.get(tier, UNSURE) if tier else "层级" + UNSURE,
        department=NOTICE_DEPARTMENT.format(name=department.get("name") or department["label"])
        if tier == "department" and department["label"] else "",
        category=category or "类别" + UNSURE, colour=COLOUR_LABELS.get(colour, "颜色" + UNSURE))
    evidence = detail["category"]["evidence"][:2] or detail["tier"]["evidence"][:2]
    return line + "\n" + (NOTICE_EVIDENCE.format(evidence="；".join(evidence)) + "\n" if evidence else "")


def classified_note(tier: str | None, category: str | None, colour: str | None, note: str) -> str:
    """The timeline's note for a 「classify」 step: 「层级：部门办理；类别：…；颜色：红色（上报）」."""
    parts = ([f"层级：{TIER_LABELS[tier]}"] if tier else []) + ([f"类别：{category}"] if category else []) + \
        ([f"颜色：{COLOUR_LABELS[colour]}"] if colour else [])
    return "；".join(parts) + (f"。{note}" if note else "")
