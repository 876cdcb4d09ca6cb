"""A compact working copy of the CJK font: quick to subset, small to embed.

WeasyPrint subsets each font face it uses into each PDF it writes. Noto Sans CJK
(from `make install`) holds 65,000 glyphs in a 20 MB collection, which costs
~35 ms and ~100 KB per face per PDF: most of a signature appearance. A copy with
GB 2312 (6,763 hanzi), Latin and punctuation is made once, on first use, under
the data dir; stylesheets name it first and Noto Sans CJK after it, so a
character outside the copy falls back to the full font and nothing goes missing.
"""
from __future__ import annotations

import functools
import logging
import os
import secrets
import subprocess
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont, TTLibError

SOURCE_FAMILY = "Noto Sans CJK SC"
# Says what it is in a PDF viewer's font list; the full family stays its fallback.
FAMILY = "Noto Sans CJK SC GB2312"
FILE_NAME = "noto-sans-cjk-sc-gb2312.otf"

log = logging.getLogger(__name__)


def ensure_working_font(data_dir: Path) -> Path | None:
    """Return the working font under `data_dir`, making it on first use; None without Noto CJK."""
    target = Path(data_dir) / "fonts" / FILE_NAME
    if target.exists():
        return target
    source = _source_font()
    if source is None:
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{FILE_NAME}.{secrets.token_hex(6)}")
    try:
        _subset(*source, temporary)
        os.replace(temporary, target)  # racing processes write the same font; last one wins
    except (OSError, TTLibError) as exc:
        log.warning("no working font, rendering with %s directly: %s", SOURCE_FAMILY, exc)
        temporary.unlink(missing_ok=True)
        return None
    return target


def font_face_css(font: Path | None) -> str:
    """Return the @font-face rule that makes `font` the family FAMILY ('' without a font)."""
    if font is None:
        return ""
    return f'@font-face {{ font-family: "{FAMILY}"; src: url("{font.resolve().as_uri()}"); }}'


@functools.cache
def _source_font() -> tuple[str, int] | None:
    # fontconfig knows where the distribution put the collection and which face is SC.
    try:
        found = subprocess.run(["fc-match", "-f", "%{family}|%{file}|%{index}", SOURCE_FAMILY],
                               capture_output=True, text=True, timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    families, path, index = (found.split("|") + ["", "", ""])[:3]
    if SOURCE_FAMILY not in families.split(","):
        return None  # fontconfig fell back to some other font: Noto CJK is not installed
    return path, int(index or 0)


def _subset(path: str, index: int, target: Path) -> None:
    options = subset.Options()
    # Keeping hints and bounds as they are spares fontTools most of its work
    # (3 s instead of 17 s); the layout tables serve vertical and alternate forms
    # that contracts never use.
    options.hinting = True
    options.desubroutinize = False
    options.recalc_bounds = False
    options.notdef_outline = True
    options.name_IDs = ["*"]
    options.drop_tables += ["GSUB", "GPOS", "BASE", "VORG", "vhea", "vmtx"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=_characters())
    with TTFont(path, fontNumber=index, lazy=True, recalcBBoxes=False, recalcTimestamp=False) as font:
        subsetter.subset(font)
        font.save(str(target))


def _characters() -> set[int]:
    characters = {*range(0x20, 0x7F), *range(0xA0, 0x180), *range(0x2000, 0x2070),
                  *range(0x2100, 0x2200), *range(0x25A0, 0x2700), *range(0x3000, 0x3040),
                  *range(0xFF00, 0xFFF0)}
    # GB 2312: its symbols (rows 0xA1-0xA9) and both levels of hanzi (0xB0-0xF7).
    for high in (*range(0xA1, 0xAA), *range(0xB0, 0xF8)):
        for low in range(0xA1, 0xFF):
            try:
                characters.add(ord(bytes((high, low)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return characters
