"""chrtool.simulate.nas_build: NAS-EPS messages decode back with pycrate and with tshark."""
import pytest

from chrtool.simulate import nas_build as nas
from chrtool.simulate import pcap_writer as pw
from chrtool.simulate import s1ap_build as s1

IMSI, IMEISV = "001010000000001", "3529061100000101"
GUTI = ("00101", 0x8001, 1, 0xC0000001)
PDN = nas.pdn_connectivity_request(apn="internet")
BEARER = nas.activate_default_bearer_request(ip="10.45.0.2", apn="internet", dns=["10.10.2.53"])
RAND, AUTN, AUTS = bytes(range(16)), bytes(range(16, 32)), bytes(range(14))


def v(msg, *path):
    """Value at a path of pycrate element names; IEs decoded inside an LV/TLV are the last child."""
    for name in path:
        msg = msg[name]
    return msg.get_val()


def inner(msg, name):
    return msg[name][-1]


# (id, NAS PDU, uplink, pycrate check, tshark fields: expected value)
CASES = [
    ("attach-request-imsi", nas.attach_request(imsi=IMSI, esm=PDN), True,
     lambda m: inner(m, "EPSID").decode() == (1, IMSI)
     and inner(m, "ESMContainer")["APN"][-1].decode() == "internet",
     {"nas_eps.nas_msg_emm_type": "0x41", "e212.imsi": IMSI, "gsm_a.gm.sm.apn": "internet",
      "nas_eps.nas_msg_esm_type": "0xd0", "nas_eps.emm.eps_att_type": "1"}),
    ("attach-request-guti",
     nas.attach_request(guti=GUTI, esm=nas.pdn_connectivity_request(esm_info_transfer=True)),
     True, lambda m: inner(m, "EPSID").decode() == (6, *GUTI),
     {"nas_eps.emm.m_tmsi": str(0xC0000001), "nas_eps.emm.mme_grp_id": "32769", "nas_eps.esm.eit": "1"}),
    ("identity-request", nas.identity_request(), False, lambda m: v(m, "IDType", "V") == 1,
     {"nas_eps.nas_msg_emm_type": "0x55", "nas_eps.emm.id_type2": "1"}),
    ("identity-response", nas.identity_response(imsi=IMSI), True,
     lambda m: inner(m, "ID").decode() == (1, IMSI), {"e212.imsi": IMSI}),
    ("authentication-request", nas.authentication_request(RAND, AUTN, ksi=2), False,
     lambda m: v(m, "RAND") == [RAND] and v(m, "NAS_KSI") == [[0, 2]],
     {"gsm_a.dtap.rand": RAND.hex(), "gsm_a.dtap.autn": AUTN.hex(), "nas_eps.emm.nas_key_set_id": "2"}),
    ("authentication-response", nas.authentication_response(bytes(8)), True,
     lambda m: v(m, "RES", "V") == bytes(8), {"nas_eps.emm.res": "0000000000000000"}),
    ("authentication-failure-synch", nas.authentication_failure(21, auts=AUTS), True,
     lambda m: v(m, "EMMCause")[-1] == 21 and v(m, "AUTS", "V") == AUTS,
     {"nas_eps.emm.cause": "21", "gsm_a.dtap.auts": AUTS.hex()}),
    ("authentication-reject", nas.authentication_reject(), False, lambda m: True,
     {"nas_eps.nas_msg_emm_type": "0x54"}),
    ("security-mode-command", nas.security_mode_command(eea=0, eia=2, ksi=1), False,
     lambda m: v(m, "NASSecAlgo") == [[0, 0, 0, 2]] and v(m, "NAS_KSI") == [[0, 1]],
     {"nas_eps.emm.toc": "0", "nas_eps.emm.toi": "2", "nas_eps.emm.imeisv_req": "1"}),
    ("security-mode-complete", nas.security_mode_complete(imeisv=IMEISV), True,
     lambda m: inner(m, "IMEISV").decode() == (3, IMEISV), {"gsm_a.imeisv": IMEISV}),
    ("security-mode-reject", nas.security_mode_reject(23), True, lambda m: v(m, "EMMCause")[-1] == 23,
     {"nas_eps.emm.cause": "23"}),
    ("attach-accept", nas.attach_accept(guti=GUTI, tai_list=nas.tai_list("00101", [0x2A01, 0x2A02]),
                                        esm=BEARER), False,
     lambda m: inner(m, "GUTI").decode() == (6, *GUTI)
     and inner(m, "ESMContainer")["PDNAddr"][-1]["Addr"].get_val() == bytes([10, 45, 0, 2]),
     {"nas_eps.emm.EPS_attach_result": "1", "nas_eps.emm.tai_tac": "10753,10754",
      "nas_eps.esm.pdn_ipv4": "10.45.0.2", "nas_eps.esm.qci": "9",
      "gsm_a.gm.sm.pco.dns.ipv4": "10.10.2.53", "gsm_a.gm.gmm.gprs_timer_value": "9"}),
    ("attach-complete", nas.attach_complete(nas.activate_default_bearer_accept(ebi=5)), True,
     lambda m: v(inner(m, "ESMContainer"), "ESMHeader", "EPSBearerId") == 5,
     {"nas_eps.nas_msg_esm_type": "0xc2", "nas_eps.bearer_id": "5"}),
    ("attach-reject", nas.attach_reject(7), False, lambda m: v(m, "EMMCause")[-1] == 7,
     {"nas_eps.emm.cause": "7"}),
    ("attach-reject-esm", nas.attach_reject(19, esm=nas.pdn_connectivity_reject(27), t3402=0x2C), False,
     lambda m: v(m, "EMMCause")[-1] == 19 and v(inner(m, "ESMContainer"), "ESMCause")[-1] == 27,
     {"nas_eps.emm.cause": "19", "nas_eps.esm.cause": "27"}),
    ("pdn-connectivity-reject", nas.pdn_connectivity_reject(33, pti=4), False,
     lambda m: v(m, "ESMCause")[-1] == 33, {"nas_eps.esm.cause": "33", "nas_eps.esm.proc_trans_id": "4"}),
    ("service-request", nas.service_request(ksi=1, seq=35, mac=b"\x12\x34"), True,
     lambda m: v(m, "SeqnShort") == 3 and v(m, "MACShort") == b"\x12\x34",
     {"nas_eps.seq_no_short": "3", "nas_eps.emm.short_mac": "0x1234"}),
    ("service-reject", nas.service_reject(9, t3442=0x21), False, lambda m: v(m, "EMMCause")[-1] == 9,
     {"nas_eps.emm.cause": "9"}),
    ("tau-request", nas.tracking_area_update_request(guti=GUTI, update_type=1, active=True,
                                                     last_tai=("00101", 0x2A01)), True,
     lambda m: inner(m, "OldGUTI").decode() == (6, *GUTI),
     {"nas_eps.emm.update_type_value": "1", "nas_eps.emm.active_flg": "1"}),
    ("tau-accept", nas.tracking_area_update_accept(guti=GUTI, tai_list=nas.tai_list("00101", [0x2A01]),
                                                   bearers=[5, 6]), False,
     lambda m: inner(m, "GUTI").decode() == (6, *GUTI),
     {"nas_eps.emm.ebi5": "1", "nas_eps.emm.ebi6": "1", "nas_eps.emm.ebi7": "0"}),
    ("tau-complete", nas.tracking_area_update_complete(), True, lambda m: True,
     {"nas_eps.nas_msg_emm_type": "0x4a"}),
    ("tau-reject", nas.tracking_area_update_reject(10), False, lambda m: v(m, "EMMCause")[-1] == 10,
     {"nas_eps.emm.cause": "10"}),
    ("detach-request-ue", nas.detach_request(guti=GUTI, switch_off=True), True,
     lambda m: v(m, "EPSDetachType")[-1][0] == 1, {"nas_eps.emm.switch_off": "1"}),
    ("detach-request-network", nas.detach_request_network(detach_type=1, emm_cause=2), False,
     lambda m: v(m, "EMMCause")[-1] == 2, {"nas_eps.emm.cause": "2", "nas_eps.emm.detach_type_dl": "1"}),
    ("detach-accept", nas.detach_accept(), False, lambda m: True, {"nas_eps.nas_msg_emm_type": "0x46"}),
    ("emm-status", nas.emm_status(97), True, lambda m: v(m, "EMMCause")[-1] == 97,
     {"nas_eps.emm.cause": "97"}),
    ("activate-dedicated-request",
     nas.activate_dedicated_bearer_request(ebi=6, qci=7, tft=nas.tft_create("10.99.0.5", port=5004)), False,
     lambda m: v(m, "LinkedEPSBearerId", "V") == 5 and inner(m, "EPSQoS")["QCI"].get_val() == 7
     and inner(m, "TFT")["NumPktFilters"].get_val() == 1,
     {"nas_eps.nas_msg_esm_type": "0xc5", "nas_eps.bearer_id": "6", "nas_eps.esm.linked_bearer_id": "5",
      "nas_eps.esm.qci": "7", "gsm_a.gm.sm.ip4_address": "10.99.0.5", "gsm_a.gm.sm.tft.port": "5004",
      "gsm_a.gm.sm.tft.pkt_flt_dir": "3"}),
    ("activate-dedicated-accept", nas.activate_dedicated_bearer_accept(ebi=6), True, lambda m: True,
     {"nas_eps.nas_msg_esm_type": "0xc6", "nas_eps.bearer_id": "6"}),
    ("deactivate-bearer-request", nas.deactivate_bearer_request(ebi=6), False,
     lambda m: v(m, "ESMCause")[-1] == 36, {"nas_eps.nas_msg_esm_type": "0xcd", "nas_eps.esm.cause": "36"}),
    ("deactivate-bearer-accept", nas.deactivate_bearer_accept(ebi=6), True, lambda m: True,
     {"nas_eps.nas_msg_esm_type": "0xce"}),
]


