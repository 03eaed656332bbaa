"""X2AP (TS 36.423, every EN-DC procedure) decoder over the event table (chrtool/_fast/x2ap.pyx).

For every row with proto X2AP from `start` on, `decode` fills:
- columns: msg (pdu_type << 8 | procedure code), procedure_code, flags (F_MALFORMED,
  F_UNKNOWN_MSG), old_enb_ue_x2ap_id (10), new_enb_ue_x2ap_id (9), menb_ue_x2ap_id (111),
  sgnb_ue_x2ap_id (207), mme_ue_s1ap_id (from UE-ContextInformation 14 of a Handover Request),
  cause_* (Cause 5 only; per-E-RAB causes are I_CAUSE items), plmn+eci (MeNBCell-ID 279, ECGI 316),
  nr_plmn+nci (NRCGI 322);
- messages and IEs of 16K octets or more (fragmented lengths, X.691 11.9.3.8) are reassembled:
  the fragments of a value are copied, contiguous, to the end of `data` (EventTable.add_data) and
  the row's I_IE items point at the copy (offsets may lie past the PDU's own payload);
- items:
  I_IE       a=IE id (-1: message value) b=offset in data c=length d=criticality; also one per IE
             of the containers nested in the EN-DC node-type IEs (244-247, 298, 299): their spans
             lie inside the enclosing IE's span;
  I_X2AP_IDS a=IdKind b=value c=IE id: Old/New eNB and MeNB UE X2AP ID extensions (156/155/157),
             Old-SgNB-UE-X2AP-ID (264, X_SGNB);
  I_CAUSE    a=C_X2AP b=group c=value d=E-RAB id (E-RABs not admitted, to be released...);
  I_ERAB     a=E-RAB id b=IE id of the list c=-1 d=-1 (every top-level E-RAB list, EN-DC
             included); the lists inside UE-ContextInformation 14 (e-RABs-ToBeSetup-List) and
             UE-ContextInformation-SgNBModReq 215 (to be added / modified / released) give
             b=14 / 215 and d=the item's IE id (4; 216 added, 217 modified, 218 released);
  I_NODE     GlobalENB-ID 21 (a=NodeKind b=PLMN c=id d=bits), Globalen-gNB-ID 252 and
             Target-SgNB-ID 239 (N_EN_GNB);
  I_CELL     K_SERVED_ECGI: every cell of ServedCells 20/25, ServedCellsToModify 26 (the new
             cell), Old-ECGIs 27, ServedEUTRAcellsENDCX2ManagementList 250,
             ServedEUTRAcellsToModifyListENDCConfUpd 259 (new cell), ...ToDelete 260;
             K_SERVED_NR_CGI: every cell of ServedNRcellsENDCX2ManagementList 253,
             ServedNRcellsToModifyENDCConfUpdList 261 (new cell), ...ToDelete 262 (X2 Setup and
             eNB Configuration Update, EN-DC X2 Setup and EN-DC Configuration Update, in the
             node-type containers too); neighbour cells (Neighbour-Information,
             NRNeighbour-Information) are walked over, not reported;
             K_TARGET_ECGI (TargetCell-ID 11), K_ECGI (ENB1/ENB2-Cell-ID 43/44); d=IE id.
"""
from chrtool._fast.events import EventTable

ERAB_ITEMS: dict[int, tuple[int, bool]]
ERAB_LISTS: tuple[int, ...]

def decode(t: EventTable, start: int = 0) -> None: ...
