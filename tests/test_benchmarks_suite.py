"""`python -m benchmarks` (benchmarks/__main__.py): every benchmark's results become rows of the
one shape latest.json promises, and the Markdown table shows each of them."""
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KEYS = ["name", "input", "chrtool", "reference", "ratio", "unit", "rss_mb", "exponent"]
EXTRA = ["spread"]                 # fields a row may add after KEYS


def suite():
    spec = importlib.util.spec_from_file_location("bench_suite", ROOT / "benchmarks" / "__main__.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_every_benchmark_has_results_that_become_rows():
    s = suite()
    rows, missing = s.rows_of(list(s.BENCHMARKS))
    assert missing == []                          # results of every benchmark are committed
    assert all(list(r)[:len(KEYS)] == KEYS and set(list(r)[len(KEYS):]) <= set(EXTRA)
               for r in rows)
    names = {r["name"] for r in rows}
    for want in ("capture stage", "decode end to end (chrtool stats)", "S1AP decoder",
                 "X2AP decoder", "NAS-EPS decoder", "GTPv2 decoder", "Diameter decoder",
                 "chr-v1 reader", "linking", "diagnose --imsi", "diagnose --imsi latency", "simulate",
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


def test_capture_benchmarks_share_the_reference_inputs_with_medians_spread_and_exponent():
    s = suite()
    for name in ("capture", "link", "diagnose"):
        _, quick, full, _, _ = s.BENCHMARKS[name]
        assert quick[quick.index("--sizes") + 1] == "10,100"
        assert full[full.index("--sizes") + 1] == "10,100,1000"
        assert int(quick[quick.index("--repeat") + 1]) >= 3
    rows, _ = s.rows_of(["capture", "link", "diagnose"])
    capture_rows = [r for r in rows if r["name"] in ("capture stage", "linking", "diagnose --imsi",
                                                     "decode end to end (chrtool stats)")]
    assert capture_rows
    for r in capture_rows:
        assert r["input"].startswith("ref-") and r["input"].endswith("M.pcap"), r
        assert r["exponent"] is not None, r
        lo, hi = (float(x.replace(",", "")) for x in r["spread"].split("-"))
        assert lo <= float(r["chrtool"]) <= hi, r
    refs = [r["unit"] for r in rows if r["name"] == "decode end to end (chrtool stats)"]
    assert any("tshark -T fields" in u for u in refs)
    assert any("pyshark" in u for u in refs)           # pyshark on a fixed count of packets


def test_spread_and_exponent_helpers():
    spec = importlib.util.spec_from_file_location("bench_common", ROOT / "benchmarks" / "common.py")
    common = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(common)
    assert common.spread([3, 1, 2]) == {"median": 2, "min": 1, "max": 3, "runs": 3}
    assert common.exponent([(10, 1.0), (100, 10.0), (1000, 100.0)]) == 1.0
    assert common.exponent([(10, 1.0), (100, 100.0)]) == 2.0
    assert common.exponent([(10, 1.0)]) is None
    assert common.sizes_arg("10,100") == (10, 100)


def test_the_readme_embeds_the_latest_table():
    s = suite()
    text = (ROOT / "README.md").read_text()
    block = text.split(s.BEGIN, 1)[1].split(s.END, 1)[0]
    assert block.strip() == (ROOT / "benchmarks" / "results" / "latest.md").read_text().strip()
