"""Residents' words made fit for a public page (公示): every personal datum removed. A pure function,
``scrub``, for the contact points' public pages (``public/``).

The text is first folded so that disguises fall away: NFKC (full-width and circled digits, odd
letters), invisible format characters (zero-width spaces, joiners) dropped, any other kind of digit
read as one, and Chinese numerals (一二三、幺、壹贰叁…) read as digits when numbers are judged.

Then, over the whole text, before it is cut into sentences:
- e-mail addresses, licence plates, and codes of letters and digits (openids, 微信号, card numbers);
- street addresses: a building, unit or room (3栋、A座、12#、2单元、501室、3-2-501 after a 小区…),
  the compound's name with it; a house number (人民路123号) without the street's name, which is
  kept; a lone floor (3楼) or 2路公交 is no address and stays;
- numbers: digit groups joined by any punctuation or spaces (138。1234。5678, 138 一二三四 5678,
  138/1234/5678) are read as one number, and one of five digits or more goes (phones, ID and card
  numbers, QQ), unless it is a date or a time, a public hotline (12345) or an amount (20000元);
  three groups or more joined by single odd characters (138啊1234啊5678) go once they hold nine digits.

Then each sentence on its own: a sentence that names a personal datum (电话、手机、身份证、住址、
微信、邮箱、车牌、卡号、我叫、本人姓…) goes whole, whatever follows the word, and so does one in
which a name follows 我是 or 本人. A name after 联系人、居民、业主、老伴、找… is removed; where the
name's end cannot be told, the sentence goes. A surname before an honorific (王先生, 李阿姨) and
after 姓 reads 「某」. The resident's registered name goes wherever it appears.

What is removed reads 「（已隐去）」. Over-scrubbing is preferred to a leak.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import cache

HIDDEN = "（已隐去）"
SOMEONE = "某"

# ---------------------------------------------------------------------------------------------
# Folding

# Chinese punctuation residents type, kept as typed (NFKC would make it ASCII).
_KEEP_AS_TYPED = frozenset("，；：！？（）…")
# Fillers that look like nothing but are letters to Unicode.
_INVISIBLE = frozenset("\u115f\u1160\u3164\uffa0")
# Chinese numerals, read as digits when numbers are judged (十 and 拾 count as one digit).
HAN_DIGITS = {
    "〇": "0", "零": "0", "洞": "0",
    "一": "1", "幺": "1", "壹": "1", "二": "2", "两": "2", "兩": "2", "贰": "2", "貳": "2",
    "三": "3", "叁": "3", "參": "3", "四": "4", "肆": "4", "五": "5", "伍": "5", "六": "6", "陆": "6",
    "陸": "6", "七": "7", "柒": "7", "八": "8", "捌": "8", "九": "9", "玖": "9", "十": "1", "拾": "1",
}
# 洞 is radio speech for 0, but an ordinary word too: it counts only inside a run of numerals.
_WEAK_HAN_DIGITS = frozenset("洞")


def fold(text: str) -> str:
    """``text`` as the patterns read it: NFKC per character (Chinese punctuation kept), format
    characters dropped, every kind of digit (①, ❶, ٣) an ASCII one."""
    out = []
    for char in text:
        if char in _KEEP_AS_TYPED or char.isascii():
            out.append(char)
            continue
        if unicodedata.category(char) == "Cf" or char in _INVISIBLE:
            continue
        folded = unicodedata.normalize("NFKC", char)
        if len(folded) == 1 and not folded.isascii() and folded not in HAN_DIGITS:
            digit = unicodedata.digit(folded, None)
            value = unicodedata.numeric(folded, None) if digit is None and not _is_han(folded) else None
            if digit is not None:
                folded = str(digit)
            elif value is not None and value == int(value) and 0 <= value <= 50:
                folded = str(int(value))   # ❿, ⓫: numbers the NFKC table leaves alone
        out.append(folded)
    return "".join(out)


def _is_han(char: str) -> bool:
    return "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff" or "\U00020000" <= char <= "\U0003ffff"


def _digit_view(text: str) -> str:
    """``text`` character for character: a digit (ASCII or a Chinese numeral) as its digit, any
    punctuation, symbol, mark, space or control character as ``~``, a letter as itself."""
    view = []
    for index, char in enumerate(text):
        if "0" <= char <= "9":
            view.append(char)
        elif char in HAN_DIGITS and (char not in _WEAK_HAN_DIGITS or _between_numerals(text, index)):
            view.append(HAN_DIGITS[char])
        elif char.isspace() or unicodedata.category(char)[0] in "PSZMC":
            view.append("~")
        else:
            view.append(char)
    return "".join(view)


def _between_numerals(text: str, index: int) -> bool:
    neighbours = text[max(index - 1, 0):index] + text[index + 1:index + 2]
    return any(char in HAN_DIGITS and char not in _WEAK_HAN_DIGITS or char.isdigit() for char in neighbours)


# ---------------------------------------------------------------------------------------------
# Codes: e-mails, plates, tokens

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]{1,64}\s*@\s*[A-Za-z0-9\-]+(?:\s*\.\s*[A-Za-z0-9\-]+)+")
_PLATE = re.compile(r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领][A-Za-z]\s*[·•.\-]?\s*"
                    r"[A-Za-z0-9]{4,6}[挂学警港澳]?")
# A token of letters and digits: a code (openid, 微信号, card) when long, or when it mixes both.
_TOKEN = re.compile(r"[A-Za-z0-9_\-]+")


def _token(match: re.Match) -> str:
    """A token of letters and digits: an openid, 微信号, card or plate when it is long (20 or more)
    or mixes letters and digits over six characters; a word or a short number otherwise."""
    token = match.group()
    has_letters = any(char.isalpha() for char in token)
    has_digits = any(char.isdigit() for char in token)
    if len(token) >= 20 or (len(token) >= 6 and has_letters and has_digits):
        return HIDDEN
    return token


# ---------------------------------------------------------------------------------------------
# Addresses

_HAN_NUMBER = "一二三四五六七八九十百零〇两"
# A building, unit or room's designation: 3, 12, A, R2-B, 3-2; or a Chinese number.
_ASCII_DESIGNATION = r"(?:[A-Za-z]{0,2}[0-9]+[A-Za-z]{0,2}(?:\s*[-_]\s*[A-Za-z0-9]+)*|[A-Za-z]{1,2}(?![A-Za-z]))"
_HAN_DESIGNATION = rf"[{_HAN_NUMBER}]+"
# What follows a designation to make it part of an address. Strong: a building, a unit, a room,
# a house number. Weak (a floor, a block, a phase): no address on its own.
_HOUSE_NUMBER = "号(?![线文令件码称召])"
_STRONG_ASCII = (rf"(?:号楼|号院|{_HOUSE_NUMBER}|栋(?!楼(?![道梯]))|幢(?!楼(?![道梯]))|座(?![位谈机])|单元|"
                 r"室(?![0-9一二两三四五]厅)|#|弄|巷)")
_STRONG_HAN = rf"(?:号楼|号院|{_HOUSE_NUMBER}|栋(?!楼(?![道梯]))|幢(?!楼(?![道梯]))|单元|室(?![一二两三四五]厅))"
_WEAK = r"(?:层|楼(?![道梯下上顶房盘市宇层前后里外内主盖间])|区|期)"
_PIECE = (rf"(?:{_ASCII_DESIGNATION}\s*{_STRONG_ASCII}|{_HAN_DESIGNATION}{_STRONG_HAN}"
          rf"|(?:{_ASCII_DESIGNATION}|{_HAN_DESIGNATION})\s*{_WEAK})")
# A room number after the building: 3栋2单元501, A栋1201, 12#501.
_ROOM = r"[0-9]{2,5}(?![0-9多余个人户年月日天次元块米%.])(?:室|房|号|户)?"
# A place whose name ends so (幸福小区, 人民路, 王家湾), when an address follows it.
_PLACE_CHAR = r"[^\W\d_在住是的我你他她它们了到从和与及向给请把被对为于有没不也都就还又很太家这那个之间]"
COMPOUND_ENDS = ("小区", "花园", "家园", "公寓", "大厦", "大楼", "广场", "新村", "山庄", "别墅", "宿舍", "家属院",
                 "社区", "中心", "苑", "园", "城", "村", "里", "庭", "府", "湾", "居", "院", "坊", "阁", "轩", "邸")
ROAD_ENDS = ("大道", "大街", "胡同", "路", "街", "道", "巷", "弄")
_SUB_AREA = rf"(?:[东南西北中][区苑院]|[0-9{_HAN_NUMBER}A-Za-z]{{1,2}}期)?"
_PLACE = (rf"(?P<place>{_PLACE_CHAR}{{1,8}}?(?:(?P<road>{'|'.join(ROAD_ENDS)})|{'|'.join(COMPOUND_ENDS)})"
          rf"{_SUB_AREA})")
_NOT_AFTER = rf"(?<![0-9A-Za-z{_HAN_NUMBER}月第])"
_BARE = r"[A-Za-z]{0,2}[0-9]+(?:\s*[-_#]\s*[A-Za-z0-9]+)*(?![0-9A-Za-z路线号年月日天个次元米分岁人家])"
_ADDRESS = re.compile(
    rf"(?:{_PLACE}\s*)?(?:{_NOT_AFTER}(?P<pieces>(?:{_PIECE}\s*[-－]?\s*)*{_PIECE})"
    rf"(?:\s*[-－]?\s*(?P<room>{_ROOM}))?|(?(place)(?P<bare>{_BARE})|(?!)))")


def _address(match: re.Match) -> str:
    """An address found: kept when it is a floor, a block or a phase alone; a street's name is
    kept before its hidden house number; a compound's name goes with its buildings."""
    strong = match.group("room") or match.group("bare") or _has_strong_piece(match.group("pieces") or "")
    if not strong:
        return match.group()
    if match.group("place") and match.group("road") and not match.group("bare"):
        return match.group("place") + HIDDEN
    return HIDDEN


