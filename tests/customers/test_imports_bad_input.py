"""Bad input to an import: each case named with its row and column, the other rows in, nothing half-written."""
from __future__ import annotations

import pytest
from sqlalchemy import select, text

from core.audit import AuditEntry
from core.errors import InvalidInput, TooLarge
from customers import imports
from customers.models import Company, CompanyLink, ImportJob, Order

from .imports_helpers import credit_code, csv_bytes, rejections_of, run, table_counts


def names(session_factory) -> set[str]:
    with session_factory() as session:
        return set(session.scalars(select(Company.name)))


def test_a_file_in_no_encoding_we_can_read_cleanly_is_refused_naming_the_file(session_factory):
    latin1 = csv_bytes([["name", "city"], ["Café Müller ÿ", "Zürich"]], "latin-1")
    with pytest.raises(InvalidInput) as refused:
        run(session_factory, "companies", latin1, "kunden.csv")
    assert refused.value.problems[0]["file"] == "kunden.csv"
    assert "encoding" in refused.value.message and "line 2" in refused.value.message
    assert names(session_factory) == set()


def test_a_missing_required_column_is_refused_before_anything_is_written(session_factory):
    content = csv_bytes([["company", "title"], ["某公司", "经理"]])
    with pytest.raises(InvalidInput) as refused:
        run(session_factory, "contacts", content)
    assert [p["field"] for p in refused.value.problems] == ["name"]
    with session_factory() as session:
        assert session.scalars(select(ImportJob)).all() == []


def test_bad_cells_are_rejected_with_row_and_column_and_the_good_rows_go_in(session_factory):
    content = csv_bytes([
        ["名称", "统一社会信用代码", "电话", "注册资本(万元)", "邮箱", "成立日期"],
        ["好公司", credit_code(10), "021-6888 6888", "10", "a@b.cn", "2020-01-01"],
        ["坏码公司", credit_code(11)[:-1] + ("0" if credit_code(11)[-1] != "0" else "1"), "", "", "", ""],
        ["坏电话公司", "", "12345", "", "", ""],
        ["负资本公司", "", "", "-100", "", ""],
        ["坏日期公司", "", "", "", "not-an-email", "2021-02-30"],
        ["", credit_code(12), "", "", "", ""],
    ])
    job = run(session_factory, "companies", content)
    assert job.counts["created"] == 1 and job.counts["rejected"] == 5
    assert rejections_of(session_factory, job) == [
        (3, "统一社会信用代码", "validity"), (4, "电话", "validity"), (5, "注册资本(万元)", "validity"),
        (6, "邮箱", "validity"), (6, "成立日期", "validity"), (7, "名称", "completeness")]
    assert names(session_factory) == {"好公司"}
    quality = {(q["rule"], q["field"]): (q["passed"], q["failed"]) for q in job.quality}
    assert quality["validity", "phone"] == (1, 1)
    assert quality["completeness", "name"] == (5, 1)
    assert quality["validity", "registered_capital"] == (1, 1)


def test_a_negative_order_amount_and_a_repeated_number_are_rejected(session_factory):
    run(session_factory, "companies", csv_bytes([["name", "erp_code"], ["客户甲", "K-1"]]))
    content = csv_bytes([["公司", "订单号", "下单日期", "金额", "状态"],
                         ["K-1", "SO-1", "2024-05-01", "1,234.56", "已完成"],
                         ["K-1", "SO-2", "2024-05-02", "-3.00", ""],
                         ["K-1", "SO-1", "2024-05-03", "9", ""],
                         ["K-1", "SO-3", "2024-05-03", "1.234", ""]])
    job = run(session_factory, "orders", content)
    assert rejections_of(session_factory, job) == [(3, "金额", "validity"), (4, "订单号", "uniqueness"),
                                                   (5, "金额", "validity")]
    with session_factory() as session:
        assert [(o.number, o.amount, o.status) for o in session.scalars(select(Order))] == [
            ("SO-1", 123456, "completed")]


