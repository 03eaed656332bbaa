"""chrtool.simulate.s1ap_build: every builder decodes back with pycrate and dissects with tshark."""
import importlib

import pytest

from chrtool.simulate import pcap_writer as pw
from chrtool.simulate import s1ap_build as s1

P = "00101"
TAI, ECGI = (P, 0x2A01), (P, 0x19A2101)
ERAB = s1.Erab(5, "10.10.1.1", 0x1A2B3C4D, qci=9, priority=15)
NAS = bytes.fromhex("0756080910100000000010")    # Identity response, IMSI 001010000000001
MME_ID, ENB_ID = 218103809, 168

# (PDU, S1AP-PDU alternative, message, procedure code, {IE: value pycrate decodes}, tshark fields)
CASES = [
    (s1.s1_setup_request(P, 0x19A21, [0x2A01, 0x2A02], enb_name="ENB-SH-PD-0421"),
     "initiatingMessage", "S1SetupRequest", 17, {"ENBname": "ENB-SH-PD-0421", "PagingDRX": "v128"},
     {"s1ap.tAC": "10753,10754", "s1ap.macroENB_ID": "19a210"}),
    (s1.s1_setup_response(P, 0x8001, 1, mme_name="MME-SH-01"),
     "successfulOutcome", "S1SetupResponse", 17, {"MMEname": "MME-SH-01", "RelativeMMECapacity": 255},
     {"s1ap.MME_Group_ID": "32769", "s1ap.MME_Code": "1"}),
    (s1.s1_setup_failure(("misc", "om-intervention"), time_to_wait="v10s"),
     "unsuccessfulOutcome", "S1SetupFailure", 17, {"Cause": ("misc", "om-intervention")},
     {"s1ap.misc": "3"}),
    (s1.initial_ue_message(ENB_ID, NAS, TAI, ECGI, rrc_cause="mo-Data", s_tmsi=(1, 0xC0FFEE01)),
     "initiatingMessage", "InitialUEMessage", 12,
     {"ENB-UE-S1AP-ID": ENB_ID, "NAS-PDU": NAS, "RRC-Establishment-Cause": "mo-Data",
      "S-TMSI": {"mMEC": b"\x01", "m-TMSI": b"\xc0\xff\xee\x01"},
      "TAI": {"pLMNidentity": b"\x00\xf1\x10", "tAC": b"\x2a\x01"},
      "EUTRAN-CGI": {"pLMNidentity": b"\x00\xf1\x10", "cell-ID": (0x19A2101, 28)}},
     {"s1ap.ENB_UE_S1AP_ID": str(ENB_ID), "s1ap.tAC": "10753", "s1ap.CellIdentity": "0x019a2101",
      "s1ap.RRC_Establishment_Cause": "4", "e212.tai.mcc": "1", "nas_eps.emm.m_tmsi": ""}),
    (s1.downlink_nas_transport(MME_ID, ENB_ID, NAS), "initiatingMessage", "DownlinkNASTransport", 11,
     {"MME-UE-S1AP-ID": MME_ID, "ENB-UE-S1AP-ID": ENB_ID, "NAS-PDU": NAS},
     {"s1ap.MME_UE_S1AP_ID": str(MME_ID), "nas_eps.nas_msg_emm_type": "0x56"}),
    (s1.uplink_nas_transport(MME_ID, ENB_ID, NAS, TAI, ECGI), "initiatingMessage", "UplinkNASTransport",
     13, {"NAS-PDU": NAS, "TAI": {"pLMNidentity": b"\x00\xf1\x10", "tAC": b"\x2a\x01"}},
     {"e212.imsi": "001010000000001", "s1ap.CellIdentity": "0x019a2101"}),
    (s1.initial_context_setup_request(MME_ID, ENB_ID, [ERAB], nas=NAS, ambr=(50_000_000, 20_000_000)),
     "initiatingMessage", "InitialContextSetupRequest", 9,
     {"UESecurityCapabilities": {"encryptionAlgorithms": (0xC000, 16),
                                 "integrityProtectionAlgorithms": (0xC000, 16)}},
     {"s1ap.qCI": "9", "s1ap.transportLayerAddressIPv4": "10.10.1.1", "s1ap.gTP_TEID": "1a2b3c4d",
      "s1ap.uEaggregateMaximumBitRateDL": "50000000", "s1ap.nAS_PDU": NAS.hex()}),
    (s1.initial_context_setup_response(MME_ID, ENB_ID, [ERAB._replace(address="10.20.4.21")],
                                       failed=[(6, ("radioNetwork", "not-supported-QCI-value"))]),
     "successfulOutcome", "InitialContextSetupResponse", 9, {"MME-UE-S1AP-ID": MME_ID},
     {"s1ap.e_RAB_ID": "5,6", "s1ap.transportLayerAddressIPv4": "10.20.4.21", "s1ap.radioNetwork": "37"}),
    (s1.initial_context_setup_failure(MME_ID, ENB_ID, ("radioNetwork", "radio-connection-with-ue-lost")),
     "unsuccessfulOutcome", "InitialContextSetupFailure", 9,
     {"Cause": ("radioNetwork", "radio-connection-with-ue-lost")}, {"s1ap.radioNetwork": "21"}),
    (s1.ue_context_release_request(MME_ID, ENB_ID, ("radioNetwork", "user-inactivity")),
     "initiatingMessage", "UEContextReleaseRequest", 18, {"Cause": ("radioNetwork", "user-inactivity")},
     {"s1ap.radioNetwork": "20"}),
    # tshark lists the eNB id of the UE-S1AP-ID pair twice (its item and the generic field)
    (s1.ue_context_release_command(MME_ID, ENB_ID, ("nas", "detach")),
     "initiatingMessage", "UEContextReleaseCommand", 23,
     {"UE-S1AP-IDs": ("uE-S1AP-ID-pair", {"mME-UE-S1AP-ID": MME_ID, "eNB-UE-S1AP-ID": ENB_ID}),
      "Cause": ("nas", "detach")}, {"s1ap.nas": "2", "s1ap.ENB_UE_S1AP_ID": f"{ENB_ID},{ENB_ID}"}),
    (s1.ue_context_release_command(MME_ID, None, ("transport", "transport-resource-unavailable")),
     "initiatingMessage", "UEContextReleaseCommand", 23,
     {"UE-S1AP-IDs": ("mME-UE-S1AP-ID", MME_ID)}, {"s1ap.transport": "0", "s1ap.ENB_UE_S1AP_ID": ""}),
    (s1.ue_context_release_complete(MME_ID, ENB_ID), "successfulOutcome", "UEContextReleaseComplete", 23,
     {"MME-UE-S1AP-ID": MME_ID, "ENB-UE-S1AP-ID": ENB_ID}, {"s1ap.MME_UE_S1AP_ID": str(MME_ID)}),
    (s1.erab_setup_request(MME_ID, ENB_ID, [ERAB._replace(id=6, qci=1, priority=2)],
                           [NAS]),
     "initiatingMessage", "E-RABSetupRequest", 5, {"MME-UE-S1AP-ID": MME_ID},
     {"s1ap.qCI": "1", "s1ap.priorityLevel": "2", "s1ap.e_RAB_ID": "6"}),
    (s1.erab_setup_response(MME_ID, ENB_ID, failed=[(6, ("radioNetwork", "radio-resources-not-available"))]),
     "successfulOutcome", "E-RABSetupResponse", 5, {"ENB-UE-S1AP-ID": ENB_ID}, {"s1ap.radioNetwork": "25"}),
    (s1.erab_release_command(MME_ID, ENB_ID, [(6, ("nas", "normal-release"))]),
     "initiatingMessage", "E-RABReleaseCommand", 7, {"MME-UE-S1AP-ID": MME_ID}, {"s1ap.nas": "0"}),
    (s1.erab_release_response(MME_ID, ENB_ID, [6]), "successfulOutcome", "E-RABReleaseResponse", 7,
     {"ENB-UE-S1AP-ID": ENB_ID}, {"s1ap.e_RAB_ID": "6"}),
    (s1.erab_modification_indication(MME_ID, ENB_ID, [ERAB._replace(address="10.30.0.9", teid=77)]),
     "initiatingMessage", "E-RABModificationIndication", 50, {"MME-UE-S1AP-ID": MME_ID},
     {"s1ap.transportLayerAddressIPv4": "10.30.0.9", "s1ap.dL_GTP_TEID": "0000004d"}),
    (s1.error_indication(mme_ue_id=MME_ID, cause=("protocol", "abstract-syntax-error-reject")),
     "initiatingMessage", "ErrorIndication", 15, {"MME-UE-S1AP-ID": MME_ID}, {"s1ap.protocol": "1"}),
    (s1.handover_required(MME_ID, ENB_ID, ("radioNetwork", "handover-desirable-for-radio-reason"),
                          (P, 0x19A22), (P, 0x2A02), (P, 0x19A2201), ECGI),
     "initiatingMessage", "HandoverRequired", 0, {"HandoverType": "intralte"},
     {"s1ap.radioNetwork": "16", "s1ap.macroENB_ID": "19a220", "s1ap.CellIdentity": "0x019a2201,0x019a2101",
      "lte-rrc.c1": "0"}),
    (s1.handover_request(MME_ID + 7, ("radioNetwork", "handover-desirable-for-radio-reason"), [ERAB],
                         (P, 0x19A2201), ECGI, ncc=3),
     "initiatingMessage", "HandoverRequest", 1, {"MME-UE-S1AP-ID": MME_ID + 7, "HandoverType": "intralte"},
     {"s1ap.MME_UE_S1AP_ID": str(MME_ID + 7), "s1ap.gTP_TEID": "1a2b3c4d", "s1ap.nextHopChainingCount": "3",
      "s1ap.CellIdentity": "0x019a2201,0x019a2101", "s1ap.radioNetwork": "16"}),
    (s1.handover_request_acknowledge(MME_ID + 7, 301, [ERAB._replace(address="10.20.4.22", teid=0x99)]),
     "successfulOutcome", "HandoverRequestAcknowledge", 1, {"ENB-UE-S1AP-ID": 301},
     {"s1ap.ENB_UE_S1AP_ID": "301", "s1ap.transportLayerAddressIPv4": "10.20.4.22",
      "s1ap.gTP_TEID": "00000099"}),   # (tshark reads the same container's RRC in the command)
    (s1.handover_failure(MME_ID + 7, ("radioNetwork", "no-radio-resources-available-in-target-cell")),
     "unsuccessfulOutcome", "HandoverFailure", 1,
     {"Cause": ("radioNetwork", "no-radio-resources-available-in-target-cell")}, {"s1ap.radioNetwork": "12"}),
    (s1.handover_command(MME_ID, ENB_ID), "successfulOutcome", "HandoverCommand", 0,
     {"HandoverType": "intralte"}, {"s1ap.MME_UE_S1AP_ID": str(MME_ID), "lte-rrc.c1": "0,4,0"}),
    (s1.handover_preparation_failure(MME_ID, ENB_ID, ("radioNetwork", "no-radio-resources-available-in-target-cell")),
     "unsuccessfulOutcome", "HandoverPreparationFailure", 0, {"ENB-UE-S1AP-ID": ENB_ID},
     {"s1ap.radioNetwork": "12"}),
    (s1.enb_status_transfer(MME_ID, ENB_ID, ul=(1000, 3), dl=(2000, 4)), "initiatingMessage",
     "ENBStatusTransfer", 24, {"ENB-UE-S1AP-ID": ENB_ID}, {"s1ap.pDCP_SN": "1000,2000", "s1ap.hFN": "3,4"}),
    (s1.mme_status_transfer(MME_ID + 7, 301, ul=(1000, 3), dl=(2000, 4)), "initiatingMessage",
     "MMEStatusTransfer", 25, {"ENB-UE-S1AP-ID": 301}, {"s1ap.pDCP_SN": "1000,2000"}),
    (s1.handover_notify(MME_ID + 7, 301, (P, 0x19A2201), (P, 0x2A02)), "initiatingMessage", "HandoverNotify",
     2, {"ENB-UE-S1AP-ID": 301}, {"s1ap.CellIdentity": "0x019a2201", "s1ap.tAC": "10754"}),
    (s1.path_switch_request(300, MME_ID, [ERAB._replace(address="10.20.4.22")], (P, 0x2A02), (P, 0x19A2201)),
     "initiatingMessage", "PathSwitchRequest", 3, {"ENB-UE-S1AP-ID": 300, "MME-UE-S1AP-ID": MME_ID},
     {"s1ap.transportLayerAddressIPv4": "10.20.4.22", "s1ap.tAC": "10754"}),
    (s1.path_switch_request_acknowledge(MME_ID, 300, ncc=2), "successfulOutcome",
     "PathSwitchRequestAcknowledge", 3, {"ENB-UE-S1AP-ID": 300}, {"s1ap.nextHopChainingCount": "2"}),
    (s1.path_switch_request_failure(MME_ID, 300, ("misc", "unspecified")), "unsuccessfulOutcome",
     "PathSwitchRequestFailure", 3, {"Cause": ("misc", "unspecified")}, {"s1ap.misc": "4"}),
]
IDS = [c[2] + ("-mme-id-only" if c[2] == "UEContextReleaseCommand" and "mME-UE-S1AP-ID" in str(c[4]) else "")
       for c in CASES]


