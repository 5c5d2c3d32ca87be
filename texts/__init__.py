"""Everything people read, in Simplified Chinese, kept together and importable from every layer:
``residents`` (the resident's chat), ``workbench`` (representatives and clerks in WeChat),
``notices`` (messages pushed after a step on a case), ``posters`` (the printed 公示牌).

Words follow "Words people read" in docs/domain.md: residents read 问题 and 编号, never 案件 or the
staff words 接单、交办、并案、销号; they are addressed as 您; no spaces around numbers.
"""

from __future__ import annotations

from cases.numbering import BEIJING_OFFSET


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, the last one an ellipsis when it was longer."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


LEVEL_LABELS = {
    "province": "省人大代表",
    "city": "市人大代表",
    "district": "区人大代表",
    "township": "乡镇人大代表",
}

# Provincial and city representatives are elected by the congress below, not in a 选区.
ELECTED_BY_CONGRESS = frozenset({"province", "city"})


def electoral_line(level: str, constituency: str) -> str:
    if not constituency:
        return ""
    return f"{'选举单位' if level in ELECTED_BY_CONGRESS else '选区'}：{constituency}"


def percent(rate: float | None) -> str:
    """A rate as people read it: 75%; — when there was nothing to count."""
    return "—" if rate is None else f"{rate * 100:.0f}%"


def beijing_time(at) -> str:
    """A stored naive-UTC time as people in China read it (for pushed messages and the CLI)."""
    return (at + BEIJING_OFFSET).strftime("%Y年%m月%d日 %H:%M").replace("年0", "年").replace("月0", "月")


# -- names of people and bodies, as every message writes them ----------------------------------
ACCOUNT_NAME = "民意直通车"
HIGHER_CONGRESS = "上级人大"
SOME_SUB_DISTRICT = "所在街道"
SOME_DEPARTMENT = "区有关部门"
SOME_COMMITTEE = "街道人大工委"
DISTRICT_OFFICE = "区人大常委会"
SOME_STAFF = "工作人员"
ACTOR_LABELS = {"resident": "群众", "system": "系统"}


def representative_title(name: str) -> str:
    return f"{name}代表"


def committee_name(sub_district: str) -> str:
    """A 街道's working committee when none is on file."""
    return f"{sub_district}人大工委"


def standing_committee(district: str) -> str:
    return f"{district}人大常委会"
