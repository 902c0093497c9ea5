"""The checks of an outbound mapping (ERPNext → AFAS, queued by ``binding/outbox.py`` and sent by
``binding/push.py``): its root element, what a delete does in AFAS and the Condition. A Ledger
mapping pushes too and has its Condition checked here (``ledger_mapping`` has the rest)."""

from __future__ import annotations

from typing import Any

import frappe
from frappe import _

from afas_connector.afas.update import root_element
from afas_connector.binding.constants import MAPPING
from afas_connector.binding.hours import check_codes
from afas_connector.sync.outbound_plan import LEDGER

#: A Condition runs on every save of the DocType: one line, not a program.
MAX_CONDITION_CHARS = 1000


def validate(doc: Any) -> None:
	doc.afas_root_element = (doc.afas_root_element or "").strip() or root_element(doc.afas_connector)
	if doc.delete_action == "Deactivate in AFAS" and not (doc.deactivate_field or "").strip():
		frappe.throw(
			_("Deactivate Field is required when On Delete / Cancel is 'Deactivate in AFAS' (e.g. Bl)"),
			title=_("Missing field"),
		)
	check_condition(doc)
	check_one_way_to_the_books(doc)
	check_codes(doc)  # an hours mapping's work and hour types (binding/hours.py)


#: The UpdateConnector of AFAS's direct invoices: AFAS books them itself, so an invoice sent this way
#: must not also be booked by a Ledger mapping (issue 28 §6).
DIRECT_INVOICE = "FbDirectInvoice"


def check_one_way_to_the_books(doc: Any) -> None:
	"""A DocType's invoices reach AFAS's books one way: as ledger entries (a Ledger mapping) or as
	direct invoices AFAS books itself (FbDirectInvoice), never both — that would book them twice.
	Refuses switching on (or saving switched on) the second while the first is on; a switched-off
	mapping sends nothing, so the two may wait side by side (the demo's Ledger mapping, say)."""
	if doc.direction != "Outbound" or not doc.enabled:
		return
	ledger = doc.mapping_type == LEDGER
	if not ledger and doc.afas_connector != DIRECT_INVOICE:
		return
	other = (
		{"mapping_type": "Field Map", "afas_connector": DIRECT_INVOICE}
		if ledger
		else {"mapping_type": LEDGER}
	)
	clash = frappe.db.get_value(
		MAPPING,
		{
			"direction": "Outbound",
			"enabled": 1,
			"erpnext_doctype": doc.erpnext_doctype,
			"name": ["!=", doc.name or ""],
			**other,
		},
		"name",
	)
	if clash:
		frappe.throw(
			_(
				"{0} would reach AFAS's books twice: mapping {1} already sends them as {2}. Use one of "
				"the two (a Ledger mapping books ledger entries; FbDirectInvoice has AFAS book its own invoice)."
			).format(_(doc.erpnext_doctype), clash, _("ledger entries") if not ledger else DIRECT_INVOICE),
			title=_("Booked twice"),
		)


def check_condition(doc: Any) -> None:
	"""The Condition is Python that Frappe's ``safe_eval`` runs on every save of a document: valid,
	at most ``MAX_CONDITION_CHARS``, and tried on the latest document of the DocType, so a condition
	that raises is refused here rather than found out in a Sync Log (a save never fails on it:
	``outbox.queue_change_safely``)."""
	if not doc.condition:
		return
	if len(doc.condition) > MAX_CONDITION_CHARS:
		frappe.throw(
			_("Condition: at most {0} characters").format(MAX_CONDITION_CHARS),
			title=_("Invalid condition"),
		)
	try:
		compile(doc.condition, "<condition>", "eval")
	except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
		frappe.throw(
			_("Condition is not a valid expression: {0}").format(getattr(exc, "msg", None) or exc),
			title=_("Invalid condition"),
		)
	sample = frappe.get_all(doc.erpnext_doctype, pluck="name", order_by="modified desc", limit=1)
	if not sample:
		return
	try:
		frappe.safe_eval(doc.condition, None, {"doc": frappe.get_doc(doc.erpnext_doctype, sample[0])})
	except Exception as exc:
		frappe.throw(
			_("Condition fails on {0} {1}: {2}").format(
				_(doc.erpnext_doctype), sample[0], f"{type(exc).__name__}: {exc}"
			),
			title=_("Invalid condition"),
		)
