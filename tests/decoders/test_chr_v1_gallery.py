"""Gallery round-trips of the chr-v1 declaration (decoders/chr_v1.py): parse, build, sizeof.

(Named *_gallery so its module name does not clash with tests/_fast/test_chr_v1.py: the suite
runs in pytest's default prepend import mode, where two test files may not share a basename.)
"""
import pytest
from construct import ConstError, StreamError

from chrtool.decoders import chr_v1 as spec

T0 = 1_795_770_000 * 10**9     # 2026-11-27T09:00:00Z


def roundtrip(con, value):
    raw = con.build(value)
    back = con.parse(raw)
    assert con.build(back) == raw
    return raw, back


@pytest.mark.parametrize("con, size", [(spec.Cell, 12), (spec.STmsi, 5), (spec.Cause, 3),
                                       (spec.ProtoCause, 4), (spec.Meas, 10), (spec.Erab, 5)])
def test_fixed_sizes(con, size):
    assert con.sizeof() == size


def test_identity_sizes_match_declaration():
    fields = {"cell": spec.Cell, "imsi": 8, "s_tmsi": spec.STmsi}
    for name, size in spec.IDENTITY_SIZES.items():
        want = fields.get(name, 4 if name not in ("crnti",) else 2)
        want = want.sizeof() if hasattr(want, "sizeof") else want
        assert size == want, name


def test_header_roundtrip():
    hdr = spec.header(T0, ne_name="ENB-SH-PD-0421", ne_id=0x19A21)
    raw, back = roundtrip(spec.FileHeader, hdr)
    assert raw[:8] == spec.MAGIC == b"\x89CHR\r\n\x1a\n"
    assert back.header_len == len(raw) == spec.HEADER_FIXED + len("ENB-SH-PD-0421")
    assert (back.ne_type, back.ne_plmn, back.ne_id, back.start_time_ns) == ("eNB", "00101",
                                                                            0x19A21, T0)


def test_header_extension_is_kept_and_skipped():
    hdr = spec.header(T0, ne_name="x", version=(1, 3), extension=b"\x01\x02\x03")
    raw, back = roundtrip(spec.FileHeader, hdr)
    assert back.extension == b"\x01\x02\x03" and back.header_len == len(raw)


def test_bad_magic():
    raw = bytearray(spec.FileHeader.build(spec.header(T0)))
    raw[1] = ord("X")
    with pytest.raises(ConstError):
        spec.FileHeader.parse(bytes(raw))


def test_plmn_and_tbcd():
    assert spec.plmn_encode("00101") == bytes.fromhex("00f110")
    assert spec.plmn_decode(bytes.fromhex("00f110")) == "00101"
    assert spec.plmn_decode(spec.plmn_encode("310410")) == "310410"
    assert spec.plmn_int("00101") == 0x00F110
    assert spec.tbcd_decode(spec.tbcd_encode("001010000000001", 8)) == "001010000000001"
    with pytest.raises(ValueError):
        spec.plmn_encode("0010")


EXAMPLES = [
    spec.record("RRC_CONN_SETUP", T0, [spec.p_cause("rrc-setup-result", "success"),
                                       ("est_cause", 4)],
                cell=dict(kind="ecgi", plmn="00101", cell_id=0x19A2101), imsi="001010000000004",
                s_tmsi=dict(mmec=1, m_tmsi=0xC0DE0004), crnti=0x4604, tac=0x2A01),
    spec.record("MEAS_REPORT", T0 + 1, [spec.p_meas("rsrp", -112.5),
                                        spec.p_meas("rsrp", -101, True, 172, 1850),
                                        spec.p_meas("ss_rsrp", -124, pci=311, arfcn=627264)],
                enb_ue_s1ap_id=304, mme_ue_s1ap_id=5004),
    spec.record("SCG_FAILURE", T0 + 2, [spec.p_cause("scg-failure", "t310-Expiry"),
                                        spec.p_cell("secondary_cell", "nr_cgi", "00101",
                                                    0x2B0401011)],
                menb_ue_x2ap_id=104, sgnb_ue_x2ap_id=7004),
    spec.record("HO_RESULT", T0 + 3, [spec.p_cell("target_cell", "ecgi", "00101", 0x19A2202),
                                      spec.p_cause("ho-result", "success"),
                                      spec.p_proto_cause("X2AP", 0, 2)]),
    spec.record("ERAB_SETUP", T0 + 4, [spec.p_erab(5, 9), spec.p_erab(6, 1, "erab",
                                                                      "no-radio-resources")]),
    spec.record("S1AP_MESSAGE", T0 + 5, [("raw_pdu", bytes.fromhex("0012001500000300"))],
                imsi="001010000000005"),
    spec.record("RRC_MESSAGE", T0 + 6, [("rrc_raw", b"\x08\x10")]),
    spec.record(0x7777, T0 + 7, [(200, b"future parameter")]),      # unknown event and tag
]


@pytest.mark.parametrize("rec", EXAMPLES, ids=lambda r: spec.EVENTS.get(r["event"], "unknown"))
def test_record_roundtrip(rec):
    raw, back = roundtrip(spec.Record, rec)
    assert int.from_bytes(raw[:2], "little") == len(raw)
    assert raw[2:4] == spec.SYNC
    assert back.event == rec["event"] and back.ts_ns == rec["ts_ns"]
    for name in spec.PRESENT:
        assert (back[name] is None) == (rec[name] is None), name
    assert len(back.params) == len(rec["params"])


def test_file_roundtrip_and_reference_reader():
    data = spec.build_file(spec.header(T0), EXAMPLES)
    recs = list(spec.iter_records(data))
    assert [r.event for _, r in recs] == [r["event"] for r in EXAMPLES]
    assert recs[0][0] == spec.FileHeader.parse(data).header_len


def test_parameter_longer_than_known_is_accepted():
    """A later minor version may append fields to a parameter: readers ignore the extra bytes."""
    rec = spec.record("RADIO_LINK_FAILURE", T0, [spec.p_cause("rlf", "t310-Expiry")])
    raw = bytearray(spec.Record.build(rec))
    # grow the cause parameter from 3 to 5 bytes
    i = spec.RECORD_FIXED
    assert raw[i] == spec.PARAM_TAGS["cause"]
    raw[i + 1:i + 3] = (5).to_bytes(2, "little")
    raw += b"\xee\xee"
    raw[0:2] = len(raw).to_bytes(2, "little")
    back = spec.Record.parse(bytes(raw))
    assert spec.cause_name(int(back.params[0].value.kind), back.params[0].value.value) == \
        "t310-Expiry"


def test_truncated_record_raises():
    raw = spec.Record.build(EXAMPLES[1])
    with pytest.raises((StreamError, Exception)):
        spec.Record.parse(raw[:-3])


def test_cause_tables():
    assert spec.cause_name(11, 0) == "t310-Expiry"
    assert spec.cause_value("scg-failure", "scg-ChangeFailure") == (11, 6)
    assert spec.cause_name(5, 99) == ""
    # 36.331 orders kept where the table claims them
    assert spec.CAUSES[3] == ["reconfigurationFailure", "handoverFailure", "otherFailure"]
    assert spec.CAUSES[11][:6] == ["t310-Expiry", "randomAccessProblem", "rlc-MaxNumRetx",
                                   "synchReconfigFailure-SCG", "scg-reconfigFailure",
                                   "srb3-IntegrityFailure"]
