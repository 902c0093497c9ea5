"""Names the frappe layer shares: the app's DocTypes and roles, defined once."""

SETTINGS = "AFAS Settings"
MAPPING = "AFAS Connector Mapping"
FIELD_MAPPING = "AFAS Field Mapping"
LOG = "AFAS Sync Log"
LINK = "AFAS Record Link"
ALERT = "AFAS Alert"
FILE_LINK = "AFAS File Link"
#: AFAS calls, rows and bytes per day, connector and environment (binding/usage.py).
USAGE = "AFAS Usage"
#: AFAS's ledger reference data (the ledger templates' target); an ordinary mapped DocType.
REFERENCE_CODE = "AFAS Reference Code"
#: The app's own DocTypes never push (a Sync Log save must not queue a Sync Log).
OWN_DOCTYPES = frozenset({SETTINGS, MAPPING, FIELD_MAPPING, LOG, LINK, ALERT, FILE_LINK, USAGE})

MANAGER_ROLE = "AFAS Manager"
#: Who may use the connector's API, buttons and forms.
MANAGER_ROLES = (MANAGER_ROLE, "System Manager")
#: Read-only: the health endpoint and the AFAS Alert list, for monitoring tools and their users.
MONITOR_ROLE = "AFAS Monitor"
