"""Company and person names reduced to what tells one apart: the core of a name, and where it says it is.

深圳市腾讯计算机系统有限公司, 腾讯计算机系统（深圳）有限公司 and 腾讯计算机系统有限公司深圳分公司
all come down to the core 腾讯计算机系统 with the place 深圳; "ACME Trading Co., Ltd." to acmetrading.
The place is kept apart so that 北京银行 and 上海银行 (core 银行 both) can be told apart by it.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from pypinyin import lazy_pinyin

# Provinces (short forms) and the cities a Chinese company name most often starts with.
PROVINCES = ("北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江", "安徽",
             "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州", "云南", "陕西",
             "甘肃", "青海", "台湾", "内蒙古", "广西", "西藏", "宁夏", "新疆", "香港", "澳门")
# The cities a Chinese company name most often starts with, by the province they are in.
CITY_PROVINCE = {
    **dict.fromkeys(("深圳", "广州", "东莞", "佛山", "珠海", "中山", "惠州", "汕头"), "广东"),
    **dict.fromkeys(("杭州", "宁波", "温州", "绍兴", "嘉兴", "金华", "台州"), "浙江"),
    **dict.fromkeys(("南京", "苏州", "无锡", "常州", "南通", "徐州", "扬州", "昆山"), "江苏"),
    **dict.fromkeys(("合肥", "芜湖"), "安徽"), **dict.fromkeys(("福州", "厦门", "泉州"), "福建"),
    "南昌": "江西", **dict.fromkeys(("济南", "青岛", "烟台", "潍坊"), "山东"),
    **dict.fromkeys(("郑州", "洛阳"), "河南"), **dict.fromkeys(("武汉", "宜昌"), "湖北"),
    **dict.fromkeys(("长沙", "株洲"), "湖南"), **dict.fromkeys(("成都", "绵阳"), "四川"), "贵阳": "贵州",
    "昆明": "云南", "西安": "陕西", "兰州": "甘肃", "西宁": "青海",
    **dict.fromkeys(("石家庄", "唐山", "保定"), "河北"), **dict.fromkeys(("太原", "大同"), "山西"),
    **dict.fromkeys(("沈阳", "大连"), "辽宁"), "长春": "吉林", "哈尔滨": "黑龙江",
    **dict.fromkeys(("呼和浩特", "包头"), "内蒙古"), **dict.fromkeys(("南宁", "桂林"), "广西"),
    **dict.fromkeys(("海口", "三亚"), "海南"), "拉萨": "西藏", "银川": "宁夏", "乌鲁木齐": "新疆",
}
CITIES = tuple(CITY_PROVINCE)
PLACES = tuple(sorted(PROVINCES + CITIES, key=len, reverse=True))  # longest first: 黑龙江 before 黑
# Endings of a legal form, longest first, stripped again and again ("集团股份有限公司" -> "").
LEGAL_FORMS = tuple(sorted((
    "股份有限公司", "有限责任公司", "集团有限公司", "有限公司", "股份公司", "责任公司", "集团公司", "总公司",
    "集团", "公司", "企业", "工作室", "合伙企业", "个体工商户", "厂"), key=len, reverse=True))
# The same in Latin letters, as whole words at the end: "Acme Co., Ltd.", "Foo GmbH", "Bar Holdings Inc".
_LATIN_FORMS = re.compile(r"(?:[\s.,&]*\b(?:co|company|corp|corporation|inc|incorporated|limited|ltd|llc|l\.l\.c|plc"
                          r"|gmbh|ag|s\.?a|b\.?v|pte|pty|group|holdings?)\b[\s.,&]*)+$")
COUNTRIES = ("中国", "china", "国际", "亚洲", "asia")
# A branch marker and everything after it; a place just before it belongs to the branch.
_BRANCH = re.compile(r"(分公司|分行|支行|分店|办事处|营业部|分部|分厂|代表处|分所|\bbranch\b|\boffice\b).*$")
_OPEN, _CLOSE = "(【[〔{<《", ")】]〕}>》"
_BRACKETED = re.compile(r"[(\[{]([^()\[\]{}]*)[)\]}]")
_NOT_WORD = re.compile(r"[\W_]+")
_PLACE = "|".join(map(re.escape, PLACES))
_LEADING_PLACE = re.compile(rf"({_PLACE})(?:特别行政区|壮族自治区|回族自治区|维吾尔自治区|自治区|省|市|区|县)?")
_TRAILING_PLACE = re.compile(rf"(?<=..)({_PLACE})[市省]?$")
_BRANCH_PLACE = re.compile(rf"(?<=..)({_PLACE})[市省]?\s*$")
_LEGAL_END = re.compile(rf"(?<=.)(?:{'|'.join(map(re.escape, LEGAL_FORMS))})+$")
_BRACKETS = str.maketrans(_OPEN + _CLOSE, "(" * len(_OPEN) + ")" * len(_CLOSE))


@lru_cache(maxsize=200_000)
def company_name(name: str) -> tuple[str, frozenset[str]]:
    """Return (core, places) of a company name: legal form, branch, brackets, places and punctuation gone."""
    text = unicodedata.normalize("NFKC", name or "").lower()
    text = text.translate(_BRACKETS)
    places: set[str] = set()

    def bracket(match: re.Match) -> str:
        inside = _strip_legal(_NOT_WORD.sub("", match.group(1)))
        rest = _leading_places(inside, places)
        # (深圳) is a place, (中国) says no more than the name; (特种) stays part of it.
        return "" if not rest or rest in COUNTRIES else inside
    text = _BRACKETED.sub(bracket, text).replace("(", " ").replace(")", " ")
    branch = _BRANCH.search(text)
    if branch:  # the branch's own city (…有限公司北京分公司) is not where the company is
        text = _BRANCH_PLACE.sub("", text[:branch.start()].rstrip())
    text = _LATIN_FORMS.sub("", text.strip())
    text = _strip_legal(_NOT_WORD.sub("", text))
    text = _strip_legal(_strip_trailing_place(text, places))
    core = _leading_places(text, places)
    if len(core) < 2:  # 北京银行 -> 银行 would lose the name: keep the place in it
        core = text
    return core, frozenset(places)


def _strip_legal(text: str) -> str:
    """Strip legal forms from the end, as often as they repeat, keeping at least one character."""
    return _LEGAL_END.sub("", text)


def _leading_places(text: str, places: set[str]) -> str:
    """Strip places from the start of `text` into `places`: 广东省深圳市腾讯 -> 腾讯."""
    while match := _LEADING_PLACE.match(text):
        places.add(match.group(1))
        text = text[match.end():]
    return text


def _strip_trailing_place(text: str, places: set[str]) -> str:
    """Strip a place left at the end once a branch is gone: 腾讯深圳 -> 腾讯."""
    match = _TRAILING_PLACE.search(text)
    if match is None:
        return text
    places.add(match.group(1))
    return text[:match.start()]


def places_conflict(left: frozenset[str], right: frozenset[str]) -> bool:
    """Tell whether two names say they are in different places: other cities, or cities of other provinces."""
    if not left or not right or left & right:
        return False
    left_cities, right_cities = left - _PROVINCE_SET, right - _PROVINCE_SET
    if left_cities and right_cities:
        return True
    return not {CITY_PROVINCE.get(p, p) for p in left} & {CITY_PROVINCE.get(p, p) for p in right}


_PROVINCE_SET = frozenset(PROVINCES)


@lru_cache(maxsize=200_000)
def person_name(name: str) -> tuple[str, str]:
    """Return (plain, pinyin) of a person's name: "Li Wei" and 李伟 share the pinyin "liwei"."""
    text = _NOT_WORD.sub("", unicodedata.normalize("NFKC", name or "").lower())
    return text, "".join(lazy_pinyin(text)) if text else ""


def bigrams(text: str) -> list[str]:
    """Return the text's character pairs (the text itself when shorter)."""
    return [text[i:i + 2] for i in range(len(text) - 1)] or ([text] if text else [])


def grams(text: str) -> list[str]:
    """Return the blocking grams of a core: character pairs of Chinese, runs of four of Latin letters.

    26 letters make few pairs, each in thousands of names; Chinese has thousands of characters.
    """
    size = 4 if text.isascii() else 2
    return [text[i:i + size] for i in range(len(text) - size + 1)] or ([text] if text else [])
