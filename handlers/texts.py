"""Everything residents and representatives read in WeChat, in one place (Simplified Chinese)."""

from __future__ import annotations

from functools import cache

from cases.intake import NUMBER_SLOT, ReportReplies

LEVEL_LABELS = {
    "province": "省人大代表",
    "city": "市人大代表",
    "district": "区人大代表",
    "township": "乡镇人大代表",
}

STATUS_LABELS = {
    "submitted": "待接单",
    "accepted": "已接单",
    "assigned": "已交办",
    "replied": "已答复",
    "closed": "已办结",
    "merged": "已并案",
    "invalid": "无效",
    "withdrawn": "已撤回",
}

# What a case shows as its summary when the resident's first message has no words.
SUMMARY_PLACEHOLDERS = {
    "image": "[图片]",
    "voice": "[语音]",
    "video": "[视频]",
    "shortvideo": "[小视频]",
    "location": "[位置]",
    "link": "[链接]",
}

MY_CASES_COMMANDS = ("我的", "进度", "查询")

HOW_TO_REPORT = "有什么问题或建议，直接在这里发送文字、图片、语音或位置就可以，我们会登记并转给代表。发送“进度”可随时查看办理情况。"

HOW_TO_BIND = "请扫描附近民情民意联系点公示牌上的代表二维码，或发送您的位置，我们为您推荐最近的联系点。"

WELCOME_GENERIC = "您好，欢迎关注民意直通车！在这里，您可以直接向人大代表反映问题、提出建议。\n" + HOW_TO_BIND

UNKNOWN_SCENE = "抱歉，这个二维码暂时无法识别，可能已经更换。" + HOW_TO_BIND

UNSUPPORTED_MESSAGE = "抱歉，暂时还不能处理这类消息。您可以发送文字、图片、语音、视频或位置来反映问题，发送“进度”查看办理情况。"

NO_CASES_YET = "您还没有反映过问题。直接发送文字、图片、语音或位置，就可以开始。"

NO_CONTACT_POINT_NEARBY = "抱歉，您附近暂时没有登记的民情民意联系点。请扫描代表公示牌上的二维码联系代表。"

BAD_LOCATION = "抱歉，没能读出这个位置。请重新发送位置，或扫描代表公示牌上的二维码。"


def welcome_representative(
    name: str, level: str, constituency: str, contact_point: str, address: str, committee_phone: str = ""
) -> str:
    lines = [f"您好，欢迎关注民意直通车！您已联系上{LEVEL_LABELS.get(level, '人大代表')}{name}。"]
    if constituency:
        lines.append(f"选区：{constituency}")
    if contact_point:
        lines.append(f"联系点：{contact_point}" + (f"（{address}）" if address else ""))
    if committee_phone:
        lines.append(f"街道人大工委电话：{committee_phone}")
    lines.append(HOW_TO_REPORT)
    return "\n".join(lines)


@cache
def report_replies(join_minutes: int) -> ReportReplies:
    """What a report is answered; the intake fills in the case number."""
    head = f"您反映的问题已登记，编号{NUMBER_SLOT}。"
    return ReportReplies(
        opened=(
            f"{head}\n代表会尽快查看并答复，有进展我们会第一时间通知您。"
            f"{join_minutes}分钟内继续发送的文字、图片、语音或位置会补充到这件事里。发送“进度”可查看办理情况。"
        ),
        opened_unrouted=f"{head}\n您还没有联系的代表。{HOW_TO_BIND}这件事会一并转过去。",
        joined=f"已补充到{NUMBER_SLOT}，谢谢您。",
    )


def my_cases(rows: list[tuple[str, str, str]], more: int) -> str:
    """rows: (number, status, summary)."""
    if not rows:
        return NO_CASES_YET
    lines = ["您最近反映的问题："]
    for number, status, summary in rows:
        lines.append(f"{number}｜{STATUS_LABELS.get(status, status)}｜{clip(summary, 20)}")
    if more:
        lines.append(f"另有{more}件较早的记录。")
    return "\n".join(lines)


def location_replies(answer: str) -> ReportReplies:
    """An unbound resident's location: the answer to where to go, and where the location was kept."""
    return ReportReplies(
        opened=f"{answer}\n您发送的位置已登记，编号{NUMBER_SLOT}。",
        opened_unrouted=f"{answer}\n您发送的位置已登记，编号{NUMBER_SLOT}。",
        joined=f"{answer}\n您发送的位置已补充到{NUMBER_SLOT}。",
    )


def format_distance(metres: float) -> str:
    return f"{metres:.0f}米" if metres < 1000 else f"{metres / 1000:.1f}公里"


def nearest_contact_points(choices: list[tuple[str, str, str, float]]) -> str:
    """choices: (name, sub-district, address, metres), nearest first."""
    lines = ["离您最近的民情民意联系点："]
    for index, (name, sub_district, address, metres) in enumerate(choices, start=1):
        lines.append(f"{index}. {name}（{sub_district}，约{format_distance(metres)}）{address}")
    lines.append("回复序号即可选定，您反映的问题会转给该联系点的代表；也可以直接扫描公示牌上的代表二维码。")
    return "\n".join(lines)


def contact_point_chosen(name: str, address: str, sub_district: str) -> str:
    where = f"（{address}）" if address else ""
    return (
        f"好的，已为您选定{name}{where}。您反映的问题会由该联系点的代表和{sub_district}人大工委办理。\n"
        + HOW_TO_REPORT
    )


# -- a representative binding their WeChat by the temporary code (qr/binding.py) -------------
BIND_REPLIES = {
    "bound": "绑定成功！{name}代表，您好。今后群众通过您的二维码反映的问题，会第一时间推送到这个微信。",
    "already": "{name}代表，您已经绑定过了，无需重复操作。",
    "used": "这个绑定二维码已经使用过了。如需更换绑定的微信，请联系街道人大工委重新生成。",
    "expired": "这个绑定二维码已过期（有效期10分钟），请联系街道人大工委重新生成。",
    "unknown": "这个绑定二维码无效，请联系街道人大工委重新生成。",
    "taken": "这个微信已绑定{name}代表，不能再绑定其他代表。如有疑问，请联系街道人大工委。",
}


# -- pushed to a representative (customer-service message, or the template fallback) --------
def new_case_notice(number: str, summary: str, filed_at: str) -> str:
    return (f"【新的群众反映】\n案件编号：{number}\n内容：{summary}\n时间：{filed_at}\n"
            "群众正在等待您的回音，请及时处理。")


def new_case_progress(summary: str) -> str:
    """The template's 办理进度 field: WeChat shows at most 20 characters of it."""
    return "新的群众反映：" + clip(summary, 13)


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- printed on the 公示牌 posters (qr/posters.py) ---------------------------------------------
POSTER_HEADING = "民情民意联系点"
POSTER_CALL_TO_ACTION = "扫码关注，向代表反映您的意见建议"
POSTER_CONTACT_POINT = "联系点：{name}"
POSTER_ADDRESS = "地址：{address}"
POSTER_CODE = "代表编号：{code}"
POSTER_FOOTER = "民意直通车 · 人大代表联系群众"
POSTER_POINT_REPRESENTATIVES = "本联系点的人大代表（扫码联系）"


def poster_committee_phone(committee: str, phone: str) -> str:
    return f"{committee or '街道人大工委'}电话：{phone}"


def poster_promise(working_days: int) -> str:
    return f"一般事项 {working_days} 个工作日内答复"
