"""GTPv2-C messages (3GPP TS 29.274) for S11 between an MME and an SGW, hand-encoded.

- :func:`header` / :func:`message` -- the header of 5.1 (version 2, P and T flags, length of
  everything after the first 4 octets, TEID when T is set, 24-bit sequence number, spare octet);
- :func:`ie` -- one IE of 8.2 (type, length of the value, spare/instance octet, value); typed
  helpers below for the IEs of 8.x the session procedures carry (IMSI, MSISDN, MEI in TBCD;
  Cause; ULI with TAI and ECGI; F-TEID; Bearer Context as a grouped IE; ...);
- the S11 procedures of an attach and a detach: Create Session Request/Response (32/33), Modify
  Bearer Request/Response (34/35), Delete Session Request/Response (36/37), Release Access Bearers
  Request/Response (170/171).

Messages are byte strings; TEIDs and sequence numbers are the caller's (the scenario engine
allocates them). F-TEID interface types are those of 8.22 (``IF_*``).
"""
from __future__ import annotations

import ipaddress
import struct
from typing import Iterable, NamedTuple, Sequence

# message types (Table 6.1-1)
CREATE_SESSION_REQUEST, CREATE_SESSION_RESPONSE = 32, 33
MODIFY_BEARER_REQUEST, MODIFY_BEARER_RESPONSE = 34, 35
DELETE_SESSION_REQUEST, DELETE_SESSION_RESPONSE = 36, 37
RELEASE_ACCESS_BEARERS_REQUEST, RELEASE_ACCESS_BEARERS_RESPONSE = 170, 171
CREATE_BEARER_REQUEST, CREATE_BEARER_RESPONSE = 95, 96
DELETE_BEARER_REQUEST, DELETE_BEARER_RESPONSE = 99, 100
MESSAGE_NAMES = {32: "CreateSessionRequest", 33: "CreateSessionResponse",
                 95: "CreateBearerRequest", 96: "CreateBearerResponse",
                 99: "DeleteBearerRequest", 100: "DeleteBearerResponse",
                 34: "ModifyBearerRequest", 35: "ModifyBearerResponse",
                 36: "DeleteSessionRequest", 37: "DeleteSessionResponse",
                 170: "ReleaseAccessBearersRequest", 171: "ReleaseAccessBearersResponse"}

# IE types (Table 8.1-1)
IE_IMSI, IE_CAUSE, IE_RECOVERY = 1, 2, 3
IE_APN, IE_AMBR, IE_EBI, IE_MEI, IE_MSISDN, IE_INDICATION = 71, 72, 73, 75, 76, 77
IE_PAA, IE_BEARER_QOS, IE_RAT_TYPE, IE_SERVING_NETWORK, IE_ULI, IE_FTEID = 79, 80, 82, 83, 86, 87
IE_BEARER_TFT, IE_CHARGING_ID = 84, 94
IE_BEARER_CONTEXT, IE_CHARGING_CHARACTERISTICS, IE_PDN_TYPE = 93, 95, 99
IE_UE_TIME_ZONE, IE_APN_RESTRICTION, IE_SELECTION_MODE = 114, 127, 128

# causes (8.4)
REQUEST_ACCEPTED = 16
CONTEXT_NOT_FOUND = 64
NO_RESOURCES_AVAILABLE = 73
UE_NOT_RESPONDING = 88
REQUEST_REJECTED = 94
# RAT types (8.17)
RAT_EUTRAN = 6
# F-TEID interface types (8.22)
IF_S1U_ENB, IF_S1U_SGW, IF_S5S8_SGW_U, IF_S5S8_PGW_U = 0, 1, 4, 5
IF_S5S8_SGW_C, IF_S5S8_PGW_C, IF_S11_MME, IF_S11S4_SGW = 6, 7, 10, 11
# PDN types (8.34)
PDN_IPV4 = 1


