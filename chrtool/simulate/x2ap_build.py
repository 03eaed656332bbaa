"""X2AP (3GPP TS 36.423) PDUs encoded with pycrate's ASN.1 runtime (APER): X2 handover and the
EN-DC procedures between an eNB (MeNB) and an en-gNB (SgNB).

Like :mod:`s1ap_build`, :func:`encode` looks procedure codes, criticalities and IE ids up in the
ASN.1 object sets; the builders below fill the mandatory IEs with small, valid values. Cause is
``(group, name)`` as in S1AP, e.g. ``("radioNetwork", "no-radio-resources-available")``.
"""
from __future__ import annotations

from typing import Any, Iterable

from pycrate_asn1dir import X2AP as _X2AP

from chrtool.simulate import rrc_build as rrc
from chrtool.simulate.aper_pdu import ApPdu
from chrtool.simulate.s1ap_build import plmn_id, transport_address

# PDU framing, procedure and IE tables, the fast path: shared with S1AP (aper_pdu)
AP = ApPdu("X2AP", _X2AP.X2AP_PDU_Descriptions.X2AP_PDU, _X2AP.X2AP_PDU_Descriptions.X2AP_ELEMENTARY_PROCEDURES,
           (_X2AP.X2AP_PDU_Contents, _X2AP.X2AP_IEs))
PROCEDURES = AP.procedures
message_ies = AP.message_ies
decode = AP.decode
_items = AP.items


def encode(msg: str, ies: Iterable[tuple[str | int, Any]]) -> bytes:
    """APER X2AP-PDU for ``msg``; IEs by value type name or id, emitted in IE-set order."""
    return AP.encode(msg, ies)


cause_ie = AP.cause_ie              # ("radioNetwork", "no-radio-resources-available") or (group, index)
cause_object = AP.cause_object      # the DESIGN.md cause object of an X2AP cause


def ecgi(plmn: str, eci: int) -> dict:
    return {"pLMN-Identity": plmn_id(plmn), "eUTRANcellIdentifier": (eci, 28)}


def _tunnel(addr: str, teid: int) -> dict:
    return {"transportLayerAddress": transport_address(addr), "gTP-TEID": teid.to_bytes(4, "big")}


_ARP = {"priorityLevel": 9, "pre-emptionCapability": "shall-not-trigger-pre-emption",
        "pre-emptionVulnerability": "not-pre-emptable"}
_AMBR = {"uEaggregateMaximumBitRateDownlink": 100_000_000, "uEaggregateMaximumBitRateUplink": 50_000_000}


# --------------------------------------------------------------------------------------- handover

def handover_request(old_id: int, cause: tuple, target: tuple[str, int], mmegi: int, mmec: int,
                     mme_ue_id: int, ul_sgw: str, ul_teid: int, source: tuple[str, int]) -> bytes:
    ctx = {"mME-UE-S1AP-ID": mme_ue_id,
           "uESecurityCapabilities": {"encryptionAlgorithms": (0xC000, 16),
                                      "integrityProtectionAlgorithms": (0xC000, 16)},
           "aS-SecurityInformation": {"key-eNodeB-star": (int.from_bytes(bytes(range(32)), "big"), 256),
                                      "nextHopChainingCount": 1},
           "uEaggregateMaximumBitRate": _AMBR,
           "e-RABs-ToBeSetup-List": _items("E-RABs-ToBeSetup-List", [{
               "e-RAB-ID": 5, "e-RAB-Level-QoS-Parameters": {"qCI": 9, "allocationAndRetentionPriority": _ARP},
               "uL-GTPtunnelEndpoint": _tunnel(ul_sgw, ul_teid)}]),
           "rRC-Context": rrc.HANDOVER_PREPARATION_INFORMATION}
    history = [("e-UTRAN-Cell", {"global-Cell-ID": ecgi(*source), "cellType": {"cell-Size": "medium"},
                                 "time-UE-StayedInCell": 30})]
    return encode("HandoverRequest", [
        (10, old_id), ("Cause", cause_ie(cause)), ("ECGI", ecgi(*target)),
        ("GUMMEI", {"gU-Group-ID": {"pLMN-Identity": plmn_id(target[0]),
                                    "mME-Group-ID": mmegi.to_bytes(2, "big")},
                    "mME-Code": bytes([mmec])}),
        ("UE-ContextInformation", ctx), ("UE-HistoryInformation", history)])


