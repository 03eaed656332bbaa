"""chrtool.simulate.diameter_build: S6a messages dissect cleanly in tshark, decode back with
pycrate_diameter, and chrtool's own decoder reads the IMSI, MSISDN and result codes from them."""
import pytest
from pycrate_diameter.Diameter import DiameterGeneric

from chrtool.table import names
from chrtool._fast.events import FLAGS
from chrtool.table.events import PROTO
from chrtool.inputs.pipeline import Run
from chrtool.simulate import diameter_build as d
from chrtool.simulate import pcap_writer as pw

IMSI, MSISDN, IMEISV = "001010000000003", "8613912340003", "3529061100000301"
MME = d.Peer("mme-sh-01." + d.realm_for("00101"), d.realm_for("00101"), "10.10.0.1")
HSS = d.Peer("hss-sh-01." + d.realm_for("00101"), d.realm_for("00101"), "10.10.3.1")
SID = d.session_id(MME.host, 1764233100, 7)
VECTOR = d.Vector(bytes(range(16)), bytes(range(100, 108)), bytes(range(16, 32)), bytes(range(32, 64)))
SUB = d.subscription_data(msisdn=MSISDN, apns=[d.Apn("internet")], zone_codes=[b"\x01\x43"])

# (name, side 0 MME / 1 HSS, message)
MESSAGES = [
    ("CER", 0, d.cer(MME, hbh=1, e2e=101)),
    ("CEA", 1, d.cea(HSS, hbh=1, e2e=101)),
    ("AIR", 0, d.air(SID, MME, HSS.realm, IMSI, "00101", hbh=2, e2e=102)),
    ("AIA", 1, d.aia(SID, HSS, hbh=2, e2e=102, vectors=[VECTOR])),
    ("AIR-resync", 0, d.air(SID, MME, HSS.realm, IMSI, "00101", hbh=3, e2e=103,
                            resync=VECTOR.rand + bytes(14))),
    ("AIA-5001", 1, d.aia(SID, HSS, hbh=3, e2e=103, result_code=d.DIAMETER_ERROR_USER_UNKNOWN)),
    ("ULR", 0, d.ulr(SID, MME, HSS.realm, IMSI, "00101", hbh=4, e2e=104, imeisv=IMEISV)),
    ("ULA", 1, d.ula(SID, HSS, hbh=4, e2e=104, subscription=SUB)),
    ("ULA-5420", 1, d.ula(SID, HSS, hbh=5, e2e=105,
                          result_code=d.DIAMETER_ERROR_UNKNOWN_EPS_SUBSCRIPTION)),
]
GROUPED = {(0, 260), (0, 297), (10415, 1400), (10415, 1401), (10415, 1408), (10415, 1413),
           (10415, 1414), (10415, 1429), (10415, 1430), (10415, 1431), (10415, 1034), (10415, 1435)}


@pytest.fixture(scope="module")
def pcap(tmp_path_factory):
    assoc = pw.Association(MME.ip, HSS.ip, pw.PORT_DIAMETER, pw.PORT_DIAMETER, ppid=pw.PPID_DIAMETER)
    packets = [p for _, p in assoc.handshake()]
    frames = []
    for _name, side, msg in MESSAGES:
        packets += assoc.send(side, msg, stream=1)
        frames.append(len(packets))
    path = tmp_path_factory.mktemp("diameter") / "s6a.pcap"
    pw.write_pcap(path, [(1_790_000_000_000_000_000 + i * 1_000_000, p) for i, p in enumerate(packets)])
    return path, frames


def pycrate_avps(raw, vendor_code=None, out=None):
    """{(vendor, code): [raw values]} over the whole AVP tree, as pycrate_diameter parses it."""
    out = {} if out is None else out
    msg = DiameterGeneric()
    msg.from_bytes(raw if vendor_code is None else bytes([1]) + (20 + len(raw)).to_bytes(3, "big")
                   + bytes(16) + raw)
    for a in msg[1]:
        vendor = a[0]["VendorID"].get_val() if a[0]["V"].get_val() else 0
        key = (vendor, a[0]["Code"].get_val())
        value = a[1].to_bytes()
        out.setdefault(key, []).append(value)
        if key in GROUPED:
            pycrate_avps(value, key, out)
    return out


def test_header_and_avp_layout():
    ulr = MESSAGES[6][2]
    assert ulr[0] == 1 and int.from_bytes(ulr[1:4], "big") == len(ulr) and len(ulr) % 4 == 0
    assert ulr[4] == d.FLAG_R | d.FLAG_P and int.from_bytes(ulr[5:8], "big") == 316
    assert int.from_bytes(ulr[8:12], "big") == d.APP_S6A
    # a vendor AVP: V and M flags, length without the padding, Vendor-Id 10415
    v = d.g3(d.VISITED_PLMN_ID, b"\x00\xf1\x10", "octets")
    assert v == bytes.fromhex("0000057f c000000f 000028af 00f11000".replace(" ", ""))
    assert d.avp(d.USER_NAME, b"12345") == bytes.fromhex("00000001 4000000d 3132333435000000".replace(" ", ""))
    cer = MESSAGES[0][2]
    assert cer[4] == d.FLAG_R and int.from_bytes(cer[8:12], "big") == 0   # not proxiable, common app


