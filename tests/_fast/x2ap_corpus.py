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
