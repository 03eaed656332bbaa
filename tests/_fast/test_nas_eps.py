"""NAS-EPS decoder (chrtool/_fast/nas_eps.pyx) against tshark, pycrate and bad input."""
from __future__ import annotations

import collections
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nas_corpus as C
from capture_rows import capture, messages, raw_table, table_of
from chrtool._fast import nas_eps, s1ap
from chrtool._fast.events import CAUSE_CODES, FLAGS, ITEM_KEYS, PROTO, STR_KINDS, EventTable
from chrtool.decoders import nas_eps_tables as T
from oracle import tshark_path

NAS = PROTO["NAS-EPS"]
EMM, ESM = CAUSE_CODES["EMM"], CAUSE_CODES["ESM"]
K = ITEM_KEYS
S_APN = {v: k for k, v in STR_KINDS.items()}["apn"]
CAPTURES = ["open5gs/testattach.pcapng", "open5gs/testcups_19b93606.pcapng",
            "open5gs/testepc_48bfe83c.pcapng", "open5gs/srsenb.pcapng", "open5gs/volte.pcapng",
            "open5gs/nonipsec_reg.pcapng", "magma/nsa_connection.pcap",
            "magma/inbound_roaming_05_210504_215514-1.pcapng",
            "magma/gx_gy_combined_03_210505_132953-1.pcapng"]
# Captures that start after the Security Mode Command of some connections: their ciphered
# messages stay opaque here unless NasState(null_cipher=True); tshark 4.0 reads them with its
# default nas-eps.null_decipher:TRUE (docs/reference-bugs-core.md).
NO_SMC = {"open5gs/volte.pcapng", "open5gs/nonipsec_reg.pcapng"}
NULL_DECIPHER = ("-o", "nas-eps.null_decipher:TRUE")


def plmn_text(v: int) -> str:
    o = v.to_bytes(3, "big")
    mcc = f"{o[0] & 15}{o[0] >> 4}{o[1] & 15}"
    mnc = f"{o[2] & 15}{o[2] >> 4}" + ("" if o[1] >> 4 == 15 else f"{o[1] >> 4}")
    return mcc + mnc


def apn_text(raw: bytes) -> str:
    labels, i = [], 0
    while i < len(raw):
        labels.append(raw[i + 1:i + 1 + raw[i]].decode("ascii", "replace"))
        i += 1 + raw[i]
    return ".".join(labels)


def items_by_row(t):
    it = t.items()
    out = collections.defaultdict(list)
    for i in range(t.n_items):
        out[int(it["row"][i])].append(tuple(int(it[k][i]) for k in ("key", "a", "b", "c", "d")))
    return out


def digits(t, col, r):
    return bytes(t.cols[col][r]).rstrip(b"\0").decode()


def our_view(t, r, items, children):
    """Fields of NAS row r and the rows it carries, in pycrate_view's shape."""
    c = t.cols
    out = {"msg": [], "emm_cause": [], "esm_cause": [], "imsi": [], "imei": [], "guti": [],
           "m_tmsi": [], "apn": []}
    for row in [r] + children.get(r, []):
        if row != r and c["msg"][row] < 0:
            continue                                  # a container pycrate could not parse
        out["msg"].append(int(c["msg"][row]))
        cp = int(c["cause_proto"][row])
        if cp:
            out["emm_cause" if cp == EMM else "esm_cause"].append(int(c["cause_value"][row]))
        for name in ("imsi", "imei"):
            if c[name][row][0]:
                out[name].append(digits(t, name, row))
        gutis = [x for x in items.get(row, []) if x[0] == K["guti"]]
        for _k, a, b, cc, d in items.get(row, []):
            if _k == K["cause"]:
                out["emm_cause" if a == EMM else "esm_cause"].append(cc)
            elif _k == K["guti"]:
                out["guti"].append((plmn_text(a), b, cc, d))
            elif _k == K["str"] and a == S_APN:
                out["apn"].append(apn_text(t.bytes_at(b, cc)))
        if not gutis and c["m_tmsi"][row] >= 0:
            out["m_tmsi"].append(int(c["m_tmsi"][row]))
    return {k: sorted(v) for k, v in out.items()}


