"""S1AP (TS 36.413) decoder over the event table (compiled: chrtool/_fast/s1ap.pyx).

For every row with proto S1AP from `start` on, `decode` fills:
- columns: msg (pdu_type << 8 | procedure code), procedure_code, flags (F_MALFORMED on bad bytes,
  F_UNKNOWN_MSG for a (pdu type, code) the generated tables do not name, never an error),
  mme_ue_s1ap_id / enb_ue_s1ap_id (IEs 0, 8 and UE-S1AP-IDs 99), cause_proto/group/value (the
  message's Cause IE only; per-E-RAB causes are I_CAUSE items), plmn+eci (EUTRAN-CGI, UserLocationInformation),
  tac (TAI), nr_plmn+nci (PSCellInformation, UserLocationInformation), m_tmsi (S-TMSI, UEPagingID),
  imsi (UEPagingID);
- items (row, key, a, b, c, d):
  I_IE      a=IE id (-1: the message value itself) b=offset of the value in data c=length
            d=criticality, one per IE of the message (unknown IEs included);
  I_S1AP_IDS a=MME-UE-S1AP-ID b=eNB-UE-S1AP-ID (-1 absent) c=IE id (99 UE-S1AP-IDs, 88
            SourceMME-UE-S1AP-ID, 158 MME-UE-S1AP-ID-2, 92 Reset list, 93 ResetAcknowledge list);
  I_CAUSE   a=C_S1AP b=group c=value d=E-RAB id (per failed/released E-RAB) or -1 (HO-Cause);
  I_ERAB    a=E-RAB id b=IE id of the list c=QCI (to-be-setup/modified lists) or -1;
  I_FTEID   interface 0 (S1-U eNB side) / 1 (S1-U SGW side), instance 0, teid=GTP-TEID,
            address=IPv4 as int or -1, ebi=E-RAB id (fields: chrtool/table/schema.py);
  I_CELL    K_TAI (SupportedTAs 64, TargetID 4: b=PLMN c=TAC), K_TARGET_ECGI (target cell of an
            intra-LTE Source-ToTarget container, d=104);
  I_NODE    Global-ENB-ID (59), target eNB (4), SON transfer source/target eNBs (a=NodeKind b=PLMN
            c=eNB id d=bit length); N_MME for GUMMEI (75, 157) and ServedGUMMEIs (c=MMEGI<<8|MMEC);
  I_STR     S_NODE_NAME (eNBname 60 / MMEname 61): b=offset in data c=length d=IE id;
  I_ENUM    a=IE id b=index: HandoverType 1, RRC-Establishment-Cause 134, RRC-Resume-Cause 245,
            CSFallbackIndicator, CNDomain, RAT-Type, GUMMEIType, TargetID (4: CHOICE index),
            ResetType (92: CHOICE index);
- one NAS-EPS child row per NAS-PDU (top level and inside E-RAB items), parent = the S1AP row,
  sharing its frame, time, addresses, UE IDs and cell.
Messages, IEs, NAS-PDUs and containers of 16K octets or more (fragmented lengths, X.691
11.9.3.8) are reassembled: their fragments are copied, contiguous, to the end of `data`
(EventTable.add_data, room reserved before the walk) and the I_IE items / NAS child rows point at
the copy. Every fragment is checked against the buffer; a bad or cut one flags F_MALFORMED.
"""
from chrtool._fast.events import EventTable

ERAB_ITEMS: dict[int, tuple[int, int, int]]
ERAB_LISTS: tuple[int, ...]
ENUM_IES: dict[int, tuple[int, bool]]

def decode(t: EventTable, start: int = 0) -> None: ...