@pytest.mark.parametrize("name, pdu, uplink, check, _fields", CASES, ids=[c[0] for c in CASES])
def test_pycrate_decodes_back(name, pdu, uplink, check, _fields):
    msg, err = nas.decode(pdu, uplink=uplink)
    assert err == 0
    assert msg.to_bytes() == pdu               # nothing left over or reinterpreted
    assert check(msg)


def _capture(tmp_path, pdus):
    """NAS PDUs in Uplink/DownlinkNASTransport over one association, as a pcap."""
    assoc = pw.Association("10.20.4.21", "10.10.0.1")
    packets = []
    for pdu, uplink in pdus:
        if uplink:
            msg = s1.uplink_nas_transport(9, 5, pdu, ("00101", 1), ("00101", 0x100))
        else:
            msg = s1.downlink_nas_transport(9, 5, pdu)
        packets += assoc.send(0 if uplink else 1, msg, stream=1)
    path = tmp_path / "nas.pcap"
    pw.write_pcap(path, [(10**18 + i * 1000, p) for i, p in enumerate(packets)])
    return path


# Sent inside a security header, as every network sends them once security is on: tshark takes
# the EBI nibble of a long plain ESM message for a security header type (the world protects them).
ON_AIR_PROTECTED = {"activate-dedicated-request"}