def decode_payloads(payloads):
    t = raw_table(payloads, "NAS-EPS")
    nas_eps.decode(t)
    children = collections.defaultdict(list)
    for r in range(t.n):
        if t.cols["parent"][r] >= 0:
            children[int(t.cols["parent"][r])].append(r)
    return t, items_by_row(t), children


def check_against_pycrate(corpus):
    t, items, children = decode_payloads([raw for _n, raw, *_ in corpus])
    bad = []
    for r, (name, raw, mo, *_rest) in enumerate(corpus):
        ref = C.pycrate_view(raw, mo)
        assert ref is not None, f"pycrate cannot parse its own {name}: {raw.hex()}"
        ref = {k: sorted(v) for k, v in ref.items()}
        ours = our_view(t, r, items, children)
        if ours != ref:
            bad.append((name, raw.hex(), ours, ref))
    assert not bad, bad[:5]
    return t


# ------------------------------------------------------------------------------- tables
def test_message_types_match_generated_tables():
    assert set(nas_eps.EMM_TYPES) == set(T.EMM_MESSAGES)
    assert set(nas_eps.ESM_TYPES) == set(T.ESM_MESSAGES)
    assert nas_eps.MSG_SERVICE_REQUEST_CODE == 12 << 8 and 12 in T.EMM_SPECIAL


# ------------------------------------------------------------------------------- pycrate
def test_every_message_type_against_pycrate():
    corpus = C.message_types()
    assert len(corpus) >= len(T.EMM_MESSAGES) + len(T.ESM_MESSAGES) - 2
    t = check_against_pycrate(corpus)
    seen = set(t.column("msg").tolist())
    assert set(T.ESM_MESSAGES) <= seen
    assert not (t.column("flags")[:len(corpus)] & FLAGS["malformed"]).any()


def test_every_cause_against_pycrate():
    corpus = C.causes()
    t = check_against_pycrate(corpus)
    for r, (_name, _raw, _mo, proto, cause) in enumerate(corpus):
        assert t.cols["cause_proto"][r] == CAUSE_CODES[proto]
        assert t.cols["cause_value"][r] == cause
    for table, proto in ((T.EMM_CAUSES, "EMM"), (T.ESM_CAUSES, "ESM")):
        covered = {c for *_x, p, c in corpus if p == proto}
        assert set(table) <= covered


def test_identities_guti_apn_against_pycrate():
    t = check_against_pycrate(C.identities())
    names = [n for n, *_ in C.identities()]
    r = names.index("AttachRequest-GUTI")
    assert t.cols["m_tmsi"][r] == 0xC0FFEE01        # the EPS mobile identity, not the additional
    r = names.index("ExtServiceRequest")
    assert t.cols["m_tmsi"][r] == 0x0BADCAFE
    info = items_by_row(t)
    r = names.index("AttachRequest-IMSI")
    raw = C.identities()[r][1]
    assert (K["info"], 1, raw[2] & 7, raw[2] >> 4, -1) in info[r]   # V_ATTACH_TYPE, NAS KSI
    child = t.cols["parent"].tolist().index(r)
    assert t.cols["msg"][child] == 0xD0 and t.cols["proto"][child] == NAS
    assert (K["nas"], child, -1, -1, -1) in info[r]


# ------------------------------------------------------------------------------- captures
TSHARK_FIELDS = ["frame.number", "nas_eps.nas_msg_emm_type", "nas_eps.nas_msg_esm_type",
                 "nas_eps.emm.cause", "nas_eps.esm.cause", "e212.imsi", "nas_eps.emm.m_tmsi",
                 "gsm_a.imeisv", "gsm_a.gm.sm.apn", "nas_eps.security_header_type",
                 "nas_eps.emm.eps_att_type", "nas_eps.emm.update_type_value"]


