"""Messages pushed after a step on a case: to the resident (in residents' words), to the
representative and the clerks (in staff words). Each has a customer-service text and, for the
template that stands in outside WeChat's window, a line of at most 20 characters."""

from __future__ import annotations

from texts import clip

SIGNATURE = "——{who}"

# -- to the resident ---------------------------------------------------------------------------
TO_RESIDENT = {
    "accept": "您反映的问题（编号{number}）已由{who}受理，有进展会再通知您。",
    "assign_subdistrict": "您反映的问题（编号{number}）已转请{unit}办理，{committee}会跟进督促，办理结果会通知您。",
    "assign_department": "您反映的问题（编号{number}）已转请{unit}办理，{who}会跟进督促，办理结果会通知您。",
    "assign_higher_congress": "您反映的问题（编号{number}）涉及面较广，{who}已将其作为代表建议提交上级人大研究，进展会通知您。",
    "reply": "您反映的问题（编号{number}）有了答复：\n{note}\n" + SIGNATURE,
    "reply_continued": "（编号{number}的答复，续）\n{note}",
    "close": "您反映的问题（编号{number}）已办结。{result_line}感谢您的信任和支持！如有新的问题，随时告诉我们。",
    "merge": "您反映的问题（编号{number}）与编号{other}反映的是同一件事，已合并办理，进展会一并通知您。",
    "invalidate": "您反映的问题（编号{number}）未能受理，原因：{note}",
    "reopen": "您反映的问题（编号{number}）已重新办理，有进展会通知您。",
    "refer": ("您反映的问题（编号{number}）依法应由{body}办理，已转交{body}（受理编号：{reference}），"
              "您可以凭这个受理编号向对方查询办理进展。{note_line}"),
    "answer_proposal": "您反映的问题（编号{number}）已作为代表建议提交{to}，现有了答复：\n{note}\n——{to}答复，{who}转告",
}
# The template's progress line (thing: at most 20 characters).
RESIDENT_PROGRESS = {
    "accept": "已受理，代表会跟进",
    "assign_subdistrict": "已转{unit}办理",
    "assign_department": "已转{unit}办理",
    "assign_higher_congress": "已作为建议提交上级人大",
    "reply": "已答复，发送“进度”查看",
    "close": "已办结",
    "merge": "已合并办理",
    "invalidate": "未受理，发送“进度”查看原因",
    "reopen": "已重新办理",
    "refer": "已转{body}办理",
    "answer_proposal": "建议已有答复，发送“进度”查看",
}

# -- to representatives and clerks ---------------------------------------------------------------
COMMANDS_HINT = "回复“查看 {short}”看详情，“接单 {short}”接单，“回复 {short} 内容”直接答复群众。"
CLERK_HINT = "回复“查看 {short}”看详情，“指派 {short} 代表编号”交给代表，“转部门 {short} 部门”请部门办理。"

NEW_CASE = "【新的群众反映】编号{number}\n{summary}\n提交时间：{submitted}\n{suggestion}" + COMMANDS_HINT
ESCALATED = "【请{committee}安排】编号{number}：{reason}。\n{summary}\n提交时间：{submitted}\n{suggestion}" + CLERK_HINT
ESCALATED_TO_DISTRICT = ("【请区人大常委会安排】编号{number}：{reason}。\n{summary}\n提交时间：{submitted}\n{suggestion}"
                         + CLERK_HINT)
ESCALATION_REASONS = {
    "no_representative": "群众没有选定代表",
    "no_sub_district": "群众没有选定联系点，也没有选定代表",
    "representative_unbound": "{representative}代表尚未绑定微信，无法及时收到",
    "not_taken": "{representative}代表{hours}个工作小时内没有接单",
    "returned": "{representative}代表退回，原因：{note}",
    "refused": "{department}退单，原因：{refusal}",
}
ASSIGNED_TO_UNIT = "【交办】编号{number}由{who}转请{unit}办理。\n{summary}" + "{due_line}{note_line}"
PROPOSAL = "【代表建议】编号{number}由{who}提请作为代表建议提交上级人大。\n{summary}{note_line}"
TOLD_REPRESENTATIVE = "您联系的群众反映（编号{number}）：{who}已{what}。"
REPRESENTATIVE_WHAT = {
    "assign": "转请{unit}办理",
    "reply": "答复群众",
    "close": "办结",
    "merge": "并案办理",
    "invalidate": "作不予受理处理",
    "refer": "转{body}办理（受理编号{reference}）",
    "refuse": "退单（{refusal}），{committee}将重新安排",
    "reopen": "退回重新办理（{note}）",
    "close_by_resident": "确认办结（{note}）",   # a resident's rating closed it: the note is their verdict
}
# A reopened case, to whoever handles it at its tier (cases.notices.handling_openids), with the reason.
REOPENED = "【重新办理】编号{number}由{who}退回重新办理。\n{note}\n{summary}"
REOPENED_HINT = "\n回复“回复 {short} 内容”再次答复群众。"
# The proposal's news, to the representatives who sign it and the case's own representative.
PROPOSAL_NEWS = {
    "propose": "【代表建议】编号{number}反映的问题已形成代表建议《{title}》，由{who}提交{to}。\n{summary}",
    "answer_proposal": "【代表建议答复】编号{number}《{title}》，{to}已答复：\n{note}\n群众会收到这个答复。",
}
# Where a matter outside the congress's remit goes (cases.status.REFERRAL_BODIES), as people read it.
REFERRAL_BODIES = {
    "12345": "12345政务服务便民热线",
    "xinfang": "信访部门",
    "court": "人民法院",
    "procuratorate": "人民检察院",
    "other": "有关单位",
}
# What a step's extra facts read when the step has none (a message names only its own).
EXTRA_DEFAULTS = {"title": "", "to": "", "body": "", "reference": "", "refusal": "", "due": ""}
# The timeline's notes (the ledger) for steps that carry more than their words.
LEDGER_NOTES = {
    "for_department": "{department}的答复（代为录入）：{note}",
    "refer": "已转{body}，受理编号{reference}{note_line}",
    "refuse": "{department}退单：{refusal}",
}
STAFF_PROGRESS = {
    "new_case": "新的群众反映：{summary}",
    "escalate": "请安排：{summary}",
    "assign": "交办：{summary}",
    "proposal": "代表建议：{summary}",
    "told_representative": "办理进展：{summary}",
    "reopen": "重新办理：{summary}",
}


def note_line(note: str) -> str:
    return f"\n说明：{note}" if note else ""


def due_line(due: str) -> str:
    return f"\n办理期限：{due}前" if due else ""


def result_line(result: str) -> str:
    return f"办理结果：{result}\n" if result else ""


def progress(template: str, **values: str) -> str:
    """A template's 20-character line, the summary clipped to what is left."""
    fixed = len(template.replace("{summary}", "").format(**{k: v for k, v in values.items() if k != "summary"}))
    summary = clip(values.get("summary", ""), max(20 - fixed, 4))
    return clip(template.format(**{**values, "summary": summary}), 20)