@cache
def _strong_piece() -> re.Pattern:
    return re.compile(rf"{_ASCII_DESIGNATION}\s*{_STRONG_ASCII}|{_HAN_DESIGNATION}{_STRONG_HAN}")


def _has_strong_piece(pieces: str) -> bool:
    """Whether any piece of a run of pieces is a building, a unit, a room or a house number."""
    return bool(_strong_piece().search(pieces))


# ---------------------------------------------------------------------------------------------
# Numbers

SHORTEST_PERSONAL = 5       # digits: 5 and more is a phone, an ID, a card, a QQ number
LOOSE_SHORTEST = 9          # digits in three groups or more joined by single odd characters (138啊1234啊5678)
# A digit run in the view: digits joined by separators (~), an ID's final X with them.
_RUN = re.compile(r"[0-9](?:~*[0-9])*(?:[Xx](?![A-Za-z]))?")
# Groups joined by separators or by one letter that is not a date's or a measure's.
_NOT_JOINING = "年月日号点时分秒元块角个次天人户米斤吨岁栋幢座层楼室单区期路线"
_CHAIN = re.compile(rf"[0-9]+(?:~*(?:[^\W\d_{_NOT_JOINING}]~*)?[0-9]+)*")
_HOTLINE = re.compile(r"(?:123\d\d|95\d{3}|96\d{3})")   # 12345, 95598, 96345: public service numbers
_AMOUNT = re.compile(r"[0-9]{1,6}(?:\.[0-9]{1,2})?")
_UNIT_AFTER = re.compile(r"\s*(?:元|块|万|千|百|米|平|公里|亩|吨|斤|人|户|辆|棵|盏|米|kg|km|m)")
_DATE = re.compile(r"(?P<y>[12][0-9]{3})(?P<sep>[-./])(?P<m>[0-9]{1,2})(?:(?P=sep)(?P<d>[0-9]{1,2}))?"
                   r"(?:\s+(?P<time>[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?))?")