@pytest.mark.parametrize("pdu, alt, msg, code, ies, _fields", CASES, ids=IDS)
def test_builder_decodes_back_with_pycrate(pdu, alt, msg, code, ies, _fields):
    got_alt, got_msg, got = s1.decode(pdu)
    assert (got_alt, got_msg, s1.PROCEDURES[msg][0]) == (alt, msg, code)
    for key, value in ies.items():
        assert got[key] == value, key


def test_every_builder_dissects_in_tshark(tmp_path, tshark):
    assoc = pw.Association("10.20.4.21", "10.10.0.1")
    packets = [p for _, p in assoc.handshake()]
    for pdu, alt, *_ in CASES:   # eNB sends what it initiates or answers, as in a real trace
        packets += assoc.send(0 if alt == "initiatingMessage" else 1, pdu, stream=1, sack=False)
    path = tmp_path / "s1ap.pcap"
    pw.write_pcap(path, [(10**18 + i * 1000, p) for i, p in enumerate(packets)])
    assert tshark.problems(path) == []
    names = sorted({f for c in CASES for f in c[5]})
    rows = tshark.fields(path, "s1ap.procedureCode", *names)[4:]
    assert len(rows) == len(CASES)
    for (_pdu, _alt, msg, code, _ies, fields), row in zip(CASES, rows):
        assert row[0] == str(code), msg
        for name, value in fields.items():
            assert row[1 + names.index(name)] == value, (msg, name)


