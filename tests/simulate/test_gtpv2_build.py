"""chrtool.simulate.gtpv2_build: S11 messages dissect cleanly in tshark, decode back with
pycrate_mobile.TS29274_GTPC, and chrtool's own decoder reads IMSI, MSISDN, MEI, causes and TEIDs."""
import pytest
from pycrate_mobile.TS29274_GTPC import parse_GTPC

from chrtool._fast.events import FLAGS
from chrtool.table.events import PROTO
from chrtool.inputs.pipeline import Run
from chrtool.simulate import gtpv2_build as g
from chrtool.simulate import pcap_writer as pw

IMSI, MSISDN, IMEISV = "001010000000001", "8613912340001", "3529061100000101"
MME_IP, SGW_IP = "10.10.0.1", "10.10.1.11"
F = g.Fteid
MME_C, SGW_C = F(g.IF_S11_MME, 0x0A000011, MME_IP), F(g.IF_S11S4_SGW, 0x5B000022, SGW_IP)
PGW_C, PGW_U = F(g.IF_S5S8_PGW_C, 0x7C000033, "10.10.1.21"), F(g.IF_S5S8_PGW_U, 0x7C000044, "10.10.1.22")
S1U_SGW, S1U_ENB = F(g.IF_S1U_SGW, 0x1A2B3C4D, "10.10.1.1"), F(g.IF_S1U_ENB, 0x5E6F7081, "10.20.4.21")
TAI, ECGI = ("00101", 0x2A01), ("00101", 0x19A2101)

# (name, side 0 MME / 1 SGW, message type, message)
MESSAGES = [
    ("CSReq", 0, 32, g.create_session_request(
        seq=0x101, imsi_=IMSI, msisdn_=MSISDN, imeisv=IMEISV, tai=TAI, ecgi=ECGI, serving_plmn="00101",
        mme_c=MME_C, pgw_c=F(g.IF_S5S8_PGW_C, 0, PGW_C.ip), apn_="internet", recovery_=7)),
    ("CSResp", 1, 33, g.create_session_response(
        seq=0x101, mme_teid=MME_C.teid, sgw_c=SGW_C, pgw_c=PGW_C, ue_ip="10.45.7.9", s1u_sgw=S1U_SGW,
        s5u_pgw=PGW_U, recovery_=3)),
    ("MBReq", 0, 34, g.modify_bearer_request(seq=0x102, sgw_teid=SGW_C.teid, s1u_enb=S1U_ENB)),
    ("MBResp", 1, 35, g.modify_bearer_response(seq=0x102, mme_teid=MME_C.teid, s1u_sgw=S1U_SGW)),
    ("RABReq", 0, 170, g.release_access_bearers_request(seq=0x103, sgw_teid=SGW_C.teid)),
    ("RABResp", 1, 171, g.release_access_bearers_response(seq=0x103, mme_teid=MME_C.teid)),
    ("DSReq", 0, 36, g.delete_session_request(seq=0x104, sgw_teid=SGW_C.teid, tai=TAI, ecgi=ECGI)),
    ("DSResp", 1, 37, g.delete_session_response(seq=0x104, mme_teid=MME_C.teid)),
]


@pytest.fixture(scope="module")
def pcap(tmp_path_factory):
    ips = (MME_IP, SGW_IP)
    packets = [pw.udp_packet(ips[s], ips[1 - s], pw.PORT_GTPC, pw.PORT_GTPC, m, ident=i)
               for i, (_n, s, _t, m) in enumerate(MESSAGES)]
    path = tmp_path_factory.mktemp("gtpv2") / "s11.pcap"
    pw.write_pcap(path, [(1_790_000_000_000_000_000 + i * 1_000_000, p) for i, p in enumerate(packets)])
    return path


def ies(msg):
    """{IE type: [(instance, value element)]} of a pycrate message, one level deep."""
    out = {}
    for e in msg[1]:
        out.setdefault(e[0]["Type"].get_val(), []).append((e[0]["Inst"].get_val(), e))
    return out


def test_header_layout():
    csr = MESSAGES[0][3]
    assert csr[0] == 0x48 and csr[1] == 32 and int.from_bytes(csr[2:4], "big") == len(csr) - 4
    assert csr[4:8] == bytes(4) and csr[8:11] == (0x101).to_bytes(3, "big") and csr[11] == 0
    assert g.ie(g.IE_EBI, b"\x05", 1) == bytes.fromhex("4900010105")
    assert g.imsi(IMSI) == bytes.fromhex("0100080000010100000000f1")      # TBCD, filler F
    assert g.fteid(S1U_ENB) == bytes.fromhex("57000900805e6f70810a140415")
    assert g.uli(TAI, ECGI)[4:] == bytes.fromhex("18 00f110 2a01 00f110 019a2101".replace(" ", ""))


