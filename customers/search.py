"""Finding companies by what people type: part of the name, the pinyin initials ("zgyd" finds 中国移动), a code.

pypinyin ships its dictionary, so the initials need nothing fetched at run time.
"""
from __future__ import annotations

import re
from itertools import chain

from pypinyin import Style
from pypinyin.converter import UltimateConverter
from pypinyin.core import Pinyin

MAX_INITIALS = 255
MAX_REMEMBERED_WORDS = 200_000


_CONVERTER = UltimateConverter()  # what pypinyin's lazy_pinyin converts with
_PINYIN = Pinyin(_CONVERTER)


def _word_letters(word: str) -> str:
    """Return the initials of one word as pypinyin segments it, before lower-casing; remembered.

    pypinyin cuts a name into words (its phrase dictionary decides 银行 yh, 重庆 cq)
    and converts each word on its own, so a word gives the same letters wherever it
    stands; company names repeat their words (深圳, 科技, 有限公司), and an import of
    100,000 names would otherwise spend most of its pinyin time converting them again.
    """
    found = _REMEMBERED.get(word)
    if found is None:
        letters = []
        # What lazy_pinyin(style=FIRST_LETTER, errors="default") gives for this word.
        for part in chain.from_iterable(_CONVERTER.convert(word, Style.FIRST_LETTER, False, "default", strict=True)):
            if part.isascii() and part.isalnum():
                letters.append(part[0])  # a Chinese character's letter, or one Latin word: nothing to split
            else:
                # A run of non-Chinese text comes back whole ("Acme Co., Ltd. "): take each of its words.
                letters.extend(piece[0] for piece in _NOT_WORD.split(part) if piece)
        found = "".join(letters)
        if len(_REMEMBERED) < MAX_REMEMBERED_WORDS:
            _REMEMBERED[word] = found
    return found


_REMEMBERED: dict[str, str] = {}
_NOT_WORD = re.compile(r"[\W_]+")


def initials(name: str) -> str:
    """Return the lower-case pinyin initials of `name`; Latin words give their first letter, digits stay."""
    return "".join(_word_letters(word) for word in _PINYIN.seg(name)).lower()[:MAX_INITIALS]
