"""S1AP (3GPP TS 36.413) PDUs encoded with pycrate's ASN.1 runtime (APER).

:func:`encode` builds any S1AP message from its name and ``(IE, value)`` pairs: procedure code,
message criticality, IE ids and IE criticalities are looked up in the ASN.1 object sets
(S1AP-ELEMENTARY-PROCEDURES and each message's IE set), so nothing is typed by hand. The builders
below cover the messages chrtool's scenarios and decoder tests need, with Python-friendly values:

- PLMN: ``"00101"`` (MCC 001, MNC 01) or ``"001001"`` (3-digit MNC);
- ``tai=(plmn, tac)``, ``ecgi=(plmn, eci)`` with the 28-bit E-UTRAN cell identity;
- transport addresses as text (``"10.0.2.1"``), TEIDs as ints;
- ``cause=("radioNetwork", "radio-connection-with-ue-lost")``, the enumeration may also be its index.

Values are pycrate's: a CHOICE is ``(alternative, value)``, a BIT STRING ``(int, nbits)``.
"""
from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any, Iterable, NamedTuple, Sequence

from pycrate_asn1dir import S1AP as _S1AP

from chrtool.simulate import rrc_build as rrc
from chrtool.simulate.aper_pdu import ApPdu, ie_set, open_type

# PDU framing, procedure and IE tables, the fast path: shared with X2AP (aper_pdu)
AP = ApPdu("S1AP", _S1AP.S1AP_PDU_Descriptions.S1AP_PDU, _S1AP.S1AP_PDU_Descriptions.S1AP_ELEMENTARY_PROCEDURES,
           (_S1AP.S1AP_PDU_Contents, _S1AP.S1AP_IEs))
_PDU = AP.pdu
PROCEDURES = AP.procedures                 # message name -> (procedure code, criticality, PDU alternative)
_asn1_type = AP.asn1_type
_ie_set = ie_set
_items = AP.items
_open_type = open_type
_encode_whole = AP.encode_whole
message_ies = AP.message_ies
decode = AP.decode


def encode(msg: str, ies: Iterable[tuple[str | int, Any]]) -> bytes:
    """APER-encoded S1AP-PDU for message ``msg`` (e.g. "InitialUEMessage"), IEs by value type
    name ("ENB-UE-S1AP-ID") or numeric id (158), emitted in IE-set order (see ApPdu.encode)."""
    return AP.encode(msg, ies)


# ---------------------------------------------------------------------------------- value helpers

def plmn_id(plmn: str) -> bytes:
    """PLMN identity in TBCD (TS 24.008 10.5.1.13): "00101" -> 00 f1 10."""
    if not plmn.isdigit() or len(plmn) not in (5, 6):
        raise ValueError(f"PLMN must be MCC+MNC digits, got {plmn!r}")
    d = [int(c) for c in plmn] + ([0xF] if len(plmn) == 5 else [])
    mcc1, mcc2, mcc3, mnc1, mnc2, mnc3 = d
    return bytes([mcc2 << 4 | mcc1, mnc3 << 4 | mcc3, mnc2 << 4 | mnc1])


def tai_ie(plmn: str, tac: int) -> dict:
    return {"pLMNidentity": plmn_id(plmn), "tAC": tac.to_bytes(2, "big")}


def ecgi_ie(plmn: str, eci: int) -> dict:
    return {"pLMNidentity": plmn_id(plmn), "cell-ID": (eci, 28)}


def global_enb_id(plmn: str, enb_id: int) -> dict:
    """Global eNB ID of a macro eNB (20-bit eNB ID, i.e. ECI >> 8)."""
    return {"pLMNidentity": plmn_id(plmn), "eNB-ID": ("macroENB-ID", (enb_id, 20))}


def transport_address(addr: str) -> tuple[int, int]:
    """TransportLayerAddress BIT STRING for an IPv4 (32 bits) or IPv6 (128 bits) address."""
    packed = ipaddress.ip_address(addr).packed
    return int.from_bytes(packed, "big"), 8 * len(packed)


cause_ie = AP.cause_ie              # ("radioNetwork", "user-inactivity") or (group, index)
cause_object = AP.cause_object      # the DESIGN.md cause object of an S1AP cause


