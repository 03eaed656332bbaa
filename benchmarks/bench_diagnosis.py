#!/usr/bin/env python3
"""Diagnosis accuracy: per-scenario and per-rule precision and recall on simulated days.

    python benchmarks/bench_diagnosis.py [--seeds 1,2,3] [--per-scenario 4] [--healthy 20]
                                         [--out benchmarks/results/diagnosis.json]

For each seed, `chrtool simulate` writes a day with every scenario of the catalogue
`--per-scenario` times plus `--healthy` healthy subscribers (all the noise: a second probe,
rotated files, ID reuse, M-TMSI reassignment), and every subscriber is diagnosed the way
`chrtool diagnose --imsi` does (the whole day linked, the subscriber's procedures, its
findings). A subscriber is recovered when its first finding has the truth's node, cause and
category at the truth's time (chrtool/simulate/score.py), or, healthy, when it has none.

Per rule: precision = recovered subscribers whose first finding came from the rule / all
subscribers whose first finding came from it; recall = recovered / subscribers whose scenario
names the rule. Also the time per subscriber.
"""
import argparse
import json
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def one_day(seed, per_scenario, healthy, tmp):
    from click.testing import CliRunner

    from chrtool.cli import main
    from chrtool.diagnose.engine import diagnose_ue
    from chrtool.inputs.pipeline import Run
    from chrtool.link.correlate import correlate
    from chrtool.link.procedures import build
    from chrtool.simulate import catalogue, score

    names = [n for n in catalogue.SCENARIOS for _ in range(per_scenario)] + ["healthy"] * healthy
    out = Path(tmp) / f"day-{seed}"
    args = ["simulate", "-o", str(out), "--seed", str(seed), "--ues", str(len(names)),
            "--hours", "1", "--files", "2"] + [a for n in names for a in ("--scenario", n)]
    r = CliRunner().invoke(main, args)
    if r.exit_code:
        raise SystemExit(r.output)
    truth = json.loads((out / "truth.json").read_text())["ues"]
    ev = Run([str(out)]).events()
    sessions = correlate(ev)
    procs = build(ev, sessions)
    by_ue = defaultdict(list)
    for p in procs:
        by_ue[p.ue].append(p)
    t = time.perf_counter()
    results = []
    for u in truth:
        found = sessions.find(imsi=u["imsi"])
        findings = diagnose_ue(ev, sessions, found[0], procedures=by_ue[found[0].index]) if found else []
        ok, why = score.judge(u["expect"], findings)
        expected_rule = catalogue.SCENARIOS[u["scenario"]].rule
        results.append({"scenario": u["scenario"], "expect": u["expect"], "ok": ok, "why": why,
                        "rule": findings[0]["rule"] if findings else None,
                        "expected_rule": expected_rule})
    return results, (time.perf_counter() - t) / len(truth)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--per-scenario", type=int, default=4)
    ap.add_argument("--healthy", type=int, default=20)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "diagnosis.json"))
    a = ap.parse_args()
    from chrtool.simulate import score
    every, per_ue_s = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in map(int, a.seeds.split(",")):
            results, s = one_day(seed, a.per_scenario, a.healthy, tmp)
            every += results
            per_ue_s.append(s)
    scenarios = score.per_scenario([(r["scenario"], r["expect"], r["ok"], r["rule"] is not None)
                                    for r in every])
    rules = defaultdict(lambda: {"fired": 0, "fired_right": 0, "expected": 0, "recovered": 0})
    for r in every:
        if r["rule"]:
            rules[r["rule"]]["fired"] += 1
            rules[r["rule"]]["fired_right"] += r["ok"]
        if r["expected_rule"]:
            rules[r["expected_rule"]]["expected"] += 1
            rules[r["expected_rule"]]["recovered"] += r["ok"] and r["rule"] == r["expected_rule"]
    for v in rules.values():
        v["precision"] = round(v["fired_right"] / v["fired"], 3) if v["fired"] else None
        v["recall"] = round(v["recovered"] / v["expected"], 3) if v["expected"] else None
    misses = sorted({(r["scenario"], r["why"], r["rule"]) for r in every if not r["ok"]})
    doc = {"date": time.strftime("%Y-%m-%d"), "seeds": a.seeds, "per_scenario": a.per_scenario,
           "healthy": a.healthy, "subscribers": len(every),
           "recovered": sum(r["ok"] for r in every),
           "healthy_with_finding": sum(1 for r in every if r["expect"] is None and r["rule"]),
           "seconds_per_subscriber": round(sum(per_ue_s) / len(per_ue_s), 4),
           "scenarios": scenarios, "rules": dict(sorted(rules.items())),
           "misses": [list(m) for m in misses]}
    Path(a.out).write_text(json.dumps(doc, indent=1) + "\n")
    print(f"{doc['recovered']}/{doc['subscribers']} subscribers recovered, "
          f"{doc['healthy_with_finding']} healthy with a finding, "
          f"{doc['seconds_per_subscriber'] * 1000:.1f} ms per subscriber")
    print(f"{'rule':42s} {'fired':>5s} {'prec':>6s} {'exp':>4s} {'recall':>6s}")
    for rid, v in sorted(rules.items()):
        print(f"{rid:42s} {v['fired']:5d} {v['precision'] if v['precision'] is not None else '-':>6} "
              f"{v['expected']:4d} {v['recall'] if v['recall'] is not None else '-':>6}")
    for m in misses:
        print("miss:", *m)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
