"""Sample mappings and ERPNext records shared by the demo, the benchmarks and the bench tests.

The mappings are the README's worked examples on the simulator's connectors, kept as plain data in
``sample_mappings.py`` (importable without frappe) and re-exported here; the record builders make the
Customers and Sales Orders they push. Nothing here runs in production.
"""

from __future__ import annotations

from typing import Any

import frappe

from afas_connector.binding.constants import MAPPING, SETTINGS
from afas_connector.binding.doc_events import clear_outbound_cache
from afas_connector.devtools.sample_mappings import (  # noqa: F401 (re-exported: demo, benchmarks, tests)
	CUSTOMER_TO_DEBTOR,
	DEBTOR_TO_CUSTOMER,
	INBOUND,
	OUTBOUND,
	sales_order_mapping,
)
from afas_connector.simulator import DEMO_TOKEN

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
	"""Insert (and submit) a Sales Order of ``lines`` (item code, qty, rate), delivered today, in the
	company's currency: the site's selling price list may be in another one (ERPNext's test setup makes
	a USD company), and the order would then need an exchange rate nobody entered."""
	today = frappe.utils.today()
	order = frappe.get_doc(
		{
			"doctype": "Sales Order",
			"customer": customer,
			"company": company,
			"currency": frappe.get_cached_value("Company", company, "default_currency"),
			"conversion_rate": 1,
			"plc_conversion_rate": 1,
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
	"""Create the mapping of ``spec``, or bring an existing one in line with it. A mapping that already
	says what ``spec`` says is left untouched (no save, no Version), and a child table is replaced only
	when its rows differ: a rerun of the demo does not churn the mappings' history."""
	name = spec["mapping_name"]
	exists = frappe.db.exists(MAPPING, name)
	doc = frappe.get_doc(MAPPING, name) if exists else frappe.new_doc(MAPPING)
	values = {
		"enabled": 1,
		"direction": "Inbound",
		"schedule": "Every N Minutes",
		"interval_minutes": 15,
		**spec,
	}
	changed = not exists
	for field, value in values.items():
		if isinstance(value, list):
			if changed or not _same_rows(doc.get(field) or [], value):
				doc.set(field, [])
				for row in value:
					doc.append(field, row)
				changed = True
		elif not exists or not _same_value(doc.get(field), value):
			doc.set(field, value)
			changed = True
	if changed:
		doc.save(ignore_permissions=True)
	return doc


def _same_value(stored: Any, wanted: Any) -> bool:
	if isinstance(wanted, bool | int | float):
		return frappe.utils.flt(stored) == frappe.utils.flt(wanted)
	return frappe.utils.cstr(stored) == frappe.utils.cstr(wanted)


def _same_rows(rows: list[Any], wanted: list[dict[str, Any]]) -> bool:
	return len(rows) == len(wanted) and all(
		_same_value(row.get(field), value) for row, spec in zip(rows, wanted) for field, value in spec.items()
	)


def income_account(company: str) -> str | None:
	"""The account a sample Sales Invoice line books its revenue on: the Company's Default Income
	Account, else a leaf income account of its chart (an "Income Account" by type first). ERPNext's
	standard chart fills the default; "Netherlands - Grootboekschema" leaves it empty and types none of
	its revenue accounts, so the chart is asked by root type. None when the chart has none."""
	return frappe.get_cached_value("Company", company, "default_income_account") or _leaf_account(
		company, {"root_type": "Income"}, prefer_type="Income Account"
	)


def receivable_account(company: str) -> str | None:
	"""The Company's Default Receivable Account, else a leaf account of type Receivable."""
	return frappe.get_cached_value("Company", company, "default_receivable_account") or _leaf_account(
		company, {"account_type": "Receivable"}
	)


def _leaf_account(company: str, filters: dict[str, Any], prefer_type: str | None = None) -> str | None:
	found = frappe.get_all(
		"Account",
		filters={"company": company, "is_group": 0, "disabled": 0, "freeze_account": "No", **filters},
		fields=["name", "account_type"],
		order_by="lft asc",
	)
	preferred = [a.name for a in found if prefer_type and a.account_type == prefer_type]
	return (preferred or [a.name for a in found] or [None])[0]


def sales_ledger_mapping(name: str, company: str, customer_mapping: str) -> dict[str, Any]:
	"""A Ledger (FiEntries) mapping for the company's Sales Invoices on the simulator's chart: income
	account → 8000, the company → administration 1, Sales Invoices → journal 20; debtors through
	``customer_mapping``. The demo's and the ledger benchmark's."""
	income = income_account(company)
	return {
		"mapping_name": name,
		"direction": "Outbound",
		"mapping_type": "Ledger (FiEntries)",
		"afas_connector": "FiEntries",
		"erpnext_doctype": "Sales Invoice",
		"afas_key_field": "EnNo",
		"customer_mapping": customer_mapping,
		"ledger_maps": [
			{"kind": "Account", "erpnext_value": income, "afas_value": "8000"},
			{"kind": "Administration", "erpnext_value": company, "afas_value": "1"},
			{
				"kind": "Journal",
				"erpnext_doctype": "DocType",
				"erpnext_value": "Sales Invoice",
				"afas_value": "20",
			},
		],
		"field_mappings": [],
	}


def new_sales_invoice(customer: str, company: str, item: str, qty: float, rate: float) -> Any:
	"""Insert (not submit) a Sales Invoice of one line on the company's income account, in its currency."""
	currency = frappe.get_cached_value("Company", company, "default_currency")
	income = income_account(company)
	return frappe.get_doc(
		{
			"doctype": "Sales Invoice",
			"customer": customer,
			"company": company,
			"currency": currency,
			"debit_to": receivable_account(company),
			"conversion_rate": 1,
			"disable_rounded_total": 1,
			"items": [{"item_code": item, "qty": qty, "rate": rate, "income_account": income}],
		}
	).insert(ignore_permissions=True)
