"""Importing companies and contacts: GBK, UTF-8 with BOM and XLSX files written here, matching, idempotence."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from core.audit import AuditEntry
from core.errors import InvalidInput
from customers.imports import company_import, linked_import
from customers.models import Company, CompanyExternalKey, Contact, ImportJob

from .imports_helpers import credit_code, csv_bytes, importer, rejections_of, run, table_counts, xlsx_bytes

CHINESE_HEADER = ["名称", "统一社会信用代码", "行业门类", "注册资本（万元）", "成立日期", "省份", "城市", "电话",
                  "邮箱", "ERP编码"]


def chinese_export() -> list[list]:
    return [CHINESE_HEADER,
            ["深圳云海科技有限公司", credit_code(1), "I65", "500", "2018/3/1", "广东省", "深圳", "0755-8888 8888",
             "Info@YunHai.cn", "C-1001"],
            ["北京星河制造股份有限公司", credit_code(2), "制造业", "1,234.5", "2019年1月2日", "北京市", "北京",
             "13800138000", "", "C-1002"]]


def company(session_factory, name) -> Company:
    with session_factory() as session:
        return session.scalar(select(Company).where(Company.name == name))


def test_a_gbk_export_with_chinese_headers_is_read_and_stored_exactly(session_factory):
    user = importer(session_factory)
    job = run(session_factory, "companies", csv_bytes(chinese_export(), "gbk"), "客户.csv", user_id=user)
    assert (job.status, job.encoding) == ("done", "gb18030")
    assert job.counts == {"rows": 2, "created": 2, "updated": 0, "unchanged": 0, "merged": 0, "rejected": 0}
    made = company(session_factory, "深圳云海科技有限公司")
    assert (made.credit_code, made.industry_section, made.industry_division) == (credit_code(1), "I", "65")
    assert made.registered_capital == 500 * 10_000 * 100  # 万元 -> 分
    assert (made.founded_on, made.province, made.phone, made.email) == (
        date(2018, 3, 1), "广东省", "+8675588888888", "Info@yunhai.cn")
    assert (made.erp_code, made.owner_id, made.name_initials) == ("C-1001", user, "szyhkjyxgs")
    other = company(session_factory, "北京星河制造股份有限公司")
    assert (other.registered_capital, other.industry_section, other.founded_on) == (
        12_345_000_00, "C", date(2019, 1, 2))


def test_reimporting_the_same_file_changes_nothing(session_factory):
    content = csv_bytes(chinese_export(), "gbk")
    run(session_factory, "companies", content)
    before = table_counts(session_factory)
    again = run(session_factory, "companies", content)
    assert again.counts == {"rows": 2, "created": 0, "updated": 0, "unchanged": 2, "merged": 0, "rejected": 0}
    assert table_counts(session_factory) == before


def test_one_audit_entry_per_job_not_per_row(session_factory):
    job = run(session_factory, "companies", csv_bytes(chinese_export(), "gbk"), "客户.csv")
    with session_factory() as session:
        entries = list(session.scalars(select(AuditEntry).where(AuditEntry.object_type == "import_job",
                                                                AuditEntry.object_id == str(job.id))))
        per_row = session.scalars(select(AuditEntry.action).where(AuditEntry.action == "company.created")).all()
    assert [e.action for e in entries] == ["import.finished"] and per_row == []
    assert entries[0].detail["filename"] == "客户.csv" and entries[0].detail["counts"]["created"] == 2
    assert entries[0].detail["sha256"] == job.file_sha256


def test_utf8_with_bom_contacts_name_their_company_by_credit_code_erp_code_or_name(session_factory):
    run(session_factory, "companies", csv_bytes(chinese_export(), "gbk"))
    contacts = csv_bytes([["company", "name", "title", "email", "mobile", "preferred_channel"],
                          [credit_code(1), "张伟", "采购经理", "zhang@yunhai.cn", "138 0013 8001", "微信"],
                          ["C-1002", "李娜", "", "", "+86 139-0000-0000", "email"],
                          ["北京星河制造股份有限公司", "王芳", "总监", "", "", ""],
                          ["ERP-77", "赵磊", "", "", "", ""]], "utf-8-sig")
    job = run(session_factory, "contacts", contacts, "联系人.csv")
    assert job.encoding == "utf-8-sig"
    assert job.counts["created"] == 4 and job.counts["companies_created"] == 1
    with session_factory() as session:
        found = {c.name: (c.company.name, c.mobile, c.preferred_channel) for c in session.scalars(select(Contact))}
        new_company = session.scalar(select(CompanyExternalKey).where(CompanyExternalKey.key == "ERP-77")).company
    assert found["张伟"] == ("深圳云海科技有限公司", "+8613800138001", "wechat")
    assert found["李娜"] == ("北京星河制造股份有限公司", "+8613900000000", "email")
    assert found["王芳"][0] == "北京星河制造股份有限公司"
    assert new_company.name == "ERP-77"  # an unknown ERP code makes the company with that code
    assert run(session_factory, "contacts", contacts).counts["unchanged"] == 4


def test_an_xlsx_file_gives_dates_and_numbers_as_its_cells_hold_them(session_factory):
    content = xlsx_bytes([["name", "credit_code", "founded_on", "registered_capital", "tags", "size_band"],
                          ["杭州湖畔网络有限公司", credit_code(3), date(2015, 6, 30), 1234567.89, "重点客户, 华东",
                           "中型"],
                          [None, None, None, None, None, None],
                          ["宁波港口物流有限公司", None, "2001-09-09", 1000, None, "large"]])
    job = run(session_factory, "companies", content, "companies.xlsx")
    assert (job.status, job.encoding, job.counts["created"]) == ("done", "xlsx", 2)
    made = company(session_factory, "杭州湖畔网络有限公司")
    assert (made.founded_on, made.registered_capital, made.tags, made.size_band) == (
        date(2015, 6, 30), 123456789, ["重点客户", "华东"], "medium")
    assert company(session_factory, "宁波港口物流有限公司").registered_capital == 100_000


def test_a_mapping_names_the_columns_the_import_does_not_know(session_factory):
    content = csv_bytes([["客户全称", "代码", "所在地"], ["苏州精密机械有限公司", "SZ-9", "苏州"]])
    with pytest.raises(InvalidInput) as refused:
        run(session_factory, "companies", content)
    assert refused.value.problems[0]["field"] == "name"
    job = run(session_factory, "companies", content, mapping={"客户全称": "name", "代码": "erp_code",
                                                               "所在地": "city"})
    made = company(session_factory, "苏州精密机械有限公司")
    assert (job.counts["created"], made.erp_code, made.city) == (1, "SZ-9", "苏州")
    with pytest.raises(InvalidInput) as refused:
        run(session_factory, "companies", content, mapping={"客户全称": "full_name"})
    assert refused.value.problems[0]["field"] == "mapping"


def test_a_row_matched_by_a_weaker_key_is_merged_and_then_unchanged(session_factory):
    run(session_factory, "companies", csv_bytes([["name", "erp_code"], ["广州白云贸易有限公司", "GZ-1"]]))
    content = csv_bytes([["name", "credit_code", "erp_code"], ["广州白云贸易有限公司", credit_code(4), "GZ-1"]])
    job = run(session_factory, "companies", content)
    assert (job.counts["merged"], job.counts["created"]) == (1, 0)
    assert company(session_factory, "广州白云贸易有限公司").credit_code == credit_code(4)
    assert run(session_factory, "companies", content).counts["unchanged"] == 1


def test_a_row_naming_two_different_companies_is_rejected(session_factory):
    run(session_factory, "companies", csv_bytes(chinese_export(), "gbk"))
    content = csv_bytes([["name", "credit_code"], ["北京星河制造股份有限公司", credit_code(1)]])
    job = run(session_factory, "companies", content)
    assert job.counts["rejected"] == 1
    assert rejections_of(session_factory, job) == [(2, "name", "consistency")]


def test_parents_are_set_once_every_row_is_in_and_a_cycle_is_refused(session_factory):
    content = csv_bytes([["name", "erp_code", "parent"], ["子公司甲", "A-2", "A-1"], ["集团", "A-1", ""],
                         ["子公司乙", "A-3", "子公司甲"]])
    run(session_factory, "companies", content)
    assert company(session_factory, "子公司甲").parent_id == company(session_factory, "集团").id
    assert company(session_factory, "子公司乙").parent_id == company(session_factory, "子公司甲").id
    job = run(session_factory, "companies", csv_bytes([["name", "parent"], ["集团", "子公司乙"]]))
    assert rejections_of(session_factory, job) == [(2, "parent", "consistency")]
    assert company(session_factory, "集团").parent_id is None


def test_a_dry_run_reports_what_would_happen_and_writes_nothing(session_factory):
    before = table_counts(session_factory)
    job = run(session_factory, "companies", csv_bytes(chinese_export(), "gbk"), dry_run=True)
    assert (job.status, job.dry_run, job.counts["created"]) == ("done", True, 2)
    assert table_counts(session_factory) == before
    with session_factory() as session:
        assert session.get(ImportJob, job.id).content is None  # the file is dropped when the job ends


def test_orders_payments_and_events_import_and_reimport_unchanged(session_factory):
    from customers.models import BehaviourEvent, Order, Payment

    run(session_factory, "companies", csv_bytes(chinese_export(), "gbk"))
    run(session_factory, "contacts", csv_bytes([["company", "name", "email"], ["C-1001", "张伟", "zw@yunhai.cn"]]))
    files = [("orders", csv_bytes([["公司", "订单号", "下单日期", "金额", "币种", "状态"],
                                   ["C-1001", "SO-1", "2024-03-01", "¥12,000.50", "CNY", "已发货"],
                                   [credit_code(2), "SO-2", "2024/3/2", "99", "USD", "open"]])),
             ("payments", csv_bytes([["company", "reference", "paid_on", "amount", "kind", "order"],
                                     ["C-1001", "P-1", "2024-03-05", "12000.50", "回款", "SO-1"],
                                     ["C-1001", "P-2", "2024-03-06", "100", "退款", ""],
                                     ["C-1001", "P-3", "2024-03-06", "100", "", "SO-2"]])),
             ("events", csv_bytes([["company", "contact_email", "id", "type", "occurred_at", "source"],
                                   ["", "zw@yunhai.cn", "ev-1", "web_visit", "2024-03-01 09:30", "website"],
                                   ["C-1002", "", "ev-2", "trial", "2024-03-02T10:00:00+00:00", "website"],
                                   ["", "", "ev-3", "trial", "2024-03-02", "website"]]))]
    jobs = {kind: run(session_factory, kind, content) for kind, content in files}
    assert [jobs[k].counts["created"] for k in ("orders", "payments", "events")] == [2, 2, 2]
    assert rejections_of(session_factory, jobs["payments"]) == [(4, "order", "consistency")]
    assert rejections_of(session_factory, jobs["events"]) == [(4, "company", "completeness")]
    with session_factory() as session:
        orders = {o.number: (o.amount, o.currency, o.status) for o in session.scalars(select(Order))}
        payments = {p.reference: (p.kind, p.amount, p.order_id is not None) for p in session.scalars(select(Payment))}
        events = {e.external_id: (e.company_id is not None, e.contact_id is not None)
                  for e in session.scalars(select(BehaviourEvent))}
    assert orders == {"SO-1": (1_200_050, "CNY", "shipped"), "SO-2": (9900, "USD", "open")}
    assert payments == {"P-1": ("payment", 1_200_050, True), "P-2": ("refund", 10_000, False)}
    assert events == {"ev-1": (True, True), "ev-2": (True, False)}
    for kind, content in files:
        again = run(session_factory, kind, content).counts
        assert again["unchanged"] == 2 and again["created"] == again["updated"] == 0


def test_initials_of_new_companies_are_pypinyin_s_own_however_often_a_word_repeats():
    import re

    from pypinyin import Style, lazy_pinyin

    from customers import search

    def plain(name):
        parts = lazy_pinyin(name, style=Style.FIRST_LETTER, errors="default")
        return "".join(w[0] for p in parts for w in re.split(r"[\W_]+", p) if w).lower()

    names = ["银行行长", "行业协会", "长沙银行", "重庆长安汽车", "重庆重型机械", "乐山乐器", "Acme Co., Ltd. 上海"] * 2
    assert [search.initials(n) for n in names] == [plain(n) for n in names]


def test_the_import_package_needs_no_flask_and_no_crm():
    import subprocess
    import sys
    from pathlib import Path

    code = ("import sys, customers.imports; print(sorted(m for m in sys.modules "
            "if m in ('crm', 'web') or m.startswith(('crm.', 'web.', 'flask'))))")
    run = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).parents[2], capture_output=True,
                         text=True, check=True)
    assert run.stdout.strip() == "[]"


def test_phones_read_once_per_block_agree_with_customers_checks():
    import random

    from core.errors import InvalidInput as Refused
    from customers import checks
    from customers.imports import values

    rng = random.Random(4)
    samples = ["13800138000", "+86 138 0013 8001", "0086-139-0000-0000", "021-6888 6888", "0755 8888 8888",
               "010-12345678", "12345", "17951 13800138000", "+1 415 555 0100", "1234567890123", "0591-8888888",
               "11812345678", "020 1234 5678", "14000000000", "19912345678"]
    samples += [f"1{rng.randint(30, 99)}{rng.randint(0, 99_999_999):08d}" for _ in range(300)]
    samples += [f"0{rng.randint(10, 999)}-{rng.randint(1_000_000, 99_999_999)}" for _ in range(300)]
    for sample in samples * 2:  # the second time from the blocks remembered
        try:
            expected = checks.mobile(sample)
        except Refused:
            expected = None
        try:
            got = values.phone(sample)
        except values.ValueProblem:
            got = None
        assert got == expected, sample


@pytest.mark.parametrize("keys_read", ["all at once", "batch by batch"])
def test_matching_is_the_same_whether_the_stored_keys_are_read_at_once_or_looked_up(session_factory, monkeypatch,
                                                                                  keys_read):
    # A large file reads every stored key first; a small one, or past these counts, looks each batch's up.
    if keys_read == "all at once":
        monkeypatch.setattr(company_import, "KEYS_READ_FROM_ROWS", 1)
        monkeypatch.setattr(linked_import, "KEYS_READ_FROM_ROWS", 1)
    else:
        monkeypatch.setattr(company_import, "KEYS_READ_UP_TO", 0)
        monkeypatch.setattr(linked_import, "CONTACTS_READ_UP_TO", 0)
    run(session_factory, "companies", csv_bytes([["name", "erp_code"], ["广州白云贸易有限公司", "GZ-1"]]))
    content = csv_bytes([["name", "credit_code", "erp_code"], ["广州白云贸易有限公司", credit_code(4), "GZ-1"],
                         ["佛山新建有限公司", credit_code(5), "FS-1"]])
    job = run(session_factory, "companies", content)
    assert (job.counts["merged"], job.counts["created"]) == (1, 1)
    assert run(session_factory, "companies", content).counts["unchanged"] == 2
    contacts = csv_bytes([["company", "name", "email"], ["GZ-1", "张伟", "zhang@baiyun.cn"],
                          [credit_code(5), "李娜", "li@xinjian.cn"]])
    assert run(session_factory, "contacts", contacts).counts["created"] == 2
    assert run(session_factory, "contacts", contacts).counts["unchanged"] == 2
    assert table_counts(session_factory) == {"companies": 2, "company_external_keys": 2, "contacts": 2}
