"""Generated GTPv2-C and Diameter corpora, and pycrate's view of those messages (the oracle).

Messages are laid out here from TS 29.274 / RFC 6733 (small, explicit builders) and read back by
pycrate_mobile.TS29274_GTPC and pycrate_diameter, which the tests compare with chrtool.
"""
from __future__ import annotations

import logging
import struct

logging.getLogger("pycrate_mobile.TS24301_EMM").setLevel(logging.ERROR)

from pycrate_diameter.Diameter import DiameterGeneric  # noqa: E402
from pycrate_mobile.TS29274_GTPC import parse_GTPC  # noqa: E402

from chrtool._fast import gtpv2  # noqa: E402
from chrtool.decoders import diameter_tables as DT  # noqa: E402
from chrtool.decoders import gtpv2_tables as GT  # noqa: E402

EXTRA = (0, 1, 200, 255)


# ------------------------------------------------------------------------------ GTPv2-C
def ie(typ, val, inst=0):
    return bytes([typ]) + struct.pack(">H", len(val)) + bytes([inst & 0xF]) + val


def gtp(mt, ies, teid=0x01020304, seq=0x123456, piggy=False):
    rest = (struct.pack(">I", teid) if teid is not None else b"") + seq.to_bytes(3, "big") + b"\0"
    body = b"".join(ies)
    flags = 0x40 | (0x08 if teid is not None else 0) | (0x10 if piggy else 0)
    return bytes([flags, mt]) + struct.pack(">H", len(rest) + len(body)) + rest + body


def tbcd(digits):
    d = digits + ("f" if len(digits) % 2 else "")
    return bytes(int(d[i + 1], 16) << 4 | int(d[i], 16) for i in range(0, len(d), 2))


def fteid(iface, teid, ipv4="10.1.2.3", inst=0):
    return ie(87, bytes([0x80 | iface]) + struct.pack(">I", teid)
              + bytes(int(x) for x in ipv4.split(".")), inst)


def cause(value, flags=0, offending=None):
    v = bytes([value, flags & 7])
    if offending is not None:
        v += bytes([offending, 0, 0, 0])
    return ie(2, v)


def qos(qci):
    return ie(80, bytes([0x49, qci]) + bytes(20))


def apn(text):
    return b"".join(bytes([len(x)]) + x.encode() for x in text.split("."))


def gtpv2_causes():
    """(name, bytes) of a Create Session Response per GTPv2 cause, with a bearer context that
    carries its own cause; PCE/BCE/CS bits and an offending IE on some."""
    out = []
    for i, c in enumerate(list(GT.CAUSES) + list(EXTRA)):
        bearer = ie(93, ie(73, b"\x05") + cause(c if i % 2 else 16) + fteid(1, 0x1000 + i, inst=0)
                    + qos(9))
        out.append((f"CSResp-{c}", gtp(33, [cause(c, i, 93 if i % 3 == 0 else None),
                                            fteid(11, 0x2000 + i, inst=1), bearer])))
    return out


def gtpv2_message_types():
    return [(GT.MESSAGES[m], gtp(m, [ie(3, b"\x07")], teid=None if m < 4 else 7, seq=m))
            for m in sorted(GT.MESSAGES)]


def gtpv2_session():
    """A Create Session Request with every IE the decoder reads, and a piggybacked pair."""
    csr = gtp(32, [ie(1, tbcd("001010123456789")), ie(76, tbcd("8613800138000")),
                   ie(75, tbcd("3534900698733100")),
                   ie(86, b"\x18" + b"\x00\xf1\x10\x12\x34" + b"\x00\xf1\x10\xf1\x23\x45\x67"),
                   ie(82, b"\x06"), fteid(10, 0xABCDEF01), fteid(7, 0, inst=1), ie(71, apn("ims.mnc001")),
                   ie(99, b"\x01"), ie(79, b"\x01\x0a\x2d\x00\x02"), ie(73, b"\x05"),
                   ie(93, ie(73, b"\x05") + fteid(4, 0x55, inst=2) + qos(5))])
    cbreq = gtp(95, [ie(73, b"\x05"), ie(93, ie(73, b"\x06") + fteid(5, 0x66) + qos(1))], seq=9)
    csresp = gtp(33, [cause(16)], piggy=True, seq=0x123456)
    return [("CreateSessionRequest", csr), ("CSResp+CBReq", csresp + cbreq)]