def test_ies_follow_the_asn1_order_whatever_the_call_order():
    a = s1.encode("DownlinkNASTransport", [("NAS-PDU", NAS), ("ENB-UE-S1AP-ID", 1), ("MME-UE-S1AP-ID", 2)])
    assert a == s1.downlink_nas_transport(2, 1, NAS)


def test_encode_checks_names_and_mandatory_ies():
    with pytest.raises(KeyError):
        s1.encode("NoSuchMessage", [])
    with pytest.raises(KeyError):
        s1.encode("DownlinkNASTransport", [("Cause", ("misc", "unspecified"))])
    with pytest.raises(ValueError, match="NAS-PDU"):
        s1.encode("DownlinkNASTransport", [("ENB-UE-S1AP-ID", 1), ("MME-UE-S1AP-ID", 2)])
    # a type carried twice is reachable by its IE id (158: MME-UE-S1AP-ID-2 of relay nodes)
    assert [i for i, *_ in s1.message_ies("InitialContextSetupRequest")][:2] == [0, 8]
    assert 158 in [i for i, *_ in s1.message_ies("InitialContextSetupRequest")]


def test_procedure_table():
    assert s1.PROCEDURES["InitialUEMessage"] == (12, "ignore", "initiatingMessage")
    assert s1.PROCEDURES["InitialContextSetupFailure"] == (9, "reject", "unsuccessfulOutcome")
    assert s1.PROCEDURES["UEContextReleaseComplete"] == (23, "reject", "successfulOutcome")


