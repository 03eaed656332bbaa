"""Counts per protocol, message and cause over decoded batches, without building rows."""
from collections import Counter

import numpy as np

from chrtool.table import names
from chrtool.table.events import FLAGS, ITEM_KEYS


class Counts:
    def __init__(self):
        self.protocols = Counter()
        self.messages = Counter()          # (proto, msg) -> n
        self.causes = Counter()            # (cause_proto, group, value) -> n
        self.flags = Counter()
        self.rows = 0

    def add(self, table):
        """Count one EventTable batch with numpy (no Python object per row)."""
        n = table.n
        self.rows += n
        proto = table.column("proto").astype(np.int64)
        msg = table.column("msg").astype(np.int64)
        for (p, m), c in _unique_counts(proto << 32 | (msg & 0xFFFFFFFF)):
            self.messages[(p, m)] += c
            self.protocols[p] += c
        # every cause a message carries: the row's own (columns) and the rest (I_CAUSE items:
        # per E-RAB, per bearer context, per Multiple-Services-Credit-Control), as tshark counts
        cp = table.column("cause_proto").astype(np.int64)
        has = cp > 0
        it = table.items()
        is_cause = it["key"] == ITEM_KEYS["cause"]
        groups = np.concatenate([table.column("cause_group")[has], it["b"][is_cause]])
        values = np.concatenate([table.column("cause_value")[has], it["c"][is_cause]])
        cp = np.concatenate([cp[has], it["a"][is_cause]]).astype(np.int64)
        if len(cp):
            key = (cp << 48) | ((groups.astype(np.int64) & 0xFFFF) << 32) \
                | (values.astype(np.int64) & 0xFFFFFFFF)
            for k, c in zip(*np.unique(key, return_counts=True)):
                k = int(k)
                group = (k >> 32) & 0xFFFF
                self.causes[(k >> 48, group - 0x10000 if group >= 0x8000 else group,
                             k & 0xFFFFFFFF)] += int(c)
        flags = table.column("flags")
        for name in ("malformed", "truncated", "ciphered", "reassembled"):
            count = int(np.count_nonzero(flags & FLAGS[name]))
            if count:
                self.flags[name] += count

    def summary(self, run, elapsed):
        size = sum(_size(s.path) for s in run.sources)
        return {
            "inputs": len(run.sources), "bytes": size, "seconds": round(elapsed, 6),
            "mb_per_s": round(size / 1e6 / elapsed, 1) if elapsed > 0 else None,
            "capture": dict(run.counters), "messages": self.rows,
            "protocols": {names.proto_name(p) or str(p): c for p, c in sorted(self.protocols.items())},
            "by_message": {f"{names.proto_name(p) or p} {names.msg_name(p, m) or '-'}": c
                           for (p, m), c in sorted(self.messages.items())},
            "by_cause": {_cause_label(k): c for k, c in sorted(self.causes.items())},
            "flags": dict(self.flags), "problems": len(run.problems),
        }

    @staticmethod
    def text(s):
        lines = [f"{s['inputs']} input(s), {s['bytes']:,} bytes, {s['messages']:,} messages "
                 f"in {s['seconds']:.3f} s ({s['mb_per_s']} MB/s)",
                 "packets: " + ", ".join(f"{k} {v:,}" for k, v in s["capture"].items() if v), ""]
        for title, key in (("protocol", "protocols"), ("message", "by_message"),
                           ("cause", "by_cause")):
            if s[key]:
                width = max(len(k) for k in s[key])
                lines.append(f"per {title}:")
                lines += [f"  {k:<{width}}  {v:>10,}" for k, v in s[key].items()]
                lines.append("")
        if "linking" in s:
            k = s["linking"]
            lines.append(f"subscribers: {k['subscribers']:,} ({k['with_imsi']:,} with IMSI); "
                         f"messages linked {k['linked_messages']:,}, unlinked "
                         f"{k['unlinked_messages']:,}, duplicates {k['duplicates']:,}; link "
                         f"conflicts {k['link_conflicts']:,}; inconsistent IDs "
                         f"{k['inconsistent_ids']:,}")
            lines.append("links: " + ", ".join(f"{n} {c:,}" for n, c in k["links"].items()))
            lines.append("")
        if s.get("procedures"):
            width = max(len(k) for k in s["procedures"])
            lines.append("per procedure and outcome:")
            lines += [f"  {k:<{width}}  {v:>10,}" for k, v in s["procedures"].items()]
            lines.append("")
        if s["flags"]:
            lines.append("flags: " + ", ".join(f"{k} {v:,}" for k, v in s["flags"].items()))
        if s["problems"]:
            lines.append(f"input problems: {s['problems']} (see warnings above)")
        return "\n".join(lines).rstrip()


def _unique_counts(keys):
    values, counts = np.unique(keys, return_counts=True)
    for v, c in zip(values.tolist(), counts.tolist()):
        m = v & 0xFFFFFFFF
        yield (v >> 32, m - (1 << 32) if m >= 1 << 31 else m), c


def _cause_label(key):
    obj = names.cause(*key)
    if obj is None:
        return str(key)
    group = f" {obj['group']}" if obj.get("group") else ""
    return f"{obj['proto']}{group} #{obj['value']} {obj['name']}"


def _size(path):
    import os
    return os.path.getsize(path)
