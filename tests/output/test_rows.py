"""chrtool/output/rows.py: the `chrtool decode` rows of DESIGN.md.

Against tshark on the shipped capture (names, times, addresses, NAS folding, which keys a frame
carries), and on small hand-built event tables for the rules a capture does not show on its own
(values held twice, absent values, IPv6, time truncation, ciphered NAS, several files).
"""
import datetime as dt
import re
from decimal import Decimal

import pytest

from chrtool.inputs.pipeline import Run
from chrtool.output.rows import apn_text, iter_rows
from chrtool.table.events import CAUSE_CODES, FLAGS, ITEM_KEYS, PROTO, X2AP_ID_KINDS, Events
from eventsutil import events, table
from oracle import CAPTURES, SAMPLES

CAPTURE = SAMPLES / "attach_reject.pcap"
SACK = re.compile(r"SACK \([^)]*\)\s*,?\s*")           # an SCTP SACK bundled before the message
K = ITEM_KEYS
S1AP, NAS = PROTO["S1AP"], PROTO["NAS-EPS"]
T0 = 1_795_770_000 * 10**9                 # 2026-11-27T09:00:00Z
PLMN_00101 = 0x00F110                      # PLMN-Identity 001/01 as three BCD octets
FIELDS = ["frame.number", "frame.time_epoch", "ip.src", "ip.dst", "_ws.col.Info",
          "s1ap.procedureCode", "s1ap.MME_UE_S1AP_ID", "s1ap.ENB_UE_S1AP_ID",
          "s1ap.CellIdentity", "s1ap.tAC", "nas_eps.emm.cause", "nas_eps.esm.cause"]


@pytest.fixture(scope="module")
def capture_rows():
    return list(iter_rows(Run([str(CAPTURE)]).events()))


@pytest.fixture(scope="module")
def tshark_frames(tshark):
    return {int(r[0]): dict(zip(FIELDS, r)) for r in tshark.fields(CAPTURE, *FIELDS)}


def split(text):
    return [v for v in text.split(",") if v]


def words(name):
    """'Attach reject (No Suitable Cells...)' / 'AttachReject' -> 'attachreject'."""
    return re.sub(r"[^a-z0-9]", "", re.sub(r"[(\[].*", "", name).lower())