def _ipv4(b):
    return int.from_bytes(b, "big") if b else -1


def gtpv2_view(raw):
    """pycrate's reading of one GTPv2-C message (not the piggybacked one)."""
    m, err = parse_GTPC(raw)
    if err or m is None:
        return None
    h = m[0]
    out = {"msg": h["Type"].get_val(), "seq": h["SeqNum"].get_val(),
           "teid": h["TEID"].get_val() if h["T"].get_val() else -1, "cause": [], "fteid": [],
           "imsi": [], "msisdn": [], "mei": [], "ebi": [], "apn": [], "rat": [], "tac": [],
           "eci": [], "pdn": [], "qci": []}
    try:
        _gtp_ies(m[1], out, 0)
    except LookupError:
        return None
    return {k: sorted(v) if isinstance(v, list) else v for k, v in out.items()}


def _gtp_ies(ies, out, ebi):
    for el in ies:
        typ = el["Hdr"]["Type"].get_val()
        inst = el["Hdr"]["Inst"].get_val()
        d = el[1]
        if typ == 2:
            out["cause"].append((d["Val"].get_val(), ebi if ebi else -1))
        elif typ == 87:
            out["fteid"].append((d["IF"].get_val(), d["TEID_GREKey"].get_val(),
                                 _ipv4(d["IPv4Addr"].get_val()) if d["V4"].get_val() else -1,
                                 inst, ebi))
        elif typ in (1, 75, 76):
            out[{1: "imsi", 75: "mei", 76: "msisdn"}[typ]].append(d.decode())
        elif typ == 71:
            out["apn"].append(d.decode())
        elif typ == 73:
            out["ebi"].append(d["Val"].get_val())
        elif typ == 82:
            out["rat"].append(d["Val"].get_val())
        elif typ == 86:
            fl = d["Flags"].get_val()
            if fl[4]:
                out["tac"].append(d["TAI"][1].get_val())
            if fl[3]:
                out["eci"].append(d["ECGI"][2].get_val())
        elif typ == 99:
            out["pdn"].append(d["Val"].get_val())
        elif typ == 79:
            out["pdn"].append(d["PDNType"].get_val())
        elif typ == 80:
            out["qci"].append(d["QCI"].get_val())
        elif typ == 93:
            if type(d).__name__ == "Buf":
                raise LookupError("pycrate has no layout for this Bearer Context")
            inner = [x for x in d if x._name == "EPSBearerID" or
                     (hasattr(x, "__getitem__") and _typ(x) == 73)]
            b = inner[0][1]["Val"].get_val() if inner else 0
            _gtp_ies(d, out, b)


def _typ(x):
    try:
        return x["Hdr"]["Type"].get_val()
    except Exception:
        return None


# ------------------------------------------------------------------------------ Diameter
def avp(code, val, vendor=None, mandatory=True):
    flags = (0x80 if vendor else 0) | (0x40 if mandatory else 0)
    hdr = 12 if vendor else 8
    body = struct.pack(">I", code) + bytes([flags]) + (hdr + len(val)).to_bytes(3, "big")
    if vendor:
        body += struct.pack(">I", vendor)
    body += val
    return body + bytes(-len(body) % 4)


def u32(x):
    return struct.pack(">I", x)


def diameter(code, avps, request=False, app=16777251, hbh=1, e2e=2, flags=0x40):
    body = b"".join(avps)
    fl = flags | (0x80 if request else 0)
    return (bytes([1]) + (20 + len(body)).to_bytes(3, "big") + bytes([fl]) + code.to_bytes(3, "big")
            + struct.pack(">III", app, hbh, e2e) + body)


COMMON = [avp(263, b"mme.epc;1;2;3"), avp(264, b"hss.epc.org"), avp(296, b"epc.org")]


