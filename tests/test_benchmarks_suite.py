"""`python -m benchmarks` (benchmarks/__main__.py): every benchmark's results become rows of the
one shape latest.json promises, and the Markdown table shows each of them."""
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KEYS = ["name", "input", "chrtool", "reference", "ratio", "unit", "rss_mb", "exponent"]


def suite():
    spec = importlib.util.spec_from_file_location("bench_suite", ROOT / "benchmarks" / "__main__.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_every_benchmark_has_results_that_become_rows():
    s = suite()
    rows, missing = s.rows_of(list(s.BENCHMARKS))
    assert missing == []                          # results of every benchmark are committed
    assert all(list(r) == KEYS for r in rows)
    names = {r["name"] for r in rows}
    for want in ("capture stage", "decode end to end (chrtool stats)", "S1AP decoder",
                 "X2AP decoder", "NAS-EPS decoder", "GTPv2 decoder", "Diameter decoder",
                 "chr-v1 reader", "linking", "diagnose --imsi", "simulate",
                 "batch, 1 -> 2 workers", "diagnosis accuracy"):
        assert want in names, want
    for r in rows:
        if r["ratio"] is not None:
            assert r["reference"] is not None and r["ratio"] > 0, r


def test_the_table_has_a_line_per_row_and_the_scripts_exist():
    s = suite()
    rows, _ = s.rows_of(list(s.BENCHMARKS))
    md = s.markdown({"machine": "m", "date": "d", "benchmarks": rows})
    lines = [x for x in md.splitlines() if x.startswith("| ") and "---" not in x]
    assert len(lines) == len(rows) + 1
    for script, *_ in s.BENCHMARKS.values():
        assert (ROOT / "benchmarks" / script).exists(), script
