"""Findings and procedures -> the HTML report people read: one self-contained page (inline SVG,
CSS and script; nothing fetched) with a ladder of the subscriber's signalling, a lane per node,
the procedures as bands marked with their outcome, the root cause and its evidence marked, the
radio chart, and every message's decoded fields on click.

Its input is what `chrtool timeline --format json` prints (procedures nested with their
messages as decode rows) and, for `diagnose`, the diagnosis document; the node of each address
comes from linking (Sessions.roles), which learnt it from every message of the run.
"""
import datetime as dt
import html
import ipaddress
import json
import math
from dataclasses import dataclass, field
from functools import lru_cache

from chrtool.link.directions import EITHER, ENB, MME, s1ap_sender
from chrtool.protocols import BY_NAME
from chrtool.table.names import cause_text

ROLE_ORDER = ("UE", "eNB", "gNB", "MME", "SGW", "PGW", "HSS", "peer")
OUTCOME_CLASS = {"success": "ok", "reject": "bad", "failure": "bad", "timeout": "bad",
                 "abandoned": "odd", "interrupted": "odd", "open": "odd"}
LABELS = {"en": {"none": "No signalling failure found for this subscriber in the window.",
                 "finding": "Finding", "evidence": "evidence", "followed": "followed by",
                 "ladder": "Signalling ladder", "radio": "Radio", "no_radio":
                 "No radio measurements (CHR) of this subscriber in the inputs.",
                 "problems": "Input problems", "times": "times in"},
          "zh": {"none": "在该时间窗内未发现该用户的信令失败。", "finding": "发现",
                 "evidence": "证据", "followed": "随后", "ladder": "信令流程图", "radio": "无线",
                 "no_radio": "输入中没有该用户的无线测量（CHR）。", "problems": "输入问题",
                 "times": "时间时区"}}

# geometry (px)
ROW, GAP_ROW, LANE_GAP, TIME_W, BAR_W, LABEL_W, HEAD_H = 24, 22, 196, 96, 8, 168, 46
MAX_BAR_COLUMNS = 10
GAP_NS = 2 * 10**9                # a pause longer than this is drawn as a compressed gap
CHAR_PX = 6.6                     # about one character of the 11 px label font
MEAS_SERIES = {"rsrp": ("RSRP", "dBm", "#1f77b4"), "ss_rsrp": ("SS-RSRP", "dBm", "#9467bd"),
               "sinr": ("SINR", "dB", "#2ca02c"), "ss_sinr": ("SS-SINR", "dB", "#d62728")}
CHARTS = ((("rsrp", "ss_rsrp"), "RSRP / SS-RSRP (dBm)"), (("sinr", "ss_sinr"), "SINR / SS-SINR (dB)"))


@dataclass
class Message:
    """One arrow (or, for CHR, one radio record) of the ladder."""
    row: dict
    ts_ns: int
    sources: list                      # [(file, frame)]: the message, then its copies
    src: tuple = None                  # lanes (role, name)
    dst: tuple = None
    mark: str = ""                     # root | evidence | consequence
    i: int = 0


@dataclass
class Band:
    """One procedure: a coloured bar over the rows of its messages."""
    doc: dict
    depth: int
    msgs: list = field(default_factory=list)     # Message indices
    i: int = 0


def report_html(timeline, doc=None, roles=None, lang="en", zone=None, senders=None,
                problems=None):
    """The page. `timeline`: a timeline document (chrtool/output/procedures.py); `doc`: the
    diagnosis document, or None for `chrtool timeline`; `roles`: address bytes -> node, from
    linking; `zone`: a tzinfo for the times shown (default UTC); `senders`: (file, frame) ->
    eNB or MME for S1AP messages either side may send, by their ports (s1_senders);
    `problems`: the inputs' problems as dicts (default: the diagnosis document's)."""
    zone = zone or dt.timezone.utc
    labels = LABELS.get(lang, LABELS["en"])
    msgs, bands = _collect(timeline)
    _mark(msgs, doc)
    lanes = _lanes(msgs, roles or {}, senders or {})
    who = (doc or {}).get("complaint") or timeline.get("imsi") or timeline.get("msisdn") or ""
    parts = [_HEAD.format(lang=html.escape(lang), title=html.escape(f"chrtool {who}"),
                          css=_CSS),
             _summary(timeline, doc, labels, zone),
             _problems((doc or {}).get("problems", ()) if problems is None else problems, labels),
             _radio(msgs, doc, labels, zone),
             f"<h2>{html.escape(labels['ladder'])}</h2>",
             _legend(), _ladder(msgs, bands, lanes, zone),
             '<aside id="panel" hidden><button id="close" title="close (Esc)">&times;</button>'
             '<div id="fields"></div></aside>',
             _data(msgs, bands, zone), f"<script>{_JS}</script></body></html>\n"]
    return "".join(parts)


# ------------------------------------------------------------------ the messages and procedures
def ts_ns(text):
    """'2026-11-27T08:00:33.990792Z' -> ns since the epoch."""
    head, _, frac = text.rstrip("Z").partition(".")
    t = dt.datetime.fromisoformat(head).replace(tzinfo=dt.timezone.utc)
    return int(t.timestamp()) * 10**9 + int((frac + "000000000")[:9])


