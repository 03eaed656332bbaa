"""Diameter messages (IETF RFC 6733) of the base protocol and the S6a application (3GPP TS 29.272),
hand-encoded.

Layers, each a plain function returning ``bytes``:

- :func:`avp` -- one AVP: code, flags (V 0x80, M 0x40, P 0x20), 24-bit length (header and data,
  not the padding), the Vendor-Id when V is set, the data and zero padding to 4 octets (RFC 6733
  4.1); :func:`grouped` is an AVP whose data are AVPs (4.4); typed helpers for Unsigned32,
  Enumerated, UTF8String, OctetString and Address (4.3);
- :func:`message` -- the 20-octet header (version 1, length, flags R/P/E/T, command code,
  Application-Id, Hop-by-Hop and End-to-End identifiers) and the AVPs;
- builders for CER/CEA (capabilities exchange, 257), AIR/AIA (Authentication-Information, 318)
  and ULR/ULA (Update-Location, 316) as an MME and an HSS exchange them.

Identities are :class:`Peer` (Origin-Host, Origin-Realm, address). The test PLMN 001/01 gives the
realm ``epc.mnc001.mcc001.3gppnetwork.org`` (TS 23.003 19.2). Everything is deterministic.
"""
from __future__ import annotations

import ipaddress
import struct
from typing import Iterable, NamedTuple, Sequence

VENDOR_3GPP = 10415
APP_COMMON = 0                  # base protocol (CER/CEA, DWR/DWA)
APP_S6A = 16777251              # S6a/S6d (TS 29.272 7.1.8)

# command codes
CMD_CAPABILITIES_EXCHANGE = 257
CMD_DEVICE_WATCHDOG = 280
CMD_UPDATE_LOCATION = 316
CMD_AUTHENTICATION_INFORMATION = 318

FLAG_R, FLAG_P, FLAG_E, FLAG_T = 0x80, 0x40, 0x20, 0x10
AVP_V, AVP_M, AVP_P = 0x80, 0x40, 0x20

# result codes: RFC 6733 7.1, TS 29.272 7.4 (Experimental-Result, vendor 10415)
DIAMETER_SUCCESS = 2001
DIAMETER_ERROR_USER_UNKNOWN = 5001
DIAMETER_ERROR_ROAMING_NOT_ALLOWED = 5004
DIAMETER_ERROR_UNKNOWN_EPS_SUBSCRIPTION = 5420
DIAMETER_ERROR_RAT_NOT_ALLOWED = 5421
DIAMETER_AUTHENTICATION_DATA_UNAVAILABLE = 4181

# base AVP codes (RFC 6733 4.5; RFC 5778 Service-Selection)
USER_NAME = 1
HOST_IP_ADDRESS = 257
AUTH_APPLICATION_ID = 258
VENDOR_SPECIFIC_APPLICATION_ID = 260
SESSION_ID = 263
ORIGIN_HOST = 264
SUPPORTED_VENDOR_ID = 265
VENDOR_ID = 266
FIRMWARE_REVISION = 267
RESULT_CODE = 268
PRODUCT_NAME = 269
AUTH_SESSION_STATE = 277
ORIGIN_STATE_ID = 278
DESTINATION_REALM = 283
DESTINATION_HOST = 293
ORIGIN_REALM = 296
EXPERIMENTAL_RESULT = 297
EXPERIMENTAL_RESULT_CODE = 298
SERVICE_SELECTION = 493

