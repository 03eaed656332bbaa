"""NAS-EPS messages (3GPP TS 24.301) encoded with pycrate_mobile's TS24301_EMM / TS24301_ESM.

pycrate lays out each message (header, mandatory V/LV parts, tags of optional IEs, lengths); the
few IE values whose pycrate structure is awkward to fill (TAI list, EPS QoS, PDN address, APN-AMBR,
PCO) are built here from the spec and passed as bytes. Every builder returns plain NAS bytes;
:func:`protect` wraps one in a security header. Nothing here does real cryptography: MACs are fake
(but stable) and "ciphered" messages carry plaintext, which is exactly what EEA0 (null ciphering)
puts on the wire.

Identities: ``imsi="001010000000001"``; ``guti=(plmn, mme_group_id, mme_code, m_tmsi)`` with
``plmn="00101"``.
"""
from __future__ import annotations

import contextlib
import hashlib
import importlib
import ipaddress
import logging
from typing import Sequence


@contextlib.contextmanager
def _quiet(*loggers: str):
    """Silence pycrate's import-time warning that the optional CryptoMobile module is missing:
    we never compute real MACs. Only during the import, so decoding warnings still show."""
    logs = [logging.getLogger(n) for n in loggers]
    levels = [log.level for log in logs]
    for log in logs:
        log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for log, level in zip(logs, levels):
            log.setLevel(level)


with _quiet("pycrate_mobile.TS24301_EMM"):
    from pycrate_mobile import TS24007 as _L3, TS24301_EMM as _EMM, TS24301_ESM as _ESM

# security header types (9.3.1)
PLAIN = 0
INTEGRITY = 1
INTEGRITY_CIPHERED = 2
INTEGRITY_NEW_CONTEXT = 3
INTEGRITY_CIPHERED_NEW_CONTEXT = 4

# identity types (9.9.3.12 / TS 24.008 10.5.1.4)
ID_IMSI, ID_IMEI, ID_IMEISV, ID_GUTI = 1, 2, 3, 6

# UE network capability: EEA0-3 and EIA0-3 (octets 3-4), the UMTS octets left out as most LTE-only
# devices do; the SMC replays the same octets.
UE_NET_CAP = b"\xf0\xf0"


_ENCODED: dict = {}
_ENCODED_MAX = 4096
_TEMPLATES: dict = {}
_TEMPLATES_MAX = 1024
# IE kinds whose value the constructor sets as {"V": value} (TS 24.007 11.2: V, LV, TV, TLV, ...)
_V_IES = (_L3.Type1V, _L3.Type3V, _L3.Type4LV, _L3.Type6LVE, _L3.Type1TV, _L3.Type3TV, _L3.Type4TLV,
          _L3.Type6TLVE)


def _enc(cls, **fields) -> bytes:
    """pycrate's encoding of message ``cls`` with ``fields``.

    Many messages repeat exactly (Security Mode Command, Attach Complete, the accepts, a UE's
    identity...): the bytes are kept for the last ``_ENCODED_MAX`` distinct inputs (the key is
    the fields' repr, which is exact for the ints, bytes, str, tuples and dicts given here).
    Otherwise building the pycrate message costs about 1 ms, nearly all of it in cloning the
    message's IE objects: so one message object per class and shape of the fields is kept and
    filled again (:func:`_fill`); tests/simulate/test_nas_build.py checks it encodes exactly as
    a new object (:func:`_fresh`) does, for every builder and changing inputs."""
    key = (cls, repr(fields))
    out = _ENCODED.get(key)
    if out is None:
        out = _fill(cls, fields).to_bytes()
        if len(_ENCODED) >= _ENCODED_MAX:
            _ENCODED.pop(next(iter(_ENCODED)))      # the oldest: memory stays bounded
        _ENCODED[key] = out
    return out


def _fresh(cls, fields: dict) -> bytes:
    """A new pycrate message with ``fields``, encoded: the reference for :func:`_fill`."""
    return cls(val=fields).to_bytes()


def _shape(value):
    """What fixes which elements of a pycrate message a value sets: dict keys, nesting, types."""
    if isinstance(value, dict):
        return tuple((k, _shape(v)) for k, v in value.items())
    if isinstance(value, (tuple, list)):
        return tuple(_shape(v) for v in value)
    return type(value).__name__


