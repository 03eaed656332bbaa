"""Findings -> reports: JSON for programs, text and HTML (with a ladder diagram) for people."""
import html
import json

from chrtool.errors import Problem
from chrtool.protocols import BY_NAME
from chrtool.output.rows import iter_rows, to_jsonable

TEXT_LABELS = {"en": {"none": "No signalling failure found for this subscriber in the window.",
                      "finding": "Finding", "procedures": "Procedures:"},
               "zh": {"none": "在该时间窗内未发现该用户的信令失败。", "finding": "发现",
                      "procedures": "流程:"}}


def diagnosis_document(complaint, imsi, msisdn, since, until, inputs, sessions, findings,
                       problems=(), common_problems=(), ticket=None):
    doc = {"complaint": complaint, "imsi": imsi, "msisdn": msisdn or None,
           "window": {"since": since, "until": until}, "inputs": list(inputs),
           "sessions": sessions, "findings": findings, "common_problems": list(common_problems)}
    if ticket is not None:                   # the ticket as the complaint system wrote it
        doc["ticket"] = ticket
    if problems:
        doc["problems"] = [p.as_dict() for p in problems]
    return doc


def ticket_echo(ticket):
    """The ticket as the complaint system wrote it, for a diagnosis document, with the kind of
    phenomenon chrtool read in it (what the findings are ordered by)."""
    from dataclasses import asdict
    from chrtool.diagnose.phenomena import classify
    out = {k: v or None for k, v in asdict(ticket).items()}
    kind = classify(ticket.phenomenon)
    out["phenomenon_kind"] = kind.kind if kind else None
    return out


def to_json(doc):
    return json.dumps(doc, ensure_ascii=False, indent=2, default=to_jsonable) + "\n"


from chrtool.table.names import cause_text  # noqa: E402,F401  (the report's name for it)


def diagnosis_text(doc, lang="en", timeline=None):
    """The diagnosis for people: findings first, then (with `timeline`, a timeline document of
    chrtool/output/procedures.py) the subscriber's procedures, then the input problems."""
    return diagnosis_styled(doc, lang, timeline).plain


def diagnosis_styled(doc, lang="en", timeline=None):
    """diagnosis_text as a rich Text: on a terminal the same characters, with colours."""
    from rich.text import Text
    from chrtool.output.procedures import styled, timeline_styled
    labels = TEXT_LABELS[lang]
    head = [styled((f"chrtool diagnosis  complaint={doc['complaint'] or '-'}  "
                    f"imsi={doc['imsi'] or '-'}  msisdn={doc['msisdn'] or '-'}", "bold")),
            styled(f"window: {doc['window']['since'] or 'start'} .. "
                   f"{doc['window']['until'] or 'end'}   inputs: {len(doc['inputs'])}   "
                   f"sessions: {doc['sessions']}"), styled("")]
    if not doc["findings"]:
        head.append(styled((labels["none"], "green")))
    for i, f in enumerate(doc["findings"], 1):
        cell = ", ".join(f"{k.upper()} {v}" for k, v in f["cell"].items()) or "-"
        head += [
            styled((f"{labels['finding']} {i}: ", "bold red"), f"{f['time']}  ",
                   (f"{f['procedure']} failed at {f['failure_node']}", "bold"),
                   f" ({f['interface']})"),
            styled("  cause        ", (cause_text(f["cause"]), "red")),
            styled(f"  category     {f['category']}   specialty {f['specialty']}"
                   f"   disposition {f['disposition']}"),
            styled(f"  cell         {cell}")]
        if f.get("count", 1) > 1:
            head.append(styled(f"  seen         {f['count']} times, {f['first']} .. {f['last']}"))
        if "confidence" in f:
            head.append(styled(f"  confidence   {f['confidence']:g} ({f['confidence_reason']})"))
        for j, e in enumerate(f["evidence"] or [None]):       # the label even without any
            head.append(styled("  evidence     " if j == 0 else " " * 15,
                               (_evidence_line(e) if e else "", "cyan")))
        for j, e in enumerate(f.get("consequences") or ()):
            head.append(styled("  followed by  " if j == 0 else " " * 15,
                               _evidence_line(e) + f" ({e['procedure']} {e['outcome']})"))
        head += [styled("  summary      ", (f["summary"], "bold")),
                 styled(f"  reply        {f['reply']}")]
        for cp in doc.get("common_problems", ()):
            if cp["id"] == f.get("common_problem"):
                where = cp.get("cell", {}).get("ecgi") or \
                    f"{cp['node']['role']} {cp['node']['address']}"
                head += [styled((f"  common problem {cp['id']}: {cp['subscribers']} subscribers "
                                 f"at {where}, {cp['first']} .. {cp['last']}", "magenta")),
                         styled(f"               {cp['summary']}")]
        head.append(styled(""))
    if timeline is not None and (timeline["procedures"] or timeline["other_messages"]):
        head.append(styled((labels["procedures"], "bold")))
        head.append(timeline_styled(timeline, head=False))
    for p in doc.get("problems", ()):
        where = {k: p[k] for k in ("offset", "line", "column") if k in p}
        head.append(styled((f"input problem: {Problem(p['file'], p['layer'], p['message'], **where)}",
                            "yellow")))
    out = Text("\n").join(head)
    out.rstrip()
    out.append("\n")
    return out