def _collect(timeline):
    """The messages, each once (a carrier may sit in a procedure and its child), in time order,
    with the copies other inputs hold as further sources (linking keeps one of a packet two
    probes saw, or of a CHR event several exports carry), and the procedures over them."""
    by_frame, msgs, bands = {}, [], []

    def take(row):
        key = (row["file"], row["frame"])
        if key not in by_frame:
            m = Message(row, ts_ns(row["ts"]),
                        [key] + [(c["file"], c["frame"]) for c in row.get("copies", ())])
            msgs.append(m)
            for k in m.sources:
                by_frame[k] = m
        return by_frame[key]

    def walk(p, depth):
        bands.append(Band(p, depth, [take(r) for r in p["messages"]]))
        for c in p["children"]:
            walk(c, depth + 1)

    for p in timeline["procedures"]:
        walk(p, 0)
    for r in timeline["other_messages"]:
        take(r)
    msgs.sort(key=lambda m: (m.ts_ns, m.sources[0]))
    for i, m in enumerate(msgs):
        m.i = i
    for i, b in enumerate(bands):
        b.i = i
        b.msgs = sorted({m.i for m in b.msgs})
    return msgs, bands


def _mark(msgs, doc):
    """Root cause, evidence and consequences of the findings, on their messages."""
    if not doc:
        return
    at = {k: m for m in msgs for k in m.sources}
    rank = {"root": 3, "evidence": 2, "consequence": 1, "": 0}

    def put(e, mark):
        m = at.get((e["file"], e["frame"]))
        if m is not None and rank[mark] > rank[m.mark]:
            m.mark = mark

    for f in doc.get("findings", ()):
        evidence = f.get("evidence") or []
        roots = [e for e in evidence if f.get("cause") and e.get("cause") == f["cause"]]
        for e in evidence:
            put(e, "evidence")
        for e in roots or evidence[:1]:
            put(e, "root")
        for e in f.get("consequences") or ():
            put(e, "consequence")


# ------------------------------------------------------------------ lanes
def _addr_key(text):
    """A decode row's address -> the key linking learnt roles under (16 bytes, zeros stripped)."""
    try:
        return ipaddress.ip_address(text).packed.ljust(16, b"\0").rstrip(b"\0")
    except ValueError:
        return None


def _enb_id(ecgi):
    """'001-01-104961-3' -> '104961' (the eNB part of an E-UTRAN cell id)."""
    parts = str(ecgi).split("-")
    return parts[2] if len(parts) == 4 else None


def s1_senders(ev):
    """(file, frame) -> eNB or MME, for the S1AP messages of ev whose SCTP ports say who sent
    them (towards or from the MME's port 36412): the direction of an Error Indication or a
    Reset, which either side may send, between an eNB and an MME sharing one address."""
    import numpy as np
    from chrtool.link.columns import to_mme
    side = to_mme(ev.cols)
    at = np.flatnonzero(side)
    files, frames = ev.cols["file_id"][at].tolist(), ev.cols["frame"][at].tolist()
    return {(ev.files.get(f), n): ENB if d > 0 else MME
            for f, n, d in zip(files, frames, side[at].tolist())}


def _lanes(msgs, roles, senders):
    """Lane (role, name) of each message's ends; the lanes in order, left to right."""
    role_of = {}

    def role(addr, guess):
        if addr not in role_of:
            key = _addr_key(addr)
            role_of[addr] = roles.get(key) if key is not None and key in roles else None
        if role_of[addr] is None and guess:
            role_of[addr] = guess
        return role_of[addr]

    for m in msgs:                          # what the registry's requests say, as a fallback
        r = m.row
        if r.get("src") and r.get("dst"):
            record = BY_NAME.get(r.get("proto"))
            sides = record.role_of(r.get("msg")) if record else None
            role(r["src"], sides and sides[0])
            role(r["dst"], sides and sides[1])
    enb_of_cell = {}                         # eNB id -> the eNB's address, from its S1AP cells
    for m in msgs:
        r = m.row
        if r.get("proto") == "S1AP" and r.get("ecgi") and r.get("src"):
            for ecgi in r["ecgi"] if isinstance(r["ecgi"], list) else [r["ecgi"]]:
                if (_s1_sides(r) or (role_of.get(r["src"]),))[0] == "eNB":
                    enb_of_cell.setdefault(_enb_id(ecgi), r["src"])
    gnbs = sorted({a for a, x in role_of.items() if x == "gNB"})
    for m in msgs:
        r = m.row
        if r.get("src") and r.get("dst"):
            sides = _s1_sides(r, senders) or (role_of[r["src"]] or "peer",
                                              role_of[r["dst"]] or "peer")
            m.src, m.dst = (sides[0], r["src"]), (sides[1], r["dst"])
            continue
        ecgi = r.get("ecgi")
        ecgi = ecgi[0] if isinstance(ecgi, list) else ecgi
        enb = enb_of_cell.get(_enb_id(ecgi)) if ecgi else None
        m.src = ("UE", "")
        m.dst = ("eNB", enb) if enb else ("eNB", f"eNB {_enb_id(ecgi)} (CHR)" if ecgi else "CHR")
        if _is_nr(r) and len(gnbs) == 1:     # the NR leg's record: towards the en-gNB
            m.dst = ("gNB", gnbs[0])
    lanes = {m.src for m in msgs} | {m.dst for m in msgs}
    if any(m.row.get("nas") for m in msgs):
        lanes.add(("UE", ""))
    return sorted(lanes, key=lambda ln: (ROLE_ORDER.index(ln[0]) if ln[0] in ROLE_ORDER
                                         else len(ROLE_ORDER), _addr_order(ln[1])))


@lru_cache(maxsize=None)
def _s1ap_codes():
    return {name: pdu << 8 | proc for (pdu, proc), name in BY_NAME["S1AP"].table.MESSAGES.items()}