def test_tshark_reads_every_message(tmp_path, tshark):
    path = _capture(tmp_path, [(nas.protect(c[1], count=3) if c[0] in ON_AIR_PROTECTED else c[1], c[2])
                               for c in CASES])
    assert tshark.problems(path) == []
    names = sorted({f for c in CASES for f in c[4]})
    rows = tshark.fields(path, *names)
    assert len(rows) == len(CASES)
    for (name, *_x, fields), row in zip(CASES, rows):
        for field, value in fields.items():
            got = row[names.index(field)].replace(":", "")
            assert got == value, (name, field)


@pytest.mark.parametrize("sec_hdr", [nas.INTEGRITY, nas.INTEGRITY_CIPHERED, nas.INTEGRITY_NEW_CONTEXT,
                                     nas.INTEGRITY_CIPHERED_NEW_CONTEXT])
def test_security_header_wraps_plain_message(tmp_path, tshark, sec_hdr):
    plain = nas.attach_reject(15)
    pdu = nas.protect(plain, sec_hdr=sec_hdr, count=0x1FE)
    msg, err = nas.decode(pdu, uplink=False)
    assert err == 0 and (v(msg, "EMMHeaderSec", "SecHdr"), v(msg, "Seqn")) == (sec_hdr, 0xFE)
    assert v(msg, "MAC") == nas.fake_mac(0x1FE, plain) and pdu[6:] == plain
    # the struct layout is pycrate's own encoding of the security protected message
    assert pdu == nas._EMM.EMMSecProtNASMessage(val={
        "EMMHeaderSec": {"SecHdr": sec_hdr}, "MAC": nas.fake_mac(0x1FE, plain), "Seqn": 0xFE,
        "NASMessage": plain}).to_bytes()
    # pycrate opens integrity-only messages itself; "ciphered" ones it leaves as bytes
    assert msg[-1].to_bytes() == plain
    path = _capture(tmp_path, [(pdu, False)])
    assert tshark.problems(path) == []
    # tshark reads the inner message of types 2/4 as well: with EEA0 it is plaintext
    # (nas-eps.null_decipher, on by default, detects that)
    rows = tshark.fields(path, "nas_eps.security_header_type", "nas_eps.seq_no", "nas_eps.msg_auth_code",
                         "nas_eps.emm.cause")
    assert rows == [[f"{sec_hdr},0", "254", "0x" + nas.fake_mac(0x1FE, plain).hex(), "15"]]


