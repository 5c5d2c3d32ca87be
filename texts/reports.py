"""Words of the monthly cycle: the monthly report workbooks (月报), their console page and their
announcement to staff, and the reminder of a contact point's public reception day (公开接访日)."""

from __future__ import annotations

from datetime import date

import texts as names
from texts import console as console_words

# -- the workbook -------------------------------------------------------------------------------
TITLE = "{scope}{year}年{month}月民意月报"
WHOLE_DISTRICT = "全区"   # when the district itself has no name yet
FILE_NAME = "{scope}{year}年{month}月民意月报.xlsx"
LEDGER_SHEET = console_words.LEDGER_SHEET   # 台账
SUMMARY_SHEET = "汇总"
PERIOD = "统计期间：{first}至{last}（北京时间）"
MADE_AT = "制表时间：{at}"
BASIS = ("统计口径：「收到反映」为本月登记的问题（不含并案、不予受理和群众撤回的）；「已接单」「已答复办结」"
         "「超期未办结」和各项比率，是这些问题截至制表时的办理情况；满意率、办成率只计群众实际作出的评价"
         "（每件问题以最近一次评价为准），逾期未评价的单列，不计为满意。")
FIGURE = "指标"
VALUE = "数值"
COUNT = "件数"
NO_FIGURE = "—"
HEADLINES = {
    "received": console_words.RECEIVED,
    "taken": "已接单",
    "answered": console_words.ANSWERED,
    "overdue": "超期未办结",
    "answer_rate": "答复办结率",
    "rated": "群众参与评价",
    "satisfaction_rate": "满意率（满意与基本满意）",
    "solved_rate": "办成率（问题已解决）",
    "unrated": "逾期未评价",
}
SECTIONS = {
    "by_tier": "按办理层级",
    "by_category": "按类别",
    "by_sub_district": "按街道",
    "by_representative": "按代表（前20位）",
    "by_department": "按承办单位",
}
DEPARTMENT_COLUMNS = ("交办件数", "已答复办结")
NOTHING = "本月无"
UNSET = console_words.UNSET

# -- the console page ---------------------------------------------------------------------------
PAGE_HEADING = "月报"
PAGE_NOTE = "每月1日自动生成上个月的月报（台账和汇总统计图表），保存在这里供下载。"
COLUMNS = ("月份", "范围", "文件大小", "生成时间", "")
DOWNLOAD = "下载"
NONE_YET = "还没有月报：每月1日生成上个月的。"
MONTH = "{year}年{month}月"
KILOBYTES = "{size:.0f}KB"

# -- the announcement to staff ------------------------------------------------------------------
ANNOUNCEMENT = ("【月报】{title}已生成：收到反映{received}件，已答复办结{answered}件，答复办结率{rate}。"
                "请登录管理后台，在“月报”页下载（含台账和汇总统计图表）。")
ANNOUNCEMENT_LINE = "{scope}{month}月民意月报已生成"   # the template's 20-character line

# -- the reception day reminder -----------------------------------------------------------------
RECEPTION_REMINDER = "明天（{month}月{day}日）是{point}的公开接访日{hours}{place}。请您按时到场接待群众，谢谢！"
RECEPTION_HOURS = "，接待时间：{hours}"
RECEPTION_PLACE = "，地点：{address}"
RECEPTION_LINE = "明天{month}月{day}日公开接访日"       # the template's 20-character line

# -- the directory's contact point form ----------------------------------------------------------
RECEPTION_DAY = "公开接访日（每月几号）"
RECEPTION_DAY_HINT = "填1—28之间的日期，如15；前一天会提醒该联系点的代表。不举行的留空。"
RECEPTION_DAY_RANGE = "请填1—28之间的整数。"
RECEPTION_DAY_SHOWN = "每月{day}日"


def month_label(month: date) -> str:
    return MONTH.format(year=month.year, month=month.month)


percent = names.percent