def header(msg_type: int, length: int, *, teid: int | None, seq: int, piggyback: bool = False) -> bytes:
    """The GTPv2-C header (5.1); ``length`` is the size of the IEs. ``teid=None`` leaves T clear
    (only Echo and a few node-level messages do that)."""
    flags = 0x40 | (0x10 if piggyback else 0) | (0x08 if teid is not None else 0)
    rest = (struct.pack("!I", teid & 0xFFFFFFFF) if teid is not None else b"") + \
        (seq & 0xFFFFFF).to_bytes(3, "big") + b"\0"
    return struct.pack("!BBH", flags, msg_type, len(rest) + length) + rest


def message(msg_type: int, ies: Iterable[bytes], *, teid: int | None, seq: int) -> bytes:
    body = b"".join(ies)
    return header(msg_type, len(body), teid=teid, seq=seq) + body


def ie(typ: int, value: bytes, instance: int = 0) -> bytes:
    """One IE (8.2.1): type, 16-bit length of the value, spare (CR) nibble and instance, value."""
    if len(value) > 0xFFFF:
        raise ValueError("IE too long")
    return struct.pack("!BHB", typ, len(value), instance & 0x0F) + value


# ------------------------------------------------------------------------------------- IE values

def tbcd(digits: str) -> bytes:
    d = digits + ("F" if len(digits) % 2 else "")
    return bytes(int(d[i + 1], 16) << 4 | int(d[i], 16) for i in range(0, len(d), 2))


def plmn(p: str) -> bytes:
    """MCC/MNC in the 3 octets of 8.18/8.21: "00101" -> 00 f1 10."""
    d = [int(c) for c in p] + ([0xF] if len(p) == 5 else [])
    return bytes([d[1] << 4 | d[0], d[5] << 4 | d[2], d[4] << 4 | d[3]])


def imsi(digits: str) -> bytes:
    return ie(IE_IMSI, tbcd(digits))


def msisdn(digits: str) -> bytes:
    return ie(IE_MSISDN, tbcd(digits))


def mei(imeisv: str) -> bytes:
    """MEI (8.10): the IMEI (15) or IMEISV (16 digits) in TBCD."""
    return ie(IE_MEI, tbcd(imeisv))


def cause(value: int, *, pce: bool = False, bce: bool = False, cs: bool = False, instance: int = 0) -> bytes:
    return ie(IE_CAUSE, bytes([value, (pce << 2) | (bce << 1) | int(cs)]), instance)


def recovery(counter: int) -> bytes:
    return ie(IE_RECOVERY, bytes([counter & 0xFF]))


def apn(name: str) -> bytes:
    """APN (8.6) in the label form of TS 23.003 9.1."""
    return ie(IE_APN, b"".join(bytes([len(x)]) + x.encode() for x in name.split(".")))


def ambr(ul_kbps: int, dl_kbps: int) -> bytes:
    return ie(IE_AMBR, struct.pack("!II", ul_kbps, dl_kbps))


def ebi(value: int, instance: int = 0) -> bytes:
    return ie(IE_EBI, bytes([value & 0x0F]), instance)


def indication(*flags_octets: int) -> bytes:
    """Indication (8.12): octet 5 holds DAF DTF HI DFI OI ISRSI ISRAI SGWCI (bit 8..1)."""
    return ie(IE_INDICATION, bytes(flags_octets or (0,)))


OI = 0x08   # Operation Indication: the SGW forwards Delete Session to the PGW


def paa(ip: str = "0.0.0.0") -> bytes:
    """PDN Address Allocation (8.14), IPv4; 0.0.0.0 asks the PGW to allocate one."""
    return ie(IE_PAA, bytes([PDN_IPV4]) + ipaddress.IPv4Address(ip).packed)


def bearer_qos(qci: int = 9, priority: int = 15, *, pci: bool = True, pvi: bool = False,
               mbr: tuple[int, int] = (0, 0), gbr: tuple[int, int] = (0, 0)) -> bytes:
    """Bearer QoS (8.15): PCI/PL/PVI octet, QCI, MBR and GBR (UL, DL) in kbps as 5 octets each.
    PCI = 1 means pre-emption capability *disabled* (and PVI = 0 vulnerability enabled)."""
    arp = (int(pci) << 6) | ((priority & 0x0F) << 2) | int(pvi)
    rates = b"".join(r.to_bytes(5, "big") for r in (*mbr, *gbr))
    return ie(IE_BEARER_QOS, bytes([arp, qci]) + rates)