def tshark_frames(path, dfilter, fields, options=()):
    out = subprocess.run([tshark_path(), "-r", str(path), *options, "-Y", dfilter, "-T", "fields",
                          "-E", "occurrence=a", "-E", "aggregator=|"]
                         + [a for f in fields for a in ("-e", f)],
                         capture_output=True, text=True, check=True).stdout
    res = {}
    for line in out.splitlines():
        parts = line.split("\t")
        res[int(parts[0])] = {f: [v for v in p.split("|") if v] for f, p in zip(fields, parts)}
    return res


def decoded_capture(path, null_cipher=False):
    t = table_of(messages(path), {"S1AP"})
    s1ap.decode(t)
    state = nas_eps.decode(t, nas_eps.NasState(null_cipher=null_cipher))
    return t, state


@pytest.mark.tshark
@pytest.mark.parametrize("rel", CAPTURES)
def test_capture_against_tshark(rel):
    tshark_path()
    against_tshark(capture(rel), rel in NO_SMC, False)


@pytest.fixture(scope="module")
def without_smc(tmp_path_factory):
    """open5gs/testattach.pcapng without its Security Mode Command frames (editcap): every
    connection's EEA0 context is then unknown to the inputs."""
    tshark_path()
    src = capture("open5gs/testattach.pcapng")
    smc = tshark_frames(src, "nas_eps.nas_msg_emm_type == 0x5d", ["frame.number"])
    assert len(smc) == 10
    path = tmp_path_factory.mktemp("nosmc") / "testattach-no-smc.pcapng"
    # editcap without the sanitizer runtime that .ci/sanitize preloads into Python (it hangs there)
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    subprocess.run([str(Path(tshark_path()).with_name("editcap")), str(src), str(path)]
                   + [str(f) for f in smc], check=True, env=env, timeout=120)
    return path


@pytest.mark.tshark
def test_without_smc_everything_ciphered_stays_ciphered(without_smc):
    """No SMC in the inputs: no algorithm is adopted, not even by M-TMSI or IMSI; exactly the
    frames tshark calls ciphered without its null-decipher preference stay opaque."""
    t, state = decoded_capture(without_smc)
    c = t.cols
    ours = {int(c["frame"][r]) for r in range(t.n)
            if c["proto"][r] == NAS and c["flags"][r] & FLAGS["ciphered"]}
    assert not any(c["flags"][r] & FLAGS["eea0"] for r in range(t.n))
    ref = tshark_frames(without_smc, "nas_eps.ciphered_msg", ["frame.number"],
                        ("-o", "nas-eps.null_decipher:FALSE"))
    assert len(ref) > 50 and ours == set(ref)


@pytest.mark.tshark
@pytest.mark.parametrize("rel", sorted(NO_SMC) + ["testattach without SMC"])
def test_null_cipher_against_tshark(rel, request):
    """NasState(null_cipher=True) reads what tshark's nas-eps.null_decipher reads, field by
    field, where no SMC gives the algorithm."""
    tshark_path()
    path = request.getfixturevalue("without_smc") if rel.startswith("testattach") else capture(rel)
    against_tshark(path, False, True)