def _s1_sides(row, senders=None):
    """(sender, receiver) of an S1AP message by its own direction (TS 36.413), else by its
    ports (`senders`), or None: an eNB and an MME sharing one address, as on a test bench,
    still get a lane each."""
    if row.get("proto") != "S1AP":
        return None
    code = _s1ap_codes().get(row.get("msg"))
    sender = s1ap_sender(code) if code is not None else EITHER
    if sender == EITHER and senders:
        sender = senders.get((row["file"], row["frame"]), EITHER)
    return {ENB: (ENB, MME), MME: (MME, ENB)}.get(sender)


def _is_nr(row):
    msg = str(row.get("msg", ""))
    return msg.startswith(("SCG_", "SGNB_", "NR_")) or "nr_cgi" in row


def _addr_order(name):
    try:
        return (0, int(ipaddress.ip_address(name)), "")
    except ValueError:
        return (1, 0, name)


# ------------------------------------------------------------------ text helpers
def _local(t_ns, zone, with_date=False):
    t = dt.datetime.fromtimestamp(t_ns // 10**9, zone).replace(microsecond=(t_ns // 1000) % 10**6)
    return t.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] if with_date else t.strftime("%H:%M:%S.%f")[:-3]


def _zone_name(zone):
    now = dt.datetime.now(zone)
    name = getattr(zone, "key", None) or now.tzname() or "UTC"
    off = now.strftime("%z")
    return f"{name} (UTC{off[:3]}:{off[3:]})" if off else name


def _span(ns):
    """A pause, for people: '2.4 s', '3 min 12 s', '1 h 05 min'."""
    s = ns / 1e9
    if s < 60:
        return f"{s:.1f} s"
    if s < 3600:
        return f"{int(s // 60)} min {int(s % 60):02d} s"
    if s < 86400:
        return f"{int(s // 3600)} h {int(s % 3600 // 60):02d} min"
    return f"{int(s // 86400)} d {int(s % 86400 // 3600)} h"


def _fit(text, px):
    """text cut to about px wide, with an ellipsis; the full text goes in the hover title."""
    n = max(3, int(px / CHAR_PX))
    return text if len(text) <= n else text[:n - 1] + "\u2026"


def _cause_short(cause):
    c = cause if isinstance(cause, dict) else (cause[0] if cause else None)
    return f"{c['name']}" if c else ""


def _label(row):
    """An arrow's label: the message, the NAS it carries, its cause."""
    label = str(row.get("msg", "?"))
    nas = [(n.get("msg") or "ciphered") + "".join(f" #{n[k]}" for k in ("emm_cause", "esm_cause")
                                                  if n.get(k) is not None)
           for n in row.get("nas", ())]
    cause = _cause_short(row.get("cause"))
    return label, nas, cause


esc = html.escape


# ------------------------------------------------------------------ the page's parts
def _summary(timeline, doc, labels, zone):
    who = (f"IMSI {esc(timeline.get('imsi') or (doc or {}).get('imsi') or '-')} &middot; MSISDN "
           f"{esc(timeline.get('msisdn') or (doc or {}).get('msisdn') or '-')}")
    out = [f"<header><h1>chrtool {'diagnosis' if doc else 'timeline'}</h1><p>"]
    if doc:
        out.append(f"complaint {esc(doc.get('complaint') or '-')} &middot; ")
    out.append(f"{who} &middot; {esc(labels['times'])} {esc(_zone_name(zone))}")
    if doc:
        w = doc.get("window") or {}
        out.append(f" &middot; window {esc(w.get('since') or 'start')} .. {esc(w.get('until') or 'end')}"
                   f" &middot; sessions {esc(str(doc.get('sessions', '')))}")
    out.append("</p>")
    if doc and doc.get("inputs"):
        out.append("<details><summary>inputs (" + str(len(doc["inputs"])) + ")</summary><ul>" +
                   "".join(f"<li>{esc(str(p))}</li>" for p in doc["inputs"]) + "</ul></details>")
    out.append("</header>")
    if doc is None:
        return "".join(out)
    if not doc.get("findings"):
        out.append(f'<p class="none">{esc(labels["none"])}</p>')
    for n, f in enumerate(doc.get("findings", ()), 1):
        cell = ", ".join(f"{k.upper()} {v}" for k, v in (f.get("cell") or {}).items()) or "-"
        ev = "".join(f'<li><a href="#" class="goto" data-file="{esc(e["file"])}" data-frame="'
                     f'{e["frame"]}">{esc(e["file"])} #{e["frame"]}</a> {esc(e["msg"])}'
                     + (f" [{esc(cause_text(e['cause']))}]" if e.get("cause") else "") + "</li>"
                     for e in f.get("evidence") or ())
        after = "".join(f'<li><a href="#" class="goto" data-file="{esc(e["file"])}" data-frame="'
                        f'{e["frame"]}">{esc(e["file"])} #{e["frame"]}</a> {esc(e["msg"])} '
                        f'({esc(e["procedure"])} {esc(e["outcome"])})</li>'
                        for e in f.get("consequences") or ())
        out.append(
            f'<section class="finding"><h2>{esc(labels["finding"])} {n}: {esc(f["procedure"])} '
            f'failed at <span class="node">{esc(f["failure_node"])}</span> ({esc(f["interface"])})'
            f'</h2><p class="cause">{esc(cause_text(f["cause"]))} &middot; '
            f'{esc(_local(ts_ns(f["time"]), zone, True))}</p><table>'
            f'<tr><th>category</th><td>{esc(f["category"])}</td><th>specialty</th>'
            f'<td>{esc(f["specialty"])}</td><th>disposition</th><td>{esc(f["disposition"])}</td>'
            f'</tr><tr><th>cell</th><td colspan="5">{esc(cell)}</td></tr>'
            + (f'<tr><th>seen</th><td colspan="5">{f["count"]} times, {esc(f["first"])} .. '
               f'{esc(f["last"])}</td></tr>' if f.get("count", 1) > 1 else "")
            + (f'<tr><th>confidence</th><td colspan="5">{f["confidence"]:g} '
               f'({esc(f.get("confidence_reason", ""))})</td></tr>' if "confidence" in f else "")
            + f'</table><p class="summary">{esc(f["summary"])}</p>'
            f'<p class="reply">{esc(f["reply"])}</p>'
            f'<p>{esc(labels["evidence"])}:</p><ul class="evidence">{ev}</ul>'
            + (f'<p>{esc(labels["followed"])}:</p><ul>{after}</ul>' if after else "")
            + "</section>")
    for cp in doc.get("common_problems", ()):
        where = (cp.get("cell") or {}).get("ecgi") or \
            f"{cp['node']['role']} {cp['node']['address']}"
        out.append(f'<section class="common"><h2>common problem {esc(cp["id"])}: '
                   f'{cp["subscribers"]} subscribers at {esc(str(where))}</h2>'
                   f'<p>{esc(cp["first"])} .. {esc(cp["last"])}: {esc(cp["summary"])}</p></section>')
    return "".join(out)


