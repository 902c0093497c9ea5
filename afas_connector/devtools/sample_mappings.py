"""The README's example mappings as plain data, importable without frappe: debtors → Customer,
creditors → Supplier, items → Item in; Customer → KnSalesRelationOrg and Sales Order → FbSales out.

``samples.py`` (the frappe side: settings, masters, records) re-exports them; the pure tier builds
their UpdateConnector bodies with ``FieldMap.from_rows(..., outbound=True)`` and checks them against
AFAS's own schemas.
"""

from __future__ import annotations

import json
from typing import Any

#: AFAS debtor (ERP_Debtors) → ERPNext Customer: used by the demo, the benchmarks and the tests.
DEBTOR_TO_CUSTOMER = [
	{"afas_field": "Name", "erpnext_field": "customer_name", "transform": "strip", "required": 1},
	{"afas_field": "Blocked", "erpnext_field": "disabled", "transform": "boolean"},
	{"afas_field": "VatNumber", "erpnext_field": "tax_id", "transform": "strip"},
	{
		"afas_field": "Group",
		"erpnext_field": "customer_group",
		"transform": "constant",
		"transform_options": "All Customer Groups",
	},
	{
		"afas_field": "Territory",
		"erpnext_field": "territory",
		"transform": "constant",
		"transform_options": "All Territories",
	},
]
#: ERPNext Customer → AFAS KnSalesRelationOrg with a nested KnOrganisation (always a new organisation).
CUSTOMER_TO_DEBTOR = [
	{"afas_field": "KnOrganisation.Nm", "erpnext_field": "customer_name", "required": 1},
	{
		"afas_field": "KnOrganisation.MatchOga",
		"erpnext_field": "customer_type",
		"transform": "constant",
		"transform_options": "6",
	},
	{"afas_field": "VaId", "erpnext_field": "tax_id"},
	{
		"afas_field": "CuId",
		"erpnext_field": "default_currency",
		"transform": "constant",
		"transform_options": "EUR",
	},
]

INBOUND = [
	{
		"mapping_name": "AFAS Debtors → Customer",
		"afas_connector": "ERP_Debtors",
		"erpnext_doctype": "Customer",
		"afas_key_field": "DebtorId",
		# a first sync (a new site, another AFAS environment) adopts the Customers already there
		"erpnext_key_field": "customer_name",
		"modified_field": "Modified",
		"deletion_mode": "Deletion Log Connector",
		"deletion_connector": "ERP_Debtors_Deleted",
		"deletion_date_field": "DeletedAt",
		"field_mappings": [
			*DEBTOR_TO_CUSTOMER,
			{
				"afas_field": "City",
				"erpnext_field": "customer_details",
				"transform": "expression",
				"transform_options": '"AFAS debtor " + str(row["DebtorId"]) + ", " + str(row["City"] or "")',
			},
		],
	},
	{
		"mapping_name": "AFAS Creditors → Supplier",
		"afas_connector": "ERP_Creditors",
		"erpnext_doctype": "Supplier",
		"afas_key_field": "CreditorId",
		"erpnext_key_field": "supplier_name",
		"modified_field": "Modified",
		"field_mappings": [
			{"afas_field": "Name", "erpnext_field": "supplier_name", "transform": "strip", "required": 1},
			{
				"afas_field": "Group",
				"erpnext_field": "supplier_group",
				"transform": "constant",
				"transform_options": "All Supplier Groups",
			},
			{"afas_field": "VatNumber", "erpnext_field": "tax_id"},
			{"afas_field": "Blocked", "erpnext_field": "disabled", "transform": "boolean"},
		],
	},
	{
		"mapping_name": "AFAS Items → Item",
		"afas_connector": "ERP_Items",
		"erpnext_doctype": "Item",
		"afas_key_field": "ItemCode",
		"erpnext_key_field": "item_code",
		"modified_field": "Modified",
		"field_mappings": [
			{"afas_field": "ItemCode", "erpnext_field": "item_code", "required": 1},
			{"afas_field": "Description", "erpnext_field": "item_name", "transform": "strip"},
			{
				"afas_field": "ItemGroup",
				"erpnext_field": "item_group",
				"transform": "constant",
				"transform_options": "All Item Groups",
			},
			{
				"afas_field": "Unit",
				"erpnext_field": "stock_uom",
				"transform": "value_map",
				"transform_options": json.dumps({"stk": "Nos", "*": "Nos"}),
			},
			{
				"afas_field": "Stock",
				"erpnext_field": "is_stock_item",
				"transform": "constant",
				"transform_options": "0",
			},
			{"afas_field": "Blocked", "erpnext_field": "disabled", "transform": "boolean"},
		],
	},
]
OUTBOUND = {
	"mapping_name": "Customer → AFAS Debtor",
	"direction": "Outbound",
	# the debtors the inbound mapping reads: a Customer pushed to AFAS is not read back as a second one
	"link_with": "AFAS Debtors → Customer",
	"afas_connector": "KnSalesRelationOrg",
	"erpnext_doctype": "Customer",
	"afas_key_field": "DbId",
	"push_on_insert": 1,
	"push_on_update": 1,
	"push_on_trash": 1,
	"condition": 'doc.customer_type == "Company"',
	"field_mappings": CUSTOMER_TO_DEBTOR,
}


#: ERPNext Sales Order → AFAS FbSales: the customer by the debtor key the Customer mapping recorded
#: (``afas_key``), one FbSalesLines element per item row. Sent on submit, deleted on cancel.
def sales_order_mapping(customer_mapping: str, **overrides: Any) -> dict[str, Any]:
	return {
		"mapping_name": "Sales Order → AFAS Order",
		"direction": "Outbound",
		"afas_connector": "FbSales",
		"erpnext_doctype": "Sales Order",
		"afas_key_field": "OrNu",
		"push_on_submit": 1,
		"push_on_cancel": 1,
		"delete_action": "Delete in AFAS",
		"field_mappings": [
			{
				"afas_field": "DbId",
				"erpnext_field": "customer",
				"transform": "afas_key",
				"transform_options": customer_mapping,
				"required": 1,
			},
			{"afas_field": "OrDa", "erpnext_field": "transaction_date", "transform": "date"},
			{"afas_field": "DaDe", "erpnext_field": "delivery_date", "transform": "date"},
			{"afas_field": "RfCs", "erpnext_field": "po_no"},
			{"afas_field": "CuId", "erpnext_field": "currency"},
			{
				"afas_field": "FbSalesLines.VaIt",
				"erpnext_field": "items.item_code",
				"transform": "constant",
				"transform_options": "2",
			},
			{"afas_field": "FbSalesLines.ItCd", "erpnext_field": "items.item_code"},
			{"afas_field": "FbSalesLines.Ds", "erpnext_field": "items.item_name"},
			{"afas_field": "FbSalesLines.QuUn", "erpnext_field": "items.qty", "transform": "number"},
			{"afas_field": "FbSalesLines.Upri", "erpnext_field": "items.rate", "transform": "number"},
		],
		**overrides,
	}
