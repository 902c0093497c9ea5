"""The checks of an Open Items mapping (``binding/open_items.py`` reads them): it reads AFAS's
outstanding items (Profit_Debtor_Invoices for Sales Invoices, Profit_Creditor_Invoices for Purchase
Invoices) for the invoices a Ledger mapping booked, and shows them on those invoices. Nothing is
mapped field by field. Its schedule is an inbound one (``inbound_mapping``)."""

from __future__ import annotations

from typing import Any

import frappe
from frappe import _

from afas_connector.binding.constants import MAPPING
from afas_connector.sync.open_items import SIDES
from afas_connector.sync.outbound_plan import LEDGER


def validate(doc: Any) -> None:
	side = SIDES.get(doc.erpnext_doctype)
	if not side:
		frappe.throw(
			_("Open Items are read for {0}, not {1}").format(" / ".join(SIDES), doc.erpnext_doctype),
			title=_("Invalid open items mapping"),
		)
	ledger = (
		frappe.db.get_value(MAPPING, doc.ledger_mapping, ["mapping_type", "erpnext_doctype"], as_dict=True)
		if doc.ledger_mapping
		else None
	)
	if not ledger or ledger.mapping_type != LEDGER or ledger.erpnext_doctype != doc.erpnext_doctype:
		frappe.throw(
			_("{0}: pick the Ledger (FiEntries) mapping that books the {1} documents").format(
				_(doc.meta.get_label("ledger_mapping")), _(doc.erpnext_doctype)
			),
			title=_("Invalid open items mapping"),
		)
	doc.afas_connector, doc.afas_key_field = side.connector, "InvoiceNr"
	doc.modified_field = None
	doc.deletion_mode = "Ignore"
	doc.set("field_mappings", [])
