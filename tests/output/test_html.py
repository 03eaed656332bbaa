"""chrtool/output/html.py: the HTML report, read back as a tree.

The documents come from the command line: samples/attach_reject.pcap (IMSI 001010000000002's
attach, which the HSS's Update-Location-Answer 5420 in frame 67 breaks and the MME's Attach
Reject #7 in frame 68 shows) and a simulated EN-DC day whose eNB exports every CHR event twice
(binary and CSV) and whose subscriber loses the NR leg on an SCG failure at SS-RSRP -121 dBm.
Hand-made timelines check what those cannot show (escaping, gaps, long labels, size). What a
browser makes of the page is test_html_browser.py's.
"""
import html.parser
import json
import re

import pytest
from click.testing import CliRunner

from chrtool.cli import main
from chrtool.output import html as report_html
from chrtool.output.html import ROW, GAP_ROW, thresholds
from oracle import ROOT

CAPTURE = "samples/attach_reject.pcap"
UE = "001010000000002"
ENDC_UE = "001010000000001"


def cli(monkeypatch, *args):
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


class Node:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent, self.children = tag, dict(attrs), parent, []
        self.content = []                  # text and child nodes, in document order

    @property
    def classes(self):
        return set((self.attrs.get("class") or "").split())

    def all(self, tag=None, cls=None):
        for c in self.children:
            if (tag is None or c.tag == tag) and (cls is None or cls in c.classes):
                yield c
            yield from c.all(tag, cls)

    def first(self, tag=None, cls=None):
        return next(self.all(tag, cls), None)

    def string(self):
        return "".join(c if isinstance(c, str) else c.string() for c in self.content)


