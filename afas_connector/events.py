"""``doc_events`` handler for every DocType: queue outbound changes for mapped DocTypes only.

It runs on every save in the site, so for a DocType without an enabled outbound mapping it costs one
cached lookup and returns; the cache is cleared when a mapping or the settings change.
"""

from __future__ import annotations

from typing import Any

import frappe

CACHE_KEY = "afas_outbound_doctypes"
#: Our own DocTypes never push (a Sync Log save must not queue a Sync Log).
OWN_DOCTYPES = frozenset(
	{"AFAS Settings", "AFAS Connector Mapping", "AFAS Field Mapping", "AFAS Sync Log", "AFAS Record Link"}
)


def outbound_doctypes() -> dict[str, list[str]]:
	"""``{doctype: [mapping names]}`` of enabled outbound mappings (empty when the connector is off)."""
	return frappe.cache.get_value(CACHE_KEY, generator=_load_outbound_doctypes) or {}


def _load_outbound_doctypes() -> dict[str, list[str]]:
	if not frappe.db.get_single_value("AFAS Settings", "enabled"):
		return {}
	result: dict[str, list[str]] = {}
	for row in frappe.get_all(
		"AFAS Connector Mapping",
		filters={"enabled": 1, "direction": "Outbound"},
		fields=["name", "erpnext_doctype"],
		order_by="name asc",
	):
		result.setdefault(row.erpnext_doctype, []).append(row.name)
	return result


def on_document_event(doc: Any, method: str | None = None) -> None:
	"""Route after_insert / on_update / on_submit / on_cancel / on_trash / on_update_after_submit."""
	if doc.doctype in OWN_DOCTYPES:
		return
	mappings = outbound_doctypes().get(doc.doctype)
	if not mappings:
		return
	if frappe.flags.afas_inbound or doc.flags.afas_inbound:
		return  # this change came from AFAS: pushing it back would loop
	if frappe.flags.in_install or frappe.flags.in_migrate or frappe.flags.in_patch:
		return
	from afas_connector.outbound import queue_change

	for mapping in mappings:
		queue_change(doc, method or "", mapping)
