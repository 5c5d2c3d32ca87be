"""What staff and representatives read of representatives' duty records (履职登记): the console's
pages and export, and the representative's own record in WeChat (「我的履职」).

Points (积分) appear only on staff pages and the export, for the congress office's own use: no
ranking is published and nothing asks a representative to clock in (国办函〔2026〕12号).
"""

from __future__ import annotations

from datetime import date

import texts as names

KIND_LABELS = {"reception": "接待选民", "visit": "走访", "research": "调研", "inspection": "视察", "other": "其他"}
PASSED_ON_LABELS = {"subdistrict": "转街道", "department": "转部门", "higher_congress": "转上级人大", "": "转办"}
POINT_ITEM_LABELS = {
    "received": "收到群众反映（件）",
    "taken_in_time": "按时接单（件）",
    "answered": "直接答复（件）",
    "passed_on": "转办（件）",
    "satisfied": "群众评价满意（次）",
    "basic": "群众评价基本满意（次）",
    **{kind: f"{label}（次）" for kind, label in KIND_LABELS.items()},
}


def hours(value: float) -> str:
    """3, 2.5: working hours without a trailing .0."""
    return f"{value:g}"


percent = names.percent   # the templates read it as duty_words.percent


def day_label(day: date, with_year: bool = True) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if with_year else f"{day.month}月{day.day}日"


def period_label(first: date, last: date) -> str:
    """2026年11月1日至11月30日; one day: 2026年11月1日."""
    if first == last:
        return day_label(first)
    return f"{day_label(first)}至{day_label(last, with_year=last.year != first.year)}"


# -- the console ------------------------------------------------------------------------------
DUTY = "履职登记"
HEADING = "代表履职登记"
INTRO = ("收到、接单、答复、转办和群众评价由系统根据办理记录自动统计；接待选民、走访、调研、视察等线下履职由工作人员登记。"
         "按工作时间计算的时限为{hours}个工作小时。")
NO_RANKING = ("积分仅供人大常委会掌握代表履职情况，不排名、不公开；本页按街道和代表编号排列，不按积分排序。"
              "系统不要求代表打卡，线下履职由工作人员据实登记。")
COUNTED_AT = "办理数字统计于{at}（每{minutes}分钟更新一次；线下履职随登记即时显示）"
PERIOD = "统计期间"
PERIOD_LABELS = {"month": "本月", "last_month": "上月", "year": "本年", "last_year": "上年"}
FROM = "从"
TO = "到"
SHOW = "查看"
PERIOD_BAD = "统计期间不正确：开始日期不能晚于结束日期，最长一年。"
EXPORT = "导出全部履职记录（Excel）"
ADD_ACTIVITY = "登记线下履职"
NOTHING = "没有可显示的代表。"
NONE = "—"
COLUMNS = {
    "name": "代表", "level": "层级", "sub_district": "街道", "received": "收到", "taken_in_time": "按时接单",
    "answered": "直接答复", "passed_on": "转办", "returned": "退回", "median": "首次响应（中位数）",
    "rated": "参评", "satisfaction": "满意率", "activities": "线下履职", "points": "积分",
}
MEDIAN_UNIT = "{hours}个工作小时"
RECORD_HEADING = "{name}的履职记录"
AUTOMATIC = "办理群众反映（自动统计）"
RECEIVED_LINE = "收到群众反映"
TAKEN_LINE = "在{hours}个工作小时内接单、答复或转办"
TAKEN_ANY = "已接单、答复或转办"
RESPONDED_LINE = "首次响应用时（中位数）"
ANSWERED_LINE = "直接答复"
PASSED_ON_LINE = "转办"
RETURNED_LINE = "退回街道人大工委"
RATINGS = "群众评价"
RATING_LABELS = {"satisfied": "满意", "basic": "基本满意", "dissatisfied": "不满意",
                 "solved": "解决", "partly": "部分解决", "unsolved": "未解决", "expired": "未评价"}
RATED_LINE = "参评"
SATISFACTION_RATE = "满意率（满意和基本满意）"
COUNT = "{n}件"
TIMES = "{n}次"
OFFLINE = "线下履职（工作人员登记）"
POINTS = "积分（仅供内部掌握）"
POINTS_OFF = "未设置积分规则（配置项duty.points）。"
POINTS_COLUMNS = ("项目", "数量", "每项积分", "积分")
POINTS_TOTAL = "合计"
ACTIVITY_COLUMNS = ("日期", "类别", "代表", "联系点", "情况", "登记人")
NO_ACTIVITIES = "这一期间没有登记线下履职活动。"
REMOVE = "删除"
REMOVED = "已删除这条线下履职登记。"
BACK = "返回履职登记"