def _problems(problems, labels):
    """What could not be read, where (file and byte offset, or line)."""
    if not problems:
        return ""
    return (f"<h2>{esc(labels['problems'])}</h2><ul class=\"problems\">" + "".join(
        f"<li>{esc(p['file'])}"
        + "".join(f" {k} {p[k]}" for k in ("offset", "line", "column") if k in p)
        + f": {esc(p['layer'])}: {esc(p['message'])}</li>" for p in problems) + "</ul>")


def _legend():
    items = [("ok", "success"), ("bad", "reject / failure / timeout"),
             ("odd", "abandoned / interrupted / open")]
    marks = [("root", "root cause"), ("evidence", "evidence"), ("consequence", "followed by")]
    return ('<p class="legend">procedures: ' + " ".join(
        f'<span class="key band-{c}"></span>{t}' for c, t in items) + " &middot; messages: " +
        " ".join(f'<span class="key mark-{c}"></span>{t}' for c, t in marks) +
        " &middot; click a message or a procedure for its fields</p>")


def _ladder(msgs, bands, lanes, zone):
    if not msgs:
        return "<p>No messages of this subscriber in the inputs.</p>"
    # rows: y of each message, with long pauses compressed into a marked gap
    ys, gaps, y = [], [], 22
    for i, m in enumerate(msgs):
        if i and m.ts_ns - msgs[i - 1].ts_ns > GAP_NS:
            gaps.append((y, m.ts_ns - msgs[i - 1].ts_ns))
            y += GAP_ROW
        ys.append(y)
        y += ROW
    height = y + 8
    # procedure bars: columns so that bars running at once stand side by side
    ends, column = [], {}
    for b in sorted((b for b in bands if b.msgs), key=lambda b: (ys[b.msgs[0]], -ys[b.msgs[-1]])):
        y0 = ys[b.msgs[0]]
        for c, end in enumerate(ends):
            if end < y0 - 4:
                ends[c] = ys[b.msgs[-1]]
                column[b.i] = c
                break
        else:
            if len(ends) < MAX_BAR_COLUMNS:
                ends.append(ys[b.msgs[-1]])
                column[b.i] = len(ends) - 1
            else:                            # too many at once: the last column holds the rest
                ends[-1] = max(ends[-1], ys[b.msgs[-1]])
                column[b.i] = len(ends) - 1
    bars_w = BAR_W * max(1, len(ends)) + 6
    left = TIME_W + bars_w + LABEL_W
    x = {ln: left + 60 + k * LANE_GAP for k, ln in enumerate(lanes)}
    width = left + 60 + (len(lanes) - 1) * LANE_GAP + 150
    out = [f'<div id="ladder"><svg xmlns="http://www.w3.org/2000/svg" width="{width}" '
           f'height="{height}" class="ladder">'
           '<defs>' + "".join(
               f'<marker id="a-{c}" markerWidth="8" markerHeight="8" refX="8" refY="4" '
               f'orient="auto" markerUnits="userSpaceOnUse"><path d="M0,0 L8,4 L0,8 z" '
               f'class="head-{c}"/></marker>' for c in ("n", "root", "evidence", "consequence"))
           + '</defs>']
    # failing procedures tint their rows across the lanes
    for b in bands:
        if b.msgs and OUTCOME_CLASS.get(b.doc["outcome"]) == "bad" and b.depth == 0:
            y0, y1 = ys[b.msgs[0]] - ROW / 2, ys[b.msgs[-1]] + ROW / 2
            out.append(f'<rect class="tint" x="{left}" y="{y0}" width="{width - left}" '
                       f'height="{y1 - y0}"/>')
    for y0, pause in gaps:
        out.append(f'<g class="gap"><rect x="0" y="{y0 - 2}" width="{width}" height="{GAP_ROW - 2}"/>'
                   f'<text x="{TIME_W + bars_w + 4}" y="{y0 + 12}">\u22ef {esc(_span(pause))} '
                   f'later \u22ef</text></g>')
    for ln in lanes:                         # lane lines under everything else
        out.append(f'<line class="lane" x1="{x[ln]}" y1="0" x2="{x[ln]}" y2="{height}"/>')
    for b in bands:
        if not b.msgs:
            continue
        y0, y1 = ys[b.msgs[0]] - 8, ys[b.msgs[-1]] + 8
        bx = TIME_W + 3 + column[b.i] * BAR_W
        p = b.doc
        tip = (f"{p['kind']} ({p['interface']}): {p['outcome']}"
               + (f", by {p['answered_by']}" if p.get("answered_by") else "")
               + (f", cause {cause_text(p['cause'])}" if p.get("cause") else ""))
        out.append(f'<g class="band band-{OUTCOME_CLASS.get(p["outcome"], "odd")}" data-p="{b.i}">'
                   f'<title>{esc(tip)}</title><rect x="{bx}" y="{y0}" width="{BAR_W - 2}" '
                   f'height="{y1 - y0}" rx="2"/></g>')
    # procedure names at their first row, beside the bars
    starts = {}
    for b in bands:
        if b.msgs:
            starts.setdefault(b.msgs[0], []).append(b)
    for i, group in starts.items():
        text = ", ".join(f"{b.doc['kind']} {_mark_text(b.doc['outcome'])}" for b in group)
        first = group[0]
        out.append(f'<g class="plabel band-{OUTCOME_CLASS.get(first.doc["outcome"], "odd")}" '
                   f'data-p="{first.i}"><title>{esc(text)}</title><text x="{TIME_W + bars_w}" '
                   f'y="{ys[i] + 4}">{esc(_fit(text, LABEL_W - 8))}</text></g>')
    last_day = None
    for m in msgs:
        y = ys[m.i]
        day = _local(m.ts_ns, zone, True)[:10]
        stamp = _local(m.ts_ns, zone)
        if day != last_day:
            out.append(f'<text class="day" x="4" y="{y - 9}">{day}</text>')
            last_day = day
        out.append(f'<text class="t" x="4" y="{y + 4}">{stamp}</text>')
        out.append(_arrow(m, x, y))
    out.append("</svg></div>")
    head = [f'<div id="lanes"><svg xmlns="http://www.w3.org/2000/svg" width="{width}" '
            f'height="{HEAD_H}" class="lanes">']
    for ln in lanes:
        name = ln[1] or ("the subscriber" if ln[0] == "UE" else "")
        head.append(f'<g class="lanehead" data-role="{esc(ln[0])}"><title>{esc(ln[0])} '
                    f'{esc(name)}</title><text x="{x[ln]}" y="16" class="role">{esc(ln[0])}</text>'
                    f'<text x="{x[ln]}" y="32" class="addr">{esc(_fit(name, LANE_GAP - 12))}'
                    f'</text></g>')
    head.append("</svg></div>")
    return '<div id="scroll">' + "".join(head) + "".join(out) + "</div>"


