"""X2AP reference corpora: the generator in s1ap_corpus.py applied to X2AP, plus the public
EN-DC vectors (o-ran-sc SgNB Addition Request / Acknowledge .per files)."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import s1ap_corpus as C  # noqa: E402

# EN-DC procedure codes (TS 36.423 Release 15 on): every one must be in the corpus
ENDC_PROCEDURES = {
    27: "sgNBAdditionPreparation", 28: "sgNBReconfigurationCompletion",
    29: "meNBinitiatedSgNBModificationPreparation", 30: "sgNBinitiatedSgNBModification",
    31: "meNBinitiatedSgNBRelease", 32: "sgNBinitiatedSgNBRelease", 33: "sgNBCounterCheck",
    34: "sgNBChange", 35: "rRCTransfer", 36: "endcX2Setup", 37: "endcConfigurationUpdate",
    38: "secondaryRATDataUsageReport", 43: "endcX2Removal",
}


def corpus(seed=1, per_message=3, p_opt=0.5):
    return C.corpus("x2ap", seed=seed, per_message=per_message, p_opt=p_opt)


def per_vectors():
    """The raw X2AP PDUs of oran-sc/*.per (public, synthetic contents)."""
    d = C.find_capture("oran-sc")
    if d is None:
        return []
    return [(p.name, p.read_bytes()) for p in sorted(d.glob("*.per"))]


def endc_setup_pdus():
    """EN-DC X2 Setup request (eNB side) and response (en-gNB side) with served cells, built
    explicitly so the nested node-type containers are always present."""
    pdu = C.asn1("x2ap")
    cell = {"pCI": 17, "cellId": {"pLMN-Identity": b"\x00\xf1\x10", "eUTRANcellIdentifier": (0x1234567, 28)},
            "tAC": b"\x00\x01", "broadcastPLMNs": [b"\x00\xf1\x10"],
            "eUTRA-Mode-Info": ("fDD", {"uL-EARFCN": 100, "dL-EARFCN": 18100,
                                        "uL-Transmission-Bandwidth": "bw50",
                                        "dL-Transmission-Bandwidth": "bw50"})}
    cell2 = dict(cell, pCI=18, cellId={"pLMN-Identity": b"\x00\xf1\x10",
                                        "eUTRANcellIdentifier": (0x1234568, 28)})
    enb = [{"id": 21, "criticality": "reject", "value": ("GlobalENB-ID", {
               "pLMN-Identity": b"\x00\xf1\x10", "eNB-ID": ("macro-eNB-ID", (0xABCDE, 20))})},
           {"id": 250, "criticality": "reject", "value": ("ServedEUTRAcellsENDCX2ManagementList", [
               {"servedEUTRACellInfo": cell}, {"servedEUTRACellInfo": cell2}])}]
    pdu.set_val(("initiatingMessage", {"procedureCode": 36, "criticality": "reject", "value": (
        "ENDCX2SetupRequest", {"protocolIEs": [{"id": 244, "criticality": "reject", "value": (
            "InitiatingNodeType-EndcX2Setup", ("init-eNB", enb))}]})}))
    req = pdu.to_aper()
    nrcell = {"servedNRCellInfo": {
        "nrpCI": 500, "nrCellID": {"pLMN-Identity": b"\x00\xf1\x10", "nRcellIdentifier": (0x123456789, 36)},
        "broadcastPLMNs": [b"\x00\xf1\x10"],
        "nrModeInfo": ("tdd", {"nRFreqInfo": {"nRARFCN": 620000, "freqBandListNr": [
            {"freqBandIndicatorNr": 78, "supportedSULBandList": []}]},
            "nR-TxBW": {"nRSCS": "scs30", "nRNRB": "nrb273"}}),
        "measurementTimingConfiguration": b"\x01\x02"}}
    gnb = [{"id": 252, "criticality": "reject", "value": ("GlobalGNB-ID", {
               "pLMN-Identity": b"\x00\xf1\x10", "gNB-ID": ("gNB-ID", (0x3FFFFF, 22))})},
           {"id": 253, "criticality": "reject", "value": ("ServedNRcellsENDCX2ManagementList",
                                                          [nrcell])}]
    pdu.set_val(("successfulOutcome", {"procedureCode": 36, "criticality": "reject", "value": (
        "ENDCX2SetupResponse", {"protocolIEs": [{"id": 246, "criticality": "reject", "value": (
            "RespondingNodeType-EndcX2Setup", ("respond-en-gNB", gnb))}]})}))
    resp = pdu.to_aper()
    return req, resp


# --- served cells with neighbour information (X2 Setup, EN-DC X2 Setup / Configuration Update) ---
PLMN = b"\x00\xf1\x10"
PLMN2 = b"\x64\xf0\x00"


def ecgi(cid, plmn=PLMN):
    return {"pLMN-Identity": plmn, "eUTRANcellIdentifier": (cid, 28)}


def nrcgi(cid, plmn=PLMN):
    return {"pLMN-Identity": plmn, "nRcellIdentifier": (cid, 36)}


def eutra_cell(pci, cid, tdd=False, plmn=PLMN):
    mode = ("tDD", {"eARFCN": 38000 + pci, "transmission-Bandwidth": "bw100",
                    "subframeAssignment": "sa2", "specialSubframe-Info": {
                        "specialSubframePatterns": "ssp7", "cyclicPrefixDL": "normal",
                        "cyclicPrefixUL": "extended"}}) if tdd else \
        ("fDD", {"uL-EARFCN": 100 + pci, "dL-EARFCN": 18100 + pci,
                 "uL-Transmission-Bandwidth": "bw50", "dL-Transmission-Bandwidth": "bw75"})
    return {"pCI": pci, "cellId": ecgi(cid, plmn), "tAC": b"\x00\x01",
            "broadcastPLMNs": [plmn, PLMN2], "eUTRA-Mode-Info": mode}


def nr_freq(arfcn, sul=False, bands=(78,)):
    f = {"nRARFCN": arfcn, "freqBandListNr": [
        {"freqBandIndicatorNr": b, "supportedSULBandList": [{"freqBandIndicatorNr": 80 + i}
                                                            for i in range(i_ % 3)]}
        for i_, b in enumerate(bands)]}
    if sul:
        f["sULInformation"] = {"sUL-ARFCN": 3279165, "sUL-TxBW": {"nRSCS": "scs15",
                                                                  "nRNRB": "nrb25"}}
    return f


def nr_cell(pci, cid, fdd=False, tacs=False, plmn=PLMN):
    if fdd:
        mode = ("fdd", {"ul-NRFreqInfo": nr_freq(400000 + pci, sul=True, bands=(1, 3)),
                        "dl-NRFreqInfo": nr_freq(430000 + pci, bands=(1,)),
                        "ul-NR-TxBW": {"nRSCS": "scs15", "nRNRB": "nrb52"},
                        "dl-NR-TxBW": {"nRSCS": "scs30", "nRNRB": "nrb273"}})
    else:
        mode = ("tdd", {"nRFreqInfo": nr_freq(620000 + pci, bands=(78, 77, 41)),
                        "nR-TxBW": {"nRSCS": "scs120", "nRNRB": "nrb11"}})
    v = {"nrpCI": pci, "nrCellID": nrcgi(cid, plmn), "broadcastPLMNs": [plmn],
         "nrModeInfo": mode, "measurementTimingConfiguration": bytes(range(pci % 7 + 1))}
    if tacs:
        v["fiveGS-TAC"] = b"\x00\x00\x07"
        v["configured-TAC"] = b"\x00\x08"
    return v


def nr_neighbours(base, n):
    out = []
    for i in range(n):
        mode = ("fdd", {"ul-NRFreqInfo": nr_freq(1000 + i, sul=i % 2 == 0),
                        "dl-NRFreqInfo": nr_freq(2000 + i)}) if i % 2 else \
            ("tdd", {"nRFreqInfo": nr_freq(3000 + i, bands=(78, 79))})
        v = {"nrpCI": (base + i) % 1008, "nrCellID": nrcgi(base + 0x100 + i),
             "measurementTimingConfiguration": b"\xAA" * (i + 1), "nRNeighbourModeInfo": mode}
        if i % 3 == 0:
            v["fiveGS-TAC"] = b"\x00\x01\x02"
        if i % 3 == 1:
            v["configured-TAC"] = b"\x01\x02"
        out.append(v)
    return out


def eutra_neighbours(base, n):
    return [{"eCGI": ecgi(base + 0x10 + i), "pCI": (base + i) % 504, "eARFCN": 1800 + i}
            for i in range(n)]


def _pdu(kind, code, name, ies):
    pdu = C.asn1("x2ap")
    pdu.set_val((kind, {"procedureCode": code, "criticality": "reject",
                        "value": (name, {"protocolIEs": ies})}))
    return pdu.to_aper()


def _ie(i, tname, value):
    return {"id": i, "criticality": "reject", "value": (tname, value)}


ENB_ID = _ie(21, "GlobalENB-ID", {"pLMN-Identity": PLMN, "eNB-ID": ("macro-eNB-ID", (0xABCDE, 20))})
GNB_ID = _ie(252, "GlobalGNB-ID", {"pLMN-Identity": PLMN, "gNB-ID": ("gNB-ID", (0x3FFFFF, 22))})


def served_cell_pdus():
    """[(name, PDU)]: X2 Setup / eNB Configuration Update with several served cells and
    neighbours, EN-DC X2 Setup (both sides, request and response) and EN-DC Configuration Update
    (both sides) with several served E-UTRA / NR cells, every one with neighbour information
    in turn (NR neighbours FDD and TDD, with and without SUL / TACs)."""
    out = []
    served = [{"servedCellInfo": eutra_cell(10 + i, 0x1000 + i, tdd=i % 2 == 1),
               **({"neighbour-Info": eutra_neighbours(0x2000 + 0x100 * i, i)} if i else {})}
              for i in range(4)]
    out.append(("X2SetupRequest", _pdu("initiatingMessage", 6, "X2SetupRequest",
                                       [ENB_ID, _ie(20, "ServedCells", served)])))
    out.append(("ENBConfigurationUpdate", _pdu("initiatingMessage", 8, "ENBConfigurationUpdate", [
        _ie(25, "ServedCells", served[::-1]),
        _ie(26, "ServedCellsToModify", [{"old-ecgi": ecgi(0x1000 + i), **s}
                                        for i, s in enumerate(served)]),
        _ie(27, "Old-ECGIs", [ecgi(0x3000), ecgi(0x3001)])])))
    eutra = [{"servedEUTRACellInfo": eutra_cell(20 + i, 0x4000 + i, tdd=i == 2),
              **({"nrNeighbourInfo": nr_neighbours(0x5000 + 0x10 * i, i)} if i else {})}
             for i in range(4)]
    nr = [{"servedNRCellInfo": nr_cell(500 + i, 0x600000000 + i, fdd=i % 2 == 1, tacs=i == 2),
           **({"nRNeighbourInfo": nr_neighbours(0x7000 + 0x10 * i, 3 - i)} if i < 3 else {})}
          for i in range(5)]
    enb = ("init-eNB", [ENB_ID, _ie(250, "ServedEUTRAcellsENDCX2ManagementList", eutra)])
    gnb = ("init-en-gNB", [GNB_ID, _ie(253, "ServedNRcellsENDCX2ManagementList", nr)])
    out.append(("ENDCX2SetupRequest/eNB", _pdu("initiatingMessage", 36, "ENDCX2SetupRequest", [
        _ie(244, "InitiatingNodeType-EndcX2Setup", enb)])))
    out.append(("ENDCX2SetupRequest/en-gNB", _pdu("initiatingMessage", 36, "ENDCX2SetupRequest", [
        _ie(244, "InitiatingNodeType-EndcX2Setup", gnb)])))
    out.append(("ENDCX2SetupResponse/en-gNB", _pdu("successfulOutcome", 36, "ENDCX2SetupResponse", [
        _ie(246, "RespondingNodeType-EndcX2Setup", ("respond-en-gNB", gnb[1]))])))
    out.append(("ENDCX2SetupResponse/eNB", _pdu("successfulOutcome", 36, "ENDCX2SetupResponse", [
        _ie(246, "RespondingNodeType-EndcX2Setup", ("respond-eNB", enb[1]))])))
    out.append(("ENDCConfigurationUpdate/eNB", _pdu(
        "initiatingMessage", 37, "ENDCConfigurationUpdate", [_ie(245, "InitiatingNodeType-EndcConfigUpdate", (
            "init-eNB", [_ie(250, "ServedEUTRAcellsENDCX2ManagementList", eutra[1:]),
                         _ie(259, "ServedEUTRAcellsToModifyListENDCConfUpd",
                             [{"old-ECGI": ecgi(0x4100 + i), **e} for i, e in enumerate(eutra)]),
                         _ie(260, "ServedEUTRAcellsToDeleteListENDCConfUpd",
                             [ecgi(0x4200), ecgi(0x4201, PLMN2)])]))])))
    out.append(("ENDCConfigurationUpdate/en-gNB", _pdu(
        "initiatingMessage", 37, "ENDCConfigurationUpdate", [_ie(245, "InitiatingNodeType-EndcConfigUpdate", (
            "init-en-gNB", [_ie(253, "ServedNRcellsENDCX2ManagementList", nr[2:]),
                            _ie(261, "ServedNRcellsToModifyENDCConfUpdList", [
                                {"old-nrcgi": nrcgi(0x610000000 + i),
                                 "servedNRCellInformation": n["servedNRCellInfo"],
                                 **({"nrNeighbourInformation": n["nRNeighbourInfo"]}
                                    if "nRNeighbourInfo" in n else {}),
                                 **({"nrDeactivationIndication": "deactivated"} if i % 2 else {})}
                                for i, n in enumerate(nr)]),
                            _ie(262, "ServedNRcellsToDeleteENDCConfUpdList",
                                [nrcgi(0x620000000), nrcgi(0xFFFFFFFFF, PLMN2)])]))])))
    return out


# --- UE contexts with E-RAB lists (Handover Request, SgNB Modification Request) -----------------
def _erab_qos(qci):
    return {"qCI": qci, "allocationAndRetentionPriority": {
        "priorityLevel": 1, "pre-emptionCapability": "may-trigger-pre-emption",
        "pre-emptionVulnerability": "pre-emptable"}}


def ue_context_pdus(rrc_len=8):
    """Handover Request (UE-ContextInformation with three E-RABs to be set up, rRC-Context of
    rrc_len octets) and SgNB Modification Request (UE-ContextInformation-SgNBModReq with E-RABs
    to add, modify and release)."""
    gtp = {"transportLayerAddress": (0x0A000001, 32), "gTP-TEID": b"\x00\x00\x10\x01"}
    erabs = [{"id": 4, "criticality": "ignore", "value": ("E-RABs-ToBeSetup-Item", {
        "e-RAB-ID": e, "e-RAB-Level-QoS-Parameters": _erab_qos(9), "uL-GTPtunnelEndpoint": gtp,
        **({"dL-Forwarding": "dL-forwardingProposed"} if e == 6 else {})})} for e in (5, 6, 15)]
    ctx = {"mME-UE-S1AP-ID": 0xFEDCBA98,
           "uESecurityCapabilities": {"encryptionAlgorithms": (0xE000, 16),
                                      "integrityProtectionAlgorithms": (0xC000, 16)},
           "aS-SecurityInformation": {"key-eNodeB-star": (1 << 255 | 12345, 256),
                                      "nextHopChainingCount": 5},
           "uEaggregateMaximumBitRate": {"uEaggregateMaximumBitRateDownlink": 10000000000,
                                         "uEaggregateMaximumBitRateUplink": 50000000},
           "subscriberProfileIDforRFP": 256,
           "e-RABs-ToBeSetup-List": erabs, "rRC-Context": bytes(i & 0xFF for i in range(rrc_len))}
    guma = {"gU-Group-ID": {"pLMN-Identity": PLMN, "mME-Group-ID": b"\x80\x01"}, "mME-Code": b"\x05"}
    hist = [("e-UTRAN-Cell", {"global-Cell-ID": ecgi(0x1234), "cellType": {"cell-Size": "small"},
                              "time-UE-StayedInCell": 30})]
    ho = _pdu("initiatingMessage", 0, "HandoverRequest", [
        _ie(10, "UE-X2AP-ID", 77), _ie(5, "Cause", ("radioNetwork", "handover-desirable-for-radio-reasons")),
        _ie(11, "ECGI", ecgi(0x99)), _ie(23, "GUMMEI", guma), _ie(14, "UE-ContextInformation", ctx),
        _ie(15, "UE-HistoryInformation", hist)])
    import random
    from pycrate_asn1dir import X2AP
    gen = C.Gen(random.Random(3), p_opt=0.0)

    def item(i, name, e):
        v = gen.value(getattr(X2AP.X2AP_PDU_Contents, name.replace("-", "_")))
        v["e-RAB-ID"] = e
        return {"id": i, "criticality": "ignore", "value": (name, v)}
    mod_ctx = {"nRUE-SecurityCapabilities": {"nRencryptionAlgorithms": (0x8000, 16),
                                             "nRintegrityProtectionAlgorithms": (0x4000, 16)},
               "sgNB-SecurityKey": (7, 256),
               "sgNBUEAggregateMaximumBitRate": {"uEaggregateMaximumBitRateDownlink": 1,
                                                 "uEaggregateMaximumBitRateUplink": 2},
               "e-RABs-ToBeAdded": [item(216, "E-RABs-ToBeAdded-SgNBModReq-Item", e)
                                    for e in (1, 2)],
               "e-RABs-ToBeModified": [item(217, "E-RABs-ToBeModified-SgNBModReq-Item", 3)],
               "e-RABs-ToBeReleased": [item(218, "E-RABs-ToBeReleased-SgNBModReq-Item", e)
                                       for e in (4, 14)]}
    mod = _pdu("initiatingMessage", 29, "SgNBModificationRequest", [
        _ie(111, "UE-X2AP-ID", 12), _ie(207, "SgNB-UE-X2AP-ID", 34), _ie(5, "Cause", ("misc", "unspecified")),
        _ie(215, "UE-ContextInformation-SgNBModReq", mod_ctx)])
    return [("HandoverRequest", ho), ("SgNBModificationRequest", mod)]