@pytest.mark.parametrize("plmn, tbcd", [("00101", "00f110"), ("310410", "130014"), ("46000", "64f000")])
def test_plmn_tbcd(plmn, tbcd):
    assert s1.plmn_id(plmn).hex() == tbcd


def test_plmn_rejects_bad_input():
    with pytest.raises(ValueError):
        s1.plmn_id("0010")


def test_causes_by_name_and_index():
    assert s1.cause_ie(("radioNetwork", 21)) == ("radioNetwork", "radio-connection-with-ue-lost")
    assert s1.cause_object(("radioNetwork", "radio-connection-with-ue-lost")) == {
        "proto": "S1AP", "group": "radioNetwork", "value": 21, "name": "radio-connection-with-ue-lost"}
    assert s1.cause_object(("nas", "detach"))["value"] == 2
    ext = s1.cause_object(("radioNetwork", "redirection-towards-1xRTT"))     # first extension value
    assert ext["value"] == 36
    with pytest.raises(ValueError):
        s1.cause_ie(("nas", "radio-connection-with-ue-lost"))


def test_cause_objects_agree_with_the_decoder_tables():
    tables = None
    for name in ("chrtool.decoders.s1ap_tables", "decoders.s1ap_tables"):
        try:
            tables = importlib.import_module(name)
            break
        except ImportError:
            continue
    if tables is None:
        pytest.skip("decoders/s1ap_tables.py not importable here")
    for group, names in tables.CAUSES.items():
        for value, name in enumerate(names):
            assert s1.cause_object((group, name))["value"] == value


