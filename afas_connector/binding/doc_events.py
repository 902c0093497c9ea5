"""``doc_events`` handler for every DocType: queue outbound changes for mapped DocTypes only.

It runs on every save in the site, so for a DocType without an enabled outbound mapping it costs one
cached lookup and returns; the cache is cleared when a mapping or the settings change.
"""

from __future__ import annotations

from typing import Any

import frappe

from afas_connector.binding.connection import is_enabled
from afas_connector.binding.constants import MAPPING, OWN_DOCTYPES

CACHE_KEY = "afas_outbound_doctypes"


def outbound_doctypes() -> dict[str, list[str]]:
	"""``{doctype: [mapping names]}`` of enabled outbound mappings (empty when the connector is off).

	Kept in Redis across processes, and on ``frappe.local`` for the rest of the request or job — the
	same lifetime ``frappe.cache`` gives its local copy, without rebuilding the key on every save.
	"""
	local = frappe.local
	try:
		return local.afas_outbound_doctypes
	except AttributeError:
		local.afas_outbound_doctypes = (
			frappe.cache.get_value(CACHE_KEY, generator=_load_outbound_doctypes) or {}
		)
		return local.afas_outbound_doctypes


def clear_outbound_cache() -> None:
	"""Forget which DocTypes push (after a mapping or the settings change)."""
	frappe.cache.delete_value(CACHE_KEY)
	try:
		del frappe.local.afas_outbound_doctypes
	except AttributeError:
		pass


def boot_session(bootinfo: Any) -> None:
	"""Tell the desk which DocTypes get a "Push to AFAS" button: AFAS Managers only."""
	from afas_connector.api import is_manager

	if is_manager():
		bootinfo.afas_outbound_doctypes = sorted(outbound_doctypes())


def _load_outbound_doctypes() -> dict[str, list[str]]:
	if not is_enabled():
		return {}
	result: dict[str, list[str]] = {}
	for row in frappe.get_all(
		MAPPING,
		filters={"enabled": 1, "direction": "Outbound"},
		fields=["name", "erpnext_doctype"],
		order_by="name asc",
	):
		result.setdefault(row.erpnext_doctype, []).append(row.name)
	return result


def on_document_event(doc: Any, method: str | None = None) -> None:
	"""Route on_update (an insert when ``doc.flags.in_insert``), on_submit, on_cancel, on_trash and
	on_update_after_submit to the outbox."""
	mappings = outbound_doctypes().get(doc.doctype)
	if not mappings or doc.doctype in OWN_DOCTYPES:
		return
	flags = frappe.flags
	if flags.in_install or flags.in_migrate or flags.in_patch:
		return
	if flags.afas_inbound or doc.flags.afas_inbound:
		return  # this change came from AFAS: pushing it back would loop
	from afas_connector.binding.outbox import queue_change

	event = method or ""
	if event == "on_update" and doc.flags.in_insert:
		event = "after_insert"
	for mapping in mappings:
		queue_change(doc, event, mapping)