def test_protect_refuses_plain_and_service_request_types():
    for bad in (0, 12):
        with pytest.raises(ValueError):
            nas.protect(b"\x07\x46", sec_hdr=bad)


def test_identity_must_be_one_of_imsi_or_guti():
    with pytest.raises(ValueError):
        nas.attach_request(esm=PDN)
    with pytest.raises(ValueError):
        nas.attach_request(esm=PDN, imsi=IMSI, guti=GUTI)


def test_spec_built_values():
    assert nas.tai_list("00101", [1, 2]).hex() == "0100f11000010002"
    assert nas.apn_bytes("ims.mnc001.mcc001.gprs") == b"\x03ims\x06mnc001\x06mcc001\x04gprs"
    assert nas.pdn_address("10.45.0.2") == b"\x01\x0a\x2d\x00\x02"
    assert nas.pco_dns("8.8.8.8") == b"\x80\x00\x0d\x04\x08\x08\x08\x08"
    with pytest.raises(ValueError):
        nas.tai_list("00101", [])


def test_cause_objects():
    assert nas.cause_object("emm", 7) == {"proto": "NAS-EPS", "group": "emm", "value": 7,
                                          "name": "EPS services not allowed"}
    assert nas.cause_object("esm", 27)["name"] == "Missing or unknown APN"
    assert nas.cause_object("emm", 15)["name"].lower() == "no suitable cells in tracking area"
    with pytest.raises(ValueError):
        nas.cause_object("gmm", 7)


def test_encodings_are_remembered_by_their_exact_input(monkeypatch):
    monkeypatch.setattr(nas, "_ENCODED", {})
    monkeypatch.setattr(nas, "_ENCODED_MAX", 3)
    a = nas.authentication_response(bytes(8))
    assert nas.authentication_response(bytes(8)) is a                  # from the memo
    b = nas.authentication_response(bytes(7) + b"\1")
    assert b != a and b[-1] == 1
    assert nas.identity_response(imsi="001010000000001") != nas.identity_response(imsi="001010000000002")
    assert len(nas._ENCODED) == 3                                       # bounded: the oldest went
    assert nas.authentication_response(bytes(8)) == a