def _fill(cls, fields: dict):
    """The kept message object of ``cls`` for fields of this shape, given ``fields`` as
    ``cls(val=fields)`` would (TS24007.Layer3.__init__). The shape (:func:`_shape`) fixes which
    optional IEs are present and which elements each value sets, so nothing of an earlier value
    is left over; an IE's inner structure (an identity, a QoS) is built anew from the class's,
    as a new message builds it (its encoding keeps state such as the odd/even digit flag)."""
    shape = (cls, _shape(fields))
    msg = _TEMPLATES.get(shape)
    if msg is None:
        if len(_TEMPLATES) >= _TEMPLATES_MAX:
            _TEMPLATES.pop(next(iter(_TEMPLATES)))
        msg = _TEMPLATES[shape] = cls(val=fields)
        return msg
    for ie in msg._content:
        name = ie._name
        if name not in fields or isinstance(ie, (_L3.Type2, _L3.RestOctets)):
            continue
        if isinstance(ie, _V_IES):
            ie.unset_IE()          # V back in place of the inner IE the last value put there
            ie._IE = None          # set_IE clones the class's inner IE again
            ie.set_val({"V": fields[name]})
        else:
            ie.set_val(fields[name])
    return msg


def _ksi(value: int, mapped: bool = False) -> dict:
    return {"TSC": int(mapped), "Value": value}


def _guti(guti: tuple[str, int, int, int]) -> dict:
    return {"type": ID_GUTI, "ident": tuple(guti)}


def _eps_id(imsi: str | None, guti: tuple | None) -> dict:
    if (imsi is None) == (guti is None):
        raise ValueError("give exactly one of imsi= or guti=")
    return {"type": ID_IMSI, "ident": imsi} if imsi else _guti(guti)


# ----------------------------------------------------------------------------- spec-built values

def plmn_bytes(plmn: str) -> bytes:
    """PLMN in TBCD (TS 24.008 10.5.1.13), "00101" -> 00 f1 10."""
    d = [int(c) for c in plmn] + ([0xF] if len(plmn) == 5 else [])
    return bytes([d[1] << 4 | d[0], d[5] << 4 | d[2], d[4] << 4 | d[3]])


def tai_list(plmn: str, tacs: Sequence[int]) -> bytes:
    """Tracking area identity list (9.9.3.33), type "00": TACs of one PLMN, non-consecutive."""
    if not 1 <= len(tacs) <= 16:
        raise ValueError("a TAI list holds 1..16 TACs")
    return bytes([len(tacs) - 1]) + plmn_bytes(plmn) + b"".join(t.to_bytes(2, "big") for t in tacs)


def apn_bytes(apn: str) -> bytes:
    """APN in DNS label format (TS 23.003 9.1): "internet" -> 08 'internet'."""
    return b"".join(bytes([len(label)]) + label.encode() for label in apn.split("."))


def pdn_address(ip: str) -> bytes:
    """PDN address (9.9.4.9) for an IPv4 address: PDN type 1 followed by the address."""
    return b"\x01" + ipaddress.IPv4Address(ip).packed


def pco_dns(*servers: str) -> bytes:
    """Protocol configuration options (TS 24.008 10.5.6.3) carrying DNS server IPv4 addresses."""
    return b"\x80" + b"".join(b"\x00\x0d\x04" + ipaddress.IPv4Address(s).packed for s in servers)


# --------------------------------------------------------------------------------------- ESM

def pdn_connectivity_request(*, pti: int = 1, apn: str | None = None, pdn_type: int = 1,
                             request_type: int = 1, esm_info_transfer: bool = False) -> bytes:
    """PDN CONNECTIVITY REQUEST (8.3.20); pdn_type 1 IPv4, 2 IPv6, 3 IPv4v6; request 1 initial."""
    fields = {"ESMHeader": {"PTI": pti}, "PDNType": pdn_type, "RequestType": request_type}
    if esm_info_transfer:
        fields["ESMInfoTransferFlag"] = {"Value": 1}
    if apn is not None:
        fields["APN"] = apn_bytes(apn)
    return _enc(_ESM.ESMPDNConnectivityRequest, **fields)


