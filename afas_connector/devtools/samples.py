"""Sample mappings and ERPNext records shared by the demo, the benchmarks and the bench tests.

The mappings are the README's worked examples on the simulator's connectors (debtors → Customer,
creditors → Supplier, items → Item in; Customer → KnSalesRelationOrg and Sales Order → FbSales out);
the record builders make the Customers and Sales Orders they push. Nothing here runs in production.
"""

from __future__ import annotations

import json
from typing import Any

import frappe

from afas_connector.binding.constants import MAPPING, SETTINGS
from afas_connector.binding.doc_events import clear_outbound_cache
from afas_connector.simulator import DEMO_TOKEN

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


#: Root records a fresh ERPNext site gets from its setup wizard; the demo creates any that are missing.
MASTERS = [
	("Customer Group", "customer_group_name", "All Customer Groups", {"is_group": 1}),
	("Territory", "territory_name", "All Territories", {"is_group": 1}),
	("Supplier Group", "supplier_group_name", "All Supplier Groups", {"is_group": 1}),
	("Item Group", "item_group_name", "All Item Groups", {"is_group": 1}),
	("UOM", "uom_name", "Nos", {"must_be_whole_number": 1}),
]


def ensure_masters() -> None:
	"""Create the root groups, territory and UOM the example mappings point at, when missing."""
	for doctype, field, name, extra in MASTERS:
		if not frappe.db.exists(doctype, name):
			frappe.get_doc({"doctype": doctype, field: name, **extra}).insert(ignore_permissions=True)
	frappe.db.commit()


def use_simulator(base_url: str, **overrides: Any) -> Any:
	"""Point AFAS Settings at a simulator with its demo token (and create the masters it needs)."""
	ensure_masters()
	settings = frappe.get_doc(SETTINGS)
	values = {
		"enabled": 1,
		"base_url": base_url,
		"auth_method": "AfasToken",
		"token": DEMO_TOKEN,
		"environment_id": "12345",
	}
	settings.update({**values, **overrides})
	settings.save(ignore_permissions=True)
	frappe.db.commit()
	clear_outbound_cache()
	return settings


def isolate_outbound(*keep: str) -> list[str]:
	"""Disable every enabled outbound mapping but ``keep`` (e.g. the demo's), so a test or benchmark
	sees only its own pushes and a bare loop pays for none; returns them for :func:`restore_outbound`."""
	others = frappe.get_all(
		MAPPING,
		filters={"direction": "Outbound", "enabled": 1, "name": ["not in", keep or ("",)]},
		pluck="name",
	)
	for name in others:
		frappe.db.set_value(MAPPING, name, "enabled", 0)
	frappe.db.commit()
	clear_outbound_cache()
	return others


def restore_outbound(names: list[str]) -> None:
	for name in names:
		frappe.db.set_value(MAPPING, name, "enabled", 1)
	frappe.db.commit()
	clear_outbound_cache()


def new_customer(name: str, **fields: Any) -> Any:
	"""Insert a company Customer in the root group and territory."""
	return frappe.get_doc(
		{
			"doctype": "Customer",
			"customer_name": name,
			"customer_type": "Company",
			"customer_group": "All Customer Groups",
			"territory": "All Territories",
			**fields,
		}
	).insert(ignore_permissions=True)


def new_sales_order(
	customer: str, company: str, lines: list[tuple[str, float, float]], submit: bool = True, **fields: Any
) -> Any:
	"""Insert (and submit) a Sales Order of ``lines`` (item code, qty, rate), delivered today."""
	today = frappe.utils.today()
	order = frappe.get_doc(
		{
			"doctype": "Sales Order",
			"customer": customer,
			"company": company,
			"transaction_date": today,
			"delivery_date": today,
			"items": [{"item_code": item, "qty": qty, "rate": rate} for item, qty, rate in lines],
			**fields,
		}
	).insert(ignore_permissions=True)
	if submit:
		order.submit()
	return order


def upsert_mapping(spec: dict[str, Any]) -> Any:
	name = spec["mapping_name"]
	doc = frappe.get_doc(MAPPING, name) if frappe.db.exists(MAPPING, name) else frappe.new_doc(MAPPING)
	doc.update(
		{
			"enabled": 1,
			"direction": "Inbound",
			"schedule": "Every N Minutes",
			"interval_minutes": 15,
			**{k: v for k, v in spec.items() if k != "field_mappings"},
		}
	)
	doc.set("field_mappings", [])
	for row in spec["field_mappings"]:
		doc.append("field_mappings", row)
	doc.save(ignore_permissions=True)
	return doc