# The form.
FORM_HEADING = "登记线下履职"
FORM_INTRO = "据实登记代表已经开展的线下履职活动。可以同时选择多位代表。"
KIND = "类别"
DAY = "日期"
REPRESENTATIVES = "代表"
CONTACT_POINT = "联系点（可不填）"
NO_POINT = "（不填）"
NOTES = "情况"
NOTES_HINT = "如：在东街第一联系点接待选民5人次，反映停车难等问题3件。"
SAVE = "登记"
CANCEL = "取消"
REQUIRED = "请填写这一项。"
CHOOSE_ONE = "请从列表中选择。"
CHOOSE_REPRESENTATIVES = "请至少选择一位代表。"
DAY_FORMAT = "日期的格式是2026-11-23。"
DAY_IN_FUTURE = "只能登记已经开展的活动，日期不能晚于今天。"
TOO_LONG = "不能超过{max}个字。"
SAVED = "已登记：{kind}，{day}，{names}。"

# The export.
EXPORT_FILE = "代表履职登记-{first}至{last}.xlsx"
SHEET_RECORDS = "履职记录"
SHEET_ACTIVITIES = "线下履职"
EXPORT_NOTE = "统计期间：{period}。积分仅供内部掌握，不排名、不公开。"
EXPORT_SATISFACTION = "满意率"
EXPORT_COLUMNS = ("代表编号", "代表", "层级", "街道", "收到群众反映", "按时接单", "已接单答复或转办", "直接答复",
                  "转街道", "转部门", "转上级人大", "退回", "首次响应中位数（工作小时）", "参评", "满意", "基本满意",
                  "不满意", "未评价", EXPORT_SATISFACTION, *(f"{label}（次）" for label in KIND_LABELS.values()), "积分")
EXPORT_ACTIVITY_COLUMNS = ("日期", "类别", "代表", "联系点", "情况", "登记人", "登记时间")


# -- the representative in WeChat (「我的履职」) ---------------------------------------------------
COMMAND = "我的履职"
MONTH = "本月"
YEAR = "本年"
USAGE = "我的履职 —— 查看您本月和本年的履职记录"
FOR_REPRESENTATIVES = "“我的履职”供人大代表查看本人的履职记录。代表的履职登记请在工作台网页的“履职登记”中查看。"
MY_RECORD_END = "以上由系统根据您办理群众反映的记录和工作人员登记的线下履职活动自动生成，仅供您本人了解，不排名。"


def record_lines(record, promise_hours: float) -> list[str]:
    """A record in plain words, one line per fact (``record``: a cases.duty.Record)."""
    lines = [f"收到群众反映{record.received}件，其中{record.taken_in_time}件在{hours(promise_hours)}个工作小时内"
             "接单、答复或转办" if record.received else "没有收到群众反映"]
    parts = [f"{label}{record.passed_on[tier]}件" for tier, label in PASSED_ON_LABELS.items()
             if record.passed_on.get(tier)]
    passed = f"转办{record.passed_on_total}件" + (f"（{'、'.join(parts)}）" if parts else "")
    lines.append(f"直接答复{record.answered}件，{passed}" + (f"，退回{record.returned}件" if record.returned else ""))
    if record.median_response_hours is not None:
        lines.append(f"首次响应用时中位数{hours(record.median_response_hours)}个工作小时")
    ratings = record.ratings
    if ratings.rated:
        said = "、".join(f"{RATING_LABELS[key]}{getattr(ratings, key)}次"
                        for key in ("satisfied", "basic", "dissatisfied") if getattr(ratings, key))
        lines.append(f"群众评价{ratings.rated}次：{said}")
    else:
        lines.append("暂无群众评价")
    if record.activities_total:
        done = "、".join(f"{label}{record.activities[kind]}次" for kind, label in KIND_LABELS.items()
                        if record.activities.get(kind))
        lines.append(f"线下履职{record.activities_total}次：{done}")
    else:
        lines.append("暂无登记的线下履职活动")
    return lines


def my_record(name: str, sections: list[tuple[str, str, list[str]]]) -> str:
    """The answer to 「我的履职」: (title, period, lines) per section, e.g. 本月 and 本年."""
    text = [f"{name}代表，您好！您的履职记录："]
    for title, period, lines in sections:
        text.append(f"【{title}】{period}")
        text += [f"· {line}" for line in lines]
    text.append(MY_RECORD_END)
    return "\n".join(text)
