"""Fetch Fields: the field rows, key and modified-date field AFAS metainfo suggests for a mapping.

The matching itself is pure (``sync/metainfo.py``); this module adds what only a site knows: the
target DocType's fields, and for a suggested *link* (``department``, ``gender``) whether AFAS's values
are names of the linked DocType. AFAS's ``Afdeling`` holds text such as ``Verkoop``: written into a
Department link, every row would fail ("Could not find Department: Verkoop"), so such a suggestion is
withdrawn with its reason and the user maps it through a lookup (``afas_key``) or leaves it out.
"""

from __future__ import annotations

from typing import Any

import frappe
from frappe import _

from afas_connector.afas import AfasError
from afas_connector.binding.connection import connector_fields, get_client, metainfo_kind
from afas_connector.sync.metainfo import (
	missing_mandatory,
	suggest_key_field,
	suggest_mappings,
	suggest_modified_field,
)

#: Rows read from AFAS to check a suggested link: enough to see what the values are, one small call.
SAMPLE_ROWS = 20


def suggest(connector: str, direction: str, doctype: str) -> dict[str, Any]:
	"""``{"rows", "key_field", "modified_field", "unmatched", "mandatory"}`` for ``connector`` →
	``doctype``: ``rows`` as :func:`~afas_connector.sync.metainfo.suggest_mappings` (a withdrawn link
	keeps its row with an empty ERPNext field and a ``note``); ``unmatched`` the AFAS fields without a
	suggestion that are not taken as key or modified date; ``mandatory`` the ERPNext fields a new
	document needs that no row fills (``[{fieldname, label}]``). Raises :class:`AfasError` when AFAS
	cannot be asked."""
	inbound = direction == "Inbound"
	fields = connector_fields(connector, metainfo_kind(direction), use_cache=False)
	meta = frappe.get_meta(doctype)
	erpnext_fields = [f.as_dict() for f in meta.fields]
	erpnext_fields.append({"fieldname": "name", "label": "ID", "fieldtype": "Data"})
	rows = suggest_mappings(fields, erpnext_fields)
	if inbound:
		_withdraw_links_afas_cannot_fill(connector, rows, meta)
	key_field = suggest_key_field(fields, outbound=not inbound)
	modified_field = suggest_modified_field(fields) if inbound else None
	taken = {key_field, modified_field}
	return {
		"rows": rows,
		"key_field": key_field,
		"modified_field": modified_field,
		"unmatched": [
			{"afas_field": r["afas_field"], "afas_label": r["afas_label"], "note": r.get("note") or ""}
			for r in rows
			if not r["erpnext_field"] and r["afas_field"] not in taken
		],
		"mandatory": missing_mandatory(rows, erpnext_fields) if inbound else [],
	}


def _withdraw_links_afas_cannot_fill(connector: str, rows: list[dict[str, Any]], meta: Any) -> None:
	"""Keep a suggested Link only where AFAS's values (a sample of :data:`SAMPLE_ROWS` rows) are names
	of the linked DocType; otherwise empty it and say why in ``note``."""
	fields = {row["afas_field"]: meta.get_field(row["erpnext_field"]) for row in rows if row["erpnext_field"]}
	links = {afas: field for afas, field in fields.items() if field and field.fieldtype == "Link"}
	if not links:
		return
	try:
		with get_client(interactive=True) as client:
			sample = client.get_page(connector, take=SAMPLE_ROWS).rows
	except (AfasError, frappe.ValidationError):
		sample = None
	for row in rows:
		field = links.get(row["afas_field"])
		if not field:
			continue
		values = {
			str(r.get(row["afas_field"])) for r in sample or () if r.get(row["afas_field"]) not in (None, "")
		}
		unknown = sorted(v for v in values if not frappe.db.exists(field.options, v))
		if sample is not None and values and not unknown:
			continue
		if sample is None:
			row["note"] = _("{0} is a link to {1}: AFAS could not be asked for its values").format(
				row["erpnext_field"], _(field.options)
			)
		elif not values:
			row["note"] = _("{0} is a link to {1}: AFAS's first rows leave it empty").format(
				row["erpnext_field"], _(field.options)
			)
		else:
			row["note"] = _("Values such as {0} are not {1} names: map them through a lookup").format(
				", ".join(unknown[:3]), _(field.options)
			)
		row["erpnext_field"] = ""
		row["transform"] = ""
