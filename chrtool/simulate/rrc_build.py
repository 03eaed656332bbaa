"""The RRC containers S1AP and X2AP carry (TS 36.331 / TS 38.331, UPER), as fixed octets.

Wireshark dissects them, so they must be real UPER; but they never change (minimal valid
messages), and loading pycrate's RRC modules to encode them cost every run about 2 s (RRCLTE
~0.9 s, RRCNR ~1.1 s). So the octets pycrate gives are kept here, and
tests/simulate/test_x2ap_build.py encodes each again with pycrate (:func:`pycrate_encoding`) and
compares.
"""
from __future__ import annotations

# HandoverPreparationInformation-r8 without UE capability containers (source eNB to target)
HANDOVER_PREPARATION_INFORMATION = bytes.fromhex("0000")
# HandoverCommand-r8 carrying an empty RRCConnectionReconfiguration-r8 (target eNB to source)
HANDOVER_COMMAND = bytes.fromhex("0019000000")
# NR CG-ConfigInfo (MeNB to SgNB) and CG-Config (SgNB to MeNB), empty critical extensions
CG_CONFIG_INFO = bytes.fromhex("0000")
CG_CONFIG = bytes.fromhex("0000")

CONTAINERS = {"handover-preparation-information": HANDOVER_PREPARATION_INFORMATION,
              "handover-command": HANDOVER_COMMAND, "cg-config-info": CG_CONFIG_INFO, "cg-config": CG_CONFIG}


def pycrate_encoding(name: str) -> bytes:
    """pycrate's UPER of container ``name`` (a key of CONTAINERS): the reference for the tests."""
    from pycrate_asn1dir import RRCLTE, RRCNR
    if name == "handover-preparation-information":
        hpi = RRCLTE.EUTRA_InterNodeDefinitions.HandoverPreparationInformation
        hpi.set_val({"criticalExtensions": ("c1", ("handoverPreparationInformation-r8",
                                                   {"ue-RadioAccessCapabilityInfo": []}))})
        return hpi.to_uper()
    if name == "handover-command":
        dcch = RRCLTE.EUTRA_RRC_Definitions.DL_DCCH_Message
        dcch.set_val({"message": ("c1", ("rrcConnectionReconfiguration", {
            "rrc-TransactionIdentifier": 0,
            "criticalExtensions": ("c1", ("rrcConnectionReconfiguration-r8", {}))}))})
        cmd = RRCLTE.EUTRA_InterNodeDefinitions.HandoverCommand
        cmd.set_val({"criticalExtensions": ("c1", ("handoverCommand-r8", {
            "handoverCommandMessage": dcch.to_uper()}))})
        return cmd.to_uper()
    node = RRCNR.NR_InterNodeDefinitions
    if name == "cg-config-info":
        node.CG_ConfigInfo.set_val({"criticalExtensions": ("c1", ("cg-ConfigInfo", {}))})
        return node.CG_ConfigInfo.to_uper()
    if name == "cg-config":
        node.CG_Config.set_val({"criticalExtensions": ("c1", ("cg-Config", {}))})
        return node.CG_Config.to_uper()
    raise KeyError(name)