# 3GPP AVP codes (vendor 10415): TS 29.272 7.3, TS 29.329 (MSISDN), TS 29.212/29.214 (QoS, RAT)
MAX_REQUESTED_BANDWIDTH_DL = 515
MAX_REQUESTED_BANDWIDTH_UL = 516
MSISDN = 701
QOS_CLASS_IDENTIFIER = 1028
RAT_TYPE = 1032
ALLOCATION_RETENTION_PRIORITY = 1034
PRIORITY_LEVEL = 1046
PRE_EMPTION_CAPABILITY = 1047
PRE_EMPTION_VULNERABILITY = 1048
SUBSCRIPTION_DATA = 1400
TERMINAL_INFORMATION = 1401
IMEI = 1402
SOFTWARE_VERSION = 1403
ULR_FLAGS = 1405
ULA_FLAGS = 1406
VISITED_PLMN_ID = 1407
REQUESTED_EUTRAN_AUTHENTICATION_INFO = 1408
NUMBER_OF_REQUESTED_VECTORS = 1410
RE_SYNCHRONIZATION_INFO = 1411
IMMEDIATE_RESPONSE_PREFERRED = 1412
AUTHENTICATION_INFO = 1413
E_UTRAN_VECTOR = 1414
NETWORK_ACCESS_MODE = 1417
ITEM_NUMBER = 1419
CONTEXT_IDENTIFIER = 1423
SUBSCRIBER_STATUS = 1424
ALL_APN_CONFIGURATIONS_INCLUDED_INDICATOR = 1428
APN_CONFIGURATION_PROFILE = 1429
APN_CONFIGURATION = 1430
EPS_SUBSCRIBED_QOS_PROFILE = 1431
AMBR = 1435
REGIONAL_SUBSCRIPTION_ZONE_CODE = 1446
RAND = 1447
XRES = 1448
AUTN = 1449
KASME = 1450
PDN_TYPE = 1456

RAT_EUTRAN = 1004               # RAT-Type (TS 29.212 5.3.31)
ULR_S6A_INDICATOR = 0x02        # ULR-Flags (TS 29.272 7.3.7) bit 1
ULR_INITIAL_ATTACH = 0x20       # bit 5
ULA_SEPARATION = 0x01           # ULA-Flags bit 0: Separation Indication
NO_STATE_MAINTAINED = 1         # Auth-Session-State (RFC 6733 8.11)


class Peer(NamedTuple):
    """A Diameter node: its DiameterIdentity, realm and (IPv4/IPv6) address."""
    host: str
    realm: str
    ip: str


def realm_for(plmn: str) -> str:
    """The EPC realm of a PLMN (TS 23.003 19.2): "00101" -> epc.mnc001.mcc001.3gppnetwork.org."""
    return f"epc.mnc{int(plmn[3:]):03d}.mcc{plmn[:3]}.3gppnetwork.org"


def visited_plmn_id(plmn: str) -> bytes:
    """PLMN in the 3-octet TBCD of TS 29.272 7.3.9 (as TS 24.008): "00101" -> 00 f1 10."""
    d = [int(c) for c in plmn] + ([0xF] if len(plmn) == 5 else [])
    return bytes([d[1] << 4 | d[0], d[5] << 4 | d[2], d[4] << 4 | d[3]])


def tbcd(digits: str) -> bytes:
    """Digits two to an octet, low nibble first, an odd count filled with 0xF (TS 29.329 MSISDN)."""
    d = digits + ("F" if len(digits) % 2 else "")
    return bytes(int(d[i + 1], 16) << 4 | int(d[i], 16) for i in range(0, len(d), 2))


# -------------------------------------------------------------------------------------------- AVPs

def avp(code: int, data: bytes, *, vendor: int | None = None, mandatory: bool = True,
        protected: bool = False) -> bytes:
    """One AVP (RFC 6733 4.1). The length excludes the padding the next AVP starts after."""
    flags = (AVP_V if vendor is not None else 0) | (AVP_M if mandatory else 0) | (AVP_P if protected else 0)
    hdr_len = 12 if vendor is not None else 8
    length = hdr_len + len(data)
    if length >= 1 << 24:
        raise ValueError("AVP too long")
    hdr = struct.pack("!IB", code, flags) + length.to_bytes(3, "big")
    if vendor is not None:
        hdr += struct.pack("!I", vendor)
    return hdr + data + b"\0" * (-len(data) % 4)


def u32(code: int, value: int, **kw) -> bytes:
    """Unsigned32 or Enumerated AVP."""
    return avp(code, struct.pack("!I", value), **kw)


def utf8(code: int, text: str, **kw) -> bytes:
    """UTF8String or DiameterIdentity AVP."""
    return avp(code, text.encode(), **kw)


def address(code: int, ip: str, **kw) -> bytes:
    """Address AVP (RFC 6733 4.3.1): the IANA address family (1 IPv4, 2 IPv6) and the address."""
    a = ipaddress.ip_address(ip)
    return avp(code, struct.pack("!H", 1 if a.version == 4 else 2) + a.packed, **kw)


def grouped(code: int, avps: Iterable[bytes], **kw) -> bytes:
    """Grouped AVP (RFC 6733 4.4): the data are the member AVPs, each padded."""
    return avp(code, b"".join(avps), **kw)