def pdn_connectivity_reject(esm_cause: int, *, pti: int = 1) -> bytes:
    """PDN CONNECTIVITY REJECT (8.3.19) with an ESM cause (9.9.4.4)."""
    return _enc(_ESM.ESMPDNConnectivityReject, ESMHeader={"PTI": pti}, ESMCause=esm_cause)


def activate_default_bearer_request(*, ip: str, apn: str, ebi: int = 5, pti: int = 1, qci: int = 9,
                                    apn_ambr: bytes = b"\xfe\xfe", dns: Sequence[str] = ()) -> bytes:
    """ACTIVATE DEFAULT EPS BEARER CONTEXT REQUEST (8.3.6) for an IPv4 PDN connection.

    ``apn_ambr`` is the encoded APN-AMBR (9.9.4.2), default 8640 kbit/s each way.
    """
    fields = {"ESMHeader": {"EPSBearerId": ebi, "PTI": pti}, "EPSQoS": bytes([qci]),
              "APN": apn_bytes(apn), "PDNAddr": pdn_address(ip), "APN_AMBR": apn_ambr}
    if dns:
        fields["ProtConfig"] = pco_dns(*dns)
    return _enc(_ESM.ESMActDefaultEPSBearerCtxtRequest, **fields)


def activate_default_bearer_accept(*, ebi: int = 5) -> bytes:
    """ACTIVATE DEFAULT EPS BEARER CONTEXT ACCEPT (8.3.4)."""
    return _enc(_ESM.ESMActDefaultEPSBearerCtxtAccept, ESMHeader={"EPSBearerId": ebi})


def tft_create(remote_ip: str, *, port: int | None = None, protocol: int = 17, filter_id: int = 1,
               precedence: int = 10) -> bytes:
    """Traffic flow template (TS 24.008 10.5.6.12), operation "create new TFT", one bidirectional
    packet filter: IPv4 remote address (/32), protocol identifier and, given ``port``, a single
    remote port. The value part only (no IEI, no length): NAS and GTPv2 (Bearer TFT) carry it."""
    contents = b"\x10" + ipaddress.IPv4Address(remote_ip).packed + b"\xff\xff\xff\xff"
    contents += bytes([0x30, protocol])
    if port is not None:
        contents += b"\x50" + port.to_bytes(2, "big")
    pf = bytes([0x30 | (filter_id - 1) & 0x0F, precedence, len(contents)]) + contents
    return bytes([0x20 | 1]) + pf      # operation 001 create, E = 0, one packet filter


def activate_dedicated_bearer_request(*, ebi: int, linked_ebi: int = 5, qci: int = 7, tft: bytes,
                                      pti: int = 0) -> bytes:
    """ACTIVATE DEDICATED EPS BEARER CONTEXT REQUEST (8.3.3), network initiated (PTI 0): the new
    bearer's EBI, the default bearer it is linked to, its EPS QoS (non-GBR: the QCI alone) and
    the TFT."""
    return _enc(_ESM.ESMActDediEPSBearerCtxtRequest, ESMHeader={"EPSBearerId": ebi, "PTI": pti},
                LinkedEPSBearerId=linked_ebi, EPSQoS=bytes([qci]), TFT=tft)


def activate_dedicated_bearer_accept(*, ebi: int) -> bytes:
    """ACTIVATE DEDICATED EPS BEARER CONTEXT ACCEPT (8.3.1)."""
    return _enc(_ESM.ESMActDediEPSBearerCtxtAccept, ESMHeader={"EPSBearerId": ebi})


def deactivate_bearer_request(*, ebi: int, esm_cause: int = 36, pti: int = 0) -> bytes:
    """DEACTIVATE EPS BEARER CONTEXT REQUEST (8.3.12); #36 regular deactivation."""
    return _enc(_ESM.ESMDeactEPSBearerCtxtRequest, ESMHeader={"EPSBearerId": ebi, "PTI": pti},
                ESMCause=esm_cause)