def _mark_text(outcome):
    return {"success": "\u2713", "reject": "\u2717 reject", "failure": "\u2717 failure",
            "timeout": "\u231b timeout"}.get(outcome, outcome)


def _arrow(m, x, y):
    """A message: an arrow between its lanes (NAS continuing to the UE lane, dotted), or a CHR
    record from the UE to the radio node that wrote it."""
    r = m.row
    label, nas, cause = _label(r)
    full = " / ".join([label] + nas) + (f" [{cause}]" if cause else "")
    where = ", ".join(f"{f} #{n}" for f, n in m.sources)
    cls = f"m {m.mark}".strip() + (" chr" if r.get("proto") == "CHR" else "")
    head = m.mark or "n"
    x1, x2 = x[m.src], x[m.dst]
    badge = ""
    if m.mark == "root":                     # beside the arrow (a loop: beside its label)
        bx = max(x1, x2) + (LANE_GAP - 4 if x1 == x2 else 12)
        badge = f'<text class="badge" x="{bx}" y="{y + 4}">ROOT CAUSE</text>'

    parts = [f'<g class="{cls}" data-i="{m.i}" tabindex="0"><title>{esc(full)}\n{esc(where)}'
             f'</title><rect class="hit" x="{min(x1, x2) - 4}" y="{y - 14}" '
             f'width="{abs(x2 - x1) + 8}" height="{ROW - 2}"/>']
    if r.get("proto") == "CHR":
        text = label + (f" ({cause})" if cause else "")
        parts.append(f'<line class="radio" x1="{x1}" y1="{y}" x2="{x2}" y2="{y}"/>'
                     f'<circle cx="{x1}" cy="{y}" r="3"/><circle cx="{x2}" cy="{y}" r="4"/>'
                     f'<text x="{(x1 + x2) / 2}" y="{y - 4}">{esc(_fit(text, abs(x2 - x1) - 8))}'
                     + (f' \u00d7{len(m.sources)}' if len(m.sources) > 1 else "") + "</text>")
    elif x1 == x2:                           # both ends one node (a shared address): a loop
        parts.append(f'<path class="line" d="M{x1},{y - 6} h24 v10 h-22" '
                     f'marker-end="url(#a-{head})" fill="none"/><text x="{x1 + 30}" y="{y + 2}" '
                     f'class="left">{esc(_fit(full, LANE_GAP - 40 - (90 if badge else 0)))}</text>')
    else:
        parts.append(f'<line class="line" x1="{x1}" y1="{y}" x2="{x2}" y2="{y}" '
                     f'marker-end="url(#a-{head})"/>')
        text = label + (f" [{cause}]" if cause and not nas else "")
        parts.append(f'<text x="{(x1 + x2) / 2}" y="{y - 4}">{esc(_fit(text, abs(x2 - x1) - 8))}'
                     f'</text><text class="frame" x="{x1 + (6 if x2 > x1 else -6)}" y="{y + 10}" '
                     f'text-anchor="{"start" if x2 > x1 else "end"}">#{r["frame"]}</text>')
        ue = x.get(("UE", ""))
        if nas and ue is not None and m.src[0] == "eNB" or nas and ue is not None and m.dst[0] == "eNB":
            enb = x1 if m.src[0] == "eNB" else x2
            nas_text = ", ".join(nas) + (f" [{cause}]" if cause else "")
            a, b = (ue, enb) if m.src[0] == "eNB" else (enb, ue)
            parts.append(f'<line class="nas" x1="{a}" y1="{y}" x2="{b}" y2="{y}"/>'
                         f'<text class="nastext" x="{(ue + enb) / 2}" y="{y - 4}">'
                         f'{esc(_fit(nas_text, abs(enb - ue) - 8))}</text>')
    parts.append(badge + "</g>")
    return "".join(parts)


