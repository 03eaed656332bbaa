"""One subscriber's own packets as captured -> one pcapng, with a sidecar naming each frame's source.

The frames are exactly those of the subscriber's timeline (the rows `chrtool timeline` shows),
read back whole from the inputs by their record's byte offset (chrtool/inputs/records.py), with
their original link type and timestamp (written at ns resolution). The sidecar
(`OUT.pcapng.frames.csv`) has one line per packet of the capture and one per message that has no
packet (CHR, trace XML, vendor CSV), in time order (ties by input, then frame):

    frame, time, file, source_frame, messages, other_subscribers, copies, note

`frame` is the packet's number in OUT (empty when it has no packet), `source_frame` its number
in `file` (the record number for CHR). A packet that also carries other subscribers' SCTP chunks
is kept whole and names them in `other_subscribers`; a packet another probe saw too is written
once (the copy linking kept) and the copies are named in `copies` as `file#frame`.
"""
import csv
import os
from collections import defaultdict

import numpy as np

from chrtool import __version__
from chrtool.inputs.records import read_records
from chrtool.table.names import iso, msg_name, proto_name
from chrtool.table.schema import FLAGS, PROTO

SIDECAR_SUFFIX = ".frames.csv"
SIDECAR_COLUMNS = ("frame", "time", "file", "source_frame", "messages", "other_subscribers",
                   "copies", "note")
NAS = PROTO["NAS-EPS"]
RECORD = {"chr-v1": "a chr-v1 CHR record", "xml": "a 32.423 trace record", "csv": "a vendor CSV row"}


def packet_keys(file_id, frame):
    """One int64 per row naming its packet: (file, frame)."""
    return np.asarray(file_id, np.int64) << 32 | np.asarray(frame, np.int64)


def shared_packets(keys, ue_of_row, ues, ue_index):
    """{packet key: [the other subscribers (IMSI, else 'subscriber N') or 'unlinked']} for the
    subscriber's packets that also carry other rows: bundled SCTP DATA of several UEs."""
    own = ue_of_row == ue_index
    mine = np.unique(keys[own])
    other = ~own & np.isin(keys, mine)
    out = defaultdict(set)
    for k, u in zip(keys[other].tolist(), ue_of_row[other].tolist()):
        out[k].add("unlinked" if u < 0 else (ues[u].imsi or f"subscriber {u}"))
    return {k: sorted(v) for k, v in out.items()}


def _messages(ev, rows):
    """'S1AP InitialUEMessage [AttachRequest, PDNConnectivityRequest]' for a packet's rows."""
    proto, msg, parent = ev.cols["proto"], ev.cols["msg"], ev.cols["parent"]
    here = set(rows)
    tops, nas = [], defaultdict(list)
    for r in rows:
        top = r
        while int(parent[top]) >= 0 and int(parent[top]) in here:   # ESM inside EMM inside S1AP
            top = int(parent[top])
        if top != r and int(proto[r]) == NAS:
            nas[top].append(msg_name(NAS, int(msg[r])) or "ciphered")
        else:
            tops.append(r)
    parts = []
    for r in tops:
        name = f"{proto_name(int(proto[r]))} {msg_name(int(proto[r]), int(msg[r])) or '?'}"
        if nas.get(r):
            name += f" [{', '.join(nas[r])}]"
        parts.append(name)
    return "; ".join(parts)


