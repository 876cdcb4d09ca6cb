"""Finding companies by what people type: part of the name, the pinyin initials ("zgyd" finds 中国移动), a code.

pypinyin ships its dictionary, so the initials need nothing fetched at run time.
"""
from __future__ import annotations

import re

from pypinyin import Style
from pypinyin.converter import UltimateConverter
from pypinyin.core import Pinyin

MAX_INITIALS = 255
MAX_REMEMBERED_WORDS = 200_000


class _RememberingConverter(UltimateConverter):
    """The converter pypinyin's lazy_pinyin uses, remembering each segmented word's result.

    pypinyin cuts a name into words first and converts each word on its own, so a
    word gives the same pinyin wherever it stands; company names repeat their
    words (深圳, 科技, 有限公司), and an import of 100,000 names spends most of
    its pinyin time converting them again.
    """

    def __init__(self):
        super().__init__()
        self._remembered: dict = {}

    def convert(self, words, style, heteronym, errors, strict, **kwargs):
        key = (words, style, heteronym, errors, strict)
        found = self._remembered.get(key)
        if found is None:
            found = super().convert(words, style, heteronym, errors, strict, **kwargs)
            if len(self._remembered) < MAX_REMEMBERED_WORDS:
                self._remembered[key] = found
        return [list(readings) for readings in found]  # the caller's to keep


_PINYIN = Pinyin(_RememberingConverter())


def initials(name: str) -> str:
    """Return the lower-case pinyin initials of `name`; Latin words give their first letter, digits stay."""
    # A run of non-Chinese text comes back whole ("Acme Co., Ltd. "): take each of its words.
    words = (word for part in _PINYIN.lazy_pinyin(name, style=Style.FIRST_LETTER, errors="default")
             for word in re.split(r"[\W_]+", part) if word)
    return "".join(word[0] for word in words).lower()[:MAX_INITIALS]
