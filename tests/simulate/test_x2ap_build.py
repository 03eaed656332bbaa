"""chrtool.simulate.x2ap_build: every builder decodes back with pycrate, its fast-path bytes are
pycrate's whole-PDU encoding, and the fixed RRC containers (rrc_build) are pycrate's UPER."""
from pathlib import Path

import pytest

from chrtool.simulate import rrc_build
from chrtool.simulate import x2ap_build as x2

P = "00101"
ECGI, TARGET = (P, 0x19A0001), (P, 0x19A0102)
CAUSE = ("radioNetwork", "no-radio-resources-available")

# (PDU, X2AP-PDU alternative, message, procedure code as TS 36.423 numbers it, {IE: value pycrate
# decodes}); 27 SgNB addition preparation, 28 SgNB reconfiguration completion, 31 MeNB initiated
# and 32 SgNB initiated SgNB release
CASES = [
    (x2.handover_request(17, ("radioNetwork", "handover-desirable-for-radio-reasons"), TARGET, 0x8001, 1,
                         218103809, "10.10.1.11", 0x1A2B3C4D, ECGI),
     "initiatingMessage", "HandoverRequest", 0, {"UE-X2AP-ID": 17}),
    (x2.handover_request_acknowledge(17, 23), "successfulOutcome", "HandoverRequestAcknowledge", 0,
     {"UE-X2AP-ID": 17, 9: 23, "TargeteNBtoSource-eNBTransparentContainer": rrc_build.HANDOVER_COMMAND}),
    (x2.handover_preparation_failure(17, ("radioNetwork", "no-radio-resources-available-in-target-cell")),
     "unsuccessfulOutcome", "HandoverPreparationFailure", 0,
     {"Cause": ("radioNetwork", "no-radio-resources-available-in-target-cell")}),
    (x2.ue_context_release(17, 23), "initiatingMessage", "UEContextRelease", 5, {"UE-X2AP-ID": 17, 9: 23}),
    (x2.sgnb_addition_request(992, ECGI, "10.10.1.11", 0x55AA55AA), "initiatingMessage",
     "SgNBAdditionRequest", 27, {"UE-X2AP-ID": 992, "MeNBtoSgNBContainer": rrc_build.CG_CONFIG_INFO}),
    (x2.sgnb_addition_request_acknowledge(992, 7001, "10.30.0.1", 0x0BADCAFE), "successfulOutcome",
     "SgNBAdditionRequestAcknowledge", 27, {"SgNB-UE-X2AP-ID": 7001, "SgNBtoMeNBContainer": rrc_build.CG_CONFIG}),
    (x2.sgnb_addition_request_reject(992, CAUSE), "unsuccessfulOutcome", "SgNBAdditionRequestReject", 27,
     {"Cause": CAUSE}),
    (x2.sgnb_reconfiguration_complete(992, 7001), "initiatingMessage", "SgNBReconfigurationComplete", 28,
     {"SgNB-UE-X2AP-ID": 7001}),
    (x2.sgnb_release_request(992, 7001, ("radioNetwork", "normal-release")), "initiatingMessage",
     "SgNBReleaseRequest", 31, {"SgNB-UE-X2AP-ID": 7001, "Cause": ("radioNetwork", "normal-release")}),
    (x2.sgnb_release_request(992, None, CAUSE), "initiatingMessage", "SgNBReleaseRequest", 31,
     {"UE-X2AP-ID": 992, "Cause": CAUSE}),
    (x2.sgnb_release_request_acknowledge(992, 7001), "successfulOutcome", "SgNBReleaseRequestAcknowledge",
     31, {"SgNB-UE-X2AP-ID": 7001}),
    (x2.sgnb_release_required(992, 7001, ("radioNetwork", "radio-connection-with-UE-lost")),
     "initiatingMessage", "SgNBReleaseRequired", 32, {"Cause": ("radioNetwork", "radio-connection-with-UE-lost")}),
    (x2.sgnb_release_confirm(992, 7001), "successfulOutcome", "SgNBReleaseConfirm", 32, {"SgNB-UE-X2AP-ID": 7001}),
]
IDS = [f"{c[2]}-{i}" for i, c in enumerate(CASES)]


@pytest.mark.parametrize("pdu, alt, msg, code, ies", CASES, ids=IDS)
def test_builders_decode_back(pdu, alt, msg, code, ies):
    got_alt, got_msg, got = x2.decode(pdu)
    assert (got_alt, x2.PROCEDURES[got_msg][0]) == (alt, code)
    assert got_msg == msg
    for k, v in ies.items():
        assert got[k] == v, k


@pytest.mark.parametrize("pdu, alt, msg, code, ies", CASES, ids=IDS)
def test_fast_path_equals_pycrate_whole_pdu_encoding(pdu, alt, msg, code, ies):
    """encode() frames pycrate's IE value encodings itself (aper_pdu): the bytes must be exactly
    what pycrate gives for the whole PDU (decoded and re-encoded)."""
    got_alt, got_msg, _ = x2.decode(pdu)
    value = x2.AP.pdu.get_val()[1]
    assert x2.AP.encode_whole(got_alt, value["procedureCode"], value["criticality"], got_msg,
                              value["value"][1]["protocolIEs"]) == pdu


def test_every_x2ap_message_the_simulator_sends_has_a_case():
    """The X2 steps of the scenarios (catalogue: ``.x2((delay), "Message", ...)``) are all here."""
    import re
    from chrtool.simulate import catalogue
    sent = set(re.findall(r'\.x2\(\([^)]*\), "(\w+)"', Path(catalogue.__file__).read_text()))
    assert len(sent) >= 10 and sent <= {c[2] for c in CASES}, sent - {c[2] for c in CASES}


@pytest.mark.parametrize("name", sorted(rrc_build.CONTAINERS))
def test_fixed_rrc_containers_are_pycrates_uper(name):
    assert rrc_build.pycrate_encoding(name) == rrc_build.CONTAINERS[name]


def test_mandatory_ies_and_unknown_messages():
    with pytest.raises(ValueError, match="mandatory"):
        x2.encode("SgNBReleaseConfirm", [(111, 1)])
    with pytest.raises(KeyError):
        x2.encode("NoSuchMessage", [])