def rat_type(value: int = RAT_EUTRAN) -> bytes:
    return ie(IE_RAT_TYPE, bytes([value]))


def serving_network(p: str) -> bytes:
    return ie(IE_SERVING_NETWORK, plmn(p))


def uli(tai: tuple[str, int] | None = None, ecgi: tuple[str, int] | None = None) -> bytes:
    """User Location Information (8.21) with a TAI and/or an ECGI (28-bit ECI)."""
    flags, body = 0, b""
    if tai:
        flags |= 0x08
        body += plmn(tai[0]) + struct.pack("!H", tai[1])
    if ecgi:
        flags |= 0x10
        body += plmn(ecgi[0]) + struct.pack("!I", ecgi[1] & 0x0FFFFFFF)
    return ie(IE_ULI, bytes([flags]) + body)


class Fteid(NamedTuple):
    interface: int
    teid: int
    ip: str


def fteid(f: Fteid, instance: int = 0) -> bytes:
    """F-TEID (8.22), IPv4 (V4 flag) or IPv6 (V6 flag)."""
    a = ipaddress.ip_address(f.ip)
    flag = 0x80 if a.version == 4 else 0x40
    return ie(IE_FTEID, bytes([flag | (f.interface & 0x3F)]) + struct.pack("!I", f.teid & 0xFFFFFFFF)
              + a.packed, instance)


def bearer_context(ies: Sequence[bytes], instance: int = 0) -> bytes:
    """Bearer Context (8.28), a grouped IE."""
    return ie(IE_BEARER_CONTEXT, b"".join(ies), instance)


def pdn_type(value: int = PDN_IPV4) -> bytes:
    return ie(IE_PDN_TYPE, bytes([value & 0x07]))


def selection_mode(value: int = 0) -> bytes:
    """Selection Mode (8.58): 0 = MS or network provided APN, subscription verified."""
    return ie(IE_SELECTION_MODE, bytes([value & 0x03]))


def apn_restriction(value: int = 0) -> bytes:
    return ie(IE_APN_RESTRICTION, bytes([value]))


def charging_characteristics(value: int = 0x0800) -> bytes:
    return ie(IE_CHARGING_CHARACTERISTICS, struct.pack("!H", value))