def handover_request_acknowledge(old_id: int, new_id: int) -> bytes:
    return encode("HandoverRequestAcknowledge", [
        (10, old_id), (9, new_id),
        ("E-RABs-Admitted-List", _items("E-RABs-Admitted-List", [{"e-RAB-ID": 5}])),
        ("TargeteNBtoSource-eNBTransparentContainer", rrc.HANDOVER_COMMAND)])


def handover_preparation_failure(old_id: int, cause: tuple) -> bytes:
    return encode("HandoverPreparationFailure", [(10, old_id), ("Cause", cause_ie(cause))])


def ue_context_release(old_id: int, new_id: int) -> bytes:
    return encode("UEContextRelease", [(10, old_id), (9, new_id)])


# ----------------------------------------------------------------------------------------- EN-DC

def sgnb_addition_request(menb_id: int, ecgi_: tuple[str, int], s1u_sgw: str, s1u_teid: int) -> bytes:
    item = {"e-RAB-ID": 5, "drb-ID": 1,
            "en-DC-ResourceConfiguration": {"pDCPatSgNB": "present", "mCGresources": "not-present",
                                            "sCGresources": "present"},
            "resource-configuration": ("sgNBPDCPpresent", {
                "full-E-RAB-Level-QoS-Parameters": {"qCI": 9, "allocationAndRetentionPriority": _ARP},
                "s1-UL-GTPtunnelEndpoint": _tunnel(s1u_sgw, s1u_teid)})}
    return encode("SgNBAdditionRequest", [
        (111, menb_id),
        ("NRUESecurityCapabilities", {"nRencryptionAlgorithms": (0xC000, 16),
                                      "nRintegrityProtectionAlgorithms": (0xC000, 16)}),
        ("SgNBSecurityKey", (int.from_bytes(bytes(range(1, 33)), "big"), 256)),
        ("UEAggregateMaximumBitRate", _AMBR),
        ("E-RABs-ToBeAdded-SgNBAddReqList", _items("E-RABs-ToBeAdded-SgNBAddReqList", [item])),
        ("MeNBtoSgNBContainer", rrc.CG_CONFIG_INFO), ("ECGI", ecgi(*ecgi_))])


def sgnb_addition_request_acknowledge(menb_id: int, sgnb_id: int, gnb_ip: str, teid: int) -> bytes:
    item = {"e-RAB-ID": 5,
            "en-DC-ResourceConfiguration": {"pDCPatSgNB": "present", "mCGresources": "not-present",
                                            "sCGresources": "present"},
            "resource-configuration": ("sgNBPDCPpresent", {
                "s1-DL-GTPtunnelEndpoint": _tunnel(gnb_ip, teid)})}
    return encode("SgNBAdditionRequestAcknowledge", [
        (111, menb_id), ("SgNB-UE-X2AP-ID", sgnb_id),
        ("E-RABs-Admitted-ToBeAdded-SgNBAddReqAckList",
         _items("E-RABs-Admitted-ToBeAdded-SgNBAddReqAckList", [item])),
        ("SgNBtoMeNBContainer", rrc.CG_CONFIG)])


def sgnb_addition_request_reject(menb_id: int, cause: tuple) -> bytes:
    return encode("SgNBAdditionRequestReject", [(111, menb_id), ("Cause", cause_ie(cause))])


def sgnb_reconfiguration_complete(menb_id: int, sgnb_id: int) -> bytes:
    return encode("SgNBReconfigurationComplete", [
        (111, menb_id), ("SgNB-UE-X2AP-ID", sgnb_id),
        ("ResponseInformationSgNBReconfComp", ("success-SgNBReconfComp", {}))])


def sgnb_release_request(menb_id: int, sgnb_id: int | None, cause: tuple) -> bytes:
    ies = [(111, menb_id), ("Cause", cause_ie(cause))]
    if sgnb_id is not None:
        ies.insert(1, ("SgNB-UE-X2AP-ID", sgnb_id))
    return encode("SgNBReleaseRequest", ies)


def sgnb_release_request_acknowledge(menb_id: int, sgnb_id: int) -> bytes:
    return encode("SgNBReleaseRequestAcknowledge", [(111, menb_id), ("SgNB-UE-X2AP-ID", sgnb_id)])


def sgnb_release_required(menb_id: int, sgnb_id: int, cause: tuple) -> bytes:
    return encode("SgNBReleaseRequired", [(111, menb_id), ("SgNB-UE-X2AP-ID", sgnb_id),
                                          ("Cause", cause_ie(cause))])


def sgnb_release_confirm(menb_id: int, sgnb_id: int) -> bytes:
    return encode("SgNBReleaseConfirm", [(111, menb_id), ("SgNB-UE-X2AP-ID", sgnb_id)])
