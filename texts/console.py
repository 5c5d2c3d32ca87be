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
SUPERVISED = "督办"   # flagged when its deadline passed (cases.supervision)

# The ledger (台账) export.
EXPORT = "导出台账"
LEDGER_SHEET = "台账"
LEDGER_FILE = "民意台账-{stamp}.xlsx"
LEDGER_COLUMNS = ("编号", "反映时间", "反映人（脱敏）", "代表", "联系点", "内容摘要", "类别", "层级", "颜色",
                  "承办单位", "交办时间", "期限", "状态", "办结时间", "满意度")

# The dashboard.
DASHBOARD = "统计"
SINCE = "自{year}年{month}月起"
PERIOD_LABELS = {"1": "本月", "3": "近3个月", "12": "近12个月"}
RECEIVED = "收到反映"
TAKEN = "已受理"
ANSWERED = "已答复办结"
OVERDUE_COUNT = "超期未办"
ANSWER_RATE = "答复办结率"
SATISFACTION_RATE = "满意率"
SOLVED_RATE = "办成率"
RATED_NOTE = "满意率、办成率按群众最终评价计算：{rated}件已评价，{unrated}件逾期未评价（不计入）"
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
    "feedback": "录入部门反馈",
    "assign": "交办",
    "propose": "代表建议",
    "answer_proposal": "录入建议答复",
    "classify": "设定类别、层级、颜色",
    "refer": "转外部办理",
    "refuse": "退单",
    "close": "销号",
    "reopen": "重新办理",
    "invalidate": "不予受理",
    "merge": "并案",
}
# What each action's words are, where it is not a plain note.
NOTE_LABELS = {
    "reply": "答复内容（将推送给群众）",
    "feedback": "承办单位的答复（以承办单位名义推送给群众）",
    "assign": "交办要求",
    "answer_proposal": "上级人大的答复（将推送给群众）",
    "refer": "说明（可不填）",
    "refuse": "补充说明（可不填）",
    "close": "办理结果",
    "reopen": "重新办理的原因",
    "invalidate": "不予受理的原因",
}
DUE_DATE = "办理期限（当天24时前）"
REFERRAL_BODY = "转往"
REFERRAL_REFERENCE = "对方受理编号（工单号、登记号、案号）"
REFERRAL_BODY_LABELS = {"12345": "12345热线", "xinfang": "信访", "court": "法院", "procuratorate": "检察院",
                        "other": "其他"}
REFERRED = "已转外部"
REFUSAL_REASON = "退单原因"
PROPOSAL = "代表建议"
PROPOSAL_TITLE = "建议标题"
PROPOSAL_BODY = "建议正文"
SIGNERS = "联名代表"
SENT_TO = "提交至"
SENT_TO_DEFAULT = "市人大常委会"
SENT_AT = "提交时间"
PROPOSAL_ANSWER = "答复"
PROPOSAL_NOT_SENT = "尚未填写建议内容。"
ANSWERS = "答复与反馈"
ANSWERS_NONE = "尚无答复。"
MERGE_INTO = "并入编号（同一件事的另一案件）"
NOTE = "说明"
ASSIGN_TO = "交办给"
DEPARTMENT = "承办部门"
CATEGORY = "类别"
COLOUR = "颜色"
DONE = "已{action}：编号{number}。"

NOT_NOW = "现在不能“{action}”，请检查案件的状态和填写的内容。"

# Filing for a resident without WeChat (代录), and the slip they take home.
CHANNEL_LABELS = {"visit": "到访", "phone": "来电", "letter": "来信", "other": "其他"}
CHANNEL_NOTES = {channel: f"{label}代录" for channel, label in CHANNEL_LABELS.items()}
FILE_CASE = "代群众登记"
FILE_CASE_HINT = "群众到联系点反映、打电话或来信，或者不使用微信的，由工作人员代为登记。登记后请打印回执交给群众。"
CHANNEL = "反映方式"
RESIDENT_NAME = "群众姓名（或称呼）"
RESIDENT_PHONE = "联系电话（可不填）"
WHAT_THEY_SAID = "反映的问题"
CONTACT_POINT = "联系点"
REPRESENTATIVE = "代表"
NO_REPRESENTATIVE = "暂不指定（由街道人大工委安排）"
FILE = "登记"
FILED = "已登记：编号{number}。请打印回执交给群众。"
NOT_YOURS_TO_FILE = "只能在您负责的街道的联系点登记。"
UNKNOWN_REPRESENTATIVE = "没有这位代表，或已不在任。"
RESIDENT = "反映人"
NO_WECHAT = "该群众没有使用微信，收不到办理进展的推送，请电话告知。"
CALL_BACK = "该群众没有使用微信，请电话告知：{phone}"
CALL_BACK_NO_PHONE = "该群众没有使用微信，也没有留电话，请通过联系点告知。"
PRINT_SLIP = "打印回执"
SLIP_TITLE = "群众反映登记回执"
SLIP_NUMBER = "编号"
SLIP_FILED_AT = "登记时间"
SLIP_WHERE = "登记地点"
SLIP_WHAT = "反映内容"
SLIP_FOLLOW = "如何查询办理进展"
SLIP_FOLLOW_PHONE = "请拨打{place}电话{phone}，报上编号{number}查询。"
SLIP_FOLLOW_NO_PHONE = "请到{place}报上编号{number}查询。"
SLIP_CALL_BACK = "办理有进展时，工作人员会按您留下的电话告知您。"
SLIP_KEEP = "请妥善保管本回执。"
SLIP_LINK = "用微信扫一扫，关注后即可在微信中收到办理进展（本人或家人的微信均可，仅限一个微信）"
SLIP_LINK_EXPIRES = "二维码{at}前有效"
PRINT = "打印"

# Queue filters, sorting, pages and keys (console/queues.py); REPRESENTATIVE, CONTACT_POINT above.
SINCE_DATE = "反映日期从"
UNTIL_DATE = "至"
CLEAR_FILTERS = "清除筛选"
SORT = "排序："
SORT_LABELS = {"new": "最新在前", "old": "最早在前", "due": "期限最近在前"}
MORE_THAN = "{count}+"
PAGE_OF_MANY = "第{page}页，共{count}件以上"
KEYBOARD_HINT = "快捷键：j/k 上下移动，回车打开，/ 搜索，1–8 切换标签"
FOUND = "在本标签中搜索「{q}」：{count}件"
COUNTED_AT = "统计于{at}（每分钟更新）"

# A refusal inside the console (console/__init__.py), by HTTP status.
ERROR_PAGES = {
    400: "请求有误：筛选条件或填写的内容不在可选范围内，请返回后重试。",
    403: "您的账号不能进行这项操作。",
    404: "没有找到这个页面或案件，或它不在您的管理范围内。",
    413: "上传的文件太大。",
    429: "操作太频繁，请稍后再试。",
}
BACK_TO_QUEUES = "返回待办"
