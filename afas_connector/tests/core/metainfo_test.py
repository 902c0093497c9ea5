"""Metainfo field paths and mapping suggestions, from the simulator's real metainfo."""

from afas_connector.sync.metainfo import field_paths, suggest_mappings

CUSTOMER_FIELDS = [
	{"fieldname": "customer_name", "label": "Customer Name", "fieldtype": "Data"},
	{"fieldname": "tax_id", "label": "Tax ID", "fieldtype": "Data"},
	{"fieldname": "email_id", "label": "Email", "fieldtype": "Data"},
	{"fieldname": "disabled", "label": "Disabled", "fieldtype": "Check"},
	{"fieldname": "sb1", "label": "Name", "fieldtype": "Section Break"},
	{"fieldname": "modified_on", "label": "Modified", "fieldtype": "Datetime"},
]


def test_update_metainfo_nests_objects(client):
	paths = field_paths(client.metainfo_update("KnSalesRelationOrg"))
	assert "KnOrganisation.Nm" in paths
	assert any(p.startswith("KnOrganisation.KnBasicAddressAdr.") for p in paths)


def test_suggestions_match_labels_and_types(client):
	fields = field_paths(client.metainfo_get("ERP_Debtors"))
	rows = {r["afas_field"]: r for r in suggest_mappings(fields, CUSTOMER_FIELDS)}
	assert rows["Email"]["erpnext_field"] == "email_id"
	assert rows["Blocked"]["transform"] == "boolean"
	assert rows["Modified"]["erpnext_field"] == "modified_on" and rows["Modified"]["transform"] == "datetime"
	suggested = [r["erpnext_field"] for r in rows.values() if r["erpnext_field"]]
	assert len(suggested) == len(set(suggested)), "each ERPNext field is suggested once"
	assert "sb1" not in suggested
