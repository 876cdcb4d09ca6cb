"""The customer benchmarks of issue 13, one module per figure: `python -m bench.customers.<part>`.

imports (100k companies + 300k contacts against a bare executemany), view360 (the
360 view at 10k and 1M events), control (shareholding control on a cyclic 10k
graph), duplicates (candidates over 100k companies, recall and precision against
planted truth). `python -m bench.customers` runs them all.
"""
