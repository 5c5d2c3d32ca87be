"""Chinese text as the routing engine reads it: folded, segmented, cut into features.

Folding is NFKC (full-width letters and digits become ASCII), traditional characters mapped to
simplified by OpenCC, lower case. Segmentation is jieba's dictionary (jieba-rs, through rjieba),
which keeps 「马路/灯光」 apart so that the phrase 「路灯」 does not fire inside it. Features are the
segmented words plus character bigrams, so that a misspelt or colloquial word still shares most of
its bigrams with the right one.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

import opencc
import rjieba

# Words that say nothing about what a message is about (greetings, fillers, pronouns).
STOPWORDS = frozenset(
    "的 了 是 在 我 我们 你 你们 他 他们 她 它 这 那 这个 那个 有 和 与 及 就 都 也 还 又 很 非常 太 吧 吗 呢 啊 呀 哦 嗯 "
    "一个 一下 什么 怎么 怎么办 为什么 没有 不是 可以 能否 能不能 希望 请 请问 谢谢 感谢 您好 你好 尊敬 领导 老师 "
    "问题 反映 情况 相关 有关 关于 进行 已经 现在 目前 今天 每天 一直 多次 以及 但是 因为 所以 如果 或者 并且 "
    "给 让 被 把 对 从 到 向 为 以 等 等等 该 其 之 此 其他".split()
)
_CJK = re.compile(r"[\u3400-\u9fff]")
_CJK_RUN = re.compile(r"[\u3400-\u9fff]+")
_KEEP = re.compile(r"[\u3400-\u9fff0-9a-z]")
_SPACES = re.compile(r"\s+")


@cache
def _to_simplified() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def fold(text: str) -> str:
    """NFKC, traditional → simplified, lower case, runs of white space as one space."""
    folded = unicodedata.normalize("NFKC", text or "")
    folded = _to_simplified().convert(folded)
    return _SPACES.sub(" ", folded.lower()).strip()


@dataclass(frozen=True, slots=True)
class Segmented:
    """A folded text, its words, and where each word starts (phrases match only there)."""

    text: str
    words: tuple[str, ...]
    starts: frozenset[int]


def segment(text: str) -> Segmented:
    folded = fold(text)
    words, starts = [], set()
    for word, start, _end in rjieba.tokenize(folded):
        starts.add(start)
        words.append(word)
    return Segmented(folded, tuple(words), frozenset(starts))


def features(seg: Segmented) -> list[str]:
    """Content words (「w物业」) and character bigrams within runs of Chinese (「b物业」)."""
    found = [f"w{word}" for word in seg.words if word not in STOPWORDS and _KEEP.search(word)
             and (len(word) > 1 or _CJK.match(word))]
    for run in _CJK_RUN.findall(seg.text):
        found.extend(f"b{run[i:i + 2]}" for i in range(len(run) - 1))
    return found


def terms_of(text: str) -> frozenset[str]:
    """A text's distinct features: what related cases compare (``cases.routing.related``)."""
    return frozenset(features(segment(text)))
