"""Reminders before a deadline, the 督办 notices after it, and the district office's daily list of
overdue cases (cases.supervision). Staff words: representatives and clerks read them."""

from __future__ import annotations

# -- reminders, before the deadline (kind → text) --------------------------------------------------
REMINDERS = {
    "take": ("【接单提醒】编号{number}的群众反映还没有接单，请在{due}前接单，逾期将转{committee}安排。\n{summary}\n"
             "回复“接单 {short}”接单，“查看 {short}”看详情。"),
    "claim": ("【安排提醒】编号{number}正等待{unit}安排，请在{due}前指派代表、交办或答复群众。\n{summary}\n"
              "回复“查看 {short}”看详情，“指派 {short} 代表编号”交给代表。"),
    "due": "【到期提醒】编号{number}的办理期限是{due}，请抓紧办理，按时答复群众。\n{summary}",
}
# -- 督办, after it: to whoever handles the case, and to whoever oversees them -------------------
OVERDUE_TO_HANDLER = "【督办】编号{number}已超过办理期限（{due}），现予督办，请尽快办理并答复群众。\n{summary}"
OVERDUE_TO_OVERSEER = "【督办】{unit}办理的编号{number}已超过办理期限（{due}），请督促尽快办理。\n{summary}"
# The template's line (at most 20 characters) for each purpose.
PROGRESS = {
    "remind_take": "接单提醒：{summary}",
    "remind_claim": "安排提醒：{summary}",
    "remind_due": "到期提醒：{summary}",
    "supervise": "督办：{summary}",
    "digest": "超期{count}件，请督促办理",
}
# The timeline's note of the 督办 step.
LEDGER_NOTE = "超过办理期限（{due}），予以督办"

# Who handles a case, as the 督办 notice to whoever oversees them names them.
REPRESENTATIVE_UNIT = "{name}代表"
NO_SUB_DISTRICT = "未明确街道"

# -- the district office's daily list ---------------------------------------------------------------
DIGEST_HEAD = "【超期督办日报】{date}，全区共{count}件超过办理期限，尚未办结："
DIGEST_LINE = "{sub_district}{count}件：{numbers}"
DIGEST_MORE = "等"
DIGEST_SUPERVISED = "（督办）"
DIGEST_CUT = "其余街道的超期件数见工作台。"
DIGEST_TAIL = "详见工作台“临期与超期”。"


def digest_date(day) -> str:
    return f"{day.year}年{day.month}月{day.day}日"