def _ue_ids(mme_ue_id: int, enb_ue_id: int | None):
    if enb_ue_id is None:
        return "mME-UE-S1AP-ID", mme_ue_id
    return "uE-S1AP-ID-pair", {"mME-UE-S1AP-ID": mme_ue_id, "eNB-UE-S1AP-ID": enb_ue_id}


class Erab(NamedTuple):
    """One E-RAB: id, the GTP-U endpoint (address, TEID) and its QoS (QCI, ARP priority)."""
    id: int
    address: str
    teid: int
    qci: int = 9
    priority: int = 15


def _qos(e: Erab) -> dict:
    return {"qCI": e.qci, "allocationRetentionPriority": {
        "priorityLevel": e.priority, "pre-emptionCapability": "shall-not-trigger-pre-emption",
        "pre-emptionVulnerability": "pre-emptable"}}


def _tunnel(e: Erab, teid_key: str = "gTP-TEID") -> dict:
    return {"e-RAB-ID": e.id, "transportLayerAddress": transport_address(e.address),
            teid_key: e.teid.to_bytes(4, "big")}


def _failed(list_type: str, failed: Sequence[tuple[int, tuple]]) -> list[dict]:
    return _items(list_type, [{"e-RAB-ID": i, "cause": cause_ie(c)} for i, c in failed])


def security_capabilities(eea: int = 0xC000, eia: int = 0xC000) -> dict:
    """UESecurityCapabilities; default 128-EEA1/EEA2 and 128-EIA1/EIA2 (first two bits)."""
    return {"encryptionAlgorithms": (eea, 16), "integrityProtectionAlgorithms": (eia, 16)}


# ------------------------------------------------------------------------------ non-UE procedures

def s1_setup_request(plmn: str, enb_id: int, tacs: Sequence[int], *, enb_name: str | None = None,
                     paging_drx: str = "v128") -> bytes:
    ies = [("Global-ENB-ID", global_enb_id(plmn, enb_id)),
           ("SupportedTAs", [{"tAC": t.to_bytes(2, "big"), "broadcastPLMNs": [plmn_id(plmn)]}
                             for t in tacs]),
           ("PagingDRX", paging_drx)]
    if enb_name:
        ies.append(("ENBname", enb_name))
    return encode("S1SetupRequest", ies)


def s1_setup_response(plmn: str, mmegi: int, mmec: int, *, mme_name: str | None = None,
                      relative_capacity: int = 255) -> bytes:
    ies = [("ServedGUMMEIs", [{"servedPLMNs": [plmn_id(plmn)],
                               "servedGroupIDs": [mmegi.to_bytes(2, "big")],
                               "servedMMECs": [bytes([mmec])]}]),
           ("RelativeMMECapacity", relative_capacity)]
    if mme_name:
        ies.append(("MMEname", mme_name))
    return encode("S1SetupResponse", ies)


def s1_setup_failure(cause: tuple, *, time_to_wait: str | None = None) -> bytes:
    ies = [("Cause", cause_ie(cause))]
    if time_to_wait:
        ies.append(("TimeToWait", time_to_wait))
    return encode("S1SetupFailure", ies)


def error_indication(*, mme_ue_id: int | None = None, enb_ue_id: int | None = None,
                     cause: tuple | None = None) -> bytes:
    ies = []
    if mme_ue_id is not None:
        ies.append(("MME-UE-S1AP-ID", mme_ue_id))
    if enb_ue_id is not None:
        ies.append(("ENB-UE-S1AP-ID", enb_ue_id))
    if cause is not None:
        ies.append(("Cause", cause_ie(cause)))
    return encode("ErrorIndication", ies)


# ---------------------------------------------------------------------------------- NAS transport

def initial_ue_message(enb_ue_id: int, nas: bytes, tai: tuple[str, int], ecgi: tuple[str, int], *,
                       rrc_cause: str = "mo-Signalling", s_tmsi: tuple[int, int] | None = None) -> bytes:
    """InitialUEMessage; ``s_tmsi=(mmec, m_tmsi)`` when the UE identified itself by S-TMSI."""
    ies = [("ENB-UE-S1AP-ID", enb_ue_id), ("NAS-PDU", nas), ("TAI", tai_ie(*tai)),
           ("EUTRAN-CGI", ecgi_ie(*ecgi)), ("RRC-Establishment-Cause", rrc_cause)]
    if s_tmsi:
        ies.append(("S-TMSI", {"mMEC": bytes([s_tmsi[0]]), "m-TMSI": s_tmsi[1].to_bytes(4, "big")}))
    return encode("InitialUEMessage", ies)