def ue_time_zone(quarters_east: int = 32, dst: int = 0) -> bytes:
    """UE Time Zone (8.44): the TS 24.008 10.5.3.8 time zone octet (swapped BCD, quarter hours;
    +32 = UTC+8) and the daylight saving adjustment."""
    q = abs(quarters_east)
    tz = ((q % 10) << 4) | (q // 10) | (0x08 if quarters_east < 0 else 0)
    return ie(IE_UE_TIME_ZONE, bytes([tz, dst & 0x03]))


# ----------------------------------------------------------------------------------- S11 messages

def create_session_request(*, seq: int, imsi_: str, msisdn_: str | None, imeisv: str | None,
                           tai: tuple[str, int], ecgi: tuple[str, int], serving_plmn: str,
                           mme_c: Fteid, pgw_c: Fteid, apn_: str, ebi_: int = 5, qci: int = 9,
                           priority: int = 15, apn_ambr_kbps: tuple[int, int] = (50_000, 100_000),
                           recovery_: int | None = None) -> bytes:
    """Create Session Request (7.2.1) from the MME at initial attach: header TEID 0 (the SGW's is
    not known yet), the sender F-TEID for S11 (instance 0), the PGW S5/S8 F-TEID (instance 1), the
    default bearer's context (EBI, Bearer QoS)."""
    ies = [imsi(imsi_)]
    if msisdn_:
        ies.append(msisdn(msisdn_))
    if imeisv:
        ies.append(mei(imeisv))
    ies += [uli(tai, ecgi), serving_network(serving_plmn), rat_type(RAT_EUTRAN),
            fteid(mme_c, 0), fteid(pgw_c, 1), apn(apn_), selection_mode(0), pdn_type(PDN_IPV4),
            paa("0.0.0.0"), apn_restriction(0), ambr(*apn_ambr_kbps),
            bearer_context([ebi(ebi_), bearer_qos(qci, priority)])]
    if recovery_ is not None:
        ies.append(recovery(recovery_))
    ies += [charging_characteristics(), ue_time_zone()]
    return message(CREATE_SESSION_REQUEST, ies, teid=0, seq=seq)


def create_session_response(*, seq: int, mme_teid: int, sgw_c: Fteid, pgw_c: Fteid, ue_ip: str,
                            s1u_sgw: Fteid, s5u_pgw: Fteid, ebi_: int = 5,
                            cause_: int = REQUEST_ACCEPTED, apn_ambr_kbps: tuple[int, int] = (50_000, 100_000),
                            recovery_: int | None = None) -> bytes:
    """Create Session Response (7.2.2): cause, the SGW's S11 F-TEID (instance 0), the PGW's S5/S8
    F-TEID (instance 2), PAA with the UE's address, and the bearer context created (EBI, cause,
    S1-U SGW F-TEID instance 0, S5/S8-U PGW F-TEID instance 2)."""
    ies = [cause(cause_)]
    if cause_ in (REQUEST_ACCEPTED, 17, 18, 19):
        ies += [fteid(sgw_c, 0), fteid(pgw_c, 2), paa(ue_ip), apn_restriction(0), ambr(*apn_ambr_kbps),
                bearer_context([ebi(ebi_), cause(REQUEST_ACCEPTED), fteid(s1u_sgw, 0), fteid(s5u_pgw, 2)])]
    if recovery_ is not None:
        ies.append(recovery(recovery_))
    return message(CREATE_SESSION_RESPONSE, ies, teid=mme_teid, seq=seq)


def modify_bearer_request(*, seq: int, sgw_teid: int, s1u_enb: Fteid, ebi_: int = 5) -> bytes:
    """Modify Bearer Request (7.2.7) after the initial context set-up: the eNB's S1-U F-TEID."""
    return message(MODIFY_BEARER_REQUEST, [bearer_context([ebi(ebi_), fteid(s1u_enb, 0)])],
                   teid=sgw_teid, seq=seq)


def modify_bearer_response(*, seq: int, mme_teid: int, s1u_sgw: Fteid, ebi_: int = 5,
                           cause_: int = REQUEST_ACCEPTED) -> bytes:
    """Modify Bearer Response (7.2.8): cause and the modified bearer context."""
    ies = [cause(cause_)]
    if cause_ == REQUEST_ACCEPTED:
        ies.append(bearer_context([ebi(ebi_), cause(REQUEST_ACCEPTED), fteid(s1u_sgw, 0)]))
    return message(MODIFY_BEARER_RESPONSE, ies, teid=mme_teid, seq=seq)


def delete_session_request(*, seq: int, sgw_teid: int, ebi_: int = 5,
                           tai: tuple[str, int] | None = None, ecgi: tuple[str, int] | None = None) -> bytes:
    """Delete Session Request (7.2.9) at detach: linked EBI, ULI, Indication with OI set."""
    ies = [ebi(ebi_)]
    if tai or ecgi:
        ies.append(uli(tai, ecgi))
    ies.append(indication(OI, 0, 0))
    return message(DELETE_SESSION_REQUEST, ies, teid=sgw_teid, seq=seq)


def delete_session_response(*, seq: int, mme_teid: int, cause_: int = REQUEST_ACCEPTED) -> bytes:
    return message(DELETE_SESSION_RESPONSE, [cause(cause_)], teid=mme_teid, seq=seq)


def release_access_bearers_request(*, seq: int, sgw_teid: int) -> bytes:
    """Release Access Bearers Request (7.2.21) when the S1 connection goes (UE to ECM-IDLE)."""
    return message(RELEASE_ACCESS_BEARERS_REQUEST, [], teid=sgw_teid, seq=seq)


def release_access_bearers_response(*, seq: int, mme_teid: int, cause_: int = REQUEST_ACCEPTED) -> bytes:
    return message(RELEASE_ACCESS_BEARERS_RESPONSE, [cause(cause_)], teid=mme_teid, seq=seq)


# ------------------------------------------------------------------------------ dedicated bearers

def bearer_tft(tft: bytes) -> bytes:
    """Bearer TFT (8.19): the TS 24.008 TFT value, as NAS carries it."""
    return ie(IE_BEARER_TFT, tft)


def charging_id(value: int) -> bytes:
    return ie(IE_CHARGING_ID, struct.pack("!I", value & 0xFFFFFFFF))


def create_bearer_request(*, seq: int, teid: int, linked_ebi: int, tft: bytes, qci: int, priority: int,
                          uplink: Fteid, s5u_pgw: Fteid | None = None, charging: int | None = None,
                          pvi: bool = True) -> bytes:
    """Create Bearer Request (7.2.3), network initiated: from the PGW on S5/S8 (``uplink`` is the
    PGW's S5/S8-U F-TEID, instance 1, with ``charging``) or from the SGW on S11 (``uplink`` is the
    SGW's S1-U F-TEID, instance 0, plus the PGW's S5/S8-U F-TEID, instance 1). The bearer
    context's EBI is 0: the MME allocates it."""
    ctx = [ebi(0), bearer_tft(tft)]
    if s5u_pgw is None:                     # S5/S8
        ctx.append(fteid(uplink, 1))
    else:                                   # S11
        ctx += [fteid(uplink, 0), fteid(s5u_pgw, 1)]
    ctx.append(bearer_qos(qci, priority, pci=True, pvi=pvi))
    if charging is not None:
        ctx.append(charging_id(charging))
    return message(CREATE_BEARER_REQUEST, [ebi(linked_ebi), bearer_context(ctx)], teid=teid, seq=seq)


def create_bearer_response(*, seq: int, teid: int, ebi_: int, cause_: int = REQUEST_ACCEPTED,
                           s1u_enb: Fteid | None = None, s1u_sgw: Fteid | None = None,
                           s5u_sgw: Fteid | None = None, s5u_pgw: Fteid | None = None) -> bytes:
    """Create Bearer Response (7.2.4): the message cause and the bearer context (EBI, cause, on
    S11 the eNB's S1-U F-TEID instance 0 and the SGW's instance 1; on S5 the SGW's S5/S8-U F-TEID
    instance 2 and the PGW's instance 3). A refused bearer carries only EBI and cause."""
    ctx = [ebi(ebi_), cause(cause_)]
    if cause_ == REQUEST_ACCEPTED:
        for f, inst in ((s1u_enb, 0), (s1u_sgw, 1), (s5u_sgw, 2), (s5u_pgw, 3)):
            if f is not None:
                ctx.append(fteid(f, inst))
    return message(CREATE_BEARER_RESPONSE, [cause(cause_), bearer_context(ctx)], teid=teid, seq=seq)


def delete_bearer_request(*, seq: int, teid: int, ebis: Sequence[int], cause_: int | None = None) -> bytes:
    """Delete Bearer Request (7.2.9.2) for dedicated bearers (EBI instance 1)."""
    ies = [ebi(e, 1) for e in ebis]
    if cause_ is not None:
        ies.append(cause(cause_))
    return message(DELETE_BEARER_REQUEST, ies, teid=teid, seq=seq)


def delete_bearer_response(*, seq: int, teid: int, ebis: Sequence[int], cause_: int = REQUEST_ACCEPTED) -> bytes:
    """Delete Bearer Response (7.2.10.2): cause and a bearer context per deleted bearer."""
    return message(DELETE_BEARER_RESPONSE, [cause(cause_)] + [bearer_context([ebi(e), cause(cause_)])
                                                            for e in ebis], teid=teid, seq=seq)
