"""The night's tickets sorted the way DOMAIN.md's filter step sorts them: must-solve, regular,
not-now, by customer class, how often the problem repeats, whether a common problem explains it
and the importance of the area, each with the finding that answers it.

- must-solve: a VIP (or other premium class) customer; a subscriber who complained more than
  once, or whose fault repeated; a ticket a common problem explains (one fix answers many); a
  fault in one of the night's busiest cells (an important area).
- not-now: none of those, and the fix is not one to make tonight: a coverage gap, which network
  planning answers (the reply says so), for a single ordinary complaint.
- regular: the rest, including tickets the data cannot answer yet (their disposition is a field
  test).
"""
import json

from chrtool.batch.store import safe_name

CLASSES = ("must-solve", "regular", "not-now")
PREMIUM = ("vip", "gold", "platinum", "diamond", "key account", "贵宾", "重要", "金", "钻")
NOT_NOW_CATEGORIES = ("coverage",)
REPEATS = 3                     # a fault seen this often is a repeating one
BUSY_SHARE = 0.1                # the busiest tenth of the night's cells are the important areas
COLUMNS = ("ticket", "class", "reasons", "msisdn", "imsi", "time", "customer_class",
           "phenomenon", "findings", "procedure", "failure_node", "cause_name", "category",
           "specialty", "disposition", "ecgi", "common_problem", "complaints", "report", "reply")
TYPES = dict({c: "str" for c in COLUMNS}, findings="int", complaints="int")
NO_FAULT = {
    "en": "Checked: no signalling failure of this subscriber was recorded in the complaint's "
          "window; a field test on site will look further.",
    "zh": "经核查：投诉时段内未发现该用户的信令异常，将安排现场测试进一步排查。",
}
NO_DATA = {
    "en": "No signalling or CHR of this subscriber is in the night's inputs: check the number on "
          "the ticket, or collect traces for it.",
    "zh": "当晚数据中没有该用户的信令或CHR记录：请核对工单号码，或为该用户采集跟踪数据。",
}


def triage(matched, unmatched, shards, cells, lang="en"):
    results = {t["ticket"]: t for s in shards for t in s["tickets"]}
    busy = _busy_cells(cells)
    complaints = {}
    for t in matched:
        complaints[("ue", t["ue"])] = complaints.get(("ue", t["ue"]), 0) + 1
    for t in unmatched:
        k = ("msisdn", _digits(t["echo"].get("msisdn") or "") or t["ticket"])
        complaints[k] = complaints.get(k, 0) + 1
    rows = []
    for t in matched + unmatched:
        echo = t["echo"]
        found = results.get(t["ticket"], {}).get("findings", []) if t["ue"] is not None else []
        common = results.get(t["ticket"], {}).get("common_problems", [])
        key = (("ue", t["ue"]) if t["ue"] is not None
               else ("msisdn", _digits(echo.get("msisdn") or "") or t["ticket"]))
        top = found[0] if found else None
        reasons = []
        if any(p in (echo.get("customer_class") or "").lower() for p in PREMIUM):
            reasons.append(f"customer class {echo['customer_class']}")
        if complaints[key] > 1:
            reasons.append(f"{complaints[key]} complaints from this subscriber")
        if top and top.get("count", 1) >= REPEATS:
            reasons.append(f"the fault repeated {top['count']} times")
        if common:
            reasons.append(f"common problem {common[0]['id']}: {common[0]['subscribers']} "
                           "subscribers")
        cell = (top.get("cell") or {}).get("ecgi") if top else None
        if cell and cell in busy:
            reasons.append(f"busy cell {cell}")
        if reasons:
            cls = "must-solve"
        elif top and top["category"] in NOT_NOW_CATEGORIES:
            cls = "not-now"
            reasons.append(f"a single {top['category']} complaint of an ordinary customer: "
                           "network planning answers it")
        else:
            cls = "regular"
        if top:
            reply, disposition = top["reply"], top["disposition"]
        elif t["ue"] is None:
            reply, disposition = NO_DATA[lang], "field-test"
        else:
            reply, disposition = NO_FAULT[lang], "field-test"
        cause = (top or {}).get("cause") or {}
        rows.append({"ticket": t["ticket"], "class": cls, "reasons": json.dumps(reasons),
                     "msisdn": echo.get("msisdn"), "imsi": echo.get("imsi"),
                     "time": echo.get("time"), "customer_class": echo.get("customer_class"),
                     "phenomenon": echo.get("phenomenon"), "findings": len(found),
                     "procedure": (top or {}).get("procedure"),
                     "failure_node": (top or {}).get("failure_node"),
                     "cause_name": cause.get("name"), "category": (top or {}).get("category"),
                     "specialty": (top or {}).get("specialty"), "disposition": disposition,
                     "ecgi": cell, "common_problem": common[0]["id"] if common else None,
                     "complaints": complaints[key],
                     "report": (f"tickets/{safe_name(t['ticket'])}.html" if t["ue"] is not None
                                else None),
                     "reply": reply})
    return sorted(rows, key=lambda r: (CLASSES.index(r["class"]), r["time"] or "", r["ticket"]))


def _busy_cells(cells):
    """The ECGIs of the busiest BUSY_SHARE of cells by procedure attempts (none when the night
    saw too few cells to tell busy from quiet)."""
    attempts, seen = {}, set()
    for r in cells:                     # a cell and hour's KPIs are on each of its rows: once
        if r["ecgi"] and (r["ecgi"], r["hour"]) not in seen:
            seen.add((r["ecgi"], r["hour"]))
            attempts[r["ecgi"]] = attempts.get(r["ecgi"], 0) + sum(
                r[c] or 0 for c in r if c.endswith("_attempts"))
    if len(attempts) < 1 / BUSY_SHARE:
        return set()
    ranked = sorted(attempts, key=lambda e: (-attempts[e], e))
    return set(ranked[:max(1, int(len(ranked) * BUSY_SHARE))])


def _digits(number):
    return "".join(ch for ch in number if ch.isdigit())