def downlink_nas_transport(mme_ue_id: int, enb_ue_id: int, nas: bytes) -> bytes:
    return encode("DownlinkNASTransport", [("MME-UE-S1AP-ID", mme_ue_id),
                                           ("ENB-UE-S1AP-ID", enb_ue_id), ("NAS-PDU", nas)])


def uplink_nas_transport(mme_ue_id: int, enb_ue_id: int, nas: bytes, tai: tuple[str, int],
                         ecgi: tuple[str, int]) -> bytes:
    return encode("UplinkNASTransport", [("MME-UE-S1AP-ID", mme_ue_id), ("ENB-UE-S1AP-ID", enb_ue_id),
                                         ("NAS-PDU", nas), ("EUTRAN-CGI", ecgi_ie(*ecgi)),
                                         ("TAI", tai_ie(*tai))])


# ------------------------------------------------------------------------------- context set-up

def initial_context_setup_request(mme_ue_id: int, enb_ue_id: int, erabs: Sequence[Erab], *,
                                  nas: bytes | None = None,
                                  ambr: tuple[int, int] = (200_000_000, 100_000_000),
                                  security: dict | None = None,
                                  security_key: bytes = bytes(32)) -> bytes:
    """InitialContextSetupRequest; ``nas`` (e.g. the Attach Accept) rides in the first E-RAB."""
    items = []
    for i, e in enumerate(erabs):
        item = {**_tunnel(e), "e-RABlevelQoSParameters": _qos(e)}
        if i == 0 and nas is not None:
            item["nAS-PDU"] = nas
        items.append(item)
    return encode("InitialContextSetupRequest", [
        ("MME-UE-S1AP-ID", mme_ue_id), ("ENB-UE-S1AP-ID", enb_ue_id),
        ("UEAggregateMaximumBitrate", {"uEaggregateMaximumBitRateDL": ambr[0],
                                       "uEaggregateMaximumBitRateUL": ambr[1]}),
        ("E-RABToBeSetupListCtxtSUReq", _items("E-RABToBeSetupListCtxtSUReq", items)),
        ("UESecurityCapabilities", security or security_capabilities()),
        ("SecurityKey", (int.from_bytes(security_key, "big"), 256))])


def initial_context_setup_response(mme_ue_id: int, enb_ue_id: int, erabs: Sequence[Erab], *,
                                   failed: Sequence[tuple[int, tuple]] = ()) -> bytes:
    ies = [("MME-UE-S1AP-ID", mme_ue_id), ("ENB-UE-S1AP-ID", enb_ue_id),
           ("E-RABSetupListCtxtSURes", _items("E-RABSetupListCtxtSURes", [_tunnel(e) for e in erabs]))]
    if failed:
        ies.append(("E-RABList", _failed("E-RABList", failed)))
    return encode("InitialContextSetupResponse", ies)


def initial_context_setup_failure(mme_ue_id: int, enb_ue_id: int, cause: tuple) -> bytes:
    return encode("InitialContextSetupFailure", [("MME-UE-S1AP-ID", mme_ue_id),
                                                 ("ENB-UE-S1AP-ID", enb_ue_id), ("Cause", cause_ie(cause))])


# ------------------------------------------------------------------------------ context release

def ue_context_release_request(mme_ue_id: int, enb_ue_id: int, cause: tuple) -> bytes:
    return encode("UEContextReleaseRequest", [("MME-UE-S1AP-ID", mme_ue_id),
                                              ("ENB-UE-S1AP-ID", enb_ue_id), ("Cause", cause_ie(cause))])


def ue_context_release_command(mme_ue_id: int, enb_ue_id: int | None, cause: tuple) -> bytes:
    """UEContextReleaseCommand with the UE-S1AP-IDs pair (or the MME id alone if ``enb_ue_id`` is None)."""
    return encode("UEContextReleaseCommand", [("UE-S1AP-IDs", _ue_ids(mme_ue_id, enb_ue_id)),
                                              ("Cause", cause_ie(cause))])


