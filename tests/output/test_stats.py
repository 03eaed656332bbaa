"""chrtool/output/stats.py (`chrtool stats`): counts per protocol, message and cause, checked
against what tshark counts in samples/attach_reject.pcap, and independent of batching."""
import json
import re
from collections import Counter

import pytest
from click.testing import CliRunner

from chrtool.cli import main
from chrtool.inputs.pipeline import Run
from chrtool.output.stats import Counts
from chrtool.table.events import CAUSE_CODES, PROTO
from eventsutil import table
from oracle import SAMPLES

CAPTURE = SAMPLES / "attach_reject.pcap"
FIELDS = ["frame.number", "_ws.col.Info", "s1ap.procedureCode", "nas_eps.nas_msg_emm_type",
          "nas_eps.nas_msg_esm_type", "diameter.cmd.code", "diameter.flags.request",
          "gtpv2.message_type", "s1ap.radioNetwork", "s1ap.transport", "s1ap.nas",
          "s1ap.protocol", "s1ap.misc", "nas_eps.emm.cause", "nas_eps.esm.cause", "gtpv2.cause",
          "diameter.Result-Code", "diameter.Experimental-Result-Code", "sctp.chunk_type"]
# Diameter command codes (RFC 6733, TS 29.272): the names chrtool gives them
DIAMETER = {257: "Capabilities-Exchange", 316: "Update-Location", 318: "Authentication-Information"}
S1AP_GROUPS = ("radioNetwork", "transport", "nas", "protocol", "misc")
SACK = re.compile(r"SACK \([^)]*\)\s*,?\s*")           # an SCTP SACK bundled before the message


def split(text):
    return [v for v in text.split(",") if v]


def words(name):
    return re.sub(r"[^a-z0-9]", "", re.sub(r"[(\[].*", "", name).lower())


@pytest.fixture(scope="module")
def tshark_counts(tshark):
    """What tshark shows, counted the way `chrtool stats` counts (one message per PDU; a NAS
    message inside an S1AP message counts as NAS-EPS too; every cause a message carries, its own
    and its bearers')."""
    protocols, messages, causes = Counter(), Counter(), Counter()
    frames = tshark.fields(CAPTURE, *FIELDS)
    for f in (dict(zip(FIELDS, r)) for r in frames):
        info = [p.strip() for p in SACK.sub("", f["_ws.col.Info"]).split(", ")]
        if f["s1ap.procedureCode"]:
            assert len(split(f["s1ap.procedureCode"])) == 1       # one S1AP PDU per frame here
            protocols["S1AP"] += 1
            nas = split(f["nas_eps.nas_msg_emm_type"]) + split(f["nas_eps.nas_msg_esm_type"])
            protocols["NAS-EPS"] += len(nas)
            assert len(info) == 1 + len(nas)
            messages[("S1AP", words(info[0]))] += 1
            for name in info[1:]:
                messages[("NAS-EPS", words(name))] += 1
            for group in S1AP_GROUPS:
                for v in split(f["s1ap." + group]):
                    causes[("S1AP", group, int(v))] += 1
            for v in split(f["nas_eps.emm.cause"]):
                causes[("NAS-EPS", "emm", int(v))] += 1
            for v in split(f["nas_eps.esm.cause"]):
                causes[("NAS-EPS", "esm", int(v))] += 1
        for code, request in zip(split(f["diameter.cmd.code"]), split(f["diameter.flags.request"])):
            protocols["Diameter"] += 1
            kind = "Request" if request in ("1", "True") else "Answer"
            messages[("Diameter", words(f"{DIAMETER[int(code)]}-{kind}"))] += 1
        for v in split(f["diameter.Result-Code"]):
            causes[("Diameter", "result-code", int(v))] += 1
        for v in split(f["diameter.Experimental-Result-Code"]):
            causes[("Diameter", "experimental-result", int(v))] += 1
        if f["gtpv2.message_type"]:
            protocols["GTPv2"] += 1
            messages[("GTPv2", words(info[-1]))] += 1
            for v in split(f["gtpv2.cause"]):                     # the message's and its bearers'
                causes[("GTPv2", None, int(v))] += 1
    chunks = Counter(c for r in frames for c in split(dict(zip(FIELDS, r))["sctp.chunk_type"]))
    return {"frames": len(frames), "protocols": protocols, "messages": messages,
            "causes": causes, "sctp_data": chunks["0"]}


@pytest.fixture(scope="module")
def stats_json():
    result = CliRunner().invoke(main, ["stats", "--json", str(CAPTURE)])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def parse_cause_label(label):
    """'S1AP nas #2 detach' -> (('S1AP', 'nas', 2), 'detach'); GTPv2 causes have no group."""
    m = re.match(r"^(\S+)(?: (\S+))? #(\d+) (.+)$", label)
    assert m, label
    return (m.group(1), m.group(2), int(m.group(3))), m.group(4)


