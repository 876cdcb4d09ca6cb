"""Contract benchmark: a five-page contract rendered, sealed, signed by the customer, verified.

Run with `.venv/bin/python -m bench.contracts [--runs N]`. Each run, on SQLite in a
temporary data dir, goes through the service as the API does:

1. render alone: `render.render_contract` of the contract (PDF/A-3b, contract.json);
2. rendered and signed by both parties: `draft_contract` (render, archive) +
   `seal_contract` (company certification, B-T) + `customer.sign_as_customer` (personal
   certificate issued by the internal CA, approval B-T, then the signed certificate
   of completion, DSS with the CRL and the archive timestamp: B-LTA);
3. verification: `verify_contract` of the stored final revision.

It prints p50 and p90 of each, the steps of (2), and (2) and (3) as ratios to (1)
measured in the same run, since absolute times depend on the machine. Targets: (2)
p50 <= 0.5 s, (3) p50 <= 0.1 s. The figures also go to bench/results/contracts.json.
This is a benchmark, not a test: nothing asserts on time.
"""
from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from core import migrations
from core.db import make_engine, make_session_factory
from signing import customer, fonts, keys, render, service

RESULTS = Path(__file__).resolve().parent / "results" / "contracts.json"
TEXT = ("甲方向乙方提供软件许可及实施服务，乙方按本合同约定支付费用。双方应诚实守信，全面履行本合同。"
        "The company licenses the software and delivers the services; the customer pays as agreed. ")
CLAUSES = ("定义 Definitions", "许可范围 Licence", "服务内容 Services", "交付与验收 Delivery",
           "价款与支付 Payment", "保密 Confidentiality", "知识产权 Intellectual property",
           "违约责任 Liability", "争议解决 Disputes")


def contract() -> dict:
    """A contract of four pages of terms plus the certificate of completion: five pages."""
    return {"customer": "北京星河贸易有限公司", "title": "软件许可与服务合同", "amount": "128000.00",
            "parties": [{"role": "customer", "name": "北京星河贸易有限公司",
                         "address": "北京市朝阳区建国路 1 号", "representative": "张伟"}],
            "clauses": [{"title": title, "text": f"{TEXT * 4}\n{TEXT * 2}"} for title in CLAUSES]}


def run_once(session_factory, folder: Path, data: dict) -> dict:
    """Time one contract through every step; return seconds per step."""
    with session_factory() as session:
        marks = [time.perf_counter()]
        contract = service.draft_contract(session, data, None, data_dir=folder)
        marks.append(time.perf_counter())
        service.seal_contract(session, contract.id, None, "127.0.0.1", data_dir=folder)
        marks.append(time.perf_counter())
        customer.sign_as_customer(session, contract.id, "张三", "zhang.san@example.cn", "127.0.0.1",
                                  data_dir=folder)
        marks.append(time.perf_counter())
        report = service.verify_contract(session, contract.id, data_dir=folder)
        marks.append(time.perf_counter())
        session.commit()
        # The same content once more, rendered alone: the yardstick for the ratios.
        rendered = render.render_contract(contract.data, font=fonts.ensure_working_font(folder))
        marks.append(time.perf_counter())
    assert report["trusted"] and not report["modified_after_signing"], report["problems"]
    return {"render alone": marks[5] - marks[4], "draft (render + archive)": marks[1] - marks[0],
            "seal": marks[2] - marks[1], "customer signs + completion + LTA": marks[3] - marks[2],
            "rendered and signed by both": marks[3] - marks[0], "verify": marks[4] - marks[3],
            "pages": rendered.pages, "bytes": report["size"],
            "levels": [signature["level"] for signature in report["signatures"]]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dealflow-bench-") as tmp:
        folder = Path(tmp)
        url = f"sqlite:///{folder / 'bench.db'}"
        migrations.upgrade(url)
        engine = make_engine(url)
        keys.ensure_keys(folder, "Dealflow")
        runs = [run_once(make_session_factory(engine), folder, contract())
                for _ in range(args.warmup + args.runs)][args.warmup:]
        engine.dispose()
    _report(runs, args)


def _report(runs: list[dict], args) -> None:
    steps = ("render alone", "rendered and signed by both", "draft (render + archive)", "seal",
             "customer signs + completion + LTA", "verify")
    p50 = {step: statistics.median(run[step] for run in runs) for step in steps}
    p90 = {step: _percentile([run[step] for run in runs], 0.9) for step in steps}
    last = runs[-1]
    print(f"contracts: {last['pages']}-page contract, {args.runs} runs after {args.warmup} warm-up, "
          f"SQLite; final PDF {last['bytes'] / 1024:.0f} KB, levels {', '.join(last['levels'])}")
    print(f"{'':38}{'p50':>9}{'p90':>9}")
    for step in steps:
        indent = "  " if step in steps[2:5] else ""
        print(f"{indent + step:38}{p50[step]:8.3f}s{p90[step]:8.3f}s")
    signed_ratio = p50["rendered and signed by both"] / p50["render alone"]
    verify_ratio = p50["verify"] / p50["render alone"]
    print(f"ratios to rendering alone (p50): rendered and signed by both {signed_ratio:.2f}x, "
          f"verify {verify_ratio:.2f}x")
    print(f"targets: rendered and signed by both p50 <= 0.5 s: "
          f"{'met' if p50['rendered and signed by both'] <= 0.5 else 'MISSED'}; "
          f"verify p50 <= 0.1 s: {'met' if p50['verify'] <= 0.1 else 'MISSED'}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"runs": args.runs, "pages": last["pages"], "bytes": last["bytes"],
                                   "p50": p50, "p90": p90, "ratio_signed_to_render": signed_ratio,
                                   "ratio_verify_to_render": verify_ratio}, indent=2))


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


if __name__ == "__main__":
    main()