def diameter_results():
    """(name, bytes) of S6a answers per Result-Code and per Experimental-Result-Code."""
    out = []
    for i, rc in enumerate(sorted(DT.RESULT_CODES)):
        out.append((f"ULA-{rc}", diameter(316, COMMON + [avp(268, u32(rc))], hbh=i, e2e=i)))
    for i, rc in enumerate(sorted(DT.EXPERIMENTAL_RESULT_CODES)):
        exp = avp(297, avp(266, u32(10415)) + avp(298, u32(rc)))
        out.append((f"AIA-exp-{rc}", diameter(318, COMMON + [exp], hbh=i, e2e=i)))
    return out


def diameter_s6a():
    ulr = diameter(316, COMMON[:1] + [avp(283, b"epc.org"), avp(293, b"hss.epc.org"),
                                      avp(264, b"mme.epc.org"), avp(296, b"epc.org"),
                                      avp(1, b"001010123456789"), avp(1032, u32(1004), 10415),
                                      avp(1405, u32(0x22), 10415),
                                      avp(1407, b"\x00\xf1\x10", 10415),
                                      avp(260, avp(266, u32(10415)) + avp(258, u32(16777251)))],
                   request=True, hbh=7, e2e=8)
    apncfg = lambda n, a: avp(1430, avp(1423, u32(n), 10415) + avp(493, a), 10415)  # noqa: E731
    sub = avp(1400, avp(701, tbcd("8613800138000"), 10415)
              + avp(1429, avp(1423, u32(1), 10415) + apncfg(1, b"internet")
                    + apncfg(2, b"ims.mnc001.mcc001.gprs"), 10415), 10415)
    ula = diameter(316, COMMON + [avp(268, u32(2001)), sub], hbh=7, e2e=8)
    return [("ULR", ulr), ("ULA", ula)]


def diameter_view(raw):
    """pycrate_diameter's reading: header fields and the AVPs chrtool takes."""
    d = DiameterGeneric()
    d.from_bytes(raw)
    h = d[0]
    out = {"code": h["Cmd"].get_val(), "req": h["R"].get_val(),
           "app": h["AppID"].get_val(), "hbh": h["HHID"].get_val(),
           "e2e": h["EEID"].get_val(), "rc": [], "erc": [], "user": [], "str": [],
           "plmn": [], "rat": [], "ulr": [], "apn": []}
    _avps(d[1], out, 0)
    return {k: sorted(v) if isinstance(v, list) else v for k, v in out.items()}


STR_CODES = {263: 2, 264: 3, 296: 4, 293: 5, 283: 6}


def _avps(avps, out, depth):
    for a in avps:
        code = a[0]["Code"].get_val()
        vendor = a[0]["VendorID"].get_val() if a[0]["V"].get_val() else 0
        data = a[1]
        raw = data.to_bytes()
        if vendor == 0 and code in (260, 297, 279, 284, 456) or \
                vendor == 10415 and code in (1400, 1429, 1430):
            _avps(_grouped(raw), out, depth + 1)
        elif vendor == 0 and code == 268:
            out["rc"].append(int.from_bytes(raw, "big"))
        elif vendor == 0 and code == 298:
            out["erc"].append(int.from_bytes(raw, "big"))
        elif vendor == 0 and code == 1 and depth == 0:
            out["user"].append(raw.decode())
        elif vendor == 0 and code in STR_CODES and depth == 0:
            out["str"].append((STR_CODES[code], raw.decode()))
        elif vendor == 0 and code == 493:
            out["apn"].append(raw.decode())
        elif vendor == 10415 and code == 1407:
            out["plmn"].append(int.from_bytes(raw[:3], "big"))
        elif vendor == 10415 and code == 1032:
            out["rat"].append(int.from_bytes(raw, "big"))
        elif vendor == 10415 and code == 1405:
            out["ulr"].append(int.from_bytes(raw, "big"))


def _grouped(raw):
    """pycrate parses the AVPs of a grouped AVP's value when fed as a message body."""
    d = DiameterGeneric()
    hdr = bytes([1]) + (20 + len(raw)).to_bytes(3, "big") + bytes(16)
    d.from_bytes(hdr + raw)
    return d[1]


__all__ = ["gtpv2", "ie", "gtp"]