def _varied_calls(i):
    """Builder calls whose values change with ``i`` (identities, lengths, optional IEs given or
    not), so a kept message object is filled again with different values."""
    imsi = f"0010{i}000000{i:04d}"[:15]
    guti = ("00101" if i % 2 else "99970", 0x8001 + i, 1 + i, 0xC0000001 + 977 * i)
    apn = ["internet", "ims", "corp.example.com"][i % 3]
    esm = nas.pdn_connectivity_request(pti=1 + i, apn=apn if i % 2 else None)
    bearer = nas.activate_default_bearer_request(ip=f"10.45.{i}.{2 + i}", apn=apn, ebi=5 + i % 2,
                                                 dns=["10.10.2.53"] * (1 + i % 2))
    return [
        nas.attach_request(imsi=imsi, esm=esm) if i % 2 else nas.attach_request(guti=guti, esm=esm),
        nas.attach_request(imsi=imsi, esm=esm, ksi=i % 7),
        nas.identity_response(imsi=imsi), nas.identity_response(imeisv=f"35290611{i:08d}"),
        nas.authentication_request(bytes([i]) * 16, bytes([255 - i]) * 16, ksi=i % 7),
        nas.authentication_response(bytes([i]) * (4 + 4 * (i % 3))),
        nas.authentication_failure(21, auts=bytes([i]) * 14), nas.authentication_failure(20 + i % 2),
        nas.security_mode_command(eea=i % 2, eia=1 + i % 2, ksi=i % 7),
        nas.security_mode_complete(imeisv=f"35290611{i:08d}"), nas.security_mode_complete(),
        nas.attach_accept(guti=guti, tai_list=nas.tai_list("00101", list(range(0x2A01, 0x2A02 + i))), esm=bearer),
        nas.attach_complete(nas.activate_default_bearer_accept(ebi=5 + i)),
        nas.attach_reject(7 + i), nas.attach_reject(19, esm=nas.pdn_connectivity_reject(26 + i), t3402=i),
        nas.service_request(ksi=i % 7, seq=i * 7, mac=bytes([i, i])), nas.service_reject(9 + i, t3442=i),
        nas.tracking_area_update_request(guti=guti, update_type=i % 2, active=bool(i % 2),
                                         last_tai=("00101", 0x2A01 + i)),
        nas.tracking_area_update_accept(guti=guti if i % 2 else None,
                                        tai_list=nas.tai_list("00101", [0x2A01 + i]), bearers=[5, 6][: 1 + i % 2]),
        nas.detach_request(guti=guti, switch_off=bool(i % 2)), nas.detach_request(imsi=imsi),
        nas.detach_request_network(detach_type=1 + i % 2, emm_cause=2 + i if i % 2 else None),
        nas.activate_dedicated_bearer_request(ebi=6 + i, qci=7 - i % 2,
                                              tft=nas.tft_create(f"10.99.0.{5 + i}", port=5004 + i if i % 2 else None)),
        nas.deactivate_bearer_request(ebi=6 + i, esm_cause=36 + i % 2), nas.emm_status(97 - i),
    ]


def test_kept_message_objects_encode_as_new_ones(monkeypatch):
    """_enc fills one kept pycrate object per message class and set of IEs (nas_build._fill):
    with every builder and changing values, its bytes must be those of a new object."""
    fill, checked, reused = nas._fill, [], []

    def checking(cls, fields):
        reused.append((cls, nas._shape(fields)) in nas._TEMPLATES)
        msg = fill(cls, fields)
        checked.append(cls.__name__)
        assert msg.to_bytes() == nas._fresh(cls, fields), (cls.__name__, fields)
        return msg

    monkeypatch.setattr(nas, "_fill", checking)
    monkeypatch.setattr(nas, "_ENCODED", {})          # no remembered bytes: every call fills
    for i in (0, 3, 1, 2, 0, 5):
        _varied_calls(i)
    assert len(set(checked)) >= 20 and sum(reused) > 80      # most calls refill a kept object
