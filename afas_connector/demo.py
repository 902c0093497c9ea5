"""``bench --site S afas demo``: the simulator, example mappings, a real sync, a summary.

Starts the project's AFAS Profit simulator on 127.0.0.1, points AFAS Settings at it, creates three
inbound mappings (debtors → Customer, creditors → Supplier, items → Item) and two outbound ones
(Customer → KnSalesRelationOrg, Sales Order → FbSales), runs the inbound ones, and pushes one new
Customer and a Sales Order for it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import frappe

from afas_connector.events import clear_outbound_cache
from afas_connector.simulator import DEMO_TOKEN, AfasSimulator

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
	settings = frappe.get_doc("AFAS Settings")
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


def configure(base_url: str) -> None:
	"""Point AFAS Settings at ``base_url`` and create the example mappings."""
	use_simulator(base_url)
	for spec in [*INBOUND, OUTBOUND, sales_order_mapping(OUTBOUND["mapping_name"])]:
		upsert_mapping(spec)
	frappe.db.commit()


def isolate_outbound(*keep: str) -> list[str]:
	"""Disable every enabled outbound mapping but ``keep`` (e.g. the demo's), so a test or benchmark
	sees only its own pushes and a bare loop pays for none; returns them for :func:`restore_outbound`."""
	others = frappe.get_all(
		"AFAS Connector Mapping",
		filters={"direction": "Outbound", "enabled": 1, "name": ["not in", keep or ("",)]},
		pluck="name",
	)
	for name in others:
		frappe.db.set_value("AFAS Connector Mapping", name, "enabled", 0)
	frappe.db.commit()
	clear_outbound_cache()
	return others


def restore_outbound(names: list[str]) -> None:
	for name in names:
		frappe.db.set_value("AFAS Connector Mapping", name, "enabled", 1)
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
	doc = (
		frappe.get_doc("AFAS Connector Mapping", name)
		if frappe.db.exists("AFAS Connector Mapping", name)
		else frappe.new_doc("AFAS Connector Mapping")
	)
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


def _push_demo_order(customer: str) -> str:
	"""Submit a Sales Order for the pushed customer, with an item the inbound sync brought in, and
	push it to FbSales; returns the line to print. Needs a Company (ERPNext's setup wizard)."""
	from afas_connector.outbound import push_pending

	company = frappe.defaults.get_global_default("company") or frappe.db.get_value("Company", {}, "name")
	item = frappe.db.get_value("AFAS Record Link", {"mapping": INBOUND[2]["mapping_name"]}, "reference_name")
	if not company or not item:
		return "push: Sales Order skipped (this site has no Company yet: finish ERPNext's setup wizard)"
	order = new_sales_order(customer, company, [(item, 3, 12.5)])
	frappe.db.commit()
	mapping = sales_order_mapping(OUTBOUND["mapping_name"])["mapping_name"]
	push_pending(mapping, "Sales Order", order.name)
	log = frappe.get_all(
		"AFAS Sync Log",
		filters={"mapping": mapping, "reference_name": order.name},
		fields=["status", "http_method", "afas_key", "error"],
		limit=1,
	)[0]
	return (
		f"push: Sales Order {order.name!r} ({len(order.items)} line) → {log.http_method} FbSales: {log.status}"
		+ (f", AFAS OrNu {log.afas_key}" if log.afas_key else f" ({log.error})")
	)


def run_demo(
	*, port: int = 8899, rows: int = 0, serve: bool = False, echo: Callable[[str], None] = print
) -> list[dict[str, Any]]:
	"""Run the whole demo; returns the summary rows it printed."""
	from afas_connector.inbound import sync_mapping
	from afas_connector.outbound import push_pending

	with AfasSimulator(port=port) as sim:
		if rows:
			sim.generate_rows("ERP_Debtors", n=rows, seed=1)
		echo(f"AFAS Profit simulator on {sim.base_url}")
		configure(sim.base_url)
		summary = []
		for spec in INBOUND:
			name = spec["mapping_name"]
			started = time.perf_counter()

			def progress(data: dict[str, Any], name: str = name) -> None:
				echo(
					f"\r  {name}: page {data['pages']}, {data['description']}"
					+ ("\n" if data["finished"] else "")
				)

			log = sync_mapping(name, trigger="Manual", progress=progress)
			log.reload()
			summary.append(
				{
					"mapping": name,
					"status": log.status,
					"read": log.rows_read,
					"inserted": log.inserted,
					"updated": log.updated,
					"unchanged": log.unchanged,
					"failed": log.failed,
					"seconds": round(time.perf_counter() - started, 2),
					"error": log.error or "",
				}
			)
		customer = new_customer(f"Demo Push {frappe.generate_hash(length=5)} B.V.")
		frappe.db.commit()
		push_pending(OUTBOUND["mapping_name"], "Customer", customer.name)
		push = frappe.get_all(
			"AFAS Sync Log",
			filters={"mapping": OUTBOUND["mapping_name"], "reference_name": customer.name},
			fields=["status", "http_method", "afas_key", "error"],
			limit=1,
		)
		echo("")
		echo(
			f"{'mapping':<28} {'status':<8} {'read':>6} {'new':>6} {'upd':>6} {'same':>6} {'fail':>6} {'sec':>6}"
		)
		for row in summary:
			echo(
				f"{row['mapping']:<28} {row['status']:<8} {row['read']:>6} {row['inserted']:>6} {row['updated']:>6} "
				f"{row['unchanged']:>6} {row['failed']:>6} {row['seconds']:>6}"
				+ (f"  {row['error']}" if row["error"] else "")
			)
		if push:
			echo(
				f"push: Customer {customer.name!r} → {push[0].http_method} KnSalesRelationOrg: {push[0].status}"
				+ (f", AFAS DbId {push[0].afas_key}" if push[0].afas_key else f" ({push[0].error})")
			)
		echo(_push_demo_order(customer.name))
		if serve:
			echo(f"Simulator still serving on {sim.base_url}; Ctrl-C to stop.")
			try:
				while True:
					time.sleep(3600)
			except KeyboardInterrupt:
				pass
		return summary