def deactivate_bearer_accept(*, ebi: int) -> bytes:
    """DEACTIVATE EPS BEARER CONTEXT ACCEPT (8.3.11)."""
    return _enc(_ESM.ESMDeactEPSBearerCtxtAccept, ESMHeader={"EPSBearerId": ebi})


# ---------------------------------------------------------------------------------------- EMM

def attach_request(*, esm: bytes, imsi: str | None = None, guti: tuple | None = None,
                   attach_type: int = 1, ksi: int = 7, ue_net_cap: bytes = UE_NET_CAP,
                   drx: bytes = b"\x00\x0a") -> bytes:
    """ATTACH REQUEST (8.2.4) by IMSI or GUTI, with the ESM message (PDN connectivity request).

    attach_type: 1 EPS attach, 2 combined EPS/IMSI attach, 6 emergency. ksi 7: no key available.
    """
    return _enc(_EMM.EMMAttachRequest, NAS_KSI=_ksi(ksi), EPSAttachType=attach_type,
                EPSID=_eps_id(imsi, guti), UENetCap=ue_net_cap, ESMContainer=esm, DRXParam=drx)


def attach_accept(*, guti: tuple, tai_list: bytes, esm: bytes, result: int = 1,
                  t3412: int = 0x49) -> bytes:
    """ATTACH ACCEPT (8.2.1); result 1 EPS only; T3412 default 0x49: 9 x 6 minutes (GPRS timer,
    TS 24.008 10.5.7.3)."""
    return _enc(_EMM.EMMAttachAccept, EPSAttachResult=result, T3412=bytes([t3412]), TAIList=tai_list,
                ESMContainer=esm, GUTI=_guti(guti))


def attach_complete(esm: bytes) -> bytes:
    """ATTACH COMPLETE (8.2.2) carrying the ACTIVATE DEFAULT EPS BEARER CONTEXT ACCEPT."""
    return _enc(_EMM.EMMAttachComplete, ESMContainer=esm)


def attach_reject(emm_cause: int, *, esm: bytes | None = None, t3402: int | None = None) -> bytes:
    """ATTACH REJECT (8.2.3); ``esm`` (e.g. a PDN connectivity reject) for cause #19 ESM failure."""
    fields = {"EMMCause": emm_cause}
    if esm is not None:
        fields["ESMContainer"] = esm
    if t3402 is not None:
        fields["T3402"] = bytes([t3402])
    return _enc(_EMM.EMMAttachReject, **fields)


def identity_request(id_type: int = ID_IMSI) -> bytes:
    """IDENTITY REQUEST (8.2.18)."""
    return _enc(_EMM.EMMIdentityRequest, IDType=id_type)


def identity_response(*, imsi: str | None = None, imeisv: str | None = None) -> bytes:
    """IDENTITY RESPONSE (8.2.19) with the IMSI or the IMEISV."""
    ident = {"type": ID_IMSI, "ident": imsi} if imsi else {"type": ID_IMEISV, "ident": imeisv}
    return _enc(_EMM.EMMIdentityResponse, ID=ident)


def authentication_request(rand: bytes, autn: bytes, *, ksi: int = 0) -> bytes:
    """AUTHENTICATION REQUEST (8.2.7): 16-byte RAND and AUTN."""
    return _enc(_EMM.EMMAuthenticationRequest, NAS_KSI=_ksi(ksi), RAND=rand, AUTN=autn)


def authentication_response(res: bytes) -> bytes:
    """AUTHENTICATION RESPONSE (8.2.8): RES of 4..16 bytes."""
    return _enc(_EMM.EMMAuthenticationResponse, RES=res)


def authentication_failure(emm_cause: int, *, auts: bytes | None = None) -> bytes:
    """AUTHENTICATION FAILURE (8.2.5); #21 synch failure must carry the 14-byte AUTS."""
    fields = {"EMMCause": emm_cause}
    if auts is not None:
        fields["AUTS"] = auts
    return _enc(_EMM.EMMAuthenticationFailure, **fields)


def authentication_reject() -> bytes:
    """AUTHENTICATION REJECT (8.2.6)."""
    return _enc(_EMM.EMMAuthenticationReject)