def iso_of_epoch(text):
    """tshark's frame.time_epoch -> ISO-8601 UTC with microseconds (truncated, like a pcap)."""
    ns = int(Decimal(text) * 10**9)
    t = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(microseconds=ns // 1000)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# --------------------------------------------------------------------- against tshark
def test_rows_name_time_and_address_what_tshark_shows(capture_rows, tshark_frames):
    assert capture_rows, "no rows"
    for row in capture_rows:
        f = tshark_frames[row["frame"]]
        assert row["file"] == str(CAPTURE)
        assert row["ts"] == iso_of_epoch(f["frame.time_epoch"]), row["frame"]
        assert (row["src"], row["dst"]) == (f["ip.src"], f["ip.dst"]), row["frame"]


def test_s1ap_rows_fold_their_nas_messages_in_tshark_order(capture_rows, tshark_frames):
    s1ap = [r for r in capture_rows if r["proto"] == "S1AP"]
    assert not [r for r in capture_rows if r["proto"] == "NAS-EPS"]     # all folded into S1AP
    frames = [n for n, f in tshark_frames.items() if f["s1ap.procedureCode"]]
    assert [r["frame"] for r in s1ap] == frames                       # one S1AP PDU per frame
    with_nas = 0
    for row in s1ap:
        f = tshark_frames[row["frame"]]
        # tshark's Info column: the S1AP message, then each NAS message it carries, in order
        shown = [p.strip() for p in SACK.sub("", f["_ws.col.Info"]).split(", ")]
        ours = [row["msg"]] + [n["msg"] for n in row.get("nas", ())]
        assert [words(x) for x in ours] == [words(x) for x in shown], row["frame"]
        assert row["procedure_code"] == int(f["s1ap.procedureCode"])
        nas = row.get("nas", [])
        with_nas += bool(nas)
        assert [n["emm_cause"] for n in nas if "emm_cause" in n] == \
            [int(c) for c in split(f["nas_eps.emm.cause"])], row["frame"]
        assert [n["esm_cause"] for n in nas if "esm_cause" in n] == \
            [int(c) for c in split(f["nas_eps.esm.cause"])], row["frame"]
        assert all(n["ciphered"] is False for n in nas)              # the sample is plaintext
    assert with_nas >= 10


def test_s1ap_rows_have_a_key_only_when_the_frame_carries_it(capture_rows, tshark_frames):
    setups = 0
    for row in (r for r in capture_rows if r["proto"] == "S1AP"):
        f = tshark_frames[row["frame"]]
        if row["msg"] == "S1SetupRequest":     # the eNB's supported TAs, not a UE's TAI
            setups += 1
            assert "tac" not in row and row["tai"] == f"001-01-{f['s1ap.tAC']}"
            continue
        for key, field in (("mme_ue_s1ap_id", "s1ap.MME_UE_S1AP_ID"),
                           ("enb_ue_s1ap_id", "s1ap.ENB_UE_S1AP_ID"), ("tac", "s1ap.tAC")):
            # a UE-S1AP-IDs pair shows in tshark twice (item and generic field): one value here
            assert (key in row) == bool(f[field]), (row["frame"], key)
            if key in row:
                assert {row[key]} == {int(v) for v in split(f[field])}, (row["frame"], key)
        assert ("ecgi" in row) == bool(f["s1ap.CellIdentity"]), row["frame"]
        if "ecgi" in row:
            eci = int(split(f["s1ap.CellIdentity"])[0], 0)
            assert row["ecgi"] == f"001-01-{eci >> 8}-{eci & 0xFF}"
        for key, value in row.items():
            assert value not in (None, "", [], {}), (row["frame"], key)
    assert setups == 2


# ------------------------------------------------------------------- hand-built tables
def rows_of(spec_rows, file="mem.pcap"):
    return list(iter_rows(events(spec_rows, file)))


def test_a_bare_message_has_only_the_keys_it_carries():
    [row] = rows_of([dict(frame=3, ts_ns=T0, proto=S1AP)])
    assert row == {"file": "mem.pcap", "frame": 3, "ts": "2026-11-27T09:00:00.000000Z",
                   "proto": "S1AP"}


def test_times_are_utc_iso_with_microseconds_truncated():
    out = rows_of([dict(frame=1, ts_ns=T0 + 123_456_789, proto=S1AP),
                   dict(frame=2, ts_ns=0, proto=S1AP),
                   dict(frame=3, ts_ns=T0 + 999, proto=S1AP)])
    assert [r["ts"] for r in out] == ["2026-11-27T09:00:00.123456Z", "1970-01-01T00:00:00.000000Z",
                                      "2026-11-27T09:00:00.000000Z"]


def test_addresses_ipv4_and_ipv6():
    v6 = bytes.fromhex("20010db8000000000000000000000001")
    out = rows_of([dict(frame=1, ts_ns=T0, proto=S1AP, src=bytes([10, 20, 4, 21]),
                        dst=bytes([10, 10, 0, 1])),
                   dict(frame=2, ts_ns=T0, proto=S1AP, src=v6, dst=bytes(15) + b"\x01",
                        ip_version=6),
                   dict(frame=3, ts_ns=T0, proto=PROTO["CHR"])])
    assert (out[0]["src"], out[0]["dst"]) == ("10.20.4.21", "10.10.0.1")
    assert (out[1]["src"], out[1]["dst"]) == ("2001:db8::1", "::1")
    assert "src" not in out[2] and "dst" not in out[2]          # a CHR record has no addresses


def test_identities_cells_and_names():
    [row] = rows_of([dict(frame=7, ts_ns=T0, proto=S1AP, msg=12, procedure_code=12,
                          imsi="001010000000002", m_tmsi=0xC0DE0002, mme_ue_s1ap_id=5,
                          enb_ue_s1ap_id=830, plmn=PLMN_00101, eci=0x19A2201, tac=0x2A02,
                          teid=0x1234, nci=0x2B0401011, nr_plmn=PLMN_00101)])
    assert row["msg"] == "InitialUEMessage" and row["procedure_code"] == 12
    assert row["imsi"] == "001010000000002" and row["m_tmsi"] == 0xC0DE0002
    assert (row["mme_ue_s1ap_id"], row["enb_ue_s1ap_id"], row["teid"]) == (5, 830, 0x1234)
    assert row["ecgi"] == "001-01-104994-1"                      # eNB 0x19A22, cell 1
    assert row["nr_cgi"] == "001-01-11546923025" and row["tac"] == 10754


def test_values_held_twice_become_lists_under_the_same_key():
    radio_lost = (CAUSE_CODES["S1AP"], 0, 21)
    transport = (CAUSE_CODES["S1AP"], 1, 0)
    [row] = rows_of([dict(frame=1, ts_ns=T0, proto=S1AP, msg=23, mme_ue_s1ap_id=7,
                          cause_proto=radio_lost[0], cause_group=0, cause_value=21,
                          items=[(K["s1ap_ids"], 7, 9), (K["s1ap_ids"], 8, 10),
                                 (K["s1ap_ids"], 8, 10),                     # the same pair again
                                 (K["cause"], *transport, 5), (K["cause"], *transport, 6),
                                 (K["cause"], *radio_lost, -1)])])   # a second Cause IE of the same value
    assert row["mme_ue_s1ap_id"] == [7, 8] and row["enb_ue_s1ap_id"] == [9, 10]
    rnl = {"proto": "S1AP", "group": "radioNetwork", "value": 21,
           "name": "radio-connection-with-ue-lost"}
    tr = {"proto": "S1AP", "group": "transport", "value": 0,
          "name": "transport-resource-unavailable"}
    # each cause item is a cause the message carries, so equal ones are all kept (as tshark
    # lists five Result-Codes of 2001 in a Credit-Control-Answer)
    assert row["cause"] == [rnl, dict(tr, context=5), dict(tr, context=6), rnl]


def test_a_value_held_once_stays_a_scalar():
    [row] = rows_of([dict(frame=1, ts_ns=T0, proto=S1AP, mme_ue_s1ap_id=7, enb_ue_s1ap_id=9,
                          items=[(K["s1ap_ids"], 7, 9)])])
    assert row["mme_ue_s1ap_id"] == 7 and row["enb_ue_s1ap_id"] == 9


def test_x2ap_ids_by_kind():
    ids = {name: kind for kind, name in X2AP_ID_KINDS.items()}
    [row] = rows_of([dict(frame=1, ts_ns=T0, proto=PROTO["X2AP"],
                          items=[(K["x2ap_ids"], ids["old_enb_ue_x2ap_id"], 11),
                                 (K["x2ap_ids"], ids["new_enb_ue_x2ap_id"], 12),
                                 (K["x2ap_ids"], ids["sgnb_ue_x2ap_id"], 13),
                                 (K["x2ap_ids"], ids["sgnb_ue_x2ap_id"], 14)])])
    assert (row["old_enb_ue_x2ap_id"], row["new_enb_ue_x2ap_id"]) == (11, 12)
    assert row["sgnb_ue_x2ap_id"] == [13, 14] and "menb_ue_x2ap_id" not in row


def test_nas_messages_fold_into_their_carrier_depth_first():
    emm, esm = CAUSE_CODES["EMM"], CAUSE_CODES["ESM"]
    out = rows_of([
        dict(frame=1, ts_ns=T0, proto=S1AP, msg=11),                         # DownlinkNASTransport
        dict(frame=1, ts_ns=T0, proto=NAS, parent=0, msg=0x44, cause_proto=emm, cause_value=15),
        dict(frame=1, ts_ns=T0, proto=NAS, parent=1, msg=0xD1, cause_proto=esm, cause_value=27),
        dict(frame=1, ts_ns=T0, proto=NAS, parent=0, msg=0x61),              # a second NAS PDU
        dict(frame=2, ts_ns=T0 + 1000, proto=S1AP, msg=13),
        dict(frame=2, ts_ns=T0 + 1000, proto=NAS, parent=4, msg=0x200, flags=FLAGS["ciphered"]),
        dict(frame=3, ts_ns=T0 + 2000, proto=NAS, msg=0x45),                 # no carrier
    ])
    assert [(r["frame"], r["proto"]) for r in out] == [(1, "S1AP"), (2, "S1AP"), (3, "NAS-EPS")]
    assert out[0]["msg"] == "DownlinkNASTransport"
    assert out[0]["nas"] == [{"msg": "AttachReject", "emm_cause": 15, "ciphered": False},
                             {"msg": "PDNConnectivityReject", "esm_cause": 27, "ciphered": False},
                             {"msg": "EMMInformation", "ciphered": False}]
    assert out[1]["nas"] == [{"msg": None, "ciphered": True}]          # never guessed
    assert out[2]["msg"] == "DetachRequest"
    assert out[2]["nas"] == [{"msg": "DetachRequest", "ciphered": False}]
    assert "cause" not in out[0]                  # NAS causes stay in the nas list


def test_rows_in_file_and_frame_order_or_in_time_order():
    a = table([dict(frame=2, ts_ns=T0 + 5, proto=S1AP), dict(frame=1, ts_ns=T0 + 9, proto=S1AP)],
              file="a.pcap", file_id=0)
    b = table([dict(frame=1, ts_ns=T0 + 7, proto=S1AP)], file="b.pcap", file_id=1)
    ev = Events.concat([b, a], {0: "a.pcap", 1: "b.pcap"})
    assert [(r["file"], r["frame"]) for r in iter_rows(ev)] == \
        [("a.pcap", 1), ("a.pcap", 2), ("b.pcap", 1)]
    assert [(r["file"], r["frame"]) for r in iter_rows(ev, by_time=True)] == \
        [("a.pcap", 2), ("b.pcap", 1), ("a.pcap", 1)]


def test_flags_and_measurements():
    [row] = rows_of([dict(frame=1, ts_ns=T0, proto=S1AP,
                          flags=FLAGS["malformed"] | FLAGS["reassembled"] | FLAGS["request"],
                          items=[(K["meas"], 1, -11250, -1, 1850 << 10 | 172)])])
    assert row["malformed"] is True and row["reassembled"] is True and "truncated" not in row
    assert "request" not in row                                  # internal flags stay internal
    assert row["meas"] == [{"kind": "rsrp", "value": -112.5, "arfcn": 1850, "pci": 172}]


def test_apn_text_from_wire_labels():
    assert apn_text(b"\x08internet\x03mnc\x03001") == "internet.mnc.001"
    assert apn_text(b"") == ""


# ------------------------------------------------------------------ bearers and tunnel endpoints
OPEN5GS_ATTACH = CAPTURES / "open5gs" / "testattach.pcapng"


def test_bearers_and_fteids_agree_with_tshark(tshark):
    """Each GTPv2 frame's bearer QCIs and F-TEID interface types are tshark's, in order; an
    F-TEID inside a bearer context names that bearer's EBI."""
    fields = ["frame.number", "gtpv2.bearer_qos_label_qci", "gtpv2.f_teid_interface_type"]
    want = {int(r[0]): r for r in tshark.fields(OPEN5GS_ATTACH, *fields, filter="gtpv2")}
    got = {r["frame"]: r for r in iter_rows(Run([str(OPEN5GS_ATTACH)]).events())
           if r["proto"] == "GTPv2"}
    assert set(got) == set(want) and len(want) >= 8
    seen_bearer_fteid = False
    for frame, (_, qci, ifaces) in want.items():
        row = got[frame]
        bearers = row.get("bearers", [])
        assert [str(b["qci"]) for b in bearers if "qci" in b] == split(qci), frame
        fteids = row.get("fteid", [])
        fteids = fteids if isinstance(fteids, list) else [fteids]
        assert [str(f["interface"]) for f in fteids] == split(ifaces), frame
        ebis = {b["ebi"] for b in bearers}
        for f in fteids:
            if "ebi" in f:
                seen_bearer_fteid = True
                assert f["ebi"] in ebis, frame
    assert seen_bearer_fteid