# ------------------------------------------------------------------ the radio chart
def thresholds():
    """kind -> [(value, categories)]: the bounds the diagnosis rules classify radio by (their
    `meas` conditions in chrtool/diagnose/rules.toml), so the chart shows what the diagnosis
    used."""
    from chrtool.diagnose.catalogue import rules
    out = {}
    for rule in rules():
        conds = rule.when.get("meas")
        for c in conds if isinstance(conds, list) else [conds] if conds else []:
            for bound in ("at_most", "at_least"):
                if bound in c:
                    out.setdefault(c["kind"], {}).setdefault(float(c[bound]), set()).add(rule.category)
    return {k: sorted((v, sorted(cats)) for v, cats in vals.items()) for k, vals in out.items()}


def _radio(msgs, doc, labels, zone):
    points = {}
    for m in msgs:
        for e in m.row.get("meas") or ():
            if e.get("kind") in MEAS_SERIES and e.get("value") is not None:
                points.setdefault(e["kind"], []).append((m.ts_ns, float(e["value"]), m.i))
    if not points:
        return f'<p class="noradio">{esc(labels["no_radio"])}</p>'
    fails = [ts_ns(f["time"]) for f in (doc or {}).get("findings", ())]
    times = [t for pts in points.values() for t, _, _ in pts]
    t0, t1 = min(times + fails), max(times + fails)
    t1 = t1 if t1 > t0 else t0 + 10**9
    limits = thresholds()
    out = [f"<h2>{esc(labels['radio'])}</h2><div class=\"charts\">"]
    w, h, pl, pr, pt, pb = 560, 190, 48, 110, 12, 30
    for kinds, title in CHARTS:
        series = {k: points[k] for k in kinds if k in points}
        if not series:
            continue
        lines = [(v, k, cats) for k in kinds for v, cats in limits.get(k, ())]
        vals = [v for pts in series.values() for _, v, _ in pts] + [v for v, _, _ in lines]
        lo, hi = math.floor(min(vals) / 5) * 5 - 5, math.ceil(max(vals) / 5) * 5 + 5

        def px(t):
            return pl + (t - t0) / (t1 - t0) * (w - pl - pr)

        def py(v):
            return pt + (hi - v) / (hi - lo) * (h - pt - pb)

        svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" class="chart" '
               f'data-chart="{"-".join(kinds)}"><text x="{pl}" y="10" class="ctitle">'
               f'{esc(title)}</text>']
        step = 10 if hi - lo > 30 else 5
        for v in range(int(lo), int(hi) + 1, step):
            svg.append(f'<line class="grid" x1="{pl}" x2="{w - pr}" y1="{py(v):.1f}" y2="{py(v):.1f}"/>'
                       f'<text class="tick" x="{pl - 4}" y="{py(v) + 3:.1f}">{v}</text>')
        for k, anchor in ((0, "start"), (0.5, "middle"), (1, "end")):
            t = t0 + (t1 - t0) * k
            svg.append(f'<text class="tick" x="{px(t):.1f}" y="{h - 14}" style="text-anchor:'
                       f'{anchor}">{_local(int(t), zone)}</text>')
        seen = set()
        for v, kind, cats in lines:            # the rules' thresholds, dashed, named
            if v in seen:
                continue
            seen.add(v)
            unit = MEAS_SERIES[kind][1]
            svg.append(f'<g class="threshold"><title>{esc(MEAS_SERIES[kind][0])} {v:g} {unit}: '
                       f'{esc(", ".join(cats))} (diagnosis rules)</title><line x1="{pl}" '
                       f'x2="{w - pr}" y1="{py(v):.1f}" y2="{py(v):.1f}"/><text x="{w - pr + 4}" '
                       f'y="{py(v) + 3:.1f}">{v:g} {esc("/".join(cats))}</text></g>')
        for t in fails:
            svg.append(f'<g class="failmark"><title>failure at {_local(t, zone, True)}</title>'
                       f'<line x1="{px(t):.1f}" x2="{px(t):.1f}" y1="{pt}" y2="{h - pb}"/>'
                       f'<text x="{px(t) + 3:.1f}" y="{pt + 10}">failure</text></g>')
        for n, (kind, pts) in enumerate(series.items()):
            name, unit, colour = MEAS_SERIES[kind]
            path = " ".join(f"{px(t):.1f},{py(v):.1f}" for t, v, _ in pts)
            svg.append(f'<g class="series" data-kind="{kind}" style="color:{colour}">'
                       f'<polyline points="{path}"/>' + "".join(
                           f'<circle cx="{px(t):.1f}" cy="{py(v):.1f}" r="3" data-i="{i}"><title>'
                           f'{name} {v:g} {unit} at {_local(t, zone, True)}</title></circle>'
                           for t, v, i in pts)
                       + f'<text x="{pl + 8 + n * 90}" y="{h - 0}" class="key">\u25cf {name}</text></g>')
        svg.append("</svg>")
        out.append("".join(svg))
    out.append("</div>")
    return "".join(out)