def g3(code: int, value, kind: str = "u32") -> bytes:
    """A 3GPP AVP with V and M set: ``kind`` "u32", "utf8", "octets" or "grouped"."""
    if kind == "u32":
        return u32(code, value, vendor=VENDOR_3GPP)
    if kind == "utf8":
        return utf8(code, value, vendor=VENDOR_3GPP)
    if kind == "grouped":
        return grouped(code, value, vendor=VENDOR_3GPP)
    return avp(code, value, vendor=VENDOR_3GPP)


def vendor_specific_application_id(app: int = APP_S6A, vendor: int = VENDOR_3GPP) -> bytes:
    return grouped(VENDOR_SPECIFIC_APPLICATION_ID, [u32(VENDOR_ID, vendor), u32(AUTH_APPLICATION_ID, app)])


def experimental_result(code: int, vendor: int = VENDOR_3GPP) -> bytes:
    return grouped(EXPERIMENTAL_RESULT, [u32(VENDOR_ID, vendor), u32(EXPERIMENTAL_RESULT_CODE, code)])


def result(code: int) -> bytes:
    """Result-Code for base codes (2xxx, RFC 6733 ones); Experimental-Result for TS 29.272's."""
    if code in (DIAMETER_ERROR_USER_UNKNOWN, DIAMETER_ERROR_ROAMING_NOT_ALLOWED,
                DIAMETER_ERROR_UNKNOWN_EPS_SUBSCRIPTION, DIAMETER_ERROR_RAT_NOT_ALLOWED,
                DIAMETER_AUTHENTICATION_DATA_UNAVAILABLE) or 5400 <= code < 5500:
        return experimental_result(code)
    return u32(RESULT_CODE, code)


# ----------------------------------------------------------------------------------------- message

def message(command: int, avps: Iterable[bytes], *, app: int = APP_S6A, request: bool = True,
            proxiable: bool = True, error: bool = False, hbh: int = 0, e2e: int = 0) -> bytes:
    """A Diameter message (RFC 6733 3): header and the AVPs."""
    body = b"".join(avps)
    flags = (FLAG_R if request else 0) | (FLAG_P if proxiable else 0) | (FLAG_E if error else 0)
    length = 20 + len(body)
    return (struct.pack("!B", 1) + length.to_bytes(3, "big") + struct.pack("!B", flags)
            + command.to_bytes(3, "big") + struct.pack("!III", app, hbh & 0xFFFFFFFF, e2e & 0xFFFFFFFF)
            + body)


def session_id(host: str, high: int, low: int) -> str:
    """<DiameterIdentity>;<high 32 bits>;<low 32 bits> (RFC 6733 8.8)."""
    return f"{host};{high};{low}"


def _s6a_head(sid: str, origin: Peer) -> list[bytes]:
    return [utf8(SESSION_ID, sid), vendor_specific_application_id(),
            u32(AUTH_SESSION_STATE, NO_STATE_MAINTAINED), utf8(ORIGIN_HOST, origin.host),
            utf8(ORIGIN_REALM, origin.realm)]


# ------------------------------------------------------------------------------ capabilities (CER)

def _capabilities(peer: Peer, product: str, state_id: int) -> list[bytes]:
    return [utf8(ORIGIN_HOST, peer.host), utf8(ORIGIN_REALM, peer.realm),
            address(HOST_IP_ADDRESS, peer.ip), u32(VENDOR_ID, 0),
            utf8(PRODUCT_NAME, product, mandatory=False), u32(ORIGIN_STATE_ID, state_id),
            u32(SUPPORTED_VENDOR_ID, VENDOR_3GPP), vendor_specific_application_id(),
            u32(FIRMWARE_REVISION, 1, mandatory=False)]


def cer(peer: Peer, *, hbh: int, e2e: int, product: str = "chrtool-sim MME", state_id: int = 1) -> bytes:
    """Capabilities-Exchange-Request (RFC 6733 5.3.1) announcing S6a (Vendor-Specific-Application-Id)."""
    return message(CMD_CAPABILITIES_EXCHANGE, _capabilities(peer, product, state_id), app=APP_COMMON,
                   proxiable=False, hbh=hbh, e2e=e2e)