@pytest.mark.parametrize("name, side, mtype, raw", MESSAGES, ids=[m[0] for m in MESSAGES])
def test_pycrate_decodes_back(name, side, mtype, raw):
    msg, err = parse_GTPC(raw)
    assert err == 0, err
    assert msg.to_bytes() == raw
    hdr = msg[0]
    assert hdr["Type"].get_val() == mtype and hdr["T"].get_val() == 1
    assert hdr["TEID"].get_val() == (0 if name == "CSReq" else
                                     SGW_C.teid if side == 0 else MME_C.teid)
    got = ies(msg)
    if name == "CSReq":
        assert got[1][0][1][1].decode() == IMSI
        assert got[76][0][1][1].decode() == MSISDN
        assert got[75][0][1][1].decode() == IMEISV
        assert got[82][0][1][1].to_bytes() == b"\x06"                # E-UTRAN
        fteids = {inst: e[1] for inst, e in got[87]}
        assert fteids[0]["TEID_GREKey"].get_val() == MME_C.teid
        assert fteids[0]["IF"].get_val() == g.IF_S11_MME
        assert fteids[1]["IF"].get_val() == g.IF_S5S8_PGW_C
        assert [inst for inst, _ in got[93]] == [0]
    if name in ("CSResp", "MBResp", "RABResp", "DSResp"):
        assert got[2][0][1][1]["Val"].get_val() == g.REQUEST_ACCEPTED
    if name == "CSResp":
        fteids = {inst: e[1] for inst, e in got[87]}
        assert fteids[0]["TEID_GREKey"].get_val() == SGW_C.teid
        assert fteids[2]["TEID_GREKey"].get_val() == PGW_C.teid
        assert got[79][0][1][1]["PDNType"].get_val() == 1
        assert got[79][0][1][1]["PDNAddress"].get_val() == bytes([10, 45, 7, 9])


def test_tshark_dissects_without_problems(pcap, tshark):
    assert tshark.problems(pcap) == []
    rows = tshark.fields(pcap, "gtpv2.message_type", "gtpv2.teid", "gtpv2.seq", "e212.imsi",
                         "e164.msisdn", "gtpv2.mei", "gtpv2.cause", "gtpv2.f_teid_gre_key",
                         "gtpv2.rat_type", "gtpv2.apn", "gtpv2.pdn_addr_and_prefix.ipv4",
                         "gtpv2.ecgi_eci", "gtpv2.tai_tac", "gtpv2.oi")
    assert [int(r[0]) for r in rows] == [m[2] for m in MESSAGES]
    csr, csresp, mbr, mbresp, _rab, _rabr, dsr, _dsresp = rows
    assert csr[3:6] == [IMSI, MSISDN, IMEISV]
    assert csr[8:10] == ["6", "internet"] and csr[11] == str(ECGI[1]) and int(csr[12], 0) == TAI[1]
    assert csresp[6] == "16,16" and csresp[10] == "10.45.7.9"
    assert {int(x, 16) if x.startswith("0x") else int(x) for x in csresp[7].split(",")} == \
        {SGW_C.teid, PGW_C.teid, S1U_SGW.teid, PGW_U.teid}
    assert int(mbr[1], 0) == SGW_C.teid
    assert mbresp[6] == "16,16" and mbr[2] == mbresp[2]
    assert dsr[13] == "1"


def test_chrtool_reads_identities_causes_and_teids(pcap):
    ev = Run([str(pcap)]).events()
    c = ev.cols
    rows = [r for r in range(ev.n) if c["proto"][r] == PROTO["GTPv2"]]
    assert [int(c["msg"][r]) for r in rows] == [m[2] for m in MESSAGES]
    by = {name: r for (name, *_), r in zip(MESSAGES, rows)}
    assert ev.digits("imsi", by["CSReq"]) == IMSI
    assert ev.digits("msisdn", by["CSReq"]) == MSISDN
    assert ev.digits("imei", by["CSReq"]) == IMEISV
    assert int(c["eci"][by["CSReq"]]) == ECGI[1] and int(c["tac"][by["CSReq"]]) == TAI[1]
    for name in ("CSResp", "MBResp", "RABResp", "DSResp"):
        assert int(c["cause_value"][by[name]]) == 16, name
    assert int(c["teid"][by["MBReq"]]) == SGW_C.teid and int(c["teid"][by["CSResp"]]) == MME_C.teid
    assert int(c["seq"][by["CSReq"]]) == int(c["seq"][by["CSResp"]]) == 0x101
    fteids = ev.items_of("fteid")
    announced = set(fteids["b"][fteids["row"] == by["CSResp"]].tolist())
    assert {SGW_C.teid, PGW_C.teid, S1U_SGW.teid, PGW_U.teid} <= announced
    assert not any(int(c["flags"][r]) & FLAGS["malformed"] for r in rows)


def test_helpers():
    assert g.tbcd("8613912340001") == bytes.fromhex("683119320400f1")
    assert g.plmn("310410") == bytes.fromhex("130014")
    assert g.bearer_qos(9, 15)[4:6] == bytes([0x7C, 9])          # PCI=1, PL=15, PVI=0
    assert g.ue_time_zone(32)[4] == 0x23                          # UTC+8, swapped BCD
    assert g.header(1, 0, teid=None, seq=5) == bytes.fromhex("4001000400000500")


