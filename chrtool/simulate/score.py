"""Scoring a diagnosis against ``truth.json``: the rule the e2e test and the benchmark share.

A healthy subscriber (``expect`` null) must get no finding. A faulty one is recovered when the
diagnosis's root finding (the first) names one of the accepted nodes, the same cause (proto,
group, value; both null for silence) and category, at the truth's time (within ``TIME_SLACK_S``,
the rounding of a microsecond pcap against the generator's nanoseconds).
"""
from __future__ import annotations

import datetime as dt

TIME_SLACK_S = 0.001


def _t(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _key(cause: dict | None):
    return None if cause is None else (cause.get("proto"), cause.get("group"), cause.get("value"))


def judge(expect: dict | None, findings: list[dict]) -> tuple[bool, str]:
    """(recovered, why not) for one subscriber."""
    if expect is None:
        if findings:
            f = findings[0]
            return False, f"healthy, but got {f['failure_node']} {_key(f.get('cause'))} ({f.get('rule')})"
        return True, ""
    if not findings:
        return False, "no finding"
    f = findings[0]
    wrong = []
    if f["failure_node"] not in expect["failure_node"]:
        wrong.append(f"node {f['failure_node']} not in {expect['failure_node']}")
    if _key(f.get("cause")) != _key(expect["cause"]):
        wrong.append(f"cause {_key(f.get('cause'))} != {_key(expect['cause'])}")
    if f["category"] != expect["category"]:
        wrong.append(f"category {f['category']} != {expect['category']}")
    if expect.get("time") and abs((_t(f["time"]) - _t(expect["time"])).total_seconds()) > TIME_SLACK_S:
        wrong.append(f"time {f['time']} != {expect['time']}")
    return not wrong, "; ".join(wrong)


def per_scenario(results: list[tuple[str, dict | None, bool, bool]]) -> dict:
    """results: (scenario, expect, recovered, had_finding) per subscriber -> per scenario counts,
    precision (recovered / subscribers with a finding) and recall (recovered / subscribers).
    For healthy scenarios recall is the share with no finding and precision is not defined."""
    out: dict = {}
    for name, expect, ok, had in results:
        s = out.setdefault(name, {"ues": 0, "recovered": 0, "with_finding": 0, "faulty": expect is not None})
        s["ues"] += 1
        s["recovered"] += ok
        s["with_finding"] += had
    for s in out.values():
        s["recall"] = round(s["recovered"] / s["ues"], 3)
        s["precision"] = (round(s["recovered"] / s["with_finding"], 3) if s["with_finding"] else None) \
            if s["faulty"] else None
    return out