def against_tshark(path, no_smc, null_cipher):
    """Every NAS field of the capture against tshark (null-decipher on); frames left ciphered
    are allowed only when no_smc says the capture lacks some connection's SMC."""
    ref = tshark_frames(path, "nas-eps", TSHARK_FIELDS, NULL_DECIPHER)
    t, _ = decoded_capture(path, null_cipher)
    c = t.cols
    items = items_by_row(t)
    ours = collections.defaultdict(lambda: collections.defaultdict(list))
    ciphered = set()
    for r in range(t.n):
        if c["proto"][r] != NAS:
            continue
        f = int(c["frame"][r])
        o = ours[f]
        m = int(c["msg"][r])
        if c["flags"][r] & FLAGS["ciphered"]:
            ciphered.add(f)
            assert m == -1
            continue
        if 0 <= m < 0xC0:
            o["emm"].append(m)
        elif 0xC0 <= m < 0x100:
            o["esm"].append(m)
        cp = int(c["cause_proto"][r])
        if cp:
            o["emmc" if cp == EMM else "esmc"].append(int(c["cause_value"][r]))
        if c["imsi"][r][0]:
            o["imsi"].append(digits(t, "imsi", r))
        if c["imei"][r][0] and m == 0x5E:
            o["imeisv"].append(digits(t, "imei", r))
        for k, a, b, cc, d in items.get(r, []):
            if k == K["guti"]:
                o["tmsi"].append(d)
            elif k == K["str"] and a == S_APN:
                o["apn"].append(apn_text(t.bytes_at(b, cc)))
            elif k == K["info"] and a == 1:
                o["att"].append(b)
            elif k == K["info"] and a == 2:
                o["upd"].append(b)
    checks = [("emm", "nas_eps.nas_msg_emm_type", lambda x: int(x, 0)),
              ("esm", "nas_eps.nas_msg_esm_type", lambda x: int(x, 0)),
              ("emmc", "nas_eps.emm.cause", int), ("esmc", "nas_eps.esm.cause", int),
              ("imsi", "e212.imsi", str), ("tmsi", "nas_eps.emm.m_tmsi", lambda x: int(x, 0)),
              ("imeisv", "gsm_a.imeisv", str), ("apn", "gsm_a.gm.sm.apn", str),
              ("att", "nas_eps.emm.eps_att_type", int),
              ("upd", "nas_eps.emm.update_type_value", int)]
    carried = {int(x) for x in c["frame"][:t.n][c["proto"][:t.n] == PROTO["S1AP"]]}
    bad = []
    for f, d in ref.items():
        if f not in carried:
            continue                                  # SCTP-fragmented: the helper skips it
        if f in ciphered:
            assert no_smc, f"frame {f} left ciphered although its SMC chose EEA0"
            assert set(d["nas_eps.security_header_type"]) & {"2", "4"}
            continue
        for key, field, conv in checks:
            want = sorted(conv(x) for x in d[field])
            got = sorted(ours[f].get(key, []))
            if want != got:
                bad.append((f, key, want, got))
    assert not bad, bad[:10]
    assert set(ours) <= set(ref)
    if not no_smc:
        assert not ciphered


@pytest.mark.parametrize("rel", CAPTURES)
def test_capture_against_pycrate(rel):
    """Every readable NAS message of the captures (the plain part of EEA0 ones) through pycrate."""
    path = capture(rel)
    t, _ = decoded_capture(path)
    c = t.cols
    items = items_by_row(t)
    children = collections.defaultdict(list)
    for r in range(t.n):
        p = int(c["parent"][r])
        if p >= 0 and c["proto"][p] == NAS:
            children[p].append(r)
    bad = []
    n = 0
    for r in range(t.n):
        p = int(c["parent"][r])
        if c["proto"][r] != NAS or c["proto"][p] == NAS or c["flags"][r] & FLAGS["ciphered"]:
            continue
        raw = t.payload(r)
        sht = raw[0] >> 4
        if raw[0] & 15 == 7 and sht >= 12:
            continue                                  # SERVICE REQUEST: pycrate's own class
        if raw[0] & 15 == 7 and sht in (1, 2, 3, 4):
            raw = raw[6:]
        mo = (c["msg"][p] & 0xFF) in (12, 13)         # initialUEMessage, uplinkNASTransport
        ref = C.pycrate_view(raw, mo)
        if ref is None:
            continue
        n += 1
        ref = {k: sorted(v) for k, v in ref.items()}
        ours = our_view(t, r, items, children)
        if ours != ref:
            bad.append((int(c["frame"][r]), raw.hex(), ours, ref))
    assert not bad, bad[:5]
    assert n > 0 or rel in NO_SMC