def ue_context_release_complete(mme_ue_id: int, enb_ue_id: int) -> bytes:
    return encode("UEContextReleaseComplete", [("MME-UE-S1AP-ID", mme_ue_id),
                                               ("ENB-UE-S1AP-ID", enb_ue_id)])


# ------------------------------------------------------------------------- E-RAB management

def erab_setup_request(mme_ue_id: int, enb_ue_id: int, erabs: Sequence[Erab],
                       nas: Sequence[bytes]) -> bytes:
    """E-RABSetupRequest; each E-RAB carries its NAS PDU (Activate Dedicated EPS Bearer Request)."""
    items = [{**_tunnel(e), "e-RABlevelQoSParameters": _qos(e), "nAS-PDU": n} for e, n in zip(erabs, nas)]
    return encode("E-RABSetupRequest", [("MME-UE-S1AP-ID", mme_ue_id), ("ENB-UE-S1AP-ID", enb_ue_id),
                                        ("E-RABToBeSetupListBearerSUReq",
                                         _items("E-RABToBeSetupListBearerSUReq", items))])


def erab_setup_response(mme_ue_id: int, enb_ue_id: int, erabs: Sequence[Erab] = (), *,
                        failed: Sequence[tuple[int, tuple]] = ()) -> bytes:
    ies = [("MME-UE-S1AP-ID", mme_ue_id), ("ENB-UE-S1AP-ID", enb_ue_id)]
    if erabs:
        ies.append(("E-RABSetupListBearerSURes",
                    _items("E-RABSetupListBearerSURes", [_tunnel(e) for e in erabs])))
    if failed:
        ies.append(("E-RABList", _failed("E-RABList", failed)))
    return encode("E-RABSetupResponse", ies)


def erab_release_command(mme_ue_id: int, enb_ue_id: int, erabs: Sequence[tuple[int, tuple]], *,
                         nas: bytes | None = None) -> bytes:
    """E-RABReleaseCommand for (e-RAB id, cause) pairs, optionally with a NAS PDU."""
    ies = [("MME-UE-S1AP-ID", mme_ue_id), ("ENB-UE-S1AP-ID", enb_ue_id),
           ("E-RABList", _failed("E-RABList", erabs))]
    if nas is not None:
        ies.append(("NAS-PDU", nas))
    return encode("E-RABReleaseCommand", ies)


def erab_release_response(mme_ue_id: int, enb_ue_id: int, released: Sequence[int], *,
                          failed: Sequence[tuple[int, tuple]] = ()) -> bytes:
    ies = [("MME-UE-S1AP-ID", mme_ue_id), ("ENB-UE-S1AP-ID", enb_ue_id),
           ("E-RABReleaseListBearerRelComp",
            _items("E-RABReleaseListBearerRelComp", [{"e-RAB-ID": i} for i in released]))]
    if failed:
        ies.append(("E-RABList", _failed("E-RABList", failed)))
    return encode("E-RABReleaseResponse", ies)


def erab_modification_indication(mme_ue_id: int, enb_ue_id: int, erabs: Sequence[Erab]) -> bytes:
    """E-RABModificationIndication: the eNB reports new downlink tunnel endpoints (e.g. EN-DC)."""
    items = [_tunnel(e, "dL-GTP-TEID") for e in erabs]
    return encode("E-RABModificationIndication", [
        ("MME-UE-S1AP-ID", mme_ue_id), ("ENB-UE-S1AP-ID", enb_ue_id),
        ("E-RABToBeModifiedListBearerModInd", _items("E-RABToBeModifiedListBearerModInd", items))])


# ------------------------------------------------------------------------------------- mobility

def _source_to_target_container(target_ecgi, source_ecgi):
    """The SourceeNB-ToTargeteNB-TransparentContainer the source hands the target (through the
    MME): its RRC HandoverPreparationInformation, the target cell and the UE's history."""
    container = _asn1_type("SourceeNB-ToTargeteNB-TransparentContainer")
    container.set_val({
        "rRC-Container": rrc.HANDOVER_PREPARATION_INFORMATION,
        "targetCell-ID": ecgi_ie(*target_ecgi),
        "uE-HistoryInformation": [("e-UTRAN-Cell", {"global-Cell-ID": ecgi_ie(*source_ecgi),
                                                    "cellType": {"cell-Size": "medium"},
                                                    "time-UE-StayedInCell": 120})]})
    return container


