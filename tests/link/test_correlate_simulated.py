"""Linking a simulated network day (chrtool simulate, with all its noise: IDs reused after
release, M-TMSIs handed to later subscribers, X2 handovers, EN-DC legs, rotated files, a second
probe on S11/S5/S6a, clock skew, SCTP retransmissions) against its truth.json."""
import json

import numpy as np
import pytest
from click.testing import CliRunner

from chrtool.cli import main
from chrtool.inputs.pipeline import Run
from chrtool.link.correlate import correlate
from chrtool.link.procedures import build

pytest.importorskip("pycrate_asn1rt")


@pytest.fixture(scope="module")
def day(tmp_path_factory):
    out = tmp_path_factory.mktemp("day")
    names = ["healthy"] * 10 + ["hss-user-unknown", "ho-prep-failure", "endc-reject-congestion",
                                "pgw-reject", "auth-resync"]
    args = [a for n in names for a in ("--scenario", n)]
    r = CliRunner().invoke(main, ["simulate", "-o", str(out), "--seed", "5", "--ues",
                                  str(len(names)), "--hours", "0.5", "--files", "3",
                                  "--chr-format", "chr-v1,xml", *args])
    assert r.exit_code == 0, r.output
    truth = json.loads((out / "truth.json").read_text())["ues"]
    ev = Run([str(out)]).events()
    return truth, ev, correlate(ev), out


def test_every_subscriber_is_one_ue_and_no_two_imsis_meet(day):
    truth, ev, s, _ = day
    imsis = ev.digits_column("imsi")
    msisdns = set(ev.digits_column("msisdn").tolist())
    for u in truth:
        found = s.find(imsi=u["imsi"])
        assert len(found) == 1, u["imsi"]
        ue = found[0]
        # the MSISDN, wherever the inputs carry it (an HSS that does not know the IMSI sends none)
        assert ue.msisdn == (u["msisdn"] if u["msisdn"].encode() in msisdns else "")
        seen = {x.decode() for x in imsis[s.rows_of(ue.index, duplicates=True)].tolist()} - {""}
        assert seen == {u["imsi"]}, u["imsi"]
    assert s.conflicts == []


def test_the_noise_is_seen_through(day):
    truth, ev, s, _ = day
    counts = s.counts()
    assert counts["duplicates"] > 0                  # the second probe's copies count once
    assert {"handover", "s-tmsi", "exchange"} <= set(counts["links"])
    # every UE-associated S1AP message belongs to a subscriber with an IMSI
    s1 = (ev.cols["proto"] == 1) & ((ev.cols["mme_ue_s1ap_id"] >= 0) | (ev.cols["enb_ue_s1ap_id"] >= 0))
    owners = s.ue_of_row[s1]
    assert (owners >= 0).all()
    assert all(s.ues[i].imsi for i in np.unique(owners).tolist())


def test_their_attaches_end_as_the_truth_says(day):
    truth, ev, s, _ = day
    procs = build(ev, s)
    by_imsi = {u["imsi"]: u for u in truth}
    for p in procs:
        if p.kind != "attach" or p.parent >= 0:
            continue
        scenario = by_imsi[s.ues[p.ue].imsi]["scenario"]
        if scenario in ("hss-user-unknown", "pgw-reject"):
            assert p.outcome in ("reject", "abandoned"), scenario
        elif scenario in ("healthy", "auth-resync", "ho-prep-failure", "endc-reject-congestion"):
            assert p.outcome in ("success", "open"), (scenario, p.outcome)
    rejected = {s.ues[p.ue].imsi for p in procs if p.kind == "attach" and p.outcome == "reject"}
    assert rejected == {u["imsi"] for u in truth if u["scenario"] in ("hss-user-unknown",
                                                                       "pgw-reject")}


def test_the_clock_skew_option_decides_what_is_a_copy(day):
    _, _, s, out = day

    def dups(*opts):
        r = CliRunner().invoke(main, ["stats", "--subscribers", "--json", *opts, str(out)])
        assert r.exit_code == 0, r.output
        return json.loads(r.stdout)["linking"]["duplicates"]
    assert dups() == s.counts()["duplicates"] > 0
    # probe B's clock runs a few ms behind: with no skew allowed only the eNB traces' copies,
    # written at the message's own time, still fold
    assert 0 < dups("--clock-skew", "0") < dups()


def test_an_enb_trace_of_a_captured_message_is_a_copy_of_it(day):
    """The eNB's 32.423 trace holds the S1AP/X2AP messages the probe captured too: each counts
    once, as the capture's row (the one with addresses)."""
    _, ev, s, _ = day
    ip, proto, parent = ev.cols["ip_version"], ev.cols["proto"], ev.cols["parent"]
    traced = np.flatnonzero((ip == 0) & np.isin(proto, [1, 2]) & (parent < 0))
    assert len(traced) > 100
    folded = s.duplicate_of_row[traced]
    assert (folded >= 0).mean() > 0.9                      # queued messages may differ in time
    assert (ip[folded[folded >= 0]] != 0).all()            # the original is the captured one
    payload = lambda r: ev.bytes_at(ev.cols["payload_off"][r], ev.cols["payload_len"][r])
    assert all(payload(r) == payload(o) for r, o in zip(traced.tolist(), folded.tolist()) if o >= 0)


def test_nr_legs_follow_the_s1u_tunnel_as_the_chr_names_them(day, monkeypatch):
    """Two independent ways to an NR leg's subscriber must agree: the S1-U uplink tunnel its
    SgNB Addition Request shares with the subscriber's E-RAB (the captures alone), and the
    MeNB UE X2AP ID the eNB's CHR records beside the IMSI (tunnels ignored)."""
    import chrtool.link.correlate as corr
    _, _, _, out = day
    alone = Run([str(out / "capture")]).events()
    by_tunnel = correlate(alone)
    x2 = np.flatnonzero(alone.cols["proto"] == 2)
    assert len(x2) and "tunnel" in by_tunnel.counts()["links"]
    monkeypatch.setattr(corr, "_nr_leg_tunnels", lambda lc, conns: {})
    ev = Run([str(out)]).events()
    by_chr = correlate(ev)
    assert "chr" in by_chr.counts()["links"]

    def owner(e, s, rows):
        files = {i: p.rsplit("/", 1)[-1] for i, p in e.files.items()}
        return {(files[int(e.cols["file_id"][r])], int(e.cols["frame"][r])):
                s.ues[s.ue_of_row[r]].imsi if s.ue_of_row[r] >= 0 else None for r in rows}
    a = owner(alone, by_tunnel, x2.tolist())
    b = owner(ev, by_chr, np.flatnonzero(ev.cols["proto"] == 2).tolist())
    shared = [k for k in a if k in b]
    assert len(shared) == len(a) and all(a[k] for k in shared)
    assert [a[k] for k in shared] == [b[k] for k in shared]
    kinds = {corr.LINK_KINDS[by_tunnel.link_of_row[r]] for r in x2.tolist()}
    assert "time-window" not in kinds
