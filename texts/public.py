"""What the public reads on a contact point's public page (公示, /public/points/<code>), and the
directory's words for turning the page on."""

from __future__ import annotations

from texts import directory as directory_words

KIND_LABELS = directory_words.KIND_LABELS
TITLE = "{name}"
SUBTITLE = "{district}{sub_district}"
ABOUT = "联系点信息"
ADDRESS = "地址"
RECEPTION_HOURS = "接待时间"
PHONE = "联系电话"
RUN_BY = "主办"
UNKNOWN = "暂无"
REPRESENTATIVES = "在这里联系群众的人大代表"
NO_REPRESENTATIVES = "暂无。"
PHOTO_ALT = "{name}的照片"
FIGURES = "近12个月办理情况"
FIGURES_SINCE = "自{since}起反映的问题"
RECEIVED = "收到反映"
ANSWERED = "已答复"
ANSWER_RATE = "答复率"
SATISFACTION_RATE = "满意率"
RATED = "{n}人次参与评价"
NO_RATINGS = "暂无评价"
COUNT = "{n}件"
CASES = "近期已办结的群众反映"
PUBLISHED = "这里只公开已办结、且群众没有评价为“未解决”或“不满意”的问题。"
NO_CASES = "暂无公开的办理结果。"
CATEGORY_NONE = "其他"
MONTH = "{year}年{month}月"
ANSWER = "答复"
SUMMARY_WITHHELD = "（内容涉及个人信息，不予公开）"
SUMMARY_NO_TEXT = "（通过图片、视频或位置反映，未留文字）"
ANSWER_WITHHELD = "（答复涉及个人信息，不予公开）"
TIER_LABELS = {
    "representative": "代表直接答复",
    "subdistrict": "街道社区办理",
    "department": "区有关部门办理",
    "higher_congress": "提交上级人大",
}
PRIVACY = "为保护群众隐私，公开的反映和答复已隐去姓名、电话、证件号码、住址、车牌等个人信息。"
HOW_TO = "有问题或建议，可以扫描代表公示牌上的二维码，在微信“民意直通车”中反映，也可以在接待时间到联系点当面反映。"
UPDATED = "数据更新于{at}"
NOT_FOUND = "没有找到这个联系点的公开页面。"

# The directory's switch (console/directory_forms.py).
PUBLIC_PAGE = "公开页面"
PUBLIC_PAGE_HINT = "打开后，任何人都可以看到这个联系点的进驻代表、接待时间、已隐去个人信息的办理结果和统计数字。"
PUBLIC_PAGE_ON = "已公开："
PUBLIC_PAGE_OFF = "未公开"
