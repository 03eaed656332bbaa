"""Findings -> reports: JSON for programs, text for people (the HTML report is
chrtool/output/html.py)."""
import json

from chrtool.errors import Problem
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
