"""Case statuses and handling tiers (docs/domain.md: "A case's life", "The four tiers")."""

from __future__ import annotations

from enum import StrEnum


class CaseStatus(StrEnum):
    SUBMITTED = "submitted"  # 待接单
    ACCEPTED = "accepted"  # 已接单, tier chosen
    ASSIGNED = "assigned"  # 已交办
    REPLIED = "replied"  # 已答复
    CLOSED = "closed"  # 已办结 / 销号
    MERGED = "merged"  # 并案
    INVALID = "invalid"  # 无效
    WITHDRAWN = "withdrawn"  # 群众撤回
    REFERRED = "referred"  # 转外部: outside the congress's remit, referred to 12345, 信访, a court…


# A resident's further messages may still join a case in these statuses: nobody has answered yet.
JOINABLE_STATUSES = (CaseStatus.SUBMITTED, CaseStatus.ACCEPTED)
OPEN_STATUSES = (CaseStatus.SUBMITTED, CaseStatus.ACCEPTED, CaseStatus.ASSIGNED, CaseStatus.REPLIED)
# The statuses in which a clock runs (cases.deadlines): a case in these may be late. A replied case
# waits for the resident, not for the unit; a closed, merged, invalid, withdrawn or referred one is done.
RUNNING_STATUSES = (CaseStatus.SUBMITTED, CaseStatus.ACCEPTED, CaseStatus.ASSIGNED)


class Tier(StrEnum):
    REPRESENTATIVE = "representative"  # 1 代表直接答复
    SUBDISTRICT = "subdistrict"  # 2 街道社区
    DEPARTMENT = "department"  # 3 一府两院部门
    HIGHER_CONGRESS = "higher_congress"  # 4 上级人大


# A case's colour as 襄州 uses them: 蓝 即办, 黄 协办, 红 上报 (hazards to life and property).
COLOURS = ("蓝", "黄", "红")
# Where a matter outside the congress's remit is referred (转外部), as the case records it.
REFERRAL_BODIES = ("12345", "xinfang", "court", "procuratorate", "other")

# How a resident without WeChat reached a contact point, when staff file for them (代录).
CHANNELS = ("visit", "phone", "letter", "other")

# Levels of a category path in the category tree: 城乡建设/城市建设和市政管理/环境卫生.
CATEGORY_SEPARATOR = "/"


class RepresentativeLevel(StrEnum):
    PROVINCE = "province"
    CITY = "city"
    DISTRICT = "district"
    TOWNSHIP = "township"


class MessageKind(StrEnum):
    TEXT = "text"
    IMAGE = "image"
    VOICE = "voice"
    VIDEO = "video"
    SHORTVIDEO = "shortvideo"
    LOCATION = "location"
    LINK = "link"


# The kinds of message that carry words: text, a voice note's recognised text, a link's title.
SPOKEN_KINDS = (MessageKind.TEXT, MessageKind.VOICE, MessageKind.LINK)


class ActorKind(StrEnum):
    RESIDENT = "resident"
    REPRESENTATIVE = "representative"
    STAFF = "staff"
    SYSTEM = "system"