def test_shareholdings_above_100_percent_are_rejected_across_the_file_and_the_database(session_factory):
    run(session_factory, "companies", csv_bytes([["name", "erp_code"], ["目标公司", "T-1"], ["股东甲", "H-1"],
                                                 ["股东乙", "H-2"], ["股东丙", "H-3"]]))
    first = run(session_factory, "relationships", csv_bytes([["from", "to", "kind", "percent"],
                                                             ["H-1", "T-1", "shareholder", "60%"]]))
    assert first.counts["created"] == 1
    job = run(session_factory, "relationships", csv_bytes([
        ["主体", "对象", "关系", "持股比例"], ["H-2", "T-1", "股东", "30"], ["H-3", "T-1", "股东", "10.5"],
        ["H-3", "H-2", "supplier", ""]]))
    assert rejections_of(session_factory, job) == [(3, "持股比例", "consistency")]
    with session_factory() as session:
        held = sorted(link.share_ppm for link in session.scalars(select(CompanyLink))
                      if link.kind == "shareholder")
    assert held == [300_000, 600_000]
    reason = imports.rejections(session_factory(), job)[0].reason
    assert "100.5 %" in reason


def test_a_file_over_the_size_limit_is_refused(session_factory):
    with pytest.raises(TooLarge):
        run(session_factory, "companies", csv_bytes([["name"], ["甲公司"]]), limits=imports.Limits(max_bytes=10))


def test_a_row_with_10000_columns_is_rejected_naming_the_row(session_factory):
    content = csv_bytes([["name", "city"], ["正常公司", "上海"], ["宽行公司", *["x"] * 10_000], ["另一家", "杭州"]])
    job = run(session_factory, "companies", content)
    assert rejections_of(session_factory, job) == [(3, "column 201 onwards", "limits")]
    assert names(session_factory) == {"正常公司", "另一家"}
    with pytest.raises(InvalidInput) as refused:
        run(session_factory, "companies", csv_bytes([["name", *[f"c{i}" for i in range(10_000)]]]))
    assert "row 1 has 10,001 columns" in refused.value.message


def _refuse_company_named_boom(connection) -> None:
    # A real database error in the middle of the job: a trigger refusing one row's INSERT.
    if connection.dialect.name == "postgresql":
        connection.execute(text("CREATE FUNCTION refuse_boom() RETURNS trigger AS $$ BEGIN "
                                "IF NEW.name = 'BOOM' THEN RAISE EXCEPTION 'boom refused'; END IF; "
                                "RETURN NEW; END $$ LANGUAGE plpgsql"))
        connection.execute(text("CREATE TRIGGER refuse_boom BEFORE INSERT ON companies "
                                "FOR EACH ROW EXECUTE FUNCTION refuse_boom()"))
    else:
        connection.execute(text("CREATE TRIGGER refuse_boom BEFORE INSERT ON companies "
                                "WHEN NEW.name = 'BOOM' BEGIN SELECT RAISE(ABORT, 'boom refused'); END"))


def test_a_job_failing_midway_leaves_nothing_of_itself_behind(session_factory, connection):
    _refuse_company_named_boom(connection)
    rows = [["name", "erp_code"], *([f"公司{i}", f"E-{i}"] for i in range(2500))]
    rows[2400 + 1] = ["BOOM", "E-BOOM"]  # in the second batch: the first 2,000 rows are written by then
    before = table_counts(session_factory)
    job = run(session_factory, "companies", csv_bytes(rows))
    assert job.status == "failed" and "boom refused" in job.error
    assert table_counts(session_factory) == before
    with session_factory() as session:
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "import_job")).all()
        assert session.get(ImportJob, job.id).content is None
    assert actions == ["import.failed"]


def test_a_damaged_xlsx_is_refused_naming_the_file(session_factory):
    import io
    import zipfile

    fake = io.BytesIO()
    with zipfile.ZipFile(fake, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    for content in (b"PK\x03\x04" + b"\x00" * 100, fake.getvalue()):
        with pytest.raises(InvalidInput) as refused:
            run(session_factory, "companies", content, "broken.xlsx")
        assert refused.value.problems[0]["file"] == "broken.xlsx"