_TIMES = re.compile(r"(?P<a>[0-9]{1,2}:[0-9]{2})(?:\s*[-~–—]\s*(?P<b>[0-9]{1,2}:[0-9]{2}))?")


def _hide_numbers(text: str) -> str:
    view = _digit_view(text)
    spans: list[tuple[int, int]] = []
    for chain in _CHAIN.finditer(view):
        digits = sum(char.isdigit() for char in chain.group())
        groups = len(re.findall(r"[0-9]+", chain.group()))
        if digits >= LOOSE_SHORTEST and groups >= 3 and any(char.isalpha() for char in chain.group()):
            spans.append(chain.span())
            continue
        for run in _RUN.finditer(view, chain.start(), chain.end()):
            if _personal(text, run):
                spans.append(run.span())
    for start, end in reversed(spans):
        if start and text[start - 1] in "(（" and any(char in ")）" for char in text[start:end]):
            start -= 1
        text = text[:start] + HIDDEN + text[end:]
    return text


def _personal(text: str, run: re.Match) -> bool:
    """A digit run: personal when it holds five digits or more, unless it is a date or a time,
    a public hotline, or an amount (plain digits before 元、米…)."""
    if sum(char.isdigit() for char in run.group()) < SHORTEST_PERSONAL:
        return False
    raw = text[run.start():run.end()]
    if _is_date_or_time(raw):
        return False
    if not raw.isascii():
        return True
    if _HOTLINE.fullmatch(raw):
        return False
    return not (_AMOUNT.fullmatch(raw) and _UNIT_AFTER.match(text, run.end()))


