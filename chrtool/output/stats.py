"""Counts per protocol, message and cause over decoded batches, without building rows."""
from collections import Counter

from chrtool._fast.stats import Tally
from chrtool.table import names
from chrtool.table.events import FLAGS, ITEM_KEYS

FLAG_NAMES = ("malformed", "truncated", "ciphered", "reassembled")


class Counts:
    """Counts over decoded batches. The pass over rows is compiled (chrtool/_fast/stats.pyx, C
    hash maps); `messages`, `protocols` and `causes` are Counters built from it when read.
    Causes are every cause a message carries: the row's own (columns) and the rest (I_CAUSE
    items: per E-RAB, per bearer context, per Multiple-Services-Credit-Control), as tshark
    counts them."""

    def __init__(self):
        self._tally = Tally(ITEM_KEYS["cause"], [FLAGS[name] for name in FLAG_NAMES])
        self.flags = Counter()
        self.rows = 0

    def add(self, table):
        """Count one EventTable batch (no Python object per row)."""
        self.rows += table.n
        for name, count in zip(FLAG_NAMES, self._tally.add(table)):
            if count:
                self.flags[name] += count

    @property
    def messages(self):
        """(proto, msg) -> n"""
        out = Counter()
        for v, c in self._tally.messages():
            m = v & 0xFFFFFFFF
            out[(v >> 32, m - (1 << 32) if m >= 1 << 31 else m)] += c
        return out

    @property
    def protocols(self):
        out = Counter()
        for (p, _), c in self.messages.items():
            out[p] += c
        return out

    @property
    def causes(self):
        """(cause_proto, group, value) -> n"""
        out = Counter()
        for k, c in self._tally.causes():
            group = (k >> 32) & 0xFFFF
            out[(k >> 48, group - 0x10000 if group >= 0x8000 else group, k & 0xFFFFFFFF)] += c
        return out

    def summary(self, run, elapsed):
        messages, protocols, causes = self.messages, self.protocols, self.causes
        size = sum(_size(s.path) for s in run.sources)
        return {
            "inputs": len(run.sources), "bytes": size, "seconds": round(elapsed, 6),
            "mb_per_s": round(size / 1e6 / elapsed, 1) if elapsed > 0 else None,
            "capture": dict(run.counters), "messages": self.rows,
            "protocols": {names.proto_name(p) or str(p): c for p, c in sorted(protocols.items())},
            "by_message": {f"{names.proto_name(p) or p} {names.msg_name(p, m) or '-'}": c
                           for (p, m), c in sorted(messages.items())},
            "by_cause": {_cause_label(k): c for k, c in sorted(causes.items())},
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


def _cause_label(key):
    obj = names.cause(*key)
    if obj is None:
        return str(key)
    group = f" {obj['group']}" if obj.get("group") else ""
    return f"{obj['proto']}{group} #{obj['value']} {obj['name']}"


def _size(path):
    import os
    return os.path.getsize(path)
