"""Generated NAS-EPS corpus (pycrate_mobile builds every message) and pycrate's view of a message.

- every EMM/ESM message class pycrate knows, with its default contents;
- every EMM cause of decoders/nas_eps_tables.py in every EMM message that has a cause
  (mandatory, or the optional EMM cause of Detach Request / Attach Accept / TAU Accept);
  every ESM cause likewise in the ESM messages;
- identities (IMSI, IMEI, IMEISV, GUTI, M-TMSI) and APNs in the messages that carry them.
`pycrate_view(raw, mo)` is the oracle: the same fields as chrtool's decoder fills, read from
pycrate's parse.
"""
from __future__ import annotations

import logging

logging.getLogger("pycrate_mobile.TS24301_EMM").setLevel(logging.ERROR)

from pycrate_mobile import TS24008_IE as I8  # noqa: E402
from pycrate_mobile import TS24301_EMM as EMM  # noqa: E402
from pycrate_mobile import TS24301_ESM as ESM  # noqa: E402
from pycrate_mobile import TS24301_IE as IE  # noqa: E402
from pycrate_mobile.NAS import parse_NAS_MO, parse_NAS_MT  # noqa: E402

from chrtool.decoders import nas_eps_tables as T  # noqa: E402

EXTRA_CAUSES = (0, 1, 4, 200, 255)        # values the spec does not define: passed through


def _classes():
    seen = {}
    for d, mo in ((EMM.EMMTypeMTClasses, False), (EMM.EMMTypeMOClasses, True),
                  (ESM.ESMTypeClasses, True)):
        for cls in d.values():
            seen.setdefault(cls.__name__, (cls, mo))
    return seen


def message_types():
    """(name, bytes, mo) for every message class with default contents."""
    return [(name, cls().to_bytes(), mo) for name, (cls, mo) in sorted(_classes().items())]


def _has(cls, field):
    return field in [f._name for f in cls()]


def causes():
    """(name, bytes, mo, proto, cause) for every EMM/ESM cause in every message carrying one."""
    out = []
    emm_opt = (EMM.EMMDetachRequestMT, EMM.EMMAttachAccept, EMM.EMMTrackingAreaUpdateAccept)
    for name, (cls, mo) in sorted(_classes().items()):
        if name.startswith("EMM") and (_has(cls, "EMMCause") or cls in emm_opt):
            for c in list(T.EMM_CAUSES) + list(EXTRA_CAUSES):
                out.append((name, cls(val={"EMMCause": c}).to_bytes(), mo, "EMM", c))
        if name.startswith("ESM") and (_has(cls, "ESMCause")
                                       or cls is ESM.ESMActDefaultEPSBearerCtxtRequest):
            for c in list(T.ESM_CAUSES) + list(EXTRA_CAUSES):
                out.append((name, cls(val={"ESMCause": c}).to_bytes(), mo, "ESM", c))
    return out


def _epsid(kind, value):
    e = IE.EPSID()
    e.encode(kind, value)
    return e.to_bytes()


def _id(kind, value):
    i = I8.ID()
    i.encode(kind, value)
    return i.to_bytes()


def _apn(text):
    a = I8.APN()
    a.encode(text)
    return a.to_bytes()


def _msg(cls, **ies):
    """A pycrate message with IE values: ints through val, bytes as the IE's value part."""
    m = cls(val={k: v for k, v in ies.items() if isinstance(v, int)})
    for name, raw in ies.items():
        if isinstance(raw, bytes):
            m[name].set_trans(False)
            v = m[name][-1]
            if type(v).__name__ == "Buf":
                v.set_val(raw)
            else:
                v.from_bytes(raw)
    return m.to_bytes()