def security_mode_command(*, eea: int = 0, eia: int = 2, ksi: int = 0,
                          ue_sec_cap: bytes = UE_NET_CAP, imeisv_request: bool = True) -> bytes:
    """SECURITY MODE COMMAND (8.2.20): selected algorithms, KSI, replayed UE security capabilities."""
    fields = {"NASSecAlgo": bytes([(eea & 7) << 4 | (eia & 7)]), "NAS_KSI": _ksi(ksi),
              "UESecCap": ue_sec_cap}
    if imeisv_request:
        fields["IMEISVReq"] = 1
    return _enc(_EMM.EMMSecurityModeCommand, **fields)


def security_mode_complete(*, imeisv: str | None = None) -> bytes:
    """SECURITY MODE COMPLETE (8.2.21), with the IMEISV when the network asked for it."""
    fields = {"IMEISV": {"type": ID_IMEISV, "ident": imeisv}} if imeisv else {}
    return _enc(_EMM.EMMSecurityModeComplete, **fields)


def security_mode_reject(emm_cause: int) -> bytes:
    """SECURITY MODE REJECT (8.2.22)."""
    return _enc(_EMM.EMMSecurityModeReject, EMMCause=emm_cause)


def service_request(*, ksi: int = 0, seq: int = 0, mac: bytes = b"\0\0") -> bytes:
    """SERVICE REQUEST (8.2.25): security header type 12, KSI, 5-bit sequence number, short MAC."""
    return _enc(_EMM.EMMServiceRequest, KSI=ksi, SeqnShort=seq & 0x1F, MACShort=mac)


def service_reject(emm_cause: int, *, t3442: int | None = None) -> bytes:
    """SERVICE REJECT (8.2.24)."""
    fields = {"EMMCause": emm_cause}
    if t3442 is not None:
        fields["T3442"] = bytes([t3442])
    return _enc(_EMM.EMMServiceReject, **fields)


def tracking_area_update_request(*, guti: tuple, ksi: int = 0, update_type: int = 0,
                                 active: bool = False, last_tai: tuple[str, int] | None = None,
                                 ue_net_cap: bytes = UE_NET_CAP) -> bytes:
    """TRACKING AREA UPDATE REQUEST (8.2.29); update_type 0 TA updating, 1 combined, 3 periodic."""
    fields = {"NAS_KSI": _ksi(ksi), "EPSUpdateType": {"Active": int(active), "Value": update_type},
              "OldGUTI": _guti(guti), "UENetCap": ue_net_cap}
    if last_tai is not None:
        fields["OldTAI"] = plmn_bytes(last_tai[0]) + last_tai[1].to_bytes(2, "big")
    return _enc(_EMM.EMMTrackingAreaUpdateRequest, **fields)


def tracking_area_update_accept(*, result: int = 0, t3412: int | None = 0x49, guti: tuple | None = None,
                                tai_list: bytes | None = None, bearers: Sequence[int] = ()) -> bytes:
    """TRACKING AREA UPDATE ACCEPT (8.2.26); ``bearers`` lists the active EPS bearer identities."""
    fields: dict = {"EPSUpdateResult": result}
    if t3412 is not None:
        fields["T3412"] = bytes([t3412])
    if guti is not None:
        fields["GUTI"] = _guti(guti)
    if tai_list is not None:
        fields["TAIList"] = tai_list
    if bearers:
        # EPS bearer context status (9.9.2.1): bit n of the 16-bit field is EBI n
        status = sum(1 << b for b in bearers)
        fields["EPSBearerCtxtStat"] = bytes([status & 0xFF, status >> 8])
    return _enc(_EMM.EMMTrackingAreaUpdateAccept, **fields)


def tracking_area_update_complete() -> bytes:
    return _enc(_EMM.EMMTrackingAreaUpdateComplete)


def tracking_area_update_reject(emm_cause: int) -> bytes:
    """TRACKING AREA UPDATE REJECT (8.2.28)."""
    return _enc(_EMM.EMMTrackingAreaUpdateReject, EMMCause=emm_cause)


def detach_request(*, guti: tuple | None = None, imsi: str | None = None, switch_off: bool = False,
                   detach_type: int = 1, ksi: int = 0) -> bytes:
    """UE-originating DETACH REQUEST (8.2.11.1); detach_type 1 EPS, 3 combined EPS/IMSI."""
    return _enc(_EMM.EMMDetachRequestMO, NAS_KSI=_ksi(ksi),
                EPSDetachType={"SwitchOff": int(switch_off), "Type": detach_type},
                EPSID=_eps_id(imsi, guti))