def cea(peer: Peer, *, hbh: int, e2e: int, result_code: int = DIAMETER_SUCCESS,
        product: str = "chrtool-sim HSS", state_id: int = 1) -> bytes:
    """Capabilities-Exchange-Answer (RFC 6733 5.3.2)."""
    avps = [u32(RESULT_CODE, result_code)] + _capabilities(peer, product, state_id)
    return message(CMD_CAPABILITIES_EXCHANGE, avps, app=APP_COMMON, request=False, proxiable=False,
                   hbh=hbh, e2e=e2e)


# ------------------------------------------------------------------------ Authentication-Information

class Vector(NamedTuple):
    """One E-UTRAN authentication vector (TS 33.401): RAND 16, XRES 4..16, AUTN 16, KASME 32 octets."""
    rand: bytes
    xres: bytes
    autn: bytes
    kasme: bytes


def air(sid: str, origin: Peer, dest_realm: str, imsi: str, visited_plmn: str, *, hbh: int, e2e: int,
        vectors: int = 1, immediate: bool = True, resync: bytes | None = None,
        dest_host: str | None = None) -> bytes:
    """Authentication-Information-Request (TS 29.272 7.2.5). ``resync`` is RAND || AUTS (30 octets)
    after a synch failure (Re-Synchronization-Info)."""
    req = [g3(NUMBER_OF_REQUESTED_VECTORS, vectors), g3(IMMEDIATE_RESPONSE_PREFERRED, int(immediate))]
    if resync is not None:
        if len(resync) != 30:
            raise ValueError("Re-Synchronization-Info is RAND (16) || AUTS (14)")
        req.append(g3(RE_SYNCHRONIZATION_INFO, resync, "octets"))
    avps = _s6a_head(sid, origin)
    if dest_host:
        avps.append(utf8(DESTINATION_HOST, dest_host))
    avps += [utf8(DESTINATION_REALM, dest_realm), utf8(USER_NAME, imsi),
             g3(REQUESTED_EUTRAN_AUTHENTICATION_INFO, req, "grouped"),
             g3(VISITED_PLMN_ID, visited_plmn_id(visited_plmn), "octets")]
    return message(CMD_AUTHENTICATION_INFORMATION, avps, hbh=hbh, e2e=e2e)


def e_utran_vector(v: Vector, item: int = 1) -> bytes:
    return g3(E_UTRAN_VECTOR, [g3(ITEM_NUMBER, item), g3(RAND, v.rand, "octets"),
                               g3(XRES, v.xres, "octets"), g3(AUTN, v.autn, "octets"),
                               g3(KASME, v.kasme, "octets")], "grouped")


def aia(sid: str, origin: Peer, *, hbh: int, e2e: int, vectors: Sequence[Vector] = (),
        result_code: int = DIAMETER_SUCCESS) -> bytes:
    """Authentication-Information-Answer (TS 29.272 7.2.6): Authentication-Info with the vectors on
    success, an Experimental-Result (e.g. 5001 user unknown) otherwise."""
    avps = [utf8(SESSION_ID, sid), vendor_specific_application_id(), result(result_code),
            u32(AUTH_SESSION_STATE, NO_STATE_MAINTAINED), utf8(ORIGIN_HOST, origin.host),
            utf8(ORIGIN_REALM, origin.realm)]
    if vectors and result_code == DIAMETER_SUCCESS:
        avps.append(g3(AUTHENTICATION_INFO, [e_utran_vector(v, i + 1) for i, v in enumerate(vectors)],
                       "grouped"))
    return message(CMD_AUTHENTICATION_INFORMATION, avps, request=False, hbh=hbh, e2e=e2e)


# ------------------------------------------------------------------------------------ Update-Location

def ulr(sid: str, origin: Peer, dest_realm: str, imsi: str, visited_plmn: str, *, hbh: int, e2e: int,
        imeisv: str | None = None, flags: int = ULR_S6A_INDICATOR | ULR_INITIAL_ATTACH,
        rat: int = RAT_EUTRAN, dest_host: str | None = None) -> bytes:
    """Update-Location-Request (TS 29.272 7.2.3). ``imeisv`` (16 digits) gives Terminal-Information
    (IMEI = the first 14 digits, Software-Version = the last 2)."""
    avps = _s6a_head(sid, origin)
    if dest_host:
        avps.append(utf8(DESTINATION_HOST, dest_host))
    avps += [utf8(DESTINATION_REALM, dest_realm), utf8(USER_NAME, imsi)]
    if imeisv:
        avps.append(g3(TERMINAL_INFORMATION, [g3(IMEI, imeisv[:14], "utf8"),
                                              g3(SOFTWARE_VERSION, imeisv[14:16], "utf8")], "grouped"))
    avps += [g3(RAT_TYPE, rat), g3(ULR_FLAGS, flags),
             g3(VISITED_PLMN_ID, visited_plmn_id(visited_plmn), "octets")]
    return message(CMD_UPDATE_LOCATION, avps, hbh=hbh, e2e=e2e)