# dedicated bearers: (name, sender, receiver, message type, message)
PGW_S5C, SGW_S5C = "10.10.1.21", SGW_IP
TFT = bytes.fromhex("2131000e100a630005ffffffff301150138c")   # create, one bidirectional filter
S5U_SGW = F(g.IF_S5S8_SGW_U, 0x33000001, "10.10.1.1")
BEARER = [
    ("CBReq-S5", PGW_S5C, SGW_S5C, 95, g.create_bearer_request(
        seq=0x201, teid=0x44000001, linked_ebi=5, tft=TFT, qci=7, priority=9, uplink=PGW_U, charging=0xCAFE)),
    ("CBReq-S11", SGW_IP, MME_IP, 95, g.create_bearer_request(
        seq=0x202, teid=MME_C.teid, linked_ebi=5, tft=TFT, qci=7, priority=9, uplink=S1U_SGW, s5u_pgw=PGW_U)),
    ("CBResp-S11", MME_IP, SGW_IP, 96, g.create_bearer_response(
        seq=0x202, teid=SGW_C.teid, ebi_=6, s1u_enb=S1U_ENB, s1u_sgw=S1U_SGW)),
    ("CBResp-S5", SGW_S5C, PGW_S5C, 96, g.create_bearer_response(
        seq=0x201, teid=PGW_C.teid, ebi_=6, s5u_sgw=S5U_SGW, s5u_pgw=PGW_U)),
    ("CBResp-reject", MME_IP, SGW_IP, 96, g.create_bearer_response(
        seq=0x203, teid=SGW_C.teid, ebi_=6, cause_=g.NO_RESOURCES_AVAILABLE, s1u_enb=S1U_ENB)),
    ("DBReq", SGW_IP, MME_IP, 99, g.delete_bearer_request(seq=0x204, teid=MME_C.teid, ebis=[6])),
    ("DBResp", MME_IP, SGW_IP, 100, g.delete_bearer_response(seq=0x204, teid=SGW_C.teid, ebis=[6])),
]


@pytest.mark.parametrize("name, _src, _dst, mtype, raw", BEARER, ids=[b[0] for b in BEARER])
def test_dedicated_bearer_messages_decode_back_with_pycrate(name, _src, _dst, mtype, raw):
    msg, err = parse_GTPC(raw)
    assert err == 0, err
    assert msg.to_bytes() == raw and msg[0]["Type"].get_val() == mtype
    got = ies(msg)
    ctx = {e[0]["Type"].get_val(): e for e in got[93][0][1][1]} if 93 in got else {}   # bearer context IEs
    if mtype == 95:
        assert got[73][0][1][1].to_bytes() == b"\x05"                   # linked EBI
        assert ctx[73][1].to_bytes() == b"\x00" and ctx[84][1].to_bytes() == TFT
        fteids = [(e[0]["Inst"].get_val(), e[1]["IF"].get_val()) for e in got[93][0][1][1]
                  if e[0]["Type"].get_val() == 87]
        assert fteids == ([(1, g.IF_S5S8_PGW_U)] if name.endswith("S5") else
                          [(0, g.IF_S1U_SGW), (1, g.IF_S5S8_PGW_U)])
    if name == "CBResp-reject":
        assert got[2][0][1][1]["Val"].get_val() == 73 and 87 not in ctx


def test_dedicated_bearer_messages_dissect_in_tshark(tmp_path, tshark):
    packets = [pw.udp_packet(src, dst, pw.PORT_GTPC, pw.PORT_GTPC, m, ident=i)
               for i, (_n, src, dst, _t, m) in enumerate(BEARER)]
    path = tmp_path / "bearer.pcap"
    pw.write_pcap(path, [(1_790_000_000_000_000_000 + i * 1_000_000, p) for i, p in enumerate(packets)])
    assert tshark.problems(path) == []
    rows = tshark.fields(path, "gtpv2.message_type", "gtpv2.seq", "gtpv2.cause", "gtpv2.ebi",
                         "gtpv2.bearer_qos_label_qci", "gtpv2.f_teid_interface_type", "gsm_a.gm.sm.tft.port")
    assert [int(r[0]) for r in rows] == [b[3] for b in BEARER]
    cbr_s5, cbr_s11, cbresp_s11, cbresp_s5, reject, dbr, dbresp = rows
    assert cbr_s5[3] == "5,0" and cbr_s5[4] == "7" and cbr_s5[6] == "5004"
    assert cbr_s11[5] == "1,5" and cbr_s11[1] == cbresp_s11[1]
    assert cbresp_s11[2] == "16,16" and cbresp_s11[5] == "0,1" and cbresp_s5[5] == "4,5"
    assert reject[2] == "73,73" and reject[5] == ""
    assert dbr[3] == "6" and dbresp[2] == "16,16"