def plan(run, ev, sessions, ue, shared=None):
    """The sidecar's entries (dicts), in time order, for the subscriber's rows of `ev` (the
    subscriber's events with the copies a second probe saw, `sessions` over them)."""
    kinds = {s.file_id: s.kind for s in run.sources}
    cols = ev.cols
    fid, frame, ts, off = cols["file_id"], cols["frame"], cols["ts_ns"], cols["src_offset"]
    flags = cols["flags"]
    shared = shared or {}
    own = sessions.rows_of(ue.index) if ue is not None else np.zeros(0, np.int64)
    copies = defaultdict(set)
    for o, rows in sessions.copies().items():
        copies[(int(fid[o]), int(frame[o]))].update((int(fid[r]), int(frame[r])) for r in rows)
    groups = defaultdict(list)
    for r in own.tolist():
        groups[(int(fid[r]), int(frame[r]))].append(r)
    entries = []
    for (f, n), rows in groups.items():
        capture = kinds.get(f) == "capture"
        note = []
        if not capture:
            note.append(f"not extractable: {RECORD.get(kinds.get(f), 'a record')} has no packet")
        if capture and any(int(flags[r]) & FLAGS["reassembled"] for r in rows):
            note.append("reassembled: this frame completed the message; the frames with its "
                        "earlier fragments are not included")
        others = shared.get(f << 32 | n, []) if capture else []
        if others:
            note.append("bundled: the packet also carries other subscribers' messages")
        if copies.get((f, n)):
            note.append("also seen by another probe or export: kept once")
        entries.append({
            "ts_ns": int(min(ts[r] for r in rows)), "file_id": f, "source_frame": n,
            "offset": int(off[rows[0]]) if capture else None, "file": ev.files.get(f),
            "messages": _messages(ev, rows), "other_subscribers": others,
            "copies": [f"{ev.files.get(cf)}#{cn}" for cf, cn in sorted(copies.get((f, n), ()))],
            "note": "; ".join(note)})
    entries.sort(key=lambda e: (e["ts_ns"], e["file_id"], e["source_frame"]))
    return entries


def write(run, entries, path):
    """Write the capture and its sidecar (each through a temporary name and a rename). Returns
    {"frames", "not_extractable", "bundled", "copies", "sidecar"}."""
    from chrtool.output.tables import replacing
    from chrtool.simulate.pcap_writer import PcapngWriter    # stdlib only: pcap/pcapng writers
    by_source = {s.file_id: s for s in run.sources}
    wanted = defaultdict(list)
    for e in entries:
        if e["offset"] is not None:
            wanted[e["file_id"]].append(e["offset"])
    records = {f: read_records(by_source[f], offs) for f, offs in wanted.items()}
    ifaces, frames, lost = {}, 0, 0
    with replacing(path) as tmp, PcapngWriter(tmp, None, application=f"chrtool {__version__} "
                                              "extract") as out:
        for e in entries:
            e["frame"] = None
            if e["offset"] is None:
                continue
            rec = records[e["file_id"]].get(e["offset"])
            if rec is None:            # damage the first pass read around: say so, never guess
                lost += 1
                e["note"] = "; ".join(filter(None, [e["note"], "not extractable: its record "
                                                    "could not be read again"]))
                continue
            key = (e["file_id"], rec.linktype, rec.snaplen)
            if key not in ifaces:      # ns timestamps, whatever unit its input used
                ifaces[key] = out.add_interface(rec.linktype, name=os.path.basename(e["file"]),
                                                nanosecond=True, snaplen=rec.snaplen)
            frames += 1
            e["frame"] = frames
            out.write(rec.ts_ns, rec.data, ifaces[key], origlen=rec.origlen,
                      comment=f"{e['file']} frame {e['source_frame']}")
    sidecar = os.fspath(path) + SIDECAR_SUFFIX
    with replacing(sidecar) as tmp, open(tmp, "w", newline="", encoding="utf-8") as out:
        w = csv.writer(out)
        w.writerow(SIDECAR_COLUMNS)
        for e in entries:
            w.writerow([e["frame"] or "", iso(e["ts_ns"]), e["file"], e["source_frame"],
                        e["messages"], ";".join(e["other_subscribers"]), ";".join(e["copies"]),
                        e["note"]])
    return {"frames": frames, "not_extractable": sum(1 for e in entries if e["frame"] is None),
            "unreadable": lost, "bundled": sum(1 for e in entries if e["other_subscribers"]),
            "copies": sum(len(e["copies"]) for e in entries), "sidecar": sidecar}
