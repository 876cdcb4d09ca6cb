"""Which file column holds which field: the API's field names, a Chinese export's headers, or a mapping.

A header is compared after trimming, lower-casing and turning full-width
brackets into ASCII, so "注册资本（万元）" and "注册资本(万元)" are one header.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from core.errors import InvalidInput

KINDS = ("companies", "contacts", "relationships", "orders", "payments", "events")


@dataclass(frozen=True)
class Field:
    name: str
    required: bool = False
    headers: tuple[str, ...] = ()  # Chinese headers besides the field name
    scale: int = 1  # a header in 万元 multiplies by 10,000


def _fields(*specs) -> dict[str, Field]:
    return {spec.name: spec for spec in specs}


FIELDS = {
    "companies": _fields(
        Field("name", True, ("名称", "公司名称", "企业名称", "客户名称", "单位名称")),
        Field("credit_code", False, ("统一社会信用代码", "信用代码", "社会信用代码")),
        Field("industry", False, ("行业门类", "所属行业", "行业", "行业代码")),
        Field("registered_capital", False, ("注册资本(元)",)),
        Field("registered_capital_currency", False, ("注册资本币种", "币种")),
        Field("founded_on", False, ("成立日期", "成立时间")),
        Field("province", False, ("省份", "省", "所在省份")),
        Field("city", False, ("城市", "市", "所在城市")),
        Field("phone", False, ("电话", "联系电话", "公司电话")),
        Field("email", False, ("邮箱", "电子邮箱", "电子邮件")),
        Field("website", False, ("网址", "网站", "官网")),
        Field("address", False, ("地址", "注册地址", "公司地址")),
        Field("erp_code", False, ("erp编码", "erp代码", "客户编码")),
        Field("parent", False, ("上级公司", "母公司", "所属集团")),
        Field("tags", False, ("标签",)),
        Field("size_band", False, ("规模", "企业规模")),
    ),
    "contacts": _fields(
        Field("company", True, ("公司", "公司名称", "企业名称", "客户名称", "所属公司")),
        Field("name", True, ("姓名", "联系人", "联系人姓名")),
        Field("title", False, ("职务", "职位")),
        Field("department", False, ("部门",)),
        Field("email", False, ("邮箱", "电子邮箱", "电子邮件")),
        Field("mobile", False, ("手机", "手机号", "手机号码", "移动电话")),
        Field("wechat_id", False, ("微信", "微信号")),
        Field("preferred_channel", False, ("首选渠道", "联系方式偏好")),
    ),
    "relationships": _fields(
        Field("from", True, ("主体", "来源公司", "股东")),
        Field("to", True, ("对象", "目标公司", "被投资企业", "对方公司")),
        Field("kind", True, ("关系", "关系类型", "类型")),
        Field("percent", False, ("持股比例", "比例", "持股比例(%)")),
        Field("valid_from", False, ("起始日期", "生效日期")),
        Field("valid_to", False, ("截止日期", "失效日期")),
        Field("source", False, ("来源", "数据来源")),
    ),
    "orders": _fields(
        Field("company", True, ("公司", "客户", "公司名称", "客户名称")),
        Field("number", True, ("订单号", "订单编号")),
        Field("ordered_on", True, ("下单日期", "订单日期")),
        Field("amount", True, ("金额", "订单金额", "金额(元)")),
        Field("currency", False, ("币种",)),
        Field("status", False, ("状态", "订单状态")),
    ),
    "payments": _fields(
        Field("company", True, ("公司", "客户", "公司名称", "客户名称")),
        Field("reference", True, ("流水号", "付款编号", "回款编号", "单号")),
        Field("paid_on", True, ("付款日期", "回款日期", "日期")),
        Field("amount", True, ("金额", "付款金额", "回款金额", "金额(元)")),
        Field("currency", False, ("币种",)),
        Field("kind", False, ("类型", "款项类型")),
        Field("order", False, ("订单号", "订单编号")),
    ),
    "events": _fields(
        Field("company", False, ("公司", "公司名称", "客户")),
        Field("contact_email", False, ("联系人邮箱", "邮箱")),
        Field("id", True, ("事件编号", "事件id")),
        Field("type", True, ("事件类型", "类型")),
        Field("occurred_at", True, ("发生时间", "时间")),
        Field("source", False, ("来源", "渠道")),
    ),
}
# A header that implies a unit: the field it fills and the factor from that unit to yuan.
SCALED = {"companies": {"注册资本(万元)": ("registered_capital", 10_000)}}


def normalise(header: str) -> str:
    header = str(header).strip().lower().replace("（", "(").replace("）", ")")
    return re.sub(r"\s+", "", header)


@dataclass(frozen=True)
class Column:
    """A file column read as `field`: its index, its header as the file has it, the unit factor."""

    field: str
    index: int
    header: str
    scale: int = 1


def resolve(kind: str, header: list[str], mapping: dict | None) -> dict[str, Column]:
    """Return {field: Column} for the file's header; refuse a mapping to no field or a missing required column.

    Unknown columns are ignored (an export carries more than an import reads).
    """
    if kind not in FIELDS:
        raise InvalidInput(f"kind: one of {', '.join(KINDS)}", [{"message": f"one of {', '.join(KINDS)}",
                                                                 "field": "kind"}])
    fields = FIELDS[kind]
    by_header = {}
    for spec in fields.values():
        by_header[normalise(spec.name)] = (spec.name, 1)
        for alias in spec.headers:
            by_header.setdefault(normalise(alias), (spec.name, 1))
    for alias, target in SCALED.get(kind, {}).items():
        by_header[normalise(alias)] = target
    mapped = {normalise(k): v for k, v in (mapping or {}).items()}
    unknown = sorted({v for v in mapped.values() if v not in fields})
    if unknown:
        raise InvalidInput(f"mapping names no {kind} field: {', '.join(map(str, unknown))}",
                           [{"message": f"{value!r} is no {kind} field ({', '.join(fields)})", "field": "mapping"}
                            for value in unknown])
    columns: dict[str, Column] = {}
    for index, name in enumerate(header):
        key = normalise(name)
        if key in mapped:
            field, scale = mapped[key], 1
        elif key in by_header:
            field, scale = by_header[key]
        else:
            continue
        if field not in columns:  # the first column for a field wins; a repeat is ignored
            columns[field] = Column(field, index, name, scale)
    missing = [spec.name for spec in fields.values() if spec.required and spec.name not in columns]
    if kind == "events" and "company" not in columns and "contact_email" not in columns:
        missing.append("company or contact_email")
    if missing:
        raise InvalidInput(f"the file has no column for {', '.join(missing)}",
                           [{"message": f"missing required column {name!r}", "field": name} for name in missing])
    return columns
