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


ITEM_FIELDS = [
	{"fieldname": "item_code", "label": "Item Code", "fieldtype": "Data"},
	{"fieldname": "item_name", "label": "Item Name", "fieldtype": "Data"},
	{"fieldname": "item_group", "label": "Item Group", "fieldtype": "Link"},
	{"fieldname": "stock_uom", "label": "Default Unit of Measure", "fieldtype": "Link"},
	{"fieldname": "disabled", "label": "Disabled", "fieldtype": "Check"},
	{"fieldname": "description", "label": "Description", "fieldtype": "Text Editor"},
]


def test_what_afas_calls_something_else_is_still_suggested(client):
	"""Dutch labels (Accept-Language nl-nl) and AFAS's own words: Unit is stock_uom, Blocked is
	disabled, Description is the item's name."""
	fields = field_paths(client.metainfo_get("ERP_Items"))
	rows = {r["afas_field"]: r for r in suggest_mappings(fields, ITEM_FIELDS)}
	assert rows["Unit"]["erpnext_field"] == "stock_uom"
	assert (rows["Blocked"]["erpnext_field"], rows["Blocked"]["transform"]) == ("disabled", "boolean")
	assert rows["ItemCode"]["erpnext_field"] == "item_code"
	assert rows["ItemGroup"]["erpnext_field"] == "item_group"
	assert rows["Description"]["erpnext_field"] in ("item_name", "description")


def test_modified_date_and_key_are_suggested(client):
	from afas_connector.sync.metainfo import suggest_key_field, suggest_modified_field

	debtors = field_paths(client.metainfo_get("ERP_Debtors"))
	assert suggest_modified_field(debtors) == "Modified"
	assert suggest_key_field(debtors) == "DebtorId"
	items = field_paths(client.metainfo_get("ERP_Items"))
	assert suggest_key_field(items) == "ItemCode"
	assert suggest_modified_field({"Name": {"dataType": "string", "label": "Naam"}}) is None