# ------------------------------------------------------------------------------- security
ADDR_ENB, ADDR_MME = bytes([10, 0, 0, 1]) + bytes(12), bytes([10, 0, 0, 2]) + bytes(12)


def _row(t, payload, enb, mme=-1, uplink=True, parent_msg=None, mme_addr=ADDR_MME,
         enb_addr=ADDR_ENB, m_tmsi=-1):
    parent = -1
    if parent_msg is not None:
        parent = t.add_python_row(proto=PROTO["S1AP"], msg=parent_msg, enb_ue_s1ap_id=enb,
                                  mme_ue_s1ap_id=mme, m_tmsi=m_tmsi)
    off = t.add_python_data(payload)
    src, dst = (enb_addr, mme_addr) if uplink else (mme_addr, enb_addr)
    r = t.add_python_row(proto=NAS, payload_off=off, payload_len=len(payload), parent=parent,
                         enb_ue_s1ap_id=enb, mme_ue_s1ap_id=mme,
                         sport=40000 if uplink else 36412, dport=36412 if uplink else 40000)
    t.cols["src"][r] = list(src)
    t.cols["dst"][r] = list(dst)
    return r


def protect(sht, inner, count=0):
    return bytes([(sht << 4) | 7]) + b"\x11\x22\x33\x44" + bytes([count]) + inner


SMC_EEA0 = bytes.fromhex("075d0002" "02e0e0")          # EEA0 / EIA2... (alg octet 0x02)
SMC_EEA2 = bytes.fromhex("075d2202" "02e0e0")
EMM_INFO = bytes.fromhex("0761")
ATTACH_REJECT = bytes.fromhex("074411")


def test_ciphered_without_smc_is_opaque():
    t = EventTable()
    r = _row(t, protect(2, ATTACH_REJECT), enb=5, mme=9, uplink=False)
    nas_eps.decode(t)
    assert t.cols["flags"][r] & FLAGS["ciphered"] and t.cols["msg"][r] == -1
    assert t.cols["cause_proto"][r] == 0


def test_eea0_smc_makes_ciphered_readable_and_eea2_does_not():
    for smc, readable in ((SMC_EEA0, True), (SMC_EEA2, False)):
        t = EventTable()
        _row(t, bytes.fromhex("0741") + bytes(1), enb=5, parent_msg=12)
        r0 = _row(t, protect(3, smc), enb=5, mme=9, uplink=False)
        r1 = _row(t, protect(4, bytes.fromhex("075e")), enb=5, mme=9)
        r2 = _row(t, protect(2, ATTACH_REJECT), enb=5, mme=9, uplink=False)
        state = nas_eps.decode(t)
        assert t.cols["msg"][r0] == 0x5D
        for r, mt in ((r1, 0x5E), (r2, 0x44)):
            if readable:
                assert t.cols["flags"][r] & FLAGS["eea0"] and t.cols["msg"][r] == mt
                assert not t.cols["flags"][r] & FLAGS["ciphered"]
            else:
                assert t.cols["flags"][r] & FLAGS["ciphered"] and t.cols["msg"][r] == -1
        assert state.algorithm(t, r2) == (0 if readable else 2)


def test_initial_ue_message_clears_reused_enb_id_and_state_carries_over_batches():
    t = EventTable()
    _row(t, protect(3, SMC_EEA0), enb=5, mme=9, uplink=False)
    state = nas_eps.decode(t)
    t2 = EventTable()
    r1 = _row(t2, protect(2, EMM_INFO), enb=5, mme=9, uplink=False)
    r2 = _row(t2, protect(2, bytes.fromhex("0748")), enb=5, parent_msg=12)   # new UE, same ID
    nas_eps.decode(t2, state)
    assert t2.cols["msg"][r1] == 0x61
    assert t2.cols["flags"][r2] & FLAGS["ciphered"]