class Apn(NamedTuple):
    """One APN-Configuration (TS 29.272 7.3.35)."""
    name: str = "internet"
    context_id: int = 1
    pdn_type: int = 0                  # IPv4
    qci: int = 9
    priority: int = 15
    ambr_ul: int = 50_000_000          # bit/s
    ambr_dl: int = 100_000_000


def _ambr(ul: int, dl: int) -> bytes:
    return g3(AMBR, [g3(MAX_REQUESTED_BANDWIDTH_UL, ul), g3(MAX_REQUESTED_BANDWIDTH_DL, dl)], "grouped")


def apn_configuration(a: Apn) -> bytes:
    arp = g3(ALLOCATION_RETENTION_PRIORITY, [g3(PRIORITY_LEVEL, a.priority),
                                             g3(PRE_EMPTION_CAPABILITY, 1),      # DISABLED
                                             g3(PRE_EMPTION_VULNERABILITY, 0)],  # ENABLED
             "grouped")
    return g3(APN_CONFIGURATION, [g3(CONTEXT_IDENTIFIER, a.context_id), g3(PDN_TYPE, a.pdn_type),
                                  utf8(SERVICE_SELECTION, a.name),
                                  g3(EPS_SUBSCRIBED_QOS_PROFILE, [g3(QOS_CLASS_IDENTIFIER, a.qci), arp],
                                     "grouped"),
                                  _ambr(a.ambr_ul, a.ambr_dl)], "grouped")


def subscription_data(*, msisdn: str | None, apns: Sequence[Apn] = (Apn(),),
                      ue_ambr: tuple[int, int] = (100_000_000, 200_000_000),
                      zone_codes: Sequence[bytes] = ()) -> bytes:
    """Subscription-Data (TS 29.272 7.3.2): MSISDN, Subscriber-Status SERVICE_GRANTED,
    Network-Access-Mode ONLY_PACKET, UE-AMBR, APN-Configuration-Profile (default = first APN) and
    optionally Regional-Subscription-Zone-Codes (2 octets each, TS 23.003 4.4)."""
    members = []
    if msisdn:
        members.append(g3(MSISDN, tbcd(msisdn), "octets"))
    members += [g3(SUBSCRIBER_STATUS, 0), g3(NETWORK_ACCESS_MODE, 2), _ambr(*ue_ambr)]
    if apns:
        members.append(g3(APN_CONFIGURATION_PROFILE,
                          [g3(CONTEXT_IDENTIFIER, apns[0].context_id),
                           g3(ALL_APN_CONFIGURATIONS_INCLUDED_INDICATOR, 0)]
                          + [apn_configuration(a) for a in apns], "grouped"))
    members += [g3(REGIONAL_SUBSCRIPTION_ZONE_CODE, z, "octets") for z in zone_codes]
    return g3(SUBSCRIPTION_DATA, members, "grouped")


def ula(sid: str, origin: Peer, *, hbh: int, e2e: int, result_code: int = DIAMETER_SUCCESS,
        subscription: bytes | None = None, ula_flags: int = ULA_SEPARATION) -> bytes:
    """Update-Location-Answer (TS 29.272 7.2.4): ULA-Flags and Subscription-Data on success, an
    Experimental-Result (e.g. 5420 unknown EPS subscription) without them otherwise."""
    avps = [utf8(SESSION_ID, sid), vendor_specific_application_id(), result(result_code),
            u32(AUTH_SESSION_STATE, NO_STATE_MAINTAINED), utf8(ORIGIN_HOST, origin.host),
            utf8(ORIGIN_REALM, origin.realm)]
    if result_code == DIAMETER_SUCCESS:
        avps.append(g3(ULA_FLAGS, ula_flags))
        if subscription is not None:
            avps.append(subscription)
    return message(CMD_UPDATE_LOCATION, avps, request=False, hbh=hbh, e2e=e2e)