def _is_date_or_time(raw: str) -> bool:
    date = _DATE.fullmatch(raw)
    if date:
        day = date.group("d")
        return (1 <= int(date.group("m")) <= 12 and (day is None or 1 <= int(day) <= 31)
                and (date.group("time") is None or _is_time(date.group("time"))))
    times = _TIMES.fullmatch(raw)
    return bool(times) and _is_time(times.group("a")) and (times.group("b") is None or _is_time(times.group("b")))


def _is_time(value: str) -> bool:
    hours, minutes = value.split(":")[:2]
    return int(hours) <= 24 and int(minutes) < 60


# ---------------------------------------------------------------------------------------------
# Sentences: cue words and names

# Sentences end at these; each is judged on its own.
_SENTENCE = re.compile(r"[^。！？!?；;\n]*[。！？!?；;\n]*")
# Words that announce a personal datum: the sentence that holds one is dropped whole.
DROP_CUES = (
    "电话", "手机", "手机号", "座机", "号码", "联系方式", "联系我", "打我", "call", "tel",
    "身份证", "证件", "护照", "户口",
    "住址", "地址", "门牌", "住在", "家住", "住户号",
    "微信", "vx", "wx", "qq", "扣扣", "邮箱", "email", "e-mail", "mail", "@",
    "车牌", "牌照", "卡号", "银行卡", "账号", "账户", "支付宝",
    "我叫", "名叫", "叫我", "姓名", "名字", "本人姓", "我姓", "免贵姓",
    "openid", "http", "www.",
)
# 百家姓's commonest surnames (a name after 我是 or 本人, after 联系人、居民…, or before an honorific
# starts with one).
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
            "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛阎段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔"
            "向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童"
            "凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项"
            "连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师仇栾隋商刁沙荣巫寇桑郎甄丛"
            "仲虞敖巩明佘池查麻苑迟邝")
COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "夏侯", "端木",
                     "长孙", "宇文", "司徒", "申屠", "轩辕", "独孤", "南宫", "西门", "澹台", "百里", "呼延", "万俟")
HONORIFICS = ("先生", "女士", "小姐", "师傅", "大爷", "大妈", "大娘", "阿姨", "奶奶", "爷爷", "叔叔", "伯伯", "大哥",
              "大姐", "老师", "同志", "婆婆", "老太", "老汉", "老伯", "大叔", "大婶", "医生", "大夫", "老板")
# Words that announce someone's name: 联系人：李建国, 居民刘桂兰反映, 我老伴王秀英, 找李建国.
NAME_CUES = ("联系人", "反映人", "投诉人", "举报人", "当事人", "申请人", "委托人", "代理人", "户主", "房主", "业主",
             "居民", "群众", "住户", "租户", "房东", "邻居", "老伴", "爱人", "丈夫", "妻子", "老公", "老婆", "媳妇",
             "儿子", "女儿", "儿媳", "女婿", "孙子", "孙女", "父亲", "母亲", "我爸", "我妈", "爸爸", "妈妈",
             "老人", "家属", "姓名", "称呼", "名叫", "叫做", "叫", "找")
# Characters no given name is made of (function words), which also end a name.
_FUNCTION = "我你他她它们的地得了着过是在有不也都就还又很太和与及向给请把被对为于没到从说要会能让跟同等这那哪谁吗呢吧啊"
# What may follow a name: 反映、说、腿脚…
NAME_ENDS = ("反映", "投诉", "举报", "讲", "告诉", "打", "去", "来", "住", "家", "腿", "腰", "身体", "年纪", "今年",
             "一直", "已经", "每天", "经常", "多次", "昨天", "今天", "前天", "上午", "下午", "晚上", "刚", "最近",
             "行动", "出门", "摔", "生病", "得", "患", "残疾", "瘫", "卧床", "独居", "八十", "七十", "九十",
             "岁", "退休", "上班", "下班", "帮", "找", "问", "看", "听", "想", "希望", "要求", "认为", "觉得", "等人")