def handover_required(mme_ue_id: int, enb_ue_id: int, cause: tuple, target_enb: tuple[str, int],
                      target_tai: tuple[str, int], target_ecgi: tuple[str, int],
                      source_ecgi: tuple[str, int]) -> bytes:
    """S1 HandoverRequired (intra-LTE) with a real SourceeNB-ToTargeteNB-TransparentContainer."""
    container = _source_to_target_container(target_ecgi, source_ecgi)
    return encode("HandoverRequired", [
        ("MME-UE-S1AP-ID", mme_ue_id), ("ENB-UE-S1AP-ID", enb_ue_id),
        ("HandoverType", "intralte"), ("Cause", cause_ie(cause)),
        ("TargetID", ("targeteNB-ID", {"global-ENB-ID": global_enb_id(*target_enb),
                                       "selected-TAI": tai_ie(*target_tai)})),
        ("Source-ToTarget-TransparentContainer", container.to_aper())])


def path_switch_request(enb_ue_id: int, source_mme_ue_id: int, erabs: Sequence[Erab],
                        tai: tuple[str, int], ecgi: tuple[str, int], *,
                        security: dict | None = None) -> bytes:
    """PathSwitchRequest after an X2 handover: the target eNB's new downlink tunnels."""
    return encode("PathSwitchRequest", [
        ("ENB-UE-S1AP-ID", enb_ue_id),
        ("E-RABToBeSwitchedDLList", _items("E-RABToBeSwitchedDLList", [_tunnel(e) for e in erabs])),
        ("MME-UE-S1AP-ID", source_mme_ue_id), ("EUTRAN-CGI", ecgi_ie(*ecgi)), ("TAI", tai_ie(*tai)),
        ("UESecurityCapabilities", security or security_capabilities())])


def path_switch_request_acknowledge(mme_ue_id: int, enb_ue_id: int, *, ncc: int = 1,
                                    next_hop: bytes = bytes(32)) -> bytes:
    return encode("PathSwitchRequestAcknowledge", [
        ("MME-UE-S1AP-ID", mme_ue_id), ("ENB-UE-S1AP-ID", enb_ue_id),
        ("SecurityContext", {"nextHopChainingCount": ncc,
                             "nextHopParameter": (int.from_bytes(next_hop, "big"), 256)})])


def path_switch_request_failure(mme_ue_id: int, enb_ue_id: int, cause: tuple) -> bytes:
    return encode("PathSwitchRequestFailure", [("MME-UE-S1AP-ID", mme_ue_id),
                                               ("ENB-UE-S1AP-ID", enb_ue_id), ("Cause", cause_ie(cause))])


@lru_cache(maxsize=1)
def _target_to_source_container() -> bytes:
    container = _asn1_type("TargeteNB-ToSourceeNB-TransparentContainer")
    container.set_val({"rRC-Container": rrc.HANDOVER_COMMAND})
    return container.to_aper()


def handover_request(mme_ue_id: int, cause: tuple, erabs: Sequence[Erab], target_ecgi: tuple[str, int],
                     source_ecgi: tuple[str, int], *, ambr: tuple[int, int] = (200_000_000, 100_000_000),
                     ncc: int = 2, next_hop: bytes = bytes(32), security: dict | None = None) -> bytes:
    """S1 HandoverRequest (MME to the target eNB): the UE's E-RABs with the SGW's uplink tunnels,
    the source's transparent container, security capabilities and the next-hop key."""
    container = _source_to_target_container(target_ecgi, source_ecgi)
    items = [{**_tunnel(e), "e-RABlevelQosParameters": _qos(e)} for e in erabs]
    return encode("HandoverRequest", [
        ("MME-UE-S1AP-ID", mme_ue_id), ("HandoverType", "intralte"), ("Cause", cause_ie(cause)),
        ("UEAggregateMaximumBitrate", {"uEaggregateMaximumBitRateDL": ambr[0],
                                       "uEaggregateMaximumBitRateUL": ambr[1]}),
        ("E-RABToBeSetupListHOReq", _items("E-RABToBeSetupListHOReq", items)),
        ("Source-ToTarget-TransparentContainer", container.to_aper()),
        ("UESecurityCapabilities", security or security_capabilities()),
        ("SecurityContext", {"nextHopChainingCount": ncc,
                             "nextHopParameter": (int.from_bytes(next_hop, "big"), 256)})])


