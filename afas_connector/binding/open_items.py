"""Open items back: an inbound mapping of type *Open Items* shows, on each Sales or Purchase Invoice
its Ledger mapping booked, the amount AFAS still sees open and whether AFAS sees it paid.

Read-only: three fields on the invoice (``afas_open_amount``, ``afas_paid``, ``afas_open_checked``),
written without running the invoice's hooks, so nothing is pushed back and no Payment Entry is made.
The pure rules (which connector, how invoices are asked for, listed = open, absent = paid) are in
``sync/open_items.py``.
"""

from __future__ import annotations

from typing import Any

import frappe
from frappe import _
from frappe.utils import flt, now_datetime

from afas_connector.binding import app_fields
from afas_connector.binding.connection import environment, get_client
from afas_connector.binding.constants import LINK, MAPPING
from afas_connector.binding.ledger import invoice_number_of, maps_of
from afas_connector.sync.open_items import SIDES, SentInvoice, invoice_filter, order_of, settle

#: The invoice fields this writes: read-only, not copied, shown once they have a value.
FIELDS = ("afas_open_amount", "afas_paid", "afas_open_checked")


def custom_fields(doctype: str) -> dict[str, list[dict[str, Any]]]:
	"""The read-only fields an Open Items mapping writes, after the invoice's own outstanding amount."""
	shown = "eval:doc.afas_open_checked"
	return {
		doctype: [
			{
				"fieldname": "afas_open_amount",
				"fieldtype": "Currency",
				"label": "Open in AFAS",
				"options": "Company:company:default_currency",
				"insert_after": "outstanding_amount",
				"read_only": 1,
				"no_copy": 1,
				"allow_on_submit": 1,
				"depends_on": shown,
				"description": "What AFAS's outstanding items still show open for this invoice",
			},
			{
				"fieldname": "afas_paid",
				"fieldtype": "Check",
				"label": "Paid in AFAS",
				"insert_after": "afas_open_amount",
				"read_only": 1,
				"no_copy": 1,
				"allow_on_submit": 1,
				"depends_on": shown,
			},
			{
				"fieldname": "afas_open_checked",
				"fieldtype": "Datetime",
				"label": "Checked in AFAS At",
				"insert_after": "afas_paid",
				"read_only": 1,
				"no_copy": 1,
				"allow_on_submit": 1,
				"depends_on": shown,
			},
		]
	}


def ensure_custom_fields(doctype: str) -> None:
	"""Create the fields on ``doctype`` where missing (idempotent; run when such a mapping is saved,
	also by an AFAS Manager: they are the app's own definitions, ``binding/app_fields.py``)."""
	if not all(frappe.db.exists("Custom Field", {"dt": doctype, "fieldname": f}) for f in FIELDS):
		fields = custom_fields(doctype)
		app_fields.ensure(fields, extra=fields)


def sent_invoices(mapping: Any) -> tuple[list[SentInvoice], list[str]]:
	"""The invoices of ``mapping.ledger_mapping`` booked in the current AFAS environment that are
	submitted and not yet known paid, as AFAS knows them; and the ones that cannot be asked for, why."""
	ledger = frappe.get_cached_doc(MAPPING, mapping.ledger_mapping)
	doctype = mapping.erpnext_doctype
	booked = frappe.get_all(
		LINK,
		filters={"mapping": ledger.name, "reference_doctype": doctype, "environment": environment()},
		pluck="reference_name",
	)
	if not booked:
		return [], []
	party_field, party_mapping = (
		("customer", ledger.customer_mapping)
		if doctype == "Sales Invoice"
		else ("supplier", ledger.supplier_mapping)
	)
	invoices = frappe.get_all(
		doctype,
		filters={"name": ["in", booked], "docstatus": 1, "afas_paid": 0},
		fields=["name", "company", party_field, *(["bill_no"] if doctype == "Purchase Invoice" else [])],
	)
	parties = dict(
		frappe.get_all(
			LINK,
			filters={
				"mapping": party_mapping,
				"environment": environment(),
				"reference_name": ["in", list({i[party_field] for i in invoices}) or [""]],
			},
			fields=["reference_name", "afas_key"],
			as_list=True,
		)
	)
	units = maps_of(ledger)[2]
	sent, skipped = [], []
	for invoice in invoices:
		number, why = invoice_number_of(ledger, doctype, invoice.name, bill_no=invoice.get("bill_no") or "")
		party = parties.get(invoice[party_field])
		unit = units.get(invoice.company)
		if number and party and unit:
			sent.append(SentInvoice(invoice.name, int(unit), str(party), number))
		else:
			skipped.append(invoice.name)
	return sent, skipped


def read_open_items(mapping: Any, on_exchange: Any = None) -> tuple[dict[str, int], str | None]:
	"""Ask AFAS for the open items of the mapping's booked invoices and write what it says on them.
	Returns the Sync Log counts (``rows_read``, ``updated`` invoices changed, ``unchanged``, ``failed``
	invoices that cannot be asked for) and a note naming those. Raises :class:`AfasError` when AFAS
	cannot be read: nothing is written then."""
	side = SIDES[mapping.erpnext_doctype]
	sent, skipped = sent_invoices(mapping)
	rows: list[dict[str, Any]] = []
	if sent:
		with get_client(on_exchange=on_exchange) as client:
			rows = list(
				client.iter_rows(side.connector, filters=invoice_filter(sent), order_by=order_of(side))
			)
	states = settle(sent, rows, side)
	current = {
		r.name: r
		for r in frappe.get_all(
			mapping.erpnext_doctype,
			filters={"name": ["in", list(states) or [""]]},
			fields=["name", "afas_open_amount", "afas_paid"],
		)
	}
	checked = now_datetime()
	updated = 0
	for name, state in states.items():
		before = current.get(name)
		values = {"afas_open_amount": flt(state.open_amount), "afas_paid": int(state.paid)}
		changed = before is None or (flt(before.afas_open_amount), int(before.afas_paid or 0)) != (
			values["afas_open_amount"],
			values["afas_paid"],
		)
		updated += changed
		# set_value: no hooks, no version, no modified: AFAS's view is shown, the invoice is not edited
		frappe.db.set_value(
			mapping.erpnext_doctype, name, {**values, "afas_open_checked": checked}, update_modified=False
		)
	note = None
	if skipped:
		note = _(
			"{0} booked invoices could not be asked for (no invoice number, party or administration): {1}"
		).format(len(skipped), ", ".join(skipped[:20]))
	counts = {
		"rows_read": len(rows),
		"updated": updated,
		"unchanged": len(states) - updated,
		"failed": len(skipped),
	}
	return counts, note
