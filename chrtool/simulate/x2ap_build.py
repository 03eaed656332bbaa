"""X2AP (3GPP TS 36.423) PDUs encoded with pycrate's ASN.1 runtime (APER): X2 handover and the
EN-DC procedures between an eNB (MeNB) and an en-gNB (SgNB).

Like :mod:`s1ap_build`, :func:`encode` looks procedure codes, criticalities and IE ids up in the
ASN.1 object sets; the builders below fill the mandatory IEs with small, valid values. Cause is
``(group, name)`` as in S1AP, e.g. ``("radioNetwork", "no-radio-resources-available")``.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Iterable

from pycrate_asn1dir import X2AP as _X2AP

from chrtool.simulate import s1ap_build
from chrtool.simulate.s1ap_build import plmn_id, transport_address

_PDU = _X2AP.X2AP_PDU_Descriptions.X2AP_PDU
_MODULES = (_X2AP.X2AP_PDU_Contents, _X2AP.X2AP_IEs)
_KINDS = {"InitiatingMessage": "initiatingMessage", "SuccessfulOutcome": "successfulOutcome",
          "UnsuccessfulOutcome": "unsuccessfulOutcome"}


def _procedures() -> dict[str, tuple[int, str, str]]:
    table = _X2AP.X2AP_PDU_Descriptions.X2AP_ELEMENTARY_PROCEDURES._val
    out = {}
    for proc in table.root + (table.ext or []):
        for kind, alt in _KINDS.items():
            if kind in proc:
                out[proc[kind]._tr._name] = (proc["procedureCode"], proc["criticality"], alt)
    return out


PROCEDURES = _procedures()


def _asn1_type(name: str):
    attr = name.replace("-", "_")
    for mod in _MODULES:
        if hasattr(mod, attr):
            return getattr(mod, attr)
    raise KeyError(f"unknown X2AP type {name!r}")


def _ie_set(owner) -> list[tuple[int, str, str, str]]:
    tab = owner._cont["value"]._const_tab._val
    return [(r["id"], r["criticality"], r["Value"]._tr._name, r["presence"])
            for r in tab.root + (tab.ext or [])]


@lru_cache(maxsize=None)
def message_ies(msg: str) -> list[tuple[int, str, str, str]]:
    return _ie_set(_asn1_type(msg)._cont["protocolIEs"]._cont)


def encode(msg: str, ies: Iterable[tuple[str | int, Any]]) -> bytes:
    """APER X2AP-PDU for ``msg``; IEs by value type name or id, emitted in IE-set order."""
    code, crit, alt = PROCEDURES[msg]
    table = message_ies(msg)
    by_key: dict = {}
    for ie_id, ie_crit, typ, _p in table:
        by_key[ie_id] = (ie_id, ie_crit, typ)
        by_key.setdefault(typ, (ie_id, ie_crit, typ))
    given = {}
    for key, value in ies:
        ie_id, ie_crit, typ = by_key[key]
        given[ie_id] = {"id": ie_id, "criticality": ie_crit, "value": (typ, value)}
    missing = [t for i, _c, t, p in table if p == "mandatory" and i not in given]
    if missing:
        raise ValueError(f"{msg}: mandatory IE(s) missing: {', '.join(missing)}")
    order = [i for i, *_ in table]
    _PDU.set_val((alt, {"procedureCode": code, "criticality": crit, "value": (
        msg, {"protocolIEs": sorted(given.values(), key=lambda f: order.index(f["id"]))})}))
    return _PDU.to_aper()


def decode(data: bytes) -> tuple[str, str, dict]:
    """(PDU alternative, message name, {IE type: value}); for tests."""
    _PDU.from_aper(data)
    alt, body = _PDU.get_val()
    msg, content = body["value"]
    return alt, msg, {f["value"][0]: f["value"][1] for f in content["protocolIEs"]}


def _items(list_type: str, items: list[dict]) -> list[dict]:
    (ie_id, crit, typ, _p), = _ie_set(_asn1_type(list_type)._cont)
    return [{"id": ie_id, "criticality": crit, "value": (typ, item)} for item in items]


def cause_ie(cause: tuple[str, str | int]) -> tuple[str, str]:
    group, value = cause
    enum = _X2AP.X2AP_IEs.Cause._cont[group]
    if isinstance(value, int):
        value = enum._cont_rev[value]
    elif value not in enum._cont:
        raise ValueError(f"{value!r} is not an X2AP cause of group {group!r}")
    return group, value


def cause_object(cause: tuple[str, str | int]) -> dict:
    """DESIGN.md cause object of an X2AP cause (value = enumeration index within its group)."""
    group, name = cause_ie(cause)
    return {"proto": "X2AP", "group": group,
            "value": _X2AP.X2AP_IEs.Cause._cont[group]._cont[name], "name": name}


def ecgi(plmn: str, eci: int) -> dict:
    return {"pLMN-Identity": plmn_id(plmn), "eUTRANcellIdentifier": (eci, 28)}


def _tunnel(addr: str, teid: int) -> dict:
    return {"transportLayerAddress": transport_address(addr), "gTP-TEID": teid.to_bytes(4, "big")}


_ARP = {"priorityLevel": 9, "pre-emptionCapability": "shall-not-trigger-pre-emption",
        "pre-emptionVulnerability": "not-pre-emptable"}
_AMBR = {"uEaggregateMaximumBitRateDownlink": 100_000_000, "uEaggregateMaximumBitRateUplink": 50_000_000}
@lru_cache(maxsize=None)
def _rrc(which: str) -> bytes:
    """Minimal valid RRC containers (Wireshark dissects them, so they must be real UPER):
    HandoverPreparationInformation (RRC-Context), HandoverCommand with an empty RRC Connection
    Reconfiguration inside, NR CG-ConfigInfo (MeNB to SgNB) and CG-Config (SgNB to MeNB)."""
    from pycrate_asn1dir import RRCNR    # 0.3-1 s to load: only when X2 is used
    if which == "hpi":
        return s1ap_build._rrc_handover_preparation_information()
    if which == "hocmd":
        return s1ap_build._rrc_handover_command()
    node = RRCNR.NR_InterNodeDefinitions
    obj = node.CG_ConfigInfo if which == "cg-info" else node.CG_Config
    obj.set_val({"criticalExtensions": ("c1", ("cg-ConfigInfo" if which == "cg-info" else "cg-Config", {}))})
    return obj.to_uper()


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
           "rRC-Context": _rrc("hpi")}
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
        ("TargeteNBtoSource-eNBTransparentContainer", _rrc("hocmd"))])


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
        ("MeNBtoSgNBContainer", _rrc("cg-info")), ("ECGI", ecgi(*ecgi_))])


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
        ("SgNBtoMeNBContainer", _rrc("cg-config"))])


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
