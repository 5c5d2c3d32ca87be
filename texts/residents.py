"""What residents read in the chat: welcomes, receipts, progress, help (passive replies)."""

from __future__ import annotations

from cases.intake import NUMBER_SLOT
from texts import LEVEL_LABELS, clip, electoral_line

# A case's state in residents' words (docs/domain.md, "Words people read").
STATUS_LABELS = {
    "submitted": "已登记",
    "accepted": "已受理",
    "assigned": "办理中",
    "replied": "已答复",
    "closed": "已办结",
    "merged": "已合并办理",
    "invalid": "未受理（原因见答复）",
    "withdrawn": "已撤回",
    "referred": "已转有关单位办理（见答复）",
}

MEDIA_LIST = "文字、图片、语音、视频或位置"
EMERGENCY = "火警、治安、急病请拨打119、110、120。"
PRIVACY = "您提供的个人信息仅用于办理您反映的问题，不会公开。"


def office_hours(start_hour: int, end_hour: int) -> str:
    return f"留言在工作日{start_hour}:00至{end_hour}:00处理，其他时间的留言顺延至下一个工作日。"


# What a case shows as its summary when the resident's first message has no words.
SUMMARY_PLACEHOLDERS = {
    "image": "[图片]",
    "voice": "[语音]",
    "video": "[视频]",
    "shortvideo": "[小视频]",
    "location": "[位置]",
    "link": "[链接]",
}

MY_CASES_COMMANDS = ("我的", "进度", "查询", "我的问题", "查进度", "查询进度")
NEW_PROBLEM_COMMANDS = ("新问题", "另一个问题", "新的问题", "反映新问题")
HELP_COMMANDS = ("帮助", "help", "菜单", "怎么用", "使用帮助", "?")
# Said to be polite, not to report: answered, never filed (folded: no spaces or punctuation).
GREETINGS = ("你好", "您好", "在吗", "在不在", "hello", "hi", "哈喽", "早上好", "下午好", "晚上好", "有人吗")
THANKS = ("谢谢", "谢谢你", "谢谢您", "感谢", "多谢", "辛苦了", "谢谢代表", "非常感谢", "thanks", "thankyou")
ACKNOWLEDGEMENTS = ("好的", "好", "嗯", "嗯嗯", "好的谢谢", "收到", "知道了", "明白了", "ok", "行", "可以")

HOW_TO_REPORT = (f"直接在这里发送{MEDIA_LIST}，就能反映问题或提出建议；"
                 "发送“进度”查看办理情况，发送“帮助”查看更多用法。")

HOW_TO_BIND = "请扫描民情民意联系点公示牌上的代表二维码，或发送您的位置，我们为您推荐附近的联系点。"


def welcome_footer(operator: str, hours: str) -> str:
    return "\n".join(line for line in (f"本号由{operator}主办。" if operator else "", hours, EMERGENCY, PRIVACY) if line)


def welcome_generic(operator: str, hours: str) -> str:
    return ("您好，欢迎关注民意直通车！在这里，您可以直接向人大代表反映问题、提出建议。\n"
            + HOW_TO_BIND + "\n" + welcome_footer(operator, hours))


UNKNOWN_SCENE = "抱歉，这个二维码暂时无法识别，可能已经更换。" + HOW_TO_BIND

# A resident staff filed for (代录) scans the code on their slip: outcome → reply.
LINK_REPLIES = {
    "bound": "您好，您在联系点登记的问题已与这个微信关联，今后的办理进展会在这里通知您。发送“进度”可随时查看。",
    "already": "这张回执已经关联到您的微信，无需重复扫描。发送“进度”可查看办理情况。",
    "used": "这张回执的二维码已被其他微信关联。如有疑问，请联系登记时的联系点。",
    "expired": "这张回执的二维码已过期（有效期30天）。您可以凭回执上的编号联系登记时的联系点查询进度。",
    "unknown": "抱歉，这个二维码无法识别。您可以凭回执上的编号联系登记时的联系点查询进度。",
    "taken": "这个微信已绑定为代表或工作人员，不能关联群众的回执。请用群众本人的微信扫描。",
}

UNSUPPORTED_MESSAGE = f"抱歉，暂时还不能处理这类消息。您可以发送{MEDIA_LIST}来反映问题，发送“进度”查看办理情况。"

NO_CASES_YET = f"您还没有反映过问题。直接发送{MEDIA_LIST}，就可以开始。"

BAD_LOCATION = "抱歉，没能读出这个位置。请重新发送位置，或扫描代表公示牌上的二维码。"

GREETING_REPLY = f"您好！有什么问题或建议，直接发送{MEDIA_LIST}就可以。发送“进度”可查看办理情况。"
THANKS_REPLY = "不客气，感谢您的信任和支持！有新的问题或建议，随时告诉我们。"
ACKNOWLEDGEMENT_REPLY = "好的。有新情况随时告诉我们，发送“进度”可查看办理情况。"