def test_returning_ue_by_s_tmsi_and_handover_by_mme_id():
    guti = bytes.fromhex("0bf600f110800102c0ffee01")
    t = EventTable()
    _row(t, protect(3, SMC_EEA0), enb=5, mme=9, uplink=False)
    _row(t, protect(2, bytes.fromhex("0742020206") + bytes(6) + b"\x00\x00" + b"\x50" + guti),
         enb=5, mme=9, uplink=False)                                  # Attach Accept with GUTI
    # a later connection of the same UE: InitialUEMessage with S-TMSI, ciphered TAU request
    r = _row(t, protect(2, bytes.fromhex("0748")), enb=77, parent_msg=12, m_tmsi=0xC0FFEE01)
    # handover: other eNB (address), other eNB ID, same MME UE S1AP ID
    h = _row(t, protect(2, EMM_INFO), enb=3, mme=9, uplink=False,
             enb_addr=bytes([10, 0, 0, 7]) + bytes(12))
    nas_eps.decode(t)
    assert t.cols["msg"][1] == 0x42 and t.cols["m_tmsi"][1] == 0xC0FFEE01
    assert t.cols["msg"][r] == 0x48 and t.cols["flags"][r] & FLAGS["eea0"]
    assert t.cols["msg"][h] == 0x61


def test_null_cipher_reads_plaintext_that_parses_and_nothing_else():
    attach_request = bytes.fromhex("074171" "080910100000000010" "02e0e0"   # IMSI 001010000000001
                                   "0004" "0201d011")                        # PDN Connectivity
    garbage_esm = attach_request[:-6] + bytes.fromhex("0004ffffffff")
    cases = [(ATTACH_REJECT, 0x44), (attach_request, 0x41),
             (bytes.fromhex("52" "01d9"), 0xD9),           # ESM Information Request, EBI 5
             (bytes.fromhex("12" "01d9"), None),           # EBI 1 is reserved (24.301 9.3.2)
             (bytes.fromhex("0742"), None),                # Attach Accept cut short: malformed
             (bytes.fromhex("07ee00"), None),              # no such EMM message
             (bytes.fromhex("174400"), None),              # security header inside: not plain
             (garbage_esm, None),                          # its ESM container is no ESM
             (bytes.fromhex("9c3e51a7f0"), None)]          # what real ciphertext looks like
    for null_cipher in (False, True):
        t = EventTable()
        rows = [_row(t, protect(2, raw), enb=i, mme=i, uplink=False) for i, (raw, _) in
                enumerate(cases)]
        state = nas_eps.NasState(null_cipher=null_cipher)
        assert state.null_cipher is null_cipher and not nas_eps.NasState().null_cipher
        nas_eps.decode(t, state)
        c = t.cols
        for r, (raw, mt) in zip(rows, cases):
            if null_cipher and mt is not None:
                assert c["msg"][r] == mt and c["flags"][r] & FLAGS["eea0"], raw.hex()
                assert not c["flags"][r] & FLAGS["ciphered"]
            else:
                assert c["flags"][r] & FLAGS["ciphered"] and c["msg"][r] == -1, raw.hex()
                assert not c["flags"][r] & (FLAGS["eea0"] | FLAGS["malformed"])
                assert not [x for x in items_by_row(t).get(r, [])]
        read = null_cipher
        assert c["cause_value"][rows[0]] == (0x11 if read else -1)
        assert digits(t, "imsi", rows[1]) == ("001010000000001" if read else "")
        # the Attach Request's ESM container is a row; the rejected attempt left none behind
        children = [r for r in range(t.n) if c["parent"][r] >= 0]
        assert [(int(c["parent"][r]), int(c["msg"][r])) for r in children] == \
            ([(rows[1], 0xD0)] if read else [])
        assert t.n == len(cases) + len(children)
        assert c["proto"][t.n] == 0 and c["parent"][t.n] == -1     # a dropped row: defaults