def detach_request_network(*, detach_type: int = 1, emm_cause: int | None = None) -> bytes:
    """UE-terminated DETACH REQUEST (8.2.11.2); detach_type 1 re-attach required, 2 not required."""
    fields: dict = {"EPSDetachType": {"Type": detach_type}}
    if emm_cause is not None:
        fields["EMMCause"] = emm_cause
    return _enc(_EMM.EMMDetachRequestMT, **fields)


def detach_accept() -> bytes:
    """DETACH ACCEPT (8.2.9/8.2.10)."""
    return _enc(_EMM.EMMDetachAccept)


def emm_status(emm_cause: int) -> bytes:
    """EMM STATUS (8.2.14)."""
    return _enc(_EMM.EMMStatus, EMMCause=emm_cause)


# ------------------------------------------------------------------------------------ security

def fake_mac(count: int, message: bytes) -> bytes:
    """A MAC that looks random but depends only on the NAS COUNT and the message (deterministic)."""
    return hashlib.sha256(count.to_bytes(4, "big") + message).digest()[:4]


def protect(message: bytes, *, sec_hdr: int = INTEGRITY_CIPHERED, count: int = 0,
            mac: bytes | None = None) -> bytes:
    """Wrap a plain NAS message in a security protected NAS message (9.1/9.3.1).

    Types 1 and 3 are integrity protected only; types 2 and 4 are "ciphered", which with EEA0
    leaves the inner message readable. ``count`` is the NAS COUNT; its low byte is the SN.
    """
    if sec_hdr not in (INTEGRITY, INTEGRITY_CIPHERED, INTEGRITY_NEW_CONTEXT,
                       INTEGRITY_CIPHERED_NEW_CONTEXT):
        raise ValueError(f"security header type {sec_hdr} does not protect a message")
    # 9.1: security header type | protocol discriminator (EMM), MAC, sequence number, message;
    # fixed layout, so struct (pycrate's EMMSecProtNASMessage gives the same bytes, see tests)
    mac = mac or fake_mac(count, message)
    if len(mac) != 4:
        raise ValueError("a NAS MAC is 4 bytes")
    return bytes([sec_hdr << 4 | 0x07]) + mac + bytes([count & 0xFF]) + message


def decode(data: bytes, *, uplink: bool):
    """pycrate's reading of a NAS PDU: (message object, error code 0 if fine). For tests."""
    with _quiet("pycrate_mobile.TS24501_FGMM"):
        from pycrate_mobile.NAS import parse_NAS_MO, parse_NAS_MT
    return (parse_NAS_MO if uplink else parse_NAS_MT)(data)


# ---------------------------------------------------------------------------------------- causes

def _tables():
    """decoders/nas_eps_tables.py (generated from the spec), installed or from the source tree."""
    for name in ("chrtool.decoders.nas_eps_tables", "decoders.nas_eps_tables"):
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    return None


def cause_name(group: str, value: int) -> str:
    """Spec name of EMM (``group="emm"``) or ESM cause ``value``.

    Prefers chrtool's generated tables so simulated truth uses the decoder's wording, and falls
    back to pycrate's dictionaries (the tables' own source) when they are not there.
    """
    tables = _tables()
    if tables is not None:
        names = tables.EMM_CAUSES if group == "emm" else tables.ESM_CAUSES
    else:
        from pycrate_mobile import TS24301_IE
        names = TS24301_IE._EMMCause_dict if group == "emm" else TS24301_IE._ESMCause_dict
    return names.get(value, f"cause #{value}")


def cause_object(group: str, value: int) -> dict:
    """The DESIGN.md cause object for a NAS cause: {"proto": "NAS-EPS", "group", "value", "name"}."""
    if group not in ("emm", "esm"):
        raise ValueError(f"NAS cause group is 'emm' or 'esm', not {group!r}")
    return {"proto": "NAS-EPS", "group": group, "value": value, "name": cause_name(group, value)}
