"""Hostile-script benchmark: what a script that is cheap to write and huge to build costs.

Run with `.venv/bin/python -m bench.scripts`. Every script of HOSTILE (and the
harmless BASELINE) is deployed as the one script task of a small process and
started through engine.instances.start_instance on a fresh SQLite database, each
in a fresh subprocess, so that its peak resident memory (ru_maxrss, a high-water
mark) is its own. Printed per script: the wall time of the start, the growth of
the peak RSS over the process's peak before the start, the instance's status,
error element and message; then the ratios to the baseline. The issue's target:
under 2 s and under 100 MB each, status error, never an exception out of the
engine. The children run under RLIMIT_AS of 3 GB so a regression cannot take the
machine down; a child that dies reports how.

This is a benchmark, not a test: nothing asserts on time (tests/engine/test_hostile_scripts.py
asserts the outcomes).
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASELINE = "total = amount * 3\nlabel = f'{total:,.2f} EUR'"

HOSTILE = {
    "shared rows": "x = [[0] * 1000000] * 1000000",
    "ljust": "x = 'a'.ljust(10 ** 9)",
    "center": "x = 'x'.center(10 ** 9)",
    "rjust": "x = 'x'.rjust(10 ** 9, '-')",
    "zfill": "x = '1'.zfill(10 ** 9)",
    "expandtabs": "x = ('\\t' * 1000).expandtabs(10 ** 6)",
    "replace": "x = 'ab'.replace('', 'c' * 999999)",
    "join": "x = ','.join(['a' * 999999] * 999999)",
    "str of a list": "x = str(list(range(10 ** 6))) * 1000",
    "bytes": "x = bytes(10 ** 9)",
    "bytearray": "x = bytearray(10 ** 9)",
    "append loop": "x = []\nwhile True:\n    x.append([0] * 999999)",
    "dict comprehension": "x = {i: 'x' * 999999 for i in range(1000)}",
    "format width": "x = f'{1:>999999}' * 1000",
    "list(range)": "x = list(range(10 ** 9))",
    "sorted(range)": "x = sorted(range(10 ** 9))",
    "depth bomb": "x = []\nfor i in range(10 ** 5):\n    x = [x]",
    "doubling": "x = [0]\nfor i in range(64):\n    x = [x, x]",
    "append alias": "a = [0] * 100000\nx = []\nfor i in range(1000000):\n    x.append(a)",
    "tuple keys": "x = {(1, 2): 'pair'}",
    "set value": "x = {1, 2, 3}",
    "slices kept": "a = 'x' * 999999\nx = []\nfor i in range(10000):\n    x.append(a[1:])",
    "split": "x = []\nfor i in range(1000):\n    x.append(('ab,' * 333333).split(','))",
}

PROCESS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs"
    targetNamespace="http://dealflow.example/bench">
  <bpmn:process id="{key}" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="build" name="Build" scriptFormat="python">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>{script}</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:userTask id="after" name="After"><bpmn:incoming>f2</bpmn:incoming>
      <bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="build"/>
    <bpmn:sequenceFlow id="f2" sourceRef="build" targetRef="after"/>
    <bpmn:sequenceFlow id="f3" sourceRef="after" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>"""

MEMORY_CAP = 3 * 1024 ** 3


def process_with(script: str, key: str = "hostile") -> bytes:
    """Return the BPMN of a process `key` whose one script task runs `script`."""
    escaped = script.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return PROCESS.format(script=escaped, key=key).encode()


def run_one(script: str) -> dict:
    """Deploy and start `script` on a fresh SQLite database; return time, memory and outcome."""
    from core import migrations
    from core.db import make_engine, make_session_factory
    from engine import definitions, instances

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        migrations.upgrade(url)
        factory = make_session_factory(make_engine(url))
        with factory.begin() as session:
            definitions.deploy(session, [("hostile.bpmn", process_with(script)),
                                         ("warm.bpmn", process_with(BASELINE, "warm"))],
                               actor=None)
        with factory.begin() as session:  # warm: imports, caches, the first instance's costs
            instances.start_instance(session, "warm", data={"amount": 1}, actor=None)
            definitions.specs_for(definitions.get_latest(session, "hostile"))
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        with factory.begin() as session:
            instance = instances.start_instance(session, "hostile", data={"amount": 100},
                                                actor=None)
            outcome = {"status": instance.status, "element": instance.error_element_id,
                       "message": instance.error_message}
        outcome["seconds"] = time.perf_counter() - started
        outcome["rss_growth_mb"] = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                                    - before) / 1024
        return outcome


def run_in_child(script: str) -> dict:
    """Run `script` through run_one in a fresh interpreter under a memory cap."""
    started = time.perf_counter()
    child = subprocess.run([sys.executable, "-m", "bench.scripts", "--child"], input=script,
                           capture_output=True, text=True, timeout=600,
                           cwd=Path(__file__).resolve().parents[1])
    if child.returncode != 0:
        return {"status": f"child died ({child.returncode})", "element": None,
                "message": child.stderr.strip().splitlines()[-1:] or [""],
                "seconds": time.perf_counter() - started, "rss_growth_mb": float("nan")}
    return json.loads(child.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("names", nargs="*", help="run only these of HOSTILE")
    args = parser.parse_args()
    if args.child:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))
        print(json.dumps(run_one(sys.stdin.read())))
        return
    base = run_in_child(BASELINE)
    print(f"{'script':<20} {'time s':>7} {'x base':>7} {'RSS +MB':>8}  status / element: message")
    print(f"{'(baseline)':<20} {base['seconds']:7.3f} {1:7.1f} {base['rss_growth_mb']:8.1f}  "
          f"{base['status']}")
    worst_time = worst_mb = 0.0
    for name, script in HOSTILE.items():
        if args.names and name not in args.names:
            continue
        got = run_in_child(script)
        worst_time, worst_mb = max(worst_time, got["seconds"]), max(worst_mb, got["rss_growth_mb"])
        print(f"{name:<20} {got['seconds']:7.3f} {got['seconds'] / base['seconds']:7.1f} "
              f"{got['rss_growth_mb']:8.1f}  {got['status']} / {got['element']}: "
              f"{str(got['message'])[:110]}")
    print(f"worst: {worst_time:.2f} s, {worst_mb:.0f} MB of RSS growth "
          f"(target: under 2 s and 100 MB each)")


if __name__ == "__main__":
    main()