def _evidence_line(e):
    return (f"{e['file']} frame {e['frame']}: {e['msg']}"
            + (f" (in {e['carrier']})" if e.get("carrier") else "")
            + (f" [{cause_text(e['cause'])}]" if e.get("cause") else ""))


# --- timeline ---------------------------------------------------------------------------

def timeline_rows(ev):
    """Decode rows of one subscriber's messages (an Events already reduced to them), by time."""
    return list(iter_rows(ev, by_time=True))


# --- HTML with a ladder diagram ---------------------------------------------------------

ROLE_ORDER = ("eNB", "gNB", "MME", "SGW", "HSS", "peer")


def _lanes(rows):
    """Address -> role, from the messages that reveal which side of a protocol an address sits
    on (the registry's `roles`)."""
    role = {}
    for r in rows:
        src, dst = r.get("src"), r.get("dst")
        record = BY_NAME.get(r["proto"])
        sides = record.role_of(r.get("msg")) if src and record else None
        if sides:
            role.setdefault(src, sides[0])
            role.setdefault(dst, sides[1])
    for r in rows:
        for a in (r.get("src"), r.get("dst")):
            if a:
                role.setdefault(a, "peer")
        if not r.get("src"):                 # CHR records: what the eNB saw on the radio side
            role.setdefault("CHR", "eNB")
    return sorted(role, key=lambda a: (ROLE_ORDER.index(role[a]), a)), role


def ladder_svg(rows, failed_frames=()):
    addrs, role = _lanes(rows)
    if not addrs:
        return ""
    x = {a: 110 + i * 190 for i, a in enumerate(addrs)}
    h = 60 + 24 * len(rows)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{120 + 190 * len(addrs)}" '
             f'height="{h}" font-family="sans-serif" font-size="11">']
    for a in addrs:
        parts.append(f'<text x="{x[a]}" y="14" text-anchor="middle" font-weight="bold">'
                     f'{role[a]}</text><text x="{x[a]}" y="27" text-anchor="middle">{a}</text>'
                     f'<line x1="{x[a]}" y1="32" x2="{x[a]}" y2="{h}" stroke="#999"/>')
    for i, r in enumerate(rows):
        y = 48 + 24 * i
        bad = (r["file"], r["frame"]) in failed_frames
        color = "#c00" if bad else "#246"
        label = r.get("msg", "?") + "".join(f" / {n['msg'] or 'ciphered'}" for n in r.get("nas", ()))
        parts.append(f'<text x="4" y="{y + 4}" fill="#666">{r["ts"][11:23]}</text>')
        if not r.get("src"):                 # a CHR record: a mark on the eNB's radio lane
            cause = r.get("cause")
            if isinstance(cause, dict):
                label += f" ({cause['name']})"
            parts.append(f'<circle cx="{x["CHR"]}" cy="{y}" r="4" fill="{color}"/><text '
                         f'x="{x["CHR"] + 8}" y="{y + 4}" fill="{color}">{html.escape(label)}</text>')
            continue
        x1, x2 = x[r["src"]], x[r["dst"]]
        parts.append(f'<line x1="{x1}" y1="{y}" x2="{x2}" y2="{y}" stroke="{color}" '
                     f'marker-end="url(#a)"/><text x="{(x1 + x2) / 2}" y="{y - 3}" '
                     f'text-anchor="middle" fill="{color}">{html.escape(label)} #{r["frame"]}</text>')
    parts.insert(1, '<defs><marker id="a" markerWidth="8" markerHeight="8" refX="8" refY="4" '
                    'orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#246"/></marker></defs>')
    parts.append("</svg>")
    return "".join(parts)


def diagnosis_html(doc, rows, lang="en"):
    failed = {(e["file"], e["frame"]) for f in doc["findings"] for e in f["evidence"]}
    esc = html.escape
    items = "".join(
        f"<tr><td>{esc(f['time'])}</td><td>{esc(f['procedure'])}</td><td>{esc(f['failure_node'])}"
        f" ({esc(f['interface'])})</td><td>{esc(cause_text(f['cause']))}</td>"
        f"<td>{esc(f['category'])}</td><td>{esc(f['specialty'])}</td><td>{esc(f['disposition'])}</td>"
        f"<td>{esc(', '.join(f['cell'].values()))}</td><td>{esc(f['reply'])}</td></tr>"
        for f in doc["findings"])
    body = (f"<table><tr><th>time</th><th>procedure</th><th>failure node</th><th>cause</th>"
            f"<th>category</th><th>specialty</th><th>disposition</th><th>cell</th><th>reply</th></tr>"
            f"{items}</table>" if doc["findings"] else f"<p>{esc(TEXT_LABELS[lang]['none'])}</p>")
    return (f"<!doctype html><html lang=\"{lang}\"><meta charset=\"utf-8\"><title>chrtool "
            f"{esc(doc['complaint'] or doc['imsi'] or '')}</title><style>body{{font-family:sans-serif}}"
            f"table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:3px 6px;"
            f"vertical-align:top}}</style><h1>chrtool diagnosis</h1><p>complaint "
            f"{esc(doc['complaint'] or '-')} &middot; IMSI {esc(doc['imsi'] or '-')} &middot; MSISDN "
            f"{esc(doc['msisdn'] or '-')} &middot; sessions {doc['sessions']}</p>{body}"
            f"<h2>Signalling ladder</h2>{ladder_svg(rows, failed)}</html>\n")
