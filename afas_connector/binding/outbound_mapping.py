"""The checks of an outbound mapping (ERPNext → AFAS, queued by ``binding/outbox.py`` and sent by
``binding/push.py``): its root element, what a delete does in AFAS and the Condition. A Ledger
mapping pushes too and has its Condition checked here (``ledger_mapping`` has the rest)."""

from __future__ import annotations

from typing import Any

import frappe
from frappe import _

from afas_connector.afas.update import root_element

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
