"""What the checks of every kind of mapping share (the AFAS Connector Mapping controller dispatches
to one module per kind: ``field_mapping``, ``inbound_mapping``, ``outbound_mapping``,
``ledger_mapping``, ``open_items_mapping``, ``attachments_mapping``)."""

from __future__ import annotations

from functools import partial
from html import escape
from typing import Any

import frappe
from frappe import _

#: Text in a message the desk shows as HTML (AFAS's words, a formula from an imported file): as text.
escape_html = partial(escape, quote=False)

#: Fields every document has: a field mapping or a match rule may name them without a DocField.
STANDARD_FIELDS = {"name", "owner", "creation", "modified", "docstatus"}


def check_doctype(doc: Any) -> None:
	"""Every kind maps one DocType that exists and is not a child table (a child row has no life of
	its own: its parent is mapped)."""
	if not frappe.db.exists("DocType", doc.erpnext_doctype):
		frappe.throw(_("ERPNext DocType {0} does not exist").format(doc.erpnext_doctype))
	if frappe.get_meta(doc.erpnext_doctype).istable:
		frappe.throw(
			_("ERPNext DocType {0} is a child table; map its parent instead").format(doc.erpnext_doctype)
		)