def test_null_cipher_never_overrides_a_known_algorithm():
    """An SMC that chose EEA2 says the connection is really ciphered: null_cipher reads nothing,
    and a guessed reading never teaches an algorithm to the connection or the UE."""
    t = EventTable()
    _row(t, protect(3, SMC_EEA2), enb=5, mme=9, uplink=False)
    r = _row(t, protect(2, ATTACH_REJECT), enb=5, mme=9, uplink=False)
    g = _row(t, protect(2, ATTACH_REJECT), enb=6, mme=10, uplink=False)
    state = nas_eps.decode(t, nas_eps.NasState(null_cipher=True))
    assert t.cols["flags"][r] & FLAGS["ciphered"] and t.cols["msg"][r] == -1
    assert t.cols["msg"][g] == 0x44 and state.algorithm(t, g) == -1


def test_state_is_bounded():
    state = nas_eps.NasState(capacity=256)
    t = EventTable(capacity=8192)
    for i in range(3000):
        _row(t, protect(3, SMC_EEA0), enb=i, mme=i, uplink=False)
    nas_eps.decode(t, state)
    assert len(state) <= state.capacity == 256


def test_service_request_and_reserved_headers():
    t, _, _ = decode_payloads([bytes.fromhex("c7051234"), bytes.fromhex("c705"),
                               bytes.fromhex("6700000000000741"), bytes.fromhex("0f41"),
                               bytes.fromhex("2700")])
    c = t.cols
    assert c["msg"][0] == 0xC00 and c["flags"][0] & FLAGS["integrity"]
    assert c["flags"][1] & FLAGS["malformed"]
    assert c["flags"][2] & FLAGS["malformed"]                       # header type 6: reserved
    assert c["flags"][3] & FLAGS["malformed"]                       # PD 15: not EPS NAS
    assert c["flags"][4] & FLAGS["malformed"]                       # protected, too short


def test_truncated_messages_keep_what_came_before():
    full = [raw for _n, raw, _mo in C.identities()]
    cut = [raw[:k] for raw in full for k in range(len(raw))]
    t, _, _ = decode_payloads(cut)
    c = t.cols
    for r, raw in enumerate(cut):
        if len(raw) >= 2 and raw[0] & 15 == 7:
            assert c["msg"][r] == raw[1]
    assert (c["flags"][:len(cut)] & FLAGS["malformed"]).sum() > len(cut) // 2


# ------------------------------------------------------------------------------- fuzz
SEEDS = [raw for _n, raw, _mo in C.identities()] + [raw for _n, raw, _mo in C.message_types()]


@st.composite
def mutated(draw):
    raw = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(0, 4))):
        if raw and draw(st.booleans()):
            raw[draw(st.integers(0, len(raw) - 1))] = draw(st.integers(0, 255))
        else:
            raw.insert(draw(st.integers(0, len(raw))), draw(st.integers(0, 255)))
    if draw(st.booleans()):
        raw = bytearray(protect(draw(st.sampled_from([1, 2, 3, 4, 5, 12])), bytes(raw)))
    return bytes(raw[:draw(st.integers(0, len(raw)))])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.binary(max_size=64), mutated()), min_size=1, max_size=20))
def test_fuzz_never_crashes(payloads):
    t, _, _ = decode_payloads(payloads)
    c = t.cols
    assert t.n >= len(payloads)
    for r in range(t.n):
        if c["parent"][r] >= 0:                       # an ESM container inside its carrier
            p = int(c["parent"][r])
            assert c["payload_off"][p] <= c["payload_off"][r]
            assert c["payload_off"][r] + c["payload_len"][r] <= \
                c["payload_off"][p] + c["payload_len"][p]
    it = t.items()
    strs = it["key"] == K["str"]
    assert np.all(it["b"][strs] + it["c"][strs] <= t.n_data)