# Words after a cue that begin with a surname's character but are no name.
NOT_NAMES = ("方面", "方便", "方法", "方式", "方向", "高兴", "高层", "高楼", "高温", "高空", "高度", "白天", "金额",
             "万一", "何时", "安全", "安排", "安装", "明天", "明年", "明显", "明白", "文明", "文化", "关于", "关心",
             "关注", "关系", "管理", "管道", "单位", "单元", "车辆", "车位", "车子", "路灯", "路面", "路口", "路边",
             "常常", "时间", "时候", "全部", "全体", "应该", "成本", "成立", "连续", "解决", "项目", "费用", "边上",
             "查看", "麻烦", "党员", "施工", "房东", "房子", "房屋", "房间", "钱款", "马上", "马路", "毛病", "任何",
             "许多", "陆续", "尤其", "包括", "司机", "石头", "黄色", "龙头", "曾经", "于是", "周边", "周围", "周末",
             "周一", "周二", "周三", "周四", "周五", "周六", "周日", "林业", "程序", "程度", "苏醒", "贺卡", "温度",
             "康复", "齐全", "易燃", "宁愿", "尚未", "华人", "卫生", "师傅", "游玩", "古树", "吉祥", "简单", "景观",
             "宫殿", "米饭", "柏油", "桂花", "商量", "商户", "商铺", "沙子", "荣誉", "沙发", "郎中", "池塘", "迟迟",
             "苑内", "代表", "委员", "人员", "部门", "领导", "书记", "主任", "经理", "工作", "物业", "社区", "街道",
             "路线", "路政", "孙子", "孙女", "全家", "安置", "文件", "明明", "江边", "湖边", "车库", "单车", "华侨")
_HAN = r"\u4e00-\u9fff"
_SURNAME = rf"(?:{'|'.join(COMPOUND_SURNAMES)}|[{SURNAMES}])"
_GIVEN_CHAR = rf"(?![{_FUNCTION}])[{_HAN}]"
_NAME_AFTER_SELF = re.compile(rf"(?:我是|本人)[{SURNAMES}][{_HAN}]")
_HONORIFIC = re.compile(rf"{_SURNAME}{_GIVEN_CHAR}{{0,2}}(?={'|'.join(HONORIFICS)})")
_SURNAME_AFTER_XING = re.compile(rf"(?<=姓){_SURNAME}")
_CUED = re.compile(rf"(?:{'|'.join(NAME_CUES)})[：:\s]*(?:是|为)?(?={_SURNAME}{_GIVEN_CHAR})")
_NAME = re.compile(rf"{_SURNAME}{_GIVEN_CHAR}{{1,2}}?(?=[^{_HAN}]|$|[{_FUNCTION}]|{'|'.join(NAME_ENDS)})")

_SPACES = re.compile(r"[ \t]{2,}")
# Spaces between Chinese characters (「张 伟」, 「联系人 王 建 国」): Chinese is written without them,
# so they are dropped before names are looked for, and cannot split one into pieces no pattern knows.
_HAN_GAP = re.compile(rf"(?<=[{_HAN}])[ \t]+(?=[{_HAN}])")
_REPEATED = re.compile(rf"(?:{re.escape(HIDDEN)}[\s、，,]*)+{re.escape(HIDDEN)}")


def scrub(text: str, names: Iterable[str] = ()) -> str:
    """``text`` with every personal datum removed, for the public; ``names``: the resident's
    registered name (and any other name known to be personal), removed wherever it appears."""
    text = _HAN_GAP.sub("", fold(text or ""))
    for name in sorted({fold(name).strip() for name in names if name and len(name.strip()) >= 2}, key=len,
                       reverse=True):
        text = text.replace(name, HIDDEN)
    text = _EMAIL.sub(HIDDEN, text)
    text = _PLATE.sub(HIDDEN, text)
    text = _TOKEN.sub(_token, text)
    text = _ADDRESS.sub(_address, text)
    text = _hide_numbers(text)
    kept = [_scrub_sentence(sentence) for sentence in _SENTENCE.findall(text) if sentence.strip()]
    joined = "".join(sentence for sentence in kept if sentence)
    joined = _REPEATED.sub(HIDDEN, _SPACES.sub(" ", joined))
    return joined.strip()


def _scrub_sentence(sentence: str) -> str:
    """One sentence without personal data, or "" when it names some (unsure: dropped whole)."""
    lowered = sentence.lower()
    if any(cue in lowered for cue in DROP_CUES) or _NAME_AFTER_SELF.search(sentence):
        return ""
    sentence = _HONORIFIC.sub(SOMEONE, sentence)
    sentence = _SURNAME_AFTER_XING.sub(SOMEONE, sentence)
    return _without_cued_names(sentence)


def _without_cued_names(sentence: str) -> str:
    """The names after 联系人、居民、老伴、找… hidden; "" when a name's end cannot be told."""
    spans = []
    for cue in _CUED.finditer(sentence):
        start = cue.end()
        if sentence[start:start + 2] in NOT_NAMES:
            continue
        name = _NAME.match(sentence, start)
        if name is None:
            return ""
        spans.append(name.span())
    for start, end in reversed(spans):
        sentence = sentence[:start] + HIDDEN + sentence[end:]
    return sentence
