# Kinds of the I_INFO item (events.pxd ItemKey I_INFO = 14): scalars of NAS-EPS, GTPv2-C and
# Diameter messages that have no column of their own. Item: (row, I_INFO, a=kind, b=value, c, d);
# c and d as given per kind, -1 where unused. Names for Python: INFO_KINDS in nas_eps.pyx.
cdef enum InfoKind:
    V_ATTACH_TYPE = 1       # NAS Attach Request: b=EPS attach type value (24.301 9.9.3.11) c=NAS KSI
    V_EPS_UPDATE_TYPE = 2   # NAS TAU Request: b=EPS update type value (9.9.3.14) c=active flag d=NAS KSI
    V_DETACH_TYPE = 3       # NAS Detach Request: b=type of detach (9.9.3.7) c=switch off
    V_IDENTITY_TYPE = 4     # NAS Identity Request: b=identity type 2 (9.9.3.17)
    V_NAS_ALGS = 5          # NAS Security Mode Command: b=EEA (type of ciphering) c=EIA (integrity)
    V_SERVICE_TYPE = 6      # NAS Extended Service Request: b=service type (9.9.3.27)
    V_ESM_HEADER = 7        # NAS ESM message: b=EPS bearer identity c=procedure transaction identity
    V_PDN_TYPE = 8          # NAS PDN type (9.9.4.10) / GTPv2 PDN Type IE (8.34): b=value c=source IE
    V_RAT_TYPE = 9          # GTPv2 RAT Type (8.17) / Diameter RAT-Type AVP 1032 (29.212): b=value
    V_ULR_FLAGS = 10        # Diameter ULR-Flags AVP 1405 (29.272 7.3.7): b=flags
    V_EBI = 11              # GTPv2 message-level EBI IE (8.8): b=EBI c=instance
    V_DIAMETER_HDR = 12     # Diameter header: b=flags octet (R P E T) c=Application-Id d=version
    V_GTP_CAUSE = 13        # GTPv2 Cause IE details: b=PCE/BCE/CS bits c=offending IE type|instance<<8
                            #   (or -1) d=EBI of the enclosing Bearer Context (or -1 at message level)
    V_ATTACH_RESULT = 14    # NAS Attach Accept: b=EPS attach result (9.9.3.10)
    V_UPDATE_RESULT = 15    # NAS TAU Accept: b=EPS update result (9.9.3.13)
    V_REQUEST_TYPE = 16     # NAS PDN Connectivity Request: b=request type (9.9.4.14)
    V_AUTH_APP_ID = 17      # Diameter Auth-Application-Id AVP 258: b=value
    V_PIGGYBACKED = 18      # GTPv2: b=row of the piggybacked message carried after this one
