"""What clerks, department liaisons and the district office read in the console (/console)."""

from __future__ import annotations

TITLE = "民意直通车 · 工作台"
ROLE_LABELS = {
    "district": "区人大常委会",
    "subdistrict": "街道人大工委",
    "department": "承办单位",
    "observer": "查看（只读）",
}

# Login and password.
LOGIN_HEADING = "工作人员登录"
USERNAME = "用户名"
PASSWORD = "密码"
LOGIN = "登录"
LOGOUT = "退出"
LOGIN_FAILED = "用户名或密码不正确。"
LOGIN_THROTTLED = "登录尝试次数过多，请{minutes}分钟后再试。"
LOGIN_NEEDED = "请先登录。"
LOGGED_OUT = "您已退出登录。"
PASSWORD_HEADING = "修改密码"
OLD_PASSWORD = "当前密码"
NEW_PASSWORD = "新密码"
NEW_PASSWORD_AGAIN = "再次输入新密码"
CHANGE_PASSWORD = "修改密码"
PASSWORD_CHANGED = "密码已修改，其他设备上的登录已失效。"
PASSWORD_WRONG = "当前密码不正确。"
PASSWORD_MISMATCH = "两次输入的新密码不一致。"
PASSWORD_TOO_SHORT = "新密码至少{length}个字符。"
FIELD_REQUIRED = "请填写此项。"
FORM_EXPIRED = "页面已过期，请刷新后重试。"

# Queues (领单).
QUEUES_HEADING = "待办"
QUEUE_LABELS = {
    "waiting": "待代表接单",
    "unrouted": "待分派",
    "subdistrict": "转街道办理",
    "department": "交办部门",
    "due": "临期与超期",
    "reopened": "重新办理",
    "failed": "推送失败",
    "all": "全部",
}
COLUMNS = ("编号", "反映时间", "内容摘要", "状态", "层级", "代表", "期限")
SEARCH = "搜索编号或内容"
FILTER = "筛选"
ANY = "不限"
STATUS = "状态"
TIER = "层级"
NOTHING_HERE = "这里暂时没有案件。"
PAGE = "第{page}页，共{pages}页（{total}件）"
PREVIOUS = "上一页"
NEXT = "下一页"
OVERDUE = "已超期"

# The ledger (台账) export.
EXPORT = "导出台账"
LEDGER_SHEET = "台账"
LEDGER_FILE = "民意台账-{stamp}.xlsx"
LEDGER_COLUMNS = ("编号", "反映时间", "反映人（脱敏）", "代表", "联系点", "内容摘要", "类别", "层级", "颜色",
                  "承办单位", "交办时间", "期限", "状态", "办结时间", "满意度")

# The dashboard.
DASHBOARD = "统计"
SINCE = "自{date}起"
PERIOD_LABELS = {"30": "近30天", "90": "近90天", "365": "近一年"}
RECEIVED = "收到反映"
TAKEN = "已受理"
ANSWERED = "已答复办结"
OVERDUE_COUNT = "超期未办"
ANSWER_RATE = "答复办结率"
SATISFACTION_RATE = "满意率（群众评价后统计）"
UNSET = "未定"
CHART_HEADINGS = {
    "by_tier": "按办理层级",
    "by_category": "按类别",
    "by_sub_district": "按街道",
    "by_representative": "按代表（前20位）",
    "by_month": "按月份",
}
QUEUES_LINK = "待办"

# A case.
CASE_HEADING = "编号{number}"
RESIDENT_SAID = "群众反映"
PHOTO = "[图片]"
VOICE = "[语音]"
VIDEO = "[视频]"
LOCATION = "[位置] {label}"
LINK = "[链接] {title}"
RECOGNISED = "语音识别："
TIMELINE = "办理经过"
SUGGESTION = "系统建议"
SUGGESTION_NONE = "尚无建议（群众可能还在补充内容）。"
RELATED = "相关案件（可并案）"
RELATED_NONE = "没有相近的未办结案件。"
RELATED_LINE = "相似度{similarity:.0%}"
RELATED_DISTANCE = "相距{metres:.0f}米"
HANDLER = "办理单位"
SUBMITTED_AT = "反映时间"
DUE_AT = "办理期限"
NOT_FOUND = "没有这个案件，或不在您的查看范围内。"

# Actions (each through cases.actions.perform).
ACTIONS_HEADING = "办理"
ACTION_LABELS = {
    "accept": "领单",
    "reply": "答复群众",
    "assign": "交办",
    "classify": "设定类别、层级、颜色",
    "close": "销号",
    "reopen": "重新办理",
    "invalidate": "不予受理",
    "merge": "并案",
}
MERGE_INTO = "并入编号（同一件事的另一案件）"
NOTE = "说明"
ASSIGN_TO = "交办给"
DEPARTMENT = "承办部门"
CATEGORY = "类别"
COLOUR = "颜色"
DONE = "已{action}：编号{number}。"

NOT_NOW = "现在不能“{action}”，请检查案件的状态和填写的内容。"
