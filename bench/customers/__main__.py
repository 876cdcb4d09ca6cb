"""Run every customer benchmark in turn: `python -m bench.customers [--quick] [--postgresql]`.

Each part is its own process (its own throwaway databases and memory), and each
prints its figures and its ratio to a baseline from the same run.
"""
from __future__ import annotations

import argparse
import subprocess
import sys

# part -> the flags that make it measure PostgreSQL as well (the parts grew their own spellings).
PARTS = {
    "imports": ["--backend", "sqlite", "--backend", "postgresql"],
    "view360": ["--postgresql"],
    "control": ["--postgres"],
    "duplicates": [],  # one backend per run: PostgreSQL is a second run with --postgresql
    "company_list": ["--postgres"],
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="every part's smoke size")
    parser.add_argument("--postgresql", action="store_true", help="measure PostgreSQL too")
    args = parser.parse_args()
    failed = []
    for part, postgres_flags in PARTS.items():
        runs = [[]]
        if args.postgresql:
            runs = [["--postgresql"]] if part == "duplicates" else [postgres_flags]
            if part == "duplicates":
                runs.insert(0, [])
        for flags in runs:
            command = [sys.executable, "-m", f"bench.customers.{part}", *(["--quick"] if args.quick else []), *flags]
            print(f"\n== {' '.join(command[2:])}", flush=True)
            if subprocess.run(command).returncode != 0:
                failed.append(part)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