def handover_request_acknowledge(mme_ue_id: int, enb_ue_id: int, erabs: Sequence[Erab]) -> bytes:
    """The target eNB admits the E-RABs (its downlink tunnels) and returns the RRC command."""
    return encode("HandoverRequestAcknowledge", [
        ("MME-UE-S1AP-ID", mme_ue_id), ("ENB-UE-S1AP-ID", enb_ue_id),
        ("E-RABAdmittedList", _items("E-RABAdmittedList", [_tunnel(e) for e in erabs])),
        ("Target-ToSource-TransparentContainer", _target_to_source_container())])


def handover_failure(mme_ue_id: int, cause: tuple) -> bytes:
    """The target eNB cannot accept the UE (unsuccessful outcome of Handover Resource Allocation)."""
    return encode("HandoverFailure", [("MME-UE-S1AP-ID", mme_ue_id), ("Cause", cause_ie(cause))])


def handover_command(mme_ue_id: int, enb_ue_id: int) -> bytes:
    """MME to the source eNB: go; the target's RRC HandoverCommand rides in the container."""
    return encode("HandoverCommand", [
        ("MME-UE-S1AP-ID", mme_ue_id), ("ENB-UE-S1AP-ID", enb_ue_id), ("HandoverType", "intralte"),
        ("Target-ToSource-TransparentContainer", _target_to_source_container())])


def handover_preparation_failure(mme_ue_id: int, enb_ue_id: int, cause: tuple) -> bytes:
    return encode("HandoverPreparationFailure", [("MME-UE-S1AP-ID", mme_ue_id),
                                                 ("ENB-UE-S1AP-ID", enb_ue_id), ("Cause", cause_ie(cause))])


def _status_transfer(erab_ids: Sequence[int], ul: tuple[int, int], dl: tuple[int, int]) -> list[dict]:
    return _items("Bearers-SubjectToStatusTransferList", [
        {"e-RAB-ID": i, "uL-COUNTvalue": {"pDCP-SN": ul[0], "hFN": ul[1]},
         "dL-COUNTvalue": {"pDCP-SN": dl[0], "hFN": dl[1]}} for i in erab_ids])


def enb_status_transfer(mme_ue_id: int, enb_ue_id: int, erab_ids: Sequence[int] = (5,), *,
                        ul: tuple[int, int] = (0, 0), dl: tuple[int, int] = (0, 0)) -> bytes:
    """Source eNB to the MME: the PDCP COUNTs of the bearers (``ul``/``dl`` = (PDCP SN, HFN))."""
    return encode("ENBStatusTransfer", [
        ("MME-UE-S1AP-ID", mme_ue_id), ("ENB-UE-S1AP-ID", enb_ue_id),
        ("ENB-StatusTransfer-TransparentContainer",
         {"bearers-SubjectToStatusTransferList": _status_transfer(erab_ids, ul, dl)})])


def mme_status_transfer(mme_ue_id: int, enb_ue_id: int, erab_ids: Sequence[int] = (5,), *,
                        ul: tuple[int, int] = (0, 0), dl: tuple[int, int] = (0, 0)) -> bytes:
    """The MME relays the source's PDCP COUNTs to the target eNB."""
    return encode("MMEStatusTransfer", [
        ("MME-UE-S1AP-ID", mme_ue_id), ("ENB-UE-S1AP-ID", enb_ue_id),
        ("ENB-StatusTransfer-TransparentContainer",
         {"bearers-SubjectToStatusTransferList": _status_transfer(erab_ids, ul, dl)})])


def handover_notify(mme_ue_id: int, enb_ue_id: int, ecgi: tuple[str, int], tai: tuple[str, int]) -> bytes:
    """Target eNB to the MME: the UE has arrived in ``ecgi``."""
    return encode("HandoverNotify", [("MME-UE-S1AP-ID", mme_ue_id), ("ENB-UE-S1AP-ID", enb_ue_id),
                                     ("EUTRAN-CGI", ecgi_ie(*ecgi)), ("TAI", tai_ie(*tai))])
