"""ALIGNED PER primitives (chrtool/_fast/aper.pxd) through the decoders that use them, each value
encoded by pycrate: constrained whole numbers at every size boundary, length determinants,
extensible INTEGER/ENUMERATED/CHOICE, fixed and variable BIT STRINGs."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import s1ap_corpus as C  # noqa: E402

from chrtool._fast import events  # noqa: E402

K = events.ITEM_KEYS
MALFORMED = events.FLAGS["malformed"]


def s1ap_pdu(ies, code=15, kind="initiatingMessage", name="ErrorIndication"):
    pdu = C.asn1("s1ap")
    pdu.set_val((kind, {"procedureCode": code, "criticality": "ignore",
                        "value": (name, {"protocolIEs": ies})}))
    return pdu.to_aper()


def ie(i, tname, value, crit="ignore"):
    return {"id": i, "criticality": crit, "value": (tname, value)}


def decode(proto, data):
    t = C.decode_all(proto, [data])
    return t, C.chrtool_facts(t, proto)[0]


@pytest.mark.parametrize("mme", [0, 1, 255, 256, 65535, 65536, 2**24 - 1, 2**24, 2**32 - 1])
@pytest.mark.parametrize("enb", [0, 255, 256, 65535, 65536, 2**24 - 1])
def test_constrained_whole_numbers(mme, enb):
    # MME-UE-S1AP-ID INTEGER (0..2^32-1) and ENB-UE-S1AP-ID (0..2^24-1): indefinite-length case
    t, _ = decode("s1ap", s1ap_pdu([ie(0, "MME-UE-S1AP-ID", mme), ie(8, "ENB-UE-S1AP-ID", enb)]))
    assert t.column("mme_ue_s1ap_id")[0] == mme and t.column("enb_ue_s1ap_id")[0] == enb


@pytest.mark.parametrize("size", [1, 127, 128, 16000])
def test_length_determinants(size):
    # NAS-PDU: unconstrained OCTET STRING; 1-octet and 2-octet length forms
    nas = bytes([0x07, 0x45]) + bytes(size - 2) if size >= 2 else b"\x07"
    data = s1ap_pdu([ie(0, "MME-UE-S1AP-ID", 1), ie(8, "ENB-UE-S1AP-ID", 1), ie(26, "NAS-PDU", nas),
                     ie(100, "EUTRAN-CGI", {"pLMNidentity": b"\x00\xf1\x10", "cell-ID": (5, 28)}),
                     ie(67, "TAI", {"pLMNidentity": b"\x00\xf1\x10", "tAC": b"\x00\x07"})],
                    code=13, name="UplinkNASTransport")
    t, f = decode("s1ap", data)
    assert not f["flags"] & MALFORMED
    assert t.n == 2 and t.column("payload_len")[1] == len(nas)
    assert t.payload(1) == nas
    assert t.column("eci")[0] == 5 and t.column("tac")[0] == 7


def test_message_over_16k_is_kept_and_flagged():
    """Open types of 16K octets or more use fragmented lengths (X.691 11.9.3.8), which the walker
    does not reassemble (docs/reference-bugs.md, "left alone"): the row keeps its procedure code."""
    nas = bytes([0x07, 0x45]) + bytes(17000)
    data = s1ap_pdu([ie(0, "MME-UE-S1AP-ID", 1), ie(8, "ENB-UE-S1AP-ID", 1), ie(26, "NAS-PDU", nas),
                     ie(100, "EUTRAN-CGI", {"pLMNidentity": b"\x00\xf1\x10", "cell-ID": (5, 28)}),
                     ie(67, "TAI", {"pLMNidentity": b"\x00\xf1\x10", "tAC": b"\x00\x07"})],
                    code=13, name="UplinkNASTransport")
    t, f = decode("s1ap", data)
    assert f["flags"] & MALFORMED and t.column("procedure_code")[0] == 13


def test_fragmented_length_is_malformed_not_a_crash():
    data = bytes([0x00, 0x0D, 0x40, 0xC1]) + bytes(40)     # 16K-fragment length form
    t, f = decode("s1ap", data)
    assert f["flags"] & MALFORMED


@pytest.mark.parametrize("kind,bits,value", [("macroENB-ID", 20, 0xABCDE), ("homeENB-ID", 28, 0xABCDEF1),
                                             ("short-macroENB-ID", 18, 0x3FFFF),
                                             ("long-macroENB-ID", 21, 0x1FFFFF)])
def test_choice_root_and_extension_alternatives(kind, bits, value):
    gid = {"pLMNidentity": b"\x00\xf1\x10", "eNB-ID": (kind, (value, bits))}
    data = s1ap_pdu([ie(59, "Global-ENB-ID", gid, "reject"),
                     ie(64, "SupportedTAs", [{"tAC": b"\x30\x39", "broadcastPLMNs": [b"\x00\xf1\x10"]}],
                        "reject"),
                     ie(137, "PagingDRX", "v128")], code=17, name="S1SetupRequest")
    t, f = decode("s1ap", data)
    nodes = [x for x in f["items"] if x[0] == K["node"]]
    kinds = {"macroENB-ID": 1, "homeENB-ID": 2, "short-macroENB-ID": 3, "long-macroENB-ID": 4}
    assert nodes == [(K["node"], kinds[kind], 0x00F110, value, bits)]
    assert (K["cell"], 6, 0x00F110, 12345, 64) in f["items"]


@pytest.mark.parametrize("erab", [0, 15, 16, 200, 70000])
def test_extensible_integer_beyond_root(erab):
    item = {"id": 35, "criticality": "ignore",
            "value": ("E-RABItem", {"e-RAB-ID": erab, "cause": ("misc", "unspecified")})}
    data = s1ap_pdu([ie(0, "MME-UE-S1AP-ID", 1), ie(8, "ENB-UE-S1AP-ID", 2),
                     ie(29, "E-RABList", [item])], code=5, kind="successfulOutcome",
                    name="E-RABSetupResponse")
    _, f = decode("s1ap", data)
    assert f["erabs"] == [(erab, 29)] and f["erab_causes"] == [(erab, 4, 4)]


@pytest.mark.parametrize("nbits", [22, 27, 32])
def test_variable_bit_string(nbits):
    pdu = C.asn1("x2ap")
    gnb = {"pLMN-Identity": b"\x00\xf1\x10", "gNB-ID": ("gNB-ID", ((1 << nbits) - 3, nbits))}
    pdu.set_val(("initiatingMessage", {"procedureCode": 43, "criticality": "reject", "value": (
        "ENDCX2RemovalRequest", {"protocolIEs": [{"id": 298, "criticality": "reject", "value": (
            "InitiatingNodeType-EndcX2Removal", ("init-en-gNB", [
                {"id": 252, "criticality": "reject", "value": ("GlobalGNB-ID", gnb)}]))}]})}))
    _, f = decode("x2ap", pdu.to_aper())
    assert (K["node"], 5, 0x00F110, (1 << nbits) - 3, nbits) in f["items"]


def test_enumerated_extension_values():
    # RRC-Establishment-Cause: 5 root values then extension values (normally small number)
    for idx, name in enumerate(["emergency", "highPriorityAccess", "mt-Access", "mo-Signalling",
                                "mo-Data", "delay-TolerantAccess", "mo-VoiceCall",
                                "mo-ExceptionData"]):
        data = s1ap_pdu([ie(8, "ENB-UE-S1AP-ID", 1), ie(26, "NAS-PDU", b"\x07\x41"),
                         ie(67, "TAI", {"pLMNidentity": b"\x00\xf1\x10", "tAC": b"\x00\x01"}),
                         ie(100, "EUTRAN-CGI", {"pLMNidentity": b"\x00\xf1\x10", "cell-ID": (1, 28)}),
                         ie(134, "RRC-Establishment-Cause", name)], code=12,
                        name="InitialUEMessage")
        _, f = decode("s1ap", data)
        assert (K["enum"], 134, idx, -1, -1) in f["items"]
