"""Chinese for the menu, the global search and the pagers of the lists; merged into ZH."""

NAV_ZH: dict[str, str] = {
    "Search… ( / )": "搜索…（ / ）",
    "Search deals, companies, contacts, contracts and tenders": "搜索商机、客户、联系人、合同和招投标",
    "Deals by name or business key, companies by name, pinyin initials, credit or ERP code, contacts by name, "
    "email or mobile, contracts by number, tenders by title.":
        "商机按名称或业务编号，客户按名称、拼音首字母、统一社会信用代码或 ERP 编码，联系人按姓名、邮箱或手机，"
        "合同按编号，招投标按标题。",
    "Name, initials, number or code…": "名称、首字母、编号或代码…",
    "Type what you are looking for. Press / or Ctrl+K on any page to search.":
        "输入要找的内容。在任何页面按 / 或 Ctrl+K 即可搜索。",
    "Nothing matches “{query}”.": "没有与“{query}”匹配的结果。",
    "See all": "查看全部",
    "Open the list": "打开列表",
    "{count} tasks": "{count} 项任务",
    "{count} contracts": "{count} 份合同",
    "Customer or contract number…": "客户或合同编号…",
    "Customer or contract number": "客户或合同编号",
    "Newest entries": "最新记录",
}
