"""What representatives and clerks read when they work on cases from their own WeChat."""

from __future__ import annotations

from texts import clip
from texts import duty as duty_words

# A case's state in staff words.
STATUS_LABELS = {
    "submitted": "待接单",
    "accepted": "已接单",
    "assigned": "已交办",
    "replied": "已答复",
    "closed": "已办结",
    "merged": "已并案",
    "invalid": "不予受理",
    "withdrawn": "群众已撤回",
    "referred": "已转外部办理",
}

TIER_LABELS = {
    "representative": "代表直接答复",
    "subdistrict": "街道社区办理",
    "department": "部门办理",
    "higher_congress": "提交上级人大",
}

# One line of usage per command, shown alone when that command was mistyped.
USAGE = {
    "待办": "待办 —— 列出您手上未办完的群众反映，最早的在前",
    "查看": "查看 编号 —— 看一件反映的内容、图片、位置和办理经过",
    "接单": "接单 编号 —— 表示由您跟进这件事",
    "回复": "回复 编号 答复内容 —— 直接答复群众",
    "转街道": "转街道 编号 [说明] —— 请所在街道办理，街道人大工委协调",
    "转部门": "转部门 编号 部门 [说明] —— 请区有关部门办理，如“转部门 123 城管 路灯不亮”",
    "转上级": "转上级 编号 [说明] —— 作为代表建议提交上级人大",
    "退回": "退回 编号 原因 —— 不属于您联系的事项，退回街道人大工委另行安排",
    "指派": "指派 编号 代表编号 —— 把一件反映交给一位代表（街道人大工委用）",
    "反映": "反映 内容 —— 您自己要反映问题时用，会像群众反映一样登记",
    "我的履职": duty_words.USAGE,
}
ORDER = ("待办", "查看", "接单", "回复", "转街道", "转部门", "转上级", "退回", "指派", "反映", "我的履职")
# Commands for one side only: clerks designate (指派), representatives read their own record.
CLERKS_ONLY, REPRESENTATIVES_ONLY = frozenset({"指派"}), frozenset({"我的履职"})

NUMBER_HINT = "编号可以写全（如2026-000123），也可以只写末尾几位，只要在您的事项中不重复。"


def help_text(can_designate: bool) -> str:
    lines = ["可用的指令（指令和编号之间加空格）："]
    hidden = REPRESENTATIVES_ONLY if can_designate else CLERKS_ONLY
    lines += [f"· {USAGE[verb]}" for verb in ORDER if verb not in hidden]
    lines.append(NUMBER_HINT)
    return "\n".join(lines)


def usage(verb: str) -> str:
    return f"“{verb}”指令的格式是：\n{USAGE[verb]}\n{NUMBER_HINT}"


def did_you_mean(typed: str, verb: str) -> str:
    return f"没有“{typed}”这个指令，您是不是想用“{verb}”？\n{USAGE[verb]}"


NOT_A_COMMAND = "这条消息不会转给群众。发送“待办”查看待办事项，发送“帮助”查看全部指令；您自己要反映问题，请以“反映”开头。"
NOT_TEXT = "工作台只接收文字指令，这条消息没有转给群众。您自己要反映问题，请先发送“反映 内容”，再补充图片或位置。"
NO_SUCH_CASE = "没有找到编号为{number}的事项，或者它不归您办理。发送“待办”查看您的事项。"
AMBIGUOUS_NUMBER = "末尾为{digits}的编号不止一个：{numbers}。请写出完整编号。"
NOT_ALLOWED = "这件事现在是“{status}”，不能{action}。发送“查看 {number}”了解办理经过。"
STAFF_ONLY = "“指派”只供街道人大工委使用。"
UNKNOWN_REPRESENTATIVE = "没有找到代表编号“{code}”。{hint}"


def representative_codes(codes: list[tuple[str, str]]) -> str:
    """The codes a clerk may give cases to, with names (at most 20)."""
    return "可用的代表编号：" + "、".join(f"{code}（{name}）" for code, name in codes[:20])
