"""Lookups in AFAS Record Link for the ``afas_key`` transform: the AFAS key a document has in a
mapping, and the document an AFAS key belongs to. A Sales Order's customer becomes the debtor's
``DbId`` this way, whichever way that customer reached AFAS."""

from __future__ import annotations

from typing import Any

import frappe

LINK = "AFAS Record Link"
MAPPING = "AFAS Connector Mapping"


def afas_key_of(mapping: str, name: str) -> str | None:
	"""The AFAS key of ERPNext document ``name`` in ``mapping``, if it has one."""
	doctype = frappe.get_cached_value(MAPPING, mapping, "erpnext_doctype")
	return frappe.db.get_value(
		LINK, {"mapping": mapping, "reference_doctype": doctype, "reference_name": name}, "afas_key"
	)


def name_of(mapping: str, key: str) -> str | None:
	"""The ERPNext document that AFAS key ``key`` became in ``mapping``, if any."""
	return frappe.db.get_value(LINK, {"mapping": mapping, "afas_key": key}, "reference_name")


LOOKUPS: dict[str, Any] = {"afas_key": afas_key_of, "erpnext_name": name_of}