# ------------------------------------------------------------------ data for the script
def _data(msgs, bands, zone):
    """Each message's decode row and each procedure, for the fields panel (JSON inside the
    page, with '<' escaped so no value can close the script element)."""
    data = {"messages": [{"row": m.row, "sources": m.sources, "mark": m.mark,
                          "local": _local(m.ts_ns, zone, True)} for m in msgs],
            "procedures": [{k: v for k, v in b.doc.items() if k not in ("messages", "children")}
                           | {"msgs": b.msgs} for b in bands]}
    text = json.dumps(data, ensure_ascii=False, default=str, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f'<script id="data" type="application/json">{text}</script>'


_HEAD = ('<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
         '<meta name="viewport" content="width=device-width, initial-scale=1">'
         '<title>{title}</title><style>{css}</style></head><body>')

_FONT = ('system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Helvetica Neue", Arial, '
         '"PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", '
         '"Source Han Sans SC", "WenQuanYi Micro Hei", sans-serif')
_MONO = ('ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, "Noto Sans Mono CJK SC", '
         '"Microsoft YaHei", monospace')

_CSS = f"""
body{{font-family:{_FONT};margin:16px;color:#1d2733;background:#fff}}
h1{{font-size:20px;margin:0 0 4px}} h2{{font-size:16px;margin:18px 0 6px}}
header p{{margin:2px 0;color:#445}}
.finding{{border-left:4px solid #c0182b;padding:4px 12px;margin:10px 0;background:#fdf4f4}}
.finding .node{{color:#c0182b}} .finding .cause{{font-weight:600;color:#a01020}}
.finding table{{border-collapse:collapse}} .finding th{{text-align:left;color:#667;font-weight:400;padding:1px 8px 1px 0}}
.finding td{{padding:1px 14px 1px 0}} .summary{{font-weight:600}} .reply{{color:#334}}
.common{{border-left:4px solid #8a3ab9;padding:2px 12px;background:#f7f1fb}}
.none{{color:#17733a;font-weight:600}}
.legend{{font-size:12px;color:#445}} .key{{display:inline-block;width:12px;height:12px;margin:0 4px 0 10px;vertical-align:-2px;border-radius:2px}}
.key.band-ok,.band-ok rect{{fill:#3c9d5d;background:#3c9d5d}}
.key.band-bad,.band-bad rect{{fill:#d0342c;background:#d0342c}}
.key.band-odd,.band-odd rect{{fill:#e0a526;background:#e0a526}}
.key.mark-root{{background:#c0182b}} .key.mark-evidence{{background:#e8710a}}
.key.mark-consequence{{background:#7b4fb0}}
#scroll{{overflow:auto;max-height:80vh;border:1px solid #dde;position:relative}}
#lanes{{position:sticky;top:0;background:#f6f8fb;z-index:2;border-bottom:1px solid #ccd;width:max-content}}
svg text{{font-size:11px;fill:#1d2733}}
.lanes .role{{font-weight:700;text-anchor:middle;font-size:12px}} .lanes .addr{{text-anchor:middle;fill:#556}}
.lane{{stroke:#aab;stroke-width:1}}
.t{{fill:#667;font-family:{_MONO};font-size:10.5px}} .day{{fill:#99a;font-size:9px}}
.gap rect{{fill:#f1f1f5}} .gap text{{fill:#667;font-style:italic}}
.tint{{fill:#d0342c;opacity:.06}}
.band{{cursor:pointer}} .band rect{{opacity:.85}}
.plabel{{cursor:pointer}} .plabel text{{font-size:10.5px}}
.plabel.band-ok text{{fill:#23703f}} .plabel.band-bad text{{fill:#b01e16;font-weight:700}}
.plabel.band-odd text{{fill:#9a6b00}}
.m{{cursor:pointer}} .m text{{text-anchor:middle}} .m .left{{text-anchor:start}}
.m .hit{{fill:transparent}} .m:hover .hit,.m:focus .hit{{fill:#e9f0fb}} .m.sel .hit{{fill:#d6e4fa}}
.m .line{{stroke:#2a4a73;stroke-width:1.3}} .head-n{{fill:#2a4a73}}
.m .frame{{fill:#889;font-size:9px}}
.m .nas{{stroke:#2a4a73;stroke-dasharray:2 3}} .m .nastext{{fill:#2f5d8a;font-style:italic}}
.m.chr .radio{{stroke:#0f7d86;stroke-width:2;stroke-dasharray:6 3}} .m.chr circle{{fill:#0f7d86}}
.m.chr text{{fill:#0b5d63}}
.m.evidence .line,.m.evidence .radio{{stroke:#e8710a;stroke-width:2.2}} .head-evidence{{fill:#e8710a}}
.m.evidence text{{fill:#b35400;font-weight:600}}
.m.root .line,.m.root .radio{{stroke:#c0182b;stroke-width:3}} .head-root{{fill:#c0182b}}
.m.root text{{fill:#c0182b;font-weight:700}} .m.root circle{{fill:#c0182b}}
.m.consequence .line{{stroke:#7b4fb0;stroke-dasharray:5 2}} .head-consequence{{fill:#7b4fb0}}
.m.consequence text{{fill:#5d3590}}
.badge{{text-anchor:start!important;font-size:10px!important;fill:#fff!important;paint-order:stroke;stroke:#c0182b;stroke-width:5px;font-weight:700}}
.charts{{display:flex;flex-wrap:wrap;gap:14px}}
.chart .grid{{stroke:#eef}} .chart .tick{{fill:#778;font-size:10px;text-anchor:end}}
.chart .ctitle{{font-weight:700}} .series polyline{{fill:none;stroke:currentColor;stroke-width:1.5}}
.series circle{{fill:currentColor}} .series .key{{fill:currentColor;font-size:11px}}
.threshold line{{stroke:#a33;stroke-dasharray:4 3}} .threshold text{{fill:#a33;font-size:10px}}
.failmark line{{stroke:#c0182b;stroke-width:2}} .failmark text{{fill:#c0182b;font-size:10px}}
#panel{{position:fixed;top:0;right:0;width:min(430px,92vw);height:100vh;overflow:auto;background:#fff;
border-left:2px solid #2a4a73;box-shadow:-4px 0 14px rgba(0,0,0,.15);padding:10px 14px;z-index:5;box-sizing:border-box}}
#panel h3{{margin:4px 0;font-size:15px}} #panel .where{{color:#556;font-size:12px}}
#close{{float:right;font-size:20px;border:0;background:none;cursor:pointer}}
#fields table{{border-collapse:collapse;font-family:{_MONO};font-size:12px;width:100%}}
#fields td{{border-top:1px solid #eef;padding:2px 4px;vertical-align:top;word-break:break-all}}
#fields td.k{{color:#556;white-space:nowrap;word-break:normal}}
#fields a{{cursor:pointer;color:#1a55a8}}
"""

_JS = r"""
(function () {
  var data = JSON.parse(document.getElementById('data').textContent);
  var panel = document.getElementById('panel'), box = document.getElementById('fields');
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }
  function rows(table, value, prefix) {
    if (value !== null && typeof value === 'object') {
      var keys = Object.keys(value);
      if (!keys.length) { add(table, prefix, Array.isArray(value) ? '[]' : '{}'); return; }
      keys.forEach(function (k) {
        rows(table, value[k], prefix ? prefix + (Array.isArray(value) ? '[' + k + ']' : '.' + k) : k);
      });
    } else add(table, prefix, value === null ? 'null' : String(value));
  }
  function add(table, k, v) {
    var tr = el('tr'); tr.appendChild(el('td', k, 'k')); tr.appendChild(el('td', v)); table.appendChild(tr);
  }
  function select(g) {
    document.querySelectorAll('.m.sel').forEach(function (x) { x.classList.remove('sel'); });
    if (g) g.classList.add('sel');
  }
  function showMessage(i, scroll) {
    var m = data.messages[i], g = document.querySelector('.m[data-i="' + i + '"]');
    select(g);
    box.textContent = '';
    box.appendChild(el('h3', (m.row.proto || '') + ' ' + (m.row.msg || '')));
    box.appendChild(el('div', m.local, 'where'));
    box.appendChild(el('div', m.sources.map(function (s) { return s[0] + ' #' + s[1]; }).join(', '), 'where'));
    if (m.mark) box.appendChild(el('div', m.mark === 'root' ? 'root cause' : m.mark, 'where'));
    var t = el('table'); t.className = 'fieldtable'; rows(t, m.row, ''); box.appendChild(t);
    panel.hidden = false;
    if (scroll && g) g.scrollIntoView({block: 'center'});
  }
  function showProcedure(i) {
    var p = data.procedures[i];
    select(null);
    box.textContent = '';
    box.appendChild(el('h3', p.kind + ' \u2014 ' + p.outcome));
    box.appendChild(el('div', p.interface + (p.answered_by ? ', answered by ' + p.answered_by : ''), 'where'));
    var t = el('table');
    var shown = {}; Object.keys(p).forEach(function (k) { if (k !== 'msgs') shown[k] = p[k]; });
    rows(t, shown, '');
    p.msgs.forEach(function (j) {
      var m = data.messages[j], tr = el('tr'), a = el('a', (m.row.proto || '') + ' ' + (m.row.msg || ''));
      a.addEventListener('click', function () { showMessage(j, true); });
      tr.appendChild(el('td', m.local.slice(11), 'k')); var td = el('td'); td.appendChild(a); tr.appendChild(td);
      t.appendChild(tr);
    });
    box.appendChild(t);
    panel.hidden = false;
  }
  document.addEventListener('click', function (ev) {
    var g = ev.target.closest && ev.target.closest('.m, .band, .plabel, .goto');
    if (!g) return;
    if (g.classList.contains('goto')) {
      ev.preventDefault();
      var f = g.getAttribute('data-file'), n = Number(g.getAttribute('data-frame'));
      data.messages.forEach(function (m, i) {
        if (m.sources.some(function (s) { return s[0] === f && s[1] === n; })) showMessage(i, true);
      });
    } else if (g.classList.contains('m')) showMessage(Number(g.getAttribute('data-i')), false);
    else showProcedure(Number(g.getAttribute('data-p')));
  });
  document.addEventListener('keydown', function (ev) {
    if (ev.key === 'Escape') { panel.hidden = true; select(null); }
    if (ev.key === 'Enter' && document.activeElement && document.activeElement.classList.contains('m'))
      showMessage(Number(document.activeElement.getAttribute('data-i')), false);
  });
  document.getElementById('close').addEventListener('click', function () { panel.hidden = true; select(null); });
})();
"""
