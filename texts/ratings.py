"""What residents and staff read about ratings (验单, 满意度测评): the question pushed after an
answer, the chat's answers to a resident's digits, the rating page, the notes the ledger keeps,
and what the unit that answered is told of a resident's comment.

The chat asks one question at a time, each answered by one digit (1, 2 or 3): the easiest form
for an elderly resident, who reads one short list and types one key; a passive reply asks the
second question, free of WeChat's five-message quota. Two digits at once (「13」) and the words
themselves (「解决了」「不满意」) are understood too, for those who answer in one go.
"""

from __future__ import annotations

# Stored values (models.rating) in the order the chat numbers them: 1, 2, 3.
SOLVED_LABELS = {"solved": "解决", "partly": "部分解决", "unsolved": "未解决"}
SATISFACTION_LABELS = {"satisfied": "满意", "basic": "基本满意", "dissatisfied": "不满意"}
NOT_RATED = "未评价"  # no answer within ratings.expire_days: counted apart, never as satisfied

# What residents may type instead of a digit (compared after handlers.commands.normalize_command).
SOLVED_WORDS = {
    "解决": "solved", "解决了": "solved", "已解决": "solved", "已经解决": "solved", "已经解决了": "solved",
    "部分解决": "partly", "解决了一部分": "partly", "解决一部分": "partly",
    "未解决": "unsolved", "没解决": "unsolved", "没有解决": "unsolved", "还没解决": "unsolved",
    "没有解决好": "unsolved",
}
SATISFACTION_WORDS = {
    "满意": "satisfied", "很满意": "satisfied", "非常满意": "satisfied",
    "基本满意": "basic", "比较满意": "basic", "还算满意": "basic",
    "不满意": "dissatisfied", "不太满意": "dissatisfied", "很不满意": "dissatisfied", "非常不满意": "dissatisfied",
}
RATE_COMMANDS = ("评价", "我要评价", "评价答复", "满意度评价")
SKIP_COMMENT = ("0", "不用", "不用了", "跳过", "没有", "没有了", "算了", "不说了", "无")
# How a text that is a new report, not a comment on the last answer, may begin (after 不满意 the
# chat waits for a comment; 「另外3楼又漏水了」 is filed all the same), besides the resident's
# 「新问题」 words (texts.residents.NEW_PROBLEM_COMMANDS) anywhere in it.
NEW_REPORT_OPENERS = ("另外", "另有", "还有个问题", "还有一个问题", "再反映", "顺便反映", "我还要反映", "我要反映")

# -- the question pushed after an answer or a close -----------------------------------------------
ASK_HEADS = {
    "reply": "您反映的问题（编号{number}）已经答复",
    "answer_proposal": "您反映的问题（编号{number}）已经答复",
    "close": "您反映的问题（编号{number}）已经办结",
}
SOLVED_QUESTION = "问题解决了吗？请回复数字：\n1：解决\n2：部分解决\n3：未解决"
SATISFACTION_QUESTION = "您对办理情况满意吗？请回复数字：\n1：满意\n2：基本满意\n3：不满意"
ASK = "{head}，请您评价一下，只需回复一个数字。\n" + SOLVED_QUESTION + "{link_line}"
ASK_LINK_LINE = '\n也可以<a href="{url}">点这里评价</a>。'
# The template's progress line (thing: at most 20 characters), with and without the page's link.
ASK_PROGRESS = {"reply": "已答复，请点击评价", "answer_proposal": "已答复，请点击评价", "close": "已办结，请点击评价"}
ASK_PROGRESS_NO_LINK = "请回复“评价”为这次办理评个价"

# -- the chat -------------------------------------------------------------------------------------
CHOSEN = "收到，您选择了“{label}”。\n"
FIRST_QUESTION_AGAIN = "编号{number}的答复还没有评价。\n" + SOLVED_QUESTION
# Half answered: the open question follows (the satisfaction one, or the solved one when the
# resident said 满意 first).
SECOND_QUESTION_AGAIN = "关于编号{number}的答复，还有一个小问题想请您回答：\n"
MISTYPED = {
    "solved": "没能看懂您的回复，请只回复一个数字。\n" + SOLVED_QUESTION,
    "satisfaction": "没能看懂您的回复，请只回复一个数字。\n" + SATISFACTION_QUESTION,
}
NOTHING_TO_RATE = "您目前没有需要评价的答复。发送“进度”可查看办理情况。"
THANKS_CLOSED = "感谢您的评价（{solved}、{satisfaction}）！编号{number}的问题已办结。如有新的问题，随时告诉我们。"
THANKS = "感谢您对编号{number}的评价（{solved}、{satisfaction}）！如有新的问题，随时告诉我们。"
REOPENED = "感谢您的评价（{solved}、{satisfaction}）。编号{number}的问题已请{unit}重新办理，有进展会通知您。"
KEPT = "感谢您的评价（{solved}、{satisfaction}）。编号{number}的问题正在重新办理，有进展会通知您。"
# After the verdict, what the chat asks for (by what was wrong), and the note when it was said already.
ASK_COMMENT = {
    "dissatisfied": "\n请简单说说哪里不满意，直接回复文字即可（10分钟内）；不想说请回复0。",
    "unsolved": "\n请简单说说还有哪些没有解决，直接回复文字即可（10分钟内）；不想说请回复0。",
}
COMMENT_INCLUDED = "\n您说的情况已一并转告。"
SUPERSEDED = "编号{number}的问题已在重新办理，这次答复不用再评价了。办理完成后，我们会再请您评价。"
COMMENT_THANKS = "收到您的意见，已转告{unit}。感谢您的监督！"
COMMENT_SKIPPED = "好的。有新情况随时告诉我们，发送“进度”可查看办理情况。"
MORE_TO_RATE = "\n您还有编号{number}的答复没有评价，回复“评价”继续。"