def test_transport_address_bits():
    assert s1.transport_address("10.0.0.1") == (0x0A000001, 32)
    assert s1.transport_address("2001:db8::1")[1] == 128


@pytest.mark.parametrize("pdu, alt, msg, code, ies, _fields", CASES, ids=IDS)
def test_fast_path_equals_pycrate_whole_pdu_encoding(pdu, alt, msg, code, ies, _fields):
    """encode() frames pycrate's IE value encodings itself: the bytes must be exactly what
    pycrate gives for the whole PDU (decoded and re-encoded)."""
    got_alt, got_msg, _ = s1.decode(pdu)
    value = s1._PDU.get_val()[1]
    whole = s1._encode_whole(got_alt, value["procedureCode"], value["criticality"], got_msg,
                             value["value"][1]["protocolIEs"])
    assert whole == pdu


def test_fast_path_framing_of_long_values():
    assert s1._open_type(b"x" * 127)[:1] == b"\x7f"
    assert s1._open_type(b"x" * 128)[:2] == b"\x80\x80" and s1._open_type(b"x" * 300)[:2] == b"\x81\x2c"
    assert s1._open_type(b"x" * 16384) is None
    big = bytes(range(256)) * 80                         # a 20 KB NAS PDU: pycrate fragments it
    pdu = s1.downlink_nas_transport(MME_ID, ENB_ID, big)
    assert s1.decode(pdu)[2]["NAS-PDU"] == big
