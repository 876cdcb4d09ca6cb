"""Finding companies by what people type: part of the name, the pinyin initials ("zgyd" finds 中国移动), a code.

pypinyin ships its dictionary, so the initials need nothing fetched at run time.
"""
from __future__ import annotations

import re

from pypinyin import Style, lazy_pinyin

MAX_INITIALS = 255


def initials(name: str) -> str:
    """Return the lower-case pinyin initials of `name`; Latin words give their first letter, digits stay."""
    # A run of non-Chinese text comes back whole ("Acme Co., Ltd. "): take each of its words.
    words = (word for part in lazy_pinyin(name, style=Style.FIRST_LETTER, errors="default")
             for word in re.split(r"[\W_]+", part) if word)
    return "".join(word[0] for word in words).lower()[:MAX_INITIALS]