def test_counts_per_protocol_agree_with_tshark(stats_json, tshark_counts):
    assert stats_json["protocols"] == dict(tshark_counts["protocols"])
    assert stats_json["messages"] == sum(tshark_counts["protocols"].values())
    assert stats_json["capture"]["packets"] == tshark_counts["frames"]
    assert stats_json["capture"]["sctp_data"] == tshark_counts["sctp_data"]
    assert stats_json["inputs"] == 1 and stats_json["bytes"] == CAPTURE.stat().st_size
    assert stats_json["problems"] == 0 and stats_json["flags"] == {}


def test_counts_per_message_agree_with_tshark(stats_json, tshark_counts):
    ours = Counter()
    for label, n in stats_json["by_message"].items():
        proto, name = label.split(" ", 1)
        ours[(proto, words(name))] += n
    assert ours == tshark_counts["messages"]


def test_counts_per_cause_agree_with_tshark(stats_json, tshark_counts):
    ours = Counter()
    for label, n in stats_json["by_cause"].items():
        key, name = parse_cause_label(label)
        assert name and not name.startswith("unknown"), label
        ours[key] += n
    assert ours == tshark_counts["causes"]
    assert stats_json["by_cause"]["NAS-EPS emm #7 EPS services not allowed"] == 1   # the story


def test_counts_add_up_over_batches(tmp_path):
    def count(*paths):
        c, batches = Counts(), 0
        for _, t in Run([str(p) for p in paths]).batches():
            c.add(t)
            batches += 1
        return c, batches
    copy = tmp_path / "again.pcap"
    copy.write_bytes(CAPTURE.read_bytes())
    once, one = count(CAPTURE)
    twice, two = count(CAPTURE, copy)
    assert two == 2 * one
    double = lambda counter: Counter({k: 2 * v for k, v in counter.items()})  # noqa: E731
    assert twice.rows == 2 * once.rows
    assert (twice.protocols, twice.messages, twice.causes) == \
        (double(once.protocols), double(once.messages), double(once.causes))


def test_unknown_messages_and_negative_groups_are_counted_not_lost():
    t = table([dict(frame=1, proto=PROTO["GTPv2"], msg=-1),
               dict(frame=2, proto=PROTO["GTPv2"], msg=33, cause_proto=CAUSE_CODES["GTPv2"],
                    cause_group=-1, cause_value=64),
               dict(frame=3, proto=PROTO["S1AP"], msg=0x200 | 23, cause_proto=CAUSE_CODES["S1AP"],
                    cause_group=0, cause_value=99, flags=0)])
    c = Counts()
    c.add(t)
    assert c.rows == 3
    assert c.messages == {(PROTO["GTPv2"], -1): 1, (PROTO["GTPv2"], 33): 1,
                          (PROTO["S1AP"], 0x217): 1}
    assert c.causes == {(CAUSE_CODES["GTPv2"], -1, 64): 1, (CAUSE_CODES["S1AP"], 0, 99): 1}


def test_text_summary_lists_each_count(stats_json):
    text = Counts.text(stats_json)
    lines = text.splitlines()
    assert lines[0].startswith(f"1 input(s), {CAPTURE.stat().st_size:,} bytes, "
                               f"{stats_json['messages']:,} messages in ")
    assert lines[1].startswith("packets: ") and f"packets {stats_json['capture']['packets']}" in lines[1]
    for title, key in (("protocol", "protocols"), ("message", "by_message"), ("cause", "by_cause")):
        start = lines.index(f"per {title}:")
        block = lines[start + 1:start + 1 + len(stats_json[key])]
        assert [(b.rsplit(None, 1)[0].strip(), int(b.rsplit(None, 1)[1].replace(",", "")))
                for b in block] == list(stats_json[key].items())
    assert "input problems" not in text
    assert "input problems: 2" in Counts.text(dict(stats_json, problems=2))


def test_stats_subscribers_counts_subscribers_and_procedures():
    # the sample's story (samples/README.md): three UEs, one healthy attach and two rejected
    result = CliRunner().invoke(main, ["stats", "--json", "--subscribers", str(CAPTURE)])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["subscribers"] == 3 and doc["linking"]["with_imsi"] == 3
    assert doc["linking"]["link_conflicts"] == 0 and doc["linking"]["unlinked_messages"] >= 0
    assert doc["procedures"]["attach success"] == 1 and doc["procedures"]["attach reject"] == 2
    assert doc["procedures"]["s6a-update-location reject"] == 1
    assert doc["messages"] == json.loads(CliRunner().invoke(
        main, ["stats", "--json", str(CAPTURE)]).stdout)["messages"]