@pytest.mark.parametrize("name, side, raw", MESSAGES, ids=[m[0] for m in MESSAGES])
def test_pycrate_decodes_back(name, side, raw):
    msg = DiameterGeneric()
    msg.from_bytes(raw)
    assert msg.to_bytes() == raw
    h = msg[0]
    assert h["R"].get_val() == (side == 0)
    avps = pycrate_avps(raw)
    if name.startswith(("AIR", "ULR")):
        assert avps[0, 1] == [IMSI.encode()]
        assert avps[10415, 1407] == [b"\x00\xf1\x10"]
        assert avps[0, 263] == [SID.encode()]
    if name == "AIR-resync":
        assert avps[10415, 1411] == [VECTOR.rand + bytes(14)]
    if name == "AIA":
        assert avps[0, 268] == [(2001).to_bytes(4, "big")]
        assert (avps[10415, 1447], avps[10415, 1448], avps[10415, 1449], avps[10415, 1450]) == \
            ([VECTOR.rand], [VECTOR.xres], [VECTOR.autn], [VECTOR.kasme])
    if name == "ULR":
        assert avps[10415, 1402] == [IMEISV[:14].encode()] and avps[10415, 1403] == [b"01"]
        assert avps[10415, 1405] == [(0x22).to_bytes(4, "big")]
        assert avps[10415, 1032] == [(1004).to_bytes(4, "big")]
    if name == "ULA":
        assert avps[10415, 701] == [bytes.fromhex("683119320400f3")]     # TBCD of 8613912340003
        assert avps[0, 493] == [b"internet"]
        assert avps[10415, 1446] == [b"\x01\x43"]
    if name in ("ULA-5420", "AIA-5001"):
        assert (0, 268) not in avps
        assert avps[0, 266] == [(10415).to_bytes(4, "big")] * 2   # app id and experimental result
        code = 5420 if name == "ULA-5420" else 5001
        assert avps[0, 298] == [code.to_bytes(4, "big")]
        assert (10415, 1400) not in avps and (10415, 1413) not in avps


def test_tshark_dissects_without_problems(pcap, tshark):
    path, frames = pcap
    assert tshark.problems(path) == []
    rows = tshark.fields(path, "diameter.cmd.code", "diameter.flags.request", "diameter.User-Name",
                         "e164.msisdn", "diameter.Result-Code", "diameter.Experimental-Result-Code",
                         "diameter.RAND", "diameter.Service-Selection", "diameter.IMEI",
                         "diameter.Regional-Subscription-Zone-Code")
    got = {name: rows[f - 1] for (name, _s, _m), f in zip(MESSAGES, frames)}
    assert got["CER"][:2] == ["257", "1"] and got["CEA"][:2] == ["257", "0"]
    assert got["CEA"][4] == "2001"
    assert got["AIR"][:3] == ["318", "1", IMSI]
    assert got["AIA"][4] == "2001" and got["AIA"][6] == VECTOR.rand.hex()
    assert got["AIA-5001"][5] == "5001"
    assert got["ULR"][:3] == ["316", "1", IMSI] and got["ULR"][8] == IMEISV[:14]
    assert got["ULA"][3] == MSISDN and got["ULA"][7] == "internet" and got["ULA"][9] == "0143"
    assert got["ULA-5420"][4:6] == ["", "5420"]


def test_chrtool_reads_imsi_msisdn_and_results(pcap):
    path, frames = pcap
    ev = Run([str(path)]).events()
    c = ev.cols
    rows = {int(c["frame"][r]): r for r in range(ev.n) if c["proto"][r] == PROTO["Diameter"]}
    assert sorted(rows) == frames
    by = {name: rows[f] for (name, _s, _m), f in zip(MESSAGES, frames)}
    for name in ("AIR", "ULR", "AIR-resync"):
        assert ev.digits("imsi", by[name]) == IMSI
    assert ev.digits("msisdn", by["ULA"]) == MSISDN
    assert names.msg_name(c["proto"][by["ULA"]], c["msg"][by["ULA"]]) == "Update-Location-Answer"
    assert names.msg_name(c["proto"][by["AIR"]], c["msg"][by["AIR"]]) == \
        "Authentication-Information-Request"
    for name, value in (("ULA", 2001), ("ULA-5420", 5420), ("AIA-5001", 5001), ("CEA", 2001)):
        assert int(c["cause_value"][by[name]]) == value, name
    assert int(c["seq"][by["ULA"]]) == 4 and int(c["e2e"][by["ULA"]]) == 104
    assert not any(int(c["flags"][r]) & FLAGS["malformed"] for r in rows.values())


def test_helpers():
    assert d.realm_for("00101") == "epc.mnc001.mcc001.3gppnetwork.org"
    assert d.realm_for("310410") == "epc.mnc410.mcc310.3gppnetwork.org"
    assert d.visited_plmn_id("310410") == bytes.fromhex("130014")
    assert d.tbcd("8613912340003") == bytes.fromhex("683119320400f3")
    assert d.address(d.HOST_IP_ADDRESS, "2001:db8::1")[8:10] == b"\x00\x02"
    assert d.result(2001) == d.u32(d.RESULT_CODE, 2001)
    assert d.result(5420) == d.experimental_result(5420)
    with pytest.raises(ValueError):
        d.air(SID, MME, HSS.realm, IMSI, "00101", hbh=1, e2e=1, resync=bytes(10))
