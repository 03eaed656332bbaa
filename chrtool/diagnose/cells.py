"""The cell view: one root cause hitting many subscribers of one cell, site or core node in one
window is a common problem (DOMAIN.md's "common problem" and "batch complaint"), reported once
and referred to from each subscriber's finding.

It counts, around a subscriber's finding, the other subscribers whose messages carry the same
failing cause from the same place: the same cell for the eNB's CHR records, the same sending
node (eNB, MME, SGW, PGW, HSS address) for signalling. The counts come from the cause columns
linking collected for every message of the run (chrtool/link/columns.py), so the subscriber's
own diagnosis still holds only the subscriber's messages.
"""
import hashlib

import numpy as np

from chrtool.link.columns import cause_key
from chrtool.protocols import cause_numbers
from chrtool.table.names import cause_text, iso

WINDOW_NS = 15 * 60 * 10**9       # the same cause this close in time is the same event
MIN_SUBSCRIBERS = 3               # so many subscribers hit, the subscriber included, make it common
SAME_ROW_NS = 10**9               # the subscriber's own cause row lies this close to its finding
CHR_CODE = 8

TEXT = {
    "en": "Verified: this is a common problem: between {first} and {last}, {n} subscribers {where} "
          "met the same fault ({cause}). ",
    "zh": "经核实：该问题为共性问题，{first}至{last}期间{where}共{n}名用户受同一故障影响（{cause}）。",
}
OPENING = {"en": "Verified: ", "zh": "经核实："}     # the finding's reply opens so; said once
WHERE = {"en": {"cell": "in cell {0}", "node": "served by {0} {1}"},
         "zh": {"cell": "小区{0}下", "node": "{0}（{1}）下"}}


class CauseIndex:
    """The failing causes of every message of a run, with the subscriber each belongs to."""

    def __init__(self, causes, ue_of_row, files=None):
        self.key, self.ts, self.row = causes["c_key"], causes["c_ts"], causes["c_row"]
        self.eci, self.src, self.dst = causes["c_eci"], causes["c_src"], causes["c_dst"]
        self.proto, self.msg = causes["c_proto"], causes["c_msg"]
        self.file, self.frame = causes["c_file"], causes["c_frame"]
        self.reset_ids = causes["reset_ids"]
        self.to_mme = causes["c_to_mme"]
        self.files = files or {}
        self.ue = np.asarray(ue_of_row)[causes["c_row"]] if len(causes["c_row"]) else \
            np.zeros(0, np.int64)
        self.addrs = causes["addrs"]

    @classmethod
    def of_events(cls, ev, sessions):
        """The index of a whole decoded table (when it is in memory anyway: tests, small runs)."""
        from chrtool.link.columns import LinkColumns
        return cls(LinkColumns.from_events(ev).take_causes(), sessions.ue_of_row, ev.files)

    def common(self, finding, ue_index, roles=None):
        """(scope, where, subscribers, first, last) of the other subscribers hit by the
        finding's cause around its time, or None when the subscriber's own cause row is not in
        the index."""
        from chrtool.inputs.tickets import parse_time
        numbers = cause_numbers(finding["cause"] or {})
        if numbers is None:
            return None
        code, group, value = numbers
        key = int(cause_key(code, group if group is not None else 0, value))
        t = parse_time(finding["time"])
        same = self.key == key
        mine = np.flatnonzero(same & (self.ue == ue_index) & (np.abs(self.ts - t) <= SAME_ROW_NS))
        if not len(mine):
            return None
        at = mine[np.argmin(np.abs(self.ts[mine] - t))]
        if code == CHR_CODE:
            scope, where = self.eci == self.eci[at], ("cell", int(self.eci[at]))
        else:
            addr = self.addrs[int(self.src[at])]
            scope, where = self.src == self.src[at], ("node", addr)
        near = same & scope & (np.abs(self.ts - t) <= WINDOW_NS) & (self.ue >= 0)
        ues = np.unique(self.ue[near])
        if len(ues) < MIN_SUBSCRIBERS:
            return None
        return where, len(ues), int(self.ts[near].min()), int(self.ts[near].max())


def common_problems(findings, index, ue_index, lang="en", tz=None, roles=None):
    """The common problems behind a subscriber's findings (DESIGN.md: a finding's shape plus
    `subscribers` and `cell` or `node`); each such finding gets its `common_problem` id."""
    from chrtool.diagnose.engine import _local
    out = {}
    for f in findings:
        found = index.common(f, ue_index) if index is not None else None
        if found is None:
            continue
        (kind, place), n, first, last = found
        ident = "cp-" + hashlib.sha1(repr((f["rule"], f["cause"]["proto"], f["cause"]["value"],
                                           kind, place, first)).encode()).hexdigest()[:10]
        f["common_problem"] = ident
        if ident in out:
            continue
        if kind == "cell":
            label = f.get("cell", {}).get("ecgi") or f"ECI {place}"
            where = WHERE[lang]["cell"].format(label)
        else:
            role = (roles or {}).get(place, f["failure_node"])
            label = _address(place)
            where = WHERE[lang]["node"].format(role, label)
        text = TEXT[lang].format(first=_local(first, tz), last=_local(last, tz), n=n, where=where,
                                 cause=cause_text(f["cause"]))
        problem = {k: f[k] for k in ("procedure", "failure_node", "interface", "cause", "category",
                                     "specialty", "disposition", "rule")}
        problem.update(id=ident, time=iso(first), first=iso(first), last=iso(last), subscribers=n,
                       summary=f"{n} subscribers {WHERE['en'][kind].format(*((label,) if kind == 'cell' else (role, label)))}"
                               f" met {cause_text(f['cause'])} between {iso(first)} and {iso(last)}",
                       reply=text + f["reply"].removeprefix(OPENING[lang]))
        problem["cell" if kind == "cell" else "node"] = ({"ecgi": label} if kind == "cell"
                                                         else {"address": label, "role": role})
        out[ident] = problem
    return list(out.values())


def _address(raw):
    """16 address bytes as the src/dst columns hold them -> text."""
    import ipaddress
    raw = bytes(raw).ljust(16, b"\0")          # the columns' bytes lose their trailing zeros
    if raw[4:] == bytes(12):
        return str(ipaddress.IPv4Address(raw[:4]))
    return str(ipaddress.IPv6Address(raw[:16]))