NEW_PROBLEM_READY = "好的，请直接发送您要反映的新问题，我们会另行登记。"


def help_text(join_minutes: int) -> str:
    return "\n".join([
        "您可以这样使用民意直通车：",
        f"· 反映问题：直接发送{MEDIA_LIST}，我们会登记并告诉您编号；",
        f"· 补充情况：{join_minutes}分钟内继续发送的内容会补充到同一个问题里；",
        "· 反映另一个问题：先发送“新问题”；",
        "· 查看进度：发送“进度”；",
        "· 更换联系的代表：扫描公示牌上的代表二维码。",
        EMERGENCY,
    ])


def no_contact_point_nearby(km: int) -> str:
    return (f"抱歉，您附近{km}公里内暂时没有登记的民情民意联系点。您可以扫描代表公示牌上的二维码，"
            "也可以直接发送您要反映的问题，我们会转交区人大常委会办理。")


def welcome_representative(
    *, name: str, level: str, constituency: str, contact_point: str, address: str, committee: str,
    committee_phone: str, operator: str, hours: str,
) -> str:
    lines = [f"您好，欢迎关注民意直通车！您已关注{LEVEL_LABELS.get(level, '人大代表')}{name}，"
             "可以直接向代表反映问题、提出建议。"]
    elected = electoral_line(level, constituency)
    if elected:
        lines.append(elected)
    if contact_point:
        lines.append(f"联系点：{contact_point}" + (f"（{address}）" if address else ""))
    if committee_phone:
        lines.append(f"{committee or '街道人大工委'}电话：{committee_phone}")
    lines.append(HOW_TO_REPORT)
    lines.append(welcome_footer(operator, hours))
    return "\n".join(lines)


def report_opened(working_days: int, join_minutes: int) -> str:
    return (f"您反映的问题已登记，编号{NUMBER_SLOT}。\n一般会在{working_days}个工作日内答复您，"
            "受理、转办和答复都会在这里通知您，发送“进度”也可随时查看。\n"
            f"{join_minutes}分钟内继续发送的内容会补充到这个问题里；要反映另一个问题，请先发送“新问题”。")


def report_opened_unrouted(working_days: int) -> str:
    return (f"您反映的问题已登记，编号{NUMBER_SLOT}。\n您还没有选定联系的代表：{HOW_TO_BIND}"
            f"选定后这个问题会一并转过去；没有选定的，由街道或区人大常委会接手，一般会在{working_days}个工作日内答复您。")


REPORT_JOINED = f"已补充到{NUMBER_SLOT}，谢谢您。"


def my_cases(rows: list[dict], more: int) -> str:
    """rows: number, status, summary, unit (who handles it now, may be empty), answer (latest, may be empty)."""
    if not rows:
        return NO_CASES_YET
    lines = ["您最近反映的问题："]
    for row in rows:
        lines.append(f"【{row['number']}】{STATUS_LABELS.get(row['status'], row['status'])}")
        lines.append(f"内容：{clip(row['summary'] or '（无文字）', 24)}")
        if row.get("unit"):
            lines.append(f"办理：{row['unit']}")
        if row.get("answer"):
            lines.append(f"最新答复：{clip(row['answer'], 80)}")
    if more:
        lines.append(f"另有{more}个较早的问题。")
    return "\n".join(lines)


def format_distance(metres: float) -> str:
    return f"{metres:.0f}米" if metres < 1000 else f"{metres / 1000:.1f}公里"


def nearest_contact_points(choices: list[tuple[str, str, str, float]]) -> str:
    """choices: (name, sub-district, address, metres), nearest first."""
    lines = ["离您最近的民情民意联系点："]
    for index, (name, sub_district, address, metres) in enumerate(choices, start=1):
        lines.append(f"{index}. {name}（{sub_district}，约{format_distance(metres)}）{address}")
    lines.append("回复序号即可选定，您反映的问题会转给该联系点的代表；也可以直接扫描公示牌上的代表二维码。")
    return "\n".join(lines)


def location_joined(answer: str) -> str:
    return f"{answer}\n您发送的位置已补充到{NUMBER_SLOT}。"


def contact_point_chosen(name: str, address: str, committee: str) -> str:
    where = f"（{address}）" if address else ""
    return f"好的，已为您选定{name}{where}。您反映的问题会由该联系点的代表和{committee}办理。\n" + HOW_TO_REPORT



# While the database cannot be reached, a delivery is kept in the local spool (bot.spool) and
# answered with one of these; once it is filed, what it would have been answered is pushed.
SPOOLED_MESSAGE = "您的消息已收到。系统正在登记，编号稍后会发送给您，请不必重复发送。"
SPOOLED_TAP = "您好，已收到。系统正在处理，稍后会把详细信息发送给您。"
SPOOLED_FILED_LINE = "您的留言已登记"  # a template message's line (at most 20 characters)
