"""Which node sends each S1AP message: the facts linking needs to tell the eNB side of an S1
association from the MME side, whatever the ports or the file.

An S1AP message code is PDU type << 8 | procedure code (PDU type 0 initiating, 1 successful
outcome, 2 unsuccessful outcome). The initiating message of each elementary procedure comes from
the node below (36.413 section 8); its outcomes come from the other node.
"""

ENB, MME, EITHER = "eNB", "MME", ""

# procedure code -> the node that sends the initiating message (36.413 section 8, table 8.1-1/2)
S1AP_INITIATOR = {
    0: ENB,     # HandoverPreparation: HandoverRequired
    1: MME,     # HandoverResourceAllocation: HandoverRequest to the target eNB
    2: ENB,     # HandoverNotification
    3: ENB,     # PathSwitchRequest
    4: ENB,     # HandoverCancel
    5: MME,     # E-RABSetup
    6: MME,     # E-RABModify
    7: MME,     # E-RABRelease
    8: ENB,     # E-RABReleaseIndication
    9: MME,     # InitialContextSetup
    10: MME,    # Paging
    11: MME,    # downlinkNASTransport
    12: ENB,    # initialUEMessage
    13: ENB,    # uplinkNASTransport
    14: EITHER,  # Reset
    15: EITHER,  # ErrorIndication
    16: ENB,    # NASNonDeliveryIndication
    17: ENB,    # S1Setup
    18: ENB,    # UEContextReleaseRequest
    19: MME,    # DownlinkS1cdma2000tunnelling
    20: ENB,    # UplinkS1cdma2000tunnelling
    21: MME,    # UEContextModification
    22: ENB,    # UECapabilityInfoIndication
    23: MME,    # UEContextRelease (Command; the Complete comes from the eNB)
    24: ENB,    # eNBStatusTransfer
    25: MME,    # MMEStatusTransfer
    26: MME,    # DeactivateTrace
    27: MME,    # TraceStart
    28: ENB,    # TraceFailureIndication
    29: ENB,    # ENBConfigurationUpdate
    30: MME,    # MMEConfigurationUpdate
    31: MME,    # LocationReportingControl
    32: ENB,    # LocationReportingFailureIndication
    33: ENB,    # LocationReport
    34: MME,    # OverloadStart
    35: MME,    # OverloadStop
    36: MME,    # WriteReplaceWarning
    37: ENB,    # eNBDirectInformationTransfer
    38: MME,    # MMEDirectInformationTransfer
    39: EITHER,  # PrivateMessage
    40: ENB,    # eNBConfigurationTransfer
    41: MME,    # MMEConfigurationTransfer
    42: ENB,    # CellTrafficTrace
    43: MME,    # Kill
    44: MME,    # downlinkUEAssociatedLPPaTransport
    45: ENB,    # uplinkUEAssociatedLPPaTransport
    46: MME,    # downlinkNonUEAssociatedLPPaTransport
    47: ENB,    # uplinkNonUEAssociatedLPPaTransport
    48: MME,    # UERadioCapabilityMatch
    49: ENB,    # PWSRestartIndication
    50: ENB,    # E-RABModificationIndication
    51: ENB,    # PWSFailureIndication
    52: MME,    # RerouteNASRequest
    53: ENB,    # UEContextModificationIndication
    54: MME,    # ConnectionEstablishmentIndication
    55: ENB,    # UEContextSuspend
    56: ENB,    # UEContextResume
    57: ENB,    # NASDeliveryIndication
    58: MME,    # RetrieveUEInformation
    59: ENB,    # UEInformationTransfer
    60: ENB,    # eNBCPRelocationIndication
    61: MME,    # MMECPRelocationIndication
    62: ENB,    # SecondaryRATDataUsageReport
    63: ENB,    # UERadioCapabilityIDMapping
    64: ENB,    # HandoverSuccess
    65: ENB,    # eNBEarlyStatusTransfer
    66: MME,    # MMEEarlyStatusTransfer
}


def s1ap_sender(msg):
    """ENB, MME or EITHER (unknown) for an S1AP message code."""
    initiator = S1AP_INITIATOR.get(msg & 0xFF, EITHER)
    if initiator == EITHER or (msg >> 8) == 0:
        return initiator
    return MME if initiator == ENB else ENB