# -- the ledger's notes, and what the unit that answered reads --------------------------------------
VERDICT_NOTE = "群众评价：{solved}、{satisfaction}"
COMMENT_NOTE = "。群众意见：{comment}"
EXPIRED_CLOSE_NOTE = "群众{days}日内未评价，自动办结"
# What the unit handling the case reads of the resident's reason, by verdict (see comment_notice).
COMMENT_NOTICES = {
    "dissatisfied": "【群众意见】群众对编号{number}的答复不满意，原因：\n{comment}\n{summary}",
    "unsolved": "【群众意见】群众反映编号{number}的问题未解决，原因：\n{comment}\n{summary}",
    "both": "【群众意见】群众反映编号{number}的问题未解决，对答复也不满意，原因：\n{comment}\n{summary}",
}
COMMENT_PROGRESS = "群众意见：{summary}"

# -- the rating page ------------------------------------------------------------------------------
PAGE_TITLE = "答复评价"
PAGE_INTRO = "请对这次答复作个评价：两个问题各选一项，再点“提交评价”。"
PAGE_NUMBER = "编号"
PAGE_SUMMARY = "您反映的问题"
PAGE_ANSWER = "答复"
PAGE_SOLVED = "问题解决了吗？"
PAGE_SATISFACTION = "您对办理情况满意吗？"
PAGE_COMMENT = "还想说点什么？（可不填）"
PAGE_COMMENT_HINT = "例如：哪里还没有解决"
PAGE_SUBMIT = "提交评价"
PAGE_MISSING = "请在两个问题中各选一项，再点“提交评价”。"
PAGE_DONE = "感谢您的评价！"
PAGE_RECORDED = "您已评价过这次答复："
PAGE_DONE_CLOSED = "问题已办结。如有新的问题，随时在公众号里告诉我们。"
PAGE_DONE_REOPENED = "已请{unit}重新办理，有进展会在公众号里通知您。"
PAGE_DONE_KEPT = "您的意见已记录，有进展会在公众号里通知您。"
PAGE_SUPERSEDED_TITLE = "问题正在重新办理"
PAGE_SUPERSEDED = "这次答复之后，问题已重新办理，这次答复不用再评价了。办理完成后，我们会在公众号里再请您评价。"
PAGE_EXPIRED_TITLE = "评价已截止"
PAGE_EXPIRED = "这次答复的评价时间已过，感谢您的关注。如果问题还没有解决，请在公众号里直接告诉我们。"
PAGE_INVALID_TITLE = "链接无法打开"
PAGE_INVALID = "这个评价链接无法识别，可能复制不完整。请回到公众号，点开最新的消息再试。"
PAGE_FOOTER = "民意直通车"
COMMENT_CHARS = 500  # a comment is cut to this many characters


def verdict(solved: str, satisfaction: str) -> dict[str, str]:
    """The labels a message names a verdict by."""
    return {"solved": SOLVED_LABELS[solved], "satisfaction": SATISFACTION_LABELS[satisfaction]}


def ask_comment(solved: str, satisfaction: str) -> str:
    """The comment's question after a verdict that reopens: what was not satisfying, or else what
    is still unsolved (未解决 but 满意)."""
    return ASK_COMMENT["dissatisfied" if satisfaction == "dissatisfied" else "unsolved"]


def comment_notice(solved: str, satisfaction: str, **values: str) -> str:
    """What the unit handling the case reads when the resident says why they rejected its answer."""
    unsolved, dissatisfied = solved == "unsolved", satisfaction == "dissatisfied"
    key = "both" if unsolved and dissatisfied else "unsolved" if unsolved else "dissatisfied"
    return COMMENT_NOTICES[key].format(**values)


def verdict_note(solved: str, satisfaction: str, comment: str = "") -> str:
    """The note a rating's reopen or close keeps in the ledger (and the unit reads as the reason)."""
    note = VERDICT_NOTE.format(**verdict(solved, satisfaction))
    return note + COMMENT_NOTE.format(comment=comment) if comment else note


def ledger_label(status: str | None, satisfaction: str | None) -> str:
    """The ledger's 满意度 cell for a case's latest rating: its label, 未评价 once it expired,
    empty while the resident has not answered yet (or was never asked)."""
    if status == "rated" and satisfaction:
        return SATISFACTION_LABELS[satisfaction]
    return NOT_RATED if status == "expired" else ""