def identities():
    """(name, bytes, mo) of messages carrying identities, GUTIs, APNs and ESM containers."""
    imsi = "001010123456789"
    guti = ("00101", 0x8001, 0x02, 0xC0FFEE01)
    guti2 = ("46000", 0x1234, 0x56, 0x00000001)
    apn = "internet.mnc001.mcc001.gprs"
    pdn = _msg(ESM.ESMPDNConnectivityRequest, APN=_apn(apn))
    out = [
        ("IdentityResponse-IMSI", _msg(EMM.EMMIdentityResponse, ID=_id(1, imsi)), True),
        ("IdentityResponse-IMEI", _msg(EMM.EMMIdentityResponse, ID=_id(2, "35349006987331")), True),
        ("IdentityResponse-IMEISV", _msg(EMM.EMMIdentityResponse, ID=_id(3, "3534900698733100")),
         True),
        ("AttachRequest-IMSI", _msg(EMM.EMMAttachRequest, EPSID=_epsid(1, imsi), ESMContainer=pdn),
         True),
        ("AttachRequest-GUTI", _msg(EMM.EMMAttachRequest, EPSID=_epsid(6, guti), ESMContainer=pdn,
                                    AddGUTI=_epsid(6, guti2)), True),
        ("AttachAccept-GUTI", _msg(EMM.EMMAttachAccept, GUTI=_epsid(6, guti2), ESMContainer=_msg(
            ESM.ESMActDefaultEPSBearerCtxtRequest, APN=_apn(apn))), False),
        ("AttachReject-ESM", _msg(EMM.EMMAttachReject, EMMCause=19, ESMContainer=_msg(
            ESM.ESMPDNConnectivityReject, ESMCause=27)), False),
        ("TAUAccept-GUTI", _msg(EMM.EMMTrackingAreaUpdateAccept, GUTI=_epsid(6, guti)), False),
        ("TAURequest-GUTI", _msg(EMM.EMMTrackingAreaUpdateRequest, OldGUTI=_epsid(6, guti)), True),
        ("GUTIReallocCommand", _msg(EMM.EMMGUTIReallocCommand, GUTI=_epsid(6, guti2)), False),
        ("DetachRequestMO-GUTI", _msg(EMM.EMMDetachRequestMO, EPSID=_epsid(6, guti)), True),
        ("ExtServiceRequest", _msg(EMM.EMMExtServiceRequest, MTMSI=_id(4, 0x0BADCAFE)), True),
        ("SecurityModeComplete-IMEISV", _msg(EMM.EMMSecurityModeComplete,
                                             IMEISV=_id(3, "3534900698733100")), True),
        ("ESMInfoResponse-APN", _msg(ESM.ESMInformationResponse, APN=_apn("ims")), True),
        ("PDNConnectivityRequest-APN", pdn, True),
    ]
    return out


# ------------------------------------------------------------------------------ the oracle
def _v(el):
    return el[-1]


def pycrate_view(raw: bytes, mo: bool):
    """pycrate's parse of a plain NAS message as a dict of lists, or None if pycrate fails."""
    msg, err = (parse_NAS_MO if mo else parse_NAS_MT)(raw)
    if msg is None or (err and not msg[0]._name.endswith("Header")):
        return None
    out = {"msg": [], "emm_cause": [], "esm_cause": [], "imsi": [], "imei": [], "guti": [],
           "m_tmsi": [], "apn": []}
    _visit(msg, out, mo)
    return out


def _visit(msg, out, mo):
    hdr = msg[0]
    out["msg"].append(hdr["Type"].get_val())
    for el in list(msg)[1:]:
        name = el._name
        try:
            v = _v(el)
        except Exception:
            continue
        if name == "EMMCause":
            out["emm_cause"].append(v.to_bytes()[0])
        elif name == "ESMCause":
            out["esm_cause"].append(v.to_bytes()[0])
        elif name in ("EPSID", "OldGUTI", "GUTI", "AddGUTI", "ID", "IMEISV", "MTMSI"):
            ident = IE.EPSID() if name in ("EPSID", "OldGUTI", "GUTI", "AddGUTI") else I8.ID()
            ident.from_bytes(v.to_bytes())
            d = ident.decode()
            if d[0] == 1:
                out["imsi"].append(d[1])
            elif d[0] in (2, 3):
                out["imei"].append(d[1])
            elif d[0] == 6:
                out["guti"].append(tuple(d[1:]))
            elif d[0] == 4 and name == "MTMSI":
                out["m_tmsi"].append(d[1])
        elif name == "APN":
            a = I8.APN()
            a.from_bytes(v.to_bytes())
            out["apn"].append(a.decode())
        elif name == "ESMContainer":
            inner = v.to_bytes()
            sub, err = (parse_NAS_MO if mo else parse_NAS_MT)(inner)
            if not err and sub is not None:
                _visit(sub, out, mo)