class Tree(html.parser.HTMLParser):
    """The page as a tree, checking that every element opened is closed in order."""

    VOID = {"meta", "br", "img", "input", "link"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = self.at = Node("#root", {}, None)

    def handle_starttag(self, tag, attrs):
        node = Node(tag, attrs, self.at)
        self.at.children.append(node)
        self.at.content.append(node)
        if tag not in self.VOID:
            self.at = node

    def handle_startendtag(self, tag, attrs):
        node = Node(tag, attrs, self.at)
        self.at.children.append(node)
        self.at.content.append(node)

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        assert self.at.tag == tag, (tag, self.at.tag)
        self.at = self.at.parent

    def handle_data(self, data):
        self.at.content.append(data)


def tree(page):
    t = Tree()
    t.feed(page)
    t.close()
    assert t.at is t.root                                            # everything closed
    return t.root


def page_data(root):
    [script] = [s for s in root.all("script") if s.attrs.get("id") == "data"]
    return json.loads(script.string())


def lanes(root):
    """[(role, name, x)] left to right, from the lane heads."""
    out = []
    for g in root.all("g", "lanehead"):
        role, name = [t for t in g.all("text")]
        out.append((role.string(), name.string(), float(role.attrs["x"])))
    return out


def arrows(root):
    """data-i -> (classes, x1, x2, y, label text) of each message."""
    out = {}
    for g in root.all("g", "m"):
        line = g.first("line", "line") or g.first("line", "radio")
        texts = [t.string() for t in g.all("text")]
        out[int(g.attrs["data-i"])] = (g.classes, float(line.attrs["x1"]), float(line.attrs["x2"]),
                                       float(line.attrs["y1"]), texts, g.first("title").string())
    return out


@pytest.fixture(scope="module")
def endc_day(tmp_path_factory):
    out = tmp_path_factory.mktemp("endc")
    result = CliRunner().invoke(main, ["simulate", "-o", str(out), "--seed", "3", "--ues", "2",
                                       "--scenario", "scg-failure-coverage",
                                       "--chr-format", "chr-v1,csv"])
    assert result.exit_code == 0, result.output
    return out


def run(*args):
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


# ------------------------------------------------------------------ the capture's ladder
def test_a_lane_per_node_named_by_role_and_address(monkeypatch):
    root = tree(cli(monkeypatch, "diagnose", "--imsi", UE, "--format", "html", CAPTURE))
    assert [(r, n) for r, n, _ in lanes(root)] == [
        ("UE", "the subscriber"), ("eNB", "10.20.4.21"), ("MME", "10.10.0.1"), ("HSS", "10.10.3.1")]


def test_each_message_once_between_its_lanes_with_its_fields(monkeypatch):
    page = cli(monkeypatch, "diagnose", "--imsi", UE, "--format", "html", CAPTURE)
    root = tree(page)
    x = {n: xx for _, n, xx in lanes(root)}
    timeline = json.loads(cli(monkeypatch, "timeline", "--imsi", UE, "--format", "json",
                              CAPTURE))["messages"]
    data = page_data(root)["messages"]
    drawn = arrows(root)
    assert len(drawn) == len(data) == len(timeline)
    for i, row in enumerate(timeline):                      # in time order, fields as decoded
        shown = {k: v for k, v in data[i]["row"].items() if k != "link"}   # + how it was linked
        assert shown == row and data[i]["sources"] == [[CAPTURE, row["frame"]]]
        cls, x1, x2, _, texts, title = drawn[i]
        assert (x1, x2) == (x[row["src"]], x[row["dst"]]), row["frame"]
        assert texts[0].startswith(row["msg"]) or (texts[0].endswith("\u2026")  # cut to fit
                                                   and row["msg"].startswith(texts[0][:-1]))
        assert row["msg"] in title and f"#{row['frame']}" in texts
        for n in row.get("nas", ()):                       # the NAS it carries, towards the UE
            assert n["msg"] in title
    reject = next(i for i, r in enumerate(timeline) if r["frame"] == 68)
    assert "AttachReject #7" in drawn[reject][4]           # its EMM cause on the NAS leg


def test_root_cause_and_evidence_are_marked(monkeypatch):
    root = tree(cli(monkeypatch, "diagnose", "--imsi", UE, "--format", "html", CAPTURE))
    data = page_data(root)["messages"]
    mark = {d["sources"][0][1]: d["mark"] for d in data}
    assert mark[67] == "root"                               # the HSS's 5420 is the root cause
    assert mark[59] == mark[66] == mark[68] == "evidence"
    assert mark[72] == "consequence"                        # the release that followed
    assert {m for f, m in mark.items() if f not in (59, 66, 67, 68, 72)} == {""}
    drawn = arrows(root)
    for i, d in enumerate(data):
        assert (d["mark"] or "plain") in drawn[i][0] | {"plain"}
    [badge] = [g for g in root.all("g", "m") if g.first("text", "badge")]
    assert "root" in badge.classes
    finding = root.first("section", "finding")
    assert "failed at HSS (S6a)" in finding.first("h2").string()
    links = [(a.attrs["data-file"], int(a.attrs["data-frame"])) for a in finding.first("ul", "evidence").all("a", "goto")]
    assert links == [(CAPTURE, 59), (CAPTURE, 66), (CAPTURE, 67), (CAPTURE, 68)]


def test_procedures_are_bands_coloured_by_outcome(monkeypatch):
    root = tree(cli(monkeypatch, "diagnose", "--imsi", UE, "--format", "html", CAPTURE))
    procs = json.loads(cli(monkeypatch, "timeline", "--imsi", UE, "--format", "json",
                           CAPTURE))["procedures"]

    def flat(ps):
        for p in ps:
            yield p
            yield from flat(p["children"])
    want = [(p["kind"], p["outcome"]) for p in flat(procs)]
    data = page_data(root)["procedures"]
    assert [(p["kind"], p["outcome"]) for p in data] == want
    bands = list(root.all("g", "band"))
    assert len(bands) == len(want)
    colour = {"success": "band-ok", "reject": "band-bad", "failure": "band-bad",
              "timeout": "band-bad", "abandoned": "band-odd", "interrupted": "band-odd",
              "open": "band-odd"}
    for g in bands:
        p = data[int(g.attrs["data-p"])]
        assert colour[p["outcome"]] in g.classes
        assert p["kind"] in g.first("title").string()
    attach = next(p for p in data if p["kind"] == "attach")
    assert attach["outcome"] == "reject"
    # the band spans the rows of its messages
    ys = {i: a[3] for i, a in arrows(root).items()}
    g = next(g for g in bands if data[int(g.attrs["data-p"])]["kind"] == "attach")
    rect = g.first("rect")
    top, bottom = float(rect.attrs["y"]), float(rect.attrs["y"]) + float(rect.attrs["height"])
    assert top < min(ys[i] for i in attach["msgs"]) and bottom > max(ys[i] for i in attach["msgs"])


def test_times_are_local_in_the_zone_asked_for(monkeypatch):
    utc = tree(cli(monkeypatch, "diagnose", "--imsi", UE, "--format", "html", CAPTURE))
    sh = tree(cli(monkeypatch, "diagnose", "--imsi", UE, "--format", "html", "--tz",
                  "Asia/Shanghai", CAPTURE))
    stamp = [t.string() for t in utc.all("text", "t")]
    local = [t.string() for t in sh.all("text", "t")]
    assert stamp[1] == "09:00:14.004" and local[1] == "17:00:14.004"   # frame 60, UTC+8
    assert "Asia/Shanghai (UTC+08:00)" in sh.first("header").string()
    assert page_data(sh)["messages"][1]["local"] == "2026-11-27 17:00:14.004"


def test_the_tickets_zone_when_a_ticket_is_given(monkeypatch, tmp_path):
    tickets = tmp_path / "t.csv"
    tickets.write_text("ticket,imsi,time\nT9,001010000000002,2026-11-27T17:30:00+08:00\n")
    root = tree(cli(monkeypatch, "diagnose", "--complaint", "T9", "--tickets", str(tickets),
                    "--format", "html", CAPTURE))
    assert [t.string() for t in root.all("text", "t")][1] == "17:00:14.004"
    assert "UTC+08:00" in root.first("header").string()


def test_the_page_is_self_contained():
    page = report_html.report_html(
        {"imsi": UE, "msisdn": None, "procedures": [], "other_messages": [
            row(1, "2026-11-27T09:00:00.000000Z", "InitialUEMessage")]})
    assert not re.search(r"<link|<img|<iframe|\bsrc=|@import|url\((?!#)", page)
    assert set(re.findall(r"https?://[^\"' ]+", page)) == {"http://www.w3.org/2000/svg"}
    assert "Noto Sans CJK SC" in page and "Microsoft YaHei" in page      # Chinese has fonts


# ------------------------------------------------------------------ EN-DC, X2 and CHR
def test_x2ap_goes_between_the_enb_and_the_gnb(endc_day):
    root = tree(run("timeline", "--imsi", ENDC_UE, "--format", "html", str(endc_day)))
    x = {r: xx for r, _, xx in lanes(root)}
    assert [r for r, _, _ in lanes(root)] == ["UE", "eNB", "gNB", "MME", "SGW", "PGW", "HSS"]
    data = page_data(root)["messages"]
    x2 = [i for i, d in enumerate(data) if d["row"]["proto"] == "X2AP"]
    assert x2
    drawn = arrows(root)
    for i in x2:
        assert {drawn[i][1], drawn[i][2]} == {x["eNB"], x["gNB"]}, data[i]["row"]["msg"]


def test_chr_records_sit_once_on_the_radio_lanes_with_their_sources(endc_day):
    root = tree(run("timeline", "--imsi", ENDC_UE, "--format", "html", str(endc_day)))
    x = {r: xx for r, _, xx in lanes(root)}
    timeline = json.loads(run("timeline", "--imsi", ENDC_UE, "--format", "json", str(endc_day)))
    chr_rows = [m for m in timeline["messages"] if m["proto"] == "CHR"]
    events = {(m["ts"], m["msg"]) for m in chr_rows}
    assert len(chr_rows) == len(events)          # linking kept one export of each event ...
    copies = [m.get("copies") for p in timeline["procedures"] for m in p["messages"]
              if m["proto"] == "CHR"]
    assert copies and all(len(c) == 1 for c in copies)      # ... and names the other
    data = page_data(root)["messages"]
    shown = [d for d in data if d["row"]["proto"] == "CHR"]
    assert sorted((d["row"]["ts"], d["row"]["msg"]) for d in shown) == sorted(events)
    for d in shown:
        files = sorted(f.rsplit("/", 2)[-2] for f, _ in d["sources"])
        assert files == ["chr", "chr-csv"], d
    drawn = arrows(root)
    for i, d in enumerate(data):
        if d["row"]["proto"] == "CHR":
            cls, x1, x2 = drawn[i][:3]
            assert "chr" in cls and x1 == x["UE"] and x2 in (x["eNB"], x["gNB"])
            assert (x2 == x["gNB"]) == d["row"]["msg"].startswith(("SCG_", "SGNB_"))
    # the CHR procedures once too, not once per export
    kinds = [(p["kind"], tuple(p["msgs"])) for p in page_data(root)["procedures"]
             if all(data[i]["row"]["proto"] == "CHR" for i in p["msgs"])]
    assert len(kinds) == len(set(kinds)) and len({k for k, _ in kinds if k == "scg-failure"}) == 1


def test_the_radio_chart_shows_the_rules_thresholds_and_the_failure(endc_day):
    root = tree(run("diagnose", "--imsi", ENDC_UE, "--format", "html", str(endc_day)))
    data = page_data(root)["messages"]
    want = {}
    for d in data:
        for e in d["row"].get("meas", ()):
            want.setdefault(e["kind"], []).append(e["value"])
    series = {g.attrs["data-kind"]: g for g in root.all("g", "series")}
    assert set(series) == {"rsrp", "sinr", "ss_rsrp", "ss_sinr"} & set(want)
    assert "ss_rsrp" in series and "rsrp" in series
    for kind, g in series.items():
        points = list(g.all("circle"))
        assert len(points) == len(want[kind])
        assert [float(re.search(r" (-?[\d.]+) dB", p.first("title").string()).group(1))
                for p in points] == want[kind]
    rsrp_chart = next(s for s in root.all("svg", "chart") if s.attrs["data-chart"] == "rsrp-ss_rsrp")
    shown = {float(t.string().split()[0]) for t in (g.first("text") for g in
                                                      rsrp_chart.all("g", "threshold"))}
    limits = thresholds()
    assert shown == {v for k in ("rsrp", "ss_rsrp") for v, _ in limits[k]}
    assert -110.0 in shown and ["coverage"] in [c for v, c in limits["ss_rsrp"] if v == -110.0]
    fail = rsrp_chart.first("g", "failmark")
    assert fail is not None and "16:00:36" not in fail.first("title").string()   # UTC here
    # the SCG failure is the root cause, on the ladder too
    root_msgs = [d for d in data if d["mark"] == "root"]
    assert [d["row"]["msg"] for d in root_msgs] == ["SCG_FAILURE"]


def test_thresholds_follow_the_rules(monkeypatch):
    from chrtool.diagnose import catalogue
    rules = catalogue.rules()
    changed = [r for r in rules if r.when.get("meas") == {"kind": "rsrp", "at_most": -110.0}][0]
    monkeypatch.setattr(changed, "when", dict(changed.when, meas={"kind": "rsrp", "at_most": -113.0}))
    assert -113.0 in [v for v, _ in thresholds()["rsrp"]]


# ------------------------------------------------------------------ hand-made timelines
def row(frame, ts, msg, **kw):
    return dict({"file": "x.pcap", "frame": frame, "ts": ts, "proto": "S1AP", "msg": msg,
                 "src": "10.0.0.1", "dst": "10.0.0.2"}, **kw)


def test_what_the_page_shows_is_escaped():
    evil = "</script><img src=x onerror=alert(1)>&amp;"
    doc = {"complaint": "T<1>", "imsi": UE, "msisdn": None, "window": {"since": None,
           "until": None}, "inputs": ["<x>.pcap"], "sessions": 1, "common_problems": [],
           "findings": [{"time": "2026-11-27T09:00:00.000000Z", "procedure": "attach",
                         "failure_node": "MME", "interface": "S1-MME", "cause": None,
                         "category": "unknown", "specialty": "ran", "disposition": "dispatch",
                         "cell": {}, "evidence": [{"file": "x.pcap", "frame": 1, "msg": evil}],
                         "summary": evil, "reply": evil}]}
    timeline = {"imsi": UE, "msisdn": None, "procedures": [], "other_messages": [
        row(1, "2026-11-27T09:00:00.000000Z", evil, note=evil)]}
    page = report_html.report_html(timeline, doc)
    root = tree(page)
    assert [s.attrs.get("id") for s in root.all("script")] == ["data", None]   # no other script
    assert not list(root.all("img"))
    assert evil in root.first("section", "finding").string()             # shown as text
    assert page_data(root)["messages"][0]["row"]["note"] == evil         # and kept in the data


def test_long_labels_are_cut_with_the_full_text_on_hover():
    name = "SgNBModificationRequiredWithAVeryLongVendorSpecificSuffixThatCannotFit"
    page = report_html.report_html({"imsi": UE, "msisdn": None, "procedures": [],
                                    "other_messages": [row(1, "2026-11-27T09:00:00Z", name)]})
    [(cls, _, _, _, texts, title)] = arrows(tree(page)).values()
    assert texts[0].endswith("\u2026") and len(texts[0]) < len(name)
    assert name in title


def test_long_pauses_are_compressed_and_said():
    msgs = [row(1, "2026-11-27T09:00:00.000000Z", "A"), row(2, "2026-11-27T09:00:00.500000Z", "B"),
            row(3, "2026-11-27T10:00:00.500000Z", "C"), row(4, "2026-11-27T10:03:12.500000Z", "D")]
    root = tree(report_html.report_html({"imsi": UE, "msisdn": None, "procedures": [],
                                         "other_messages": msgs}))
    gaps = [g.first("text").string() for g in root.all("g", "gap")]
    assert gaps == ["\u22ef 1 h 00 min later \u22ef", "\u22ef 3 min 12 s later \u22ef"]
    ys = [a[3] for _, a in sorted(arrows(root).items())]
    assert [b - a for a, b in zip(ys, ys[1:])] == [ROW, ROW + GAP_ROW, ROW + GAP_ROW]


def test_thousands_of_messages_stay_one_row_each():
    from chrtool.table.names import iso
    n, t0 = 5000, 1_795_770_000 * 10**9
    msgs = [row(i, iso(t0 + i * 10**8), "UplinkNASTransport", enb_ue_s1ap_id=i) for i in range(n)]
    page = report_html.report_html({"imsi": UE, "msisdn": None, "procedures": [],
                                    "other_messages": msgs})
    root = tree(page)
    assert len(arrows(root)) == n and len(page_data(root)["messages"]) == n
    assert len(page) < 1200 * n                       # about a kilobyte a message, all told


def test_chr_only_subscriber_gets_the_ue_and_enb_lanes():
    chr_row = {"file": "c.chr", "frame": 1, "ts": "2026-11-27T09:01:07.310000Z", "proto": "CHR",
               "msg": "RADIO_LINK_FAILURE", "ecgi": "001-01-104961-3",
               "meas": [{"kind": "rsrp", "value": -118.0}]}
    root = tree(report_html.report_html({"imsi": UE, "msisdn": None, "procedures": [],
                                         "other_messages": [chr_row]}))
    assert [(r, n) for r, n, _ in lanes(root)] == [("UE", "the subscriber"),
                                                    ("eNB", "eNB 104961 (CHR)")]
    assert [g.attrs["data-kind"] for g in root.all("g", "series")] == ["rsrp"]


def test_timeline_html_has_the_ladder_and_no_findings(monkeypatch):
    root = tree(cli(monkeypatch, "timeline", "--imsi", UE, "--format", "html", CAPTURE))
    assert root.first("section", "finding") is None and arrows(root)
    assert "chrtool timeline" in root.first("h1").string()


def test_an_enb_and_an_mme_sharing_an_address_get_a_lane_each(monkeypatch):
    """open5gs's test bench runs eNB and MME on 127.0.0.1: S1AP goes between the two lanes by
    each message's direction, and an Error Indication (either side may send it) by its ports:
    frame 82, from the MME's port 36412 (tshark: sctp.srcport == 36412)."""
    capture = "tests/data/captures/open5gs/testcups_19b93606.pcapng"
    root = tree(cli(monkeypatch, "diagnose", "--imsi", "001010123456819", "--format", "html",
                    capture))
    x = {r: xx for r, _, xx in lanes(root)}
    assert [(r, n) for r, n, _ in lanes(root)][1:3] == [("eNB", "127.0.0.1"), ("MME", "127.0.0.1")]
    data = page_data(root)["messages"]
    drawn = arrows(root)
    for i, d in enumerate(data):
        if d["row"]["proto"] == "S1AP":
            assert {drawn[i][1], drawn[i][2]} == {x["eNB"], x["MME"]}, d["row"]["frame"]
    [err] = [i for i, d in enumerate(data) if d["sources"] == [[capture, 82]]]
    assert (drawn[err][1], drawn[err][2]) == (x["MME"], x["eNB"])
    assert data[err]["row"]["msg"] == "ErrorIndication" and data[err]["mark"] == "root"


def test_input_problems_are_listed_with_file_and_offset(monkeypatch):
    for cmd in ("diagnose", "timeline"):
        root = tree(cli(monkeypatch, cmd, "--imsi", UE, "--format", "html", "samples/"))
        items = [li.string() for li in root.first("ul", "problems").all("li")]
        assert "samples/chr_broken.chr offset 310: chr-v1: record length 3 is less than the " \
               "fixed 16 bytes: skipped to the next record marker" in items, cmd
