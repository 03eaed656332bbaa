"""`chrtool diagnose --bundle DIR`: one folder to attach to a ticket for a team without chrtool.

DIR gets report.html, findings.json (the `--format json` document), capture.pcapng with its
sidecar capture.pcapng.frames.csv (as `chrtool extract` writes them), timeline.txt (as
`chrtool timeline` prints it) and README.txt, which names the inputs (path, size, BLAKE2b), the
chrtool version, the command line and the time zone of the times written for people. Every file
is written through a temporary name and a rename, so a bundle never holds a half-written file.
"""
import datetime as dt
import os
import shlex

from chrtool import __version__, backend
from chrtool.output.tables import replacing

FILES = ("report.html", "findings.json", "capture.pcapng", "capture.pcapng.frames.csv",
         "timeline.txt", "README.txt")


def write_text(path, text):
    with replacing(path) as tmp, open(tmp, "w", encoding="utf-8") as out:
        out.write(text)


def zone_name(zone):
    """How README.txt names the zone: an IANA name, 'UTC+08:00', or 'UTC'."""
    if zone is None:
        return "UTC"
    return getattr(zone, "key", None) or str(zone)


def readme(doc, inputs, argv, zone, zone_from, extracted):
    """README.txt: what the folder holds and what it was made from (`inputs`: the inputs'
    fingerprints as chrtool/batch/store.py takes them, {path, bytes, blake2b} or {path, error})."""
    who = doc["complaint"] or doc["imsi"] or doc["msisdn"] or "-"
    n = len(doc["findings"])
    lines = [
        f"chrtool diagnosis bundle for {who}",
        "",
        f"subscriber    IMSI {doc['imsi'] or '-'}   MSISDN {doc['msisdn'] or '-'}"
        + (f"   complaint {doc['complaint']}" if doc["complaint"] else ""),
        f"findings      {n}" + "".join(f"\n              {f['procedure']} failed at "
                                        f"{f['failure_node']}: {f['summary']}"
                                        for f in doc["findings"]),
        f"window        {doc['window']['since'] or 'start'} .. {doc['window']['until'] or 'end'}",
        f"time zone     {zone_name(zone)} ({zone_from}): the times in findings.json 'summary' "
        "and 'reply' and in report.html's replies; every other time is UTC",
        f"chrtool       {__version__} (decoding core: {backend()})",
        f"command       chrtool {shlex.join(argv)}" if argv else "command       -",
        f"made          {dt.datetime.now(dt.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')}",
        "",
        "files",
        "  report.html                the diagnosis with a ladder diagram of the signalling "
        "(open in a browser; works offline)",
        "  findings.json              the diagnosis as JSON (chrtool diagnose --format json)",
        f"  capture.pcapng             the subscriber's own packets as captured, "
        f"{extracted['frames']} frames (open in Wireshark)",
        "  capture.pcapng.frames.csv  for each frame of capture.pcapng, the input file and "
        "frame it came from:",
        "                             frame, time, file, source_frame, messages, "
        "other_subscribers, copies, note",
        "                             (frame empty: a CHR/trace/CSV record, which has no packet; "
        "other_subscribers: a bundled",
        "                             SCTP packet carries them too; copies: the same packet "
        "seen by another probe, left out)",
        "  timeline.txt               the subscriber's procedures and messages in time order "
        "(chrtool timeline)",
        "",
        "inputs (path, bytes, BLAKE2b-128)",
    ]
    for fp in inputs:
        lines.append(f"  {fp['path']}  " + (f"({fp['error']})" if "error" in fp
                                            else f"{fp['bytes']}  {fp['blake2b']}"))
    problems = doc.get("problems", ())
    if problems:
        lines += ["", f"input problems: {len(problems)} (listed in findings.json 'problems')"]
    return "\n".join(lines) + "\n"


def write_bundle(outdir, doc, html, timeline_text, inputs, argv, zone, zone_from, extract):
    """Write the bundle into outdir (created). `extract(path)` writes the capture and its
    sidecar and returns its summary. Returns the files written."""
    from chrtool.output.report import to_json
    os.makedirs(outdir, exist_ok=True)
    write_text(os.path.join(outdir, "report.html"), html)
    write_text(os.path.join(outdir, "findings.json"), to_json(doc))
    extracted = extract(os.path.join(outdir, "capture.pcapng"))
    write_text(os.path.join(outdir, "timeline.txt"), timeline_text)
    write_text(os.path.join(outdir, "README.txt"),
               readme(doc, inputs, argv, zone, zone_from, extracted))
    return [os.path.join(outdir, f) for f in FILES]