NO_DEPARTMENT = "没有找到“{name}”这个部门。{hint}"
CLOSEST = "您是不是指：{names}？"
EMPTY_REPORT = "请在“反映”后面写上您要反映的问题，如“反映 小区路灯不亮”。"
TOO_LONG = "答复太长了（{length}字），请控制在{limit}字以内，分几次发送。"

ACTION_NAMES = {
    "accept": "接单", "reply": "答复", "assign": "转办", "return": "退回", "route": "指派",
}

DONE = {
    "accept": "已接单：{number}。答复群众请发送“回复 {short} 内容”。",
    "reply": "已答复{number}，答复会推送给群众。",
    "assign_subdistrict": "已转{unit}办理：{number}。{committee}会跟进，群众会收到转办通知。",
    "assign_department": "已转{unit}办理：{number}。群众会收到转办通知。",
    "assign_higher_congress": "已作为代表建议提交上级人大：{number}。群众会收到通知。",
    "return": "已退回{number}，{committee}会另行安排。",
    "route": "已把{number}交给{name}代表。",
}


def age(hours: int) -> str:
    """How long a case has waited, for the to-do list."""
    return f"{hours // 24}天" if hours >= 24 else (f"{hours}小时" if hours else "不到1小时")


def todo_list(rows: list[dict], more: int) -> str:
    """rows: number, status, summary, age (e.g. 3天), oldest first."""
    if not rows:
        return "您目前没有待办的群众反映。"
    lines = ["您的待办（最早的在前）："]
    for row in rows:
        flag = "【已超时】" if row.get("overdue") else ""
        lines.append(f"{row['number']}｜{STATUS_LABELS[row['status']]}｜{row['age']}前{flag}\n  {clip(row['summary'], 30)}")
    if more:
        lines.append(f"另有{more}件，处理完上面的再发送“待办”查看。")
    lines.append("发送“查看 编号”看详情。")
    return "\n".join(lines)


def case_detail(*, number: str, status: str, tier: str | None, submitted_at: str, handler: str, words: list[str],
                photos: int, voices: int, videos: int, location: str, timeline: list[str]) -> str:
    lines = [f"【{number}】{STATUS_LABELS[status]}" + (f"｜{TIER_LABELS[tier]}" if tier else ""),
             f"提交时间：{submitted_at}"]
    if handler:
        lines.append(f"办理：{handler}")
    lines.append("群众反映：" + ("\n".join(words) if words else "（没有文字）"))
    media = "，".join(f"{label}{count}个" for label, count in (("图片", photos), ("语音", voices), ("视频", videos))
                     if count)
    if media:
        lines.append(f"附件：{media}（在工作台网页查看）")
    if location:
        lines.append(f"位置：{location}")
    lines.append("办理经过：")
    lines += [f"· {line}" for line in timeline]
    return "\n".join(lines)


EVENT_LABELS = {
    "submit": "提交",
    "accept": "接单",
    "assign": "交办",
    "reply": "答复",
    "close": "办结",
    "reopen": "重新办理",
    "merge": "并案",
    "invalidate": "不予受理",
    "withdraw": "群众撤回",
    "return": "退回街道人大工委",
    "route": "指派代表",
    "escalate": "转街道人大工委",
    "supervise": "督办",
    "refer": "转外部办理",
    "refuse": "退单",
    "propose": "代表建议",
    "answer_proposal": "建议答复",
}


# -- a representative or a clerk binding their WeChat by the temporary code (qr/binding.py) ----
BIND_REPLIES = {
    "bound": "绑定成功！{name}，您好。今后群众反映的问题会推送到这个微信，您也可以在这里直接答复和转办，发送“帮助”查看用法。",
    "already": "{name}，您已经绑定过了，无需重复操作。",
    "used": "这个绑定二维码已经使用过了。如需更换绑定的微信，请联系街道人大工委重新生成。",
    "expired": "这个绑定二维码已过期（有效期10分钟），请联系街道人大工委重新生成。",
    "unknown": "这个绑定二维码无效，请联系街道人大工委重新生成。",
    "taken": "这个微信已绑定{name}，不能再绑定其他身份。如有疑问，请联系街道人大工委。",
}

