"""Custom fields the app itself defines, created for the AFAS Manager who needs them.

Frappe lets only a System Manager create custom fields (they change the schema, and a field's
``depends_on`` can hold script the desk runs). Some of the app's own flows need a few: AFAS's
organisation number on Customer and Supplier (the relation templates), the open amounts on invoices
(Open Items). Their definitions are in the app's code, never in anything a user sends, so the app
creates them for an AFAS Manager. That is the rule behind the one ``ignore_permissions`` here: a
definition is created only when it is one of :func:`definitions`, exactly. Any other custom field
(an imported file may carry some) needs a System Manager, and the message says so.
"""

from __future__ import annotations

from typing import Any

import frappe
from frappe import _

from afas_connector.sync.templates import TEMPLATES


def definitions(
	extra: dict[str, list[dict[str, Any]]] | None = None,
) -> dict[tuple[str, str], dict[str, Any]]:
	"""``{(doctype, fieldname): definition}`` of the templates' fields, and ``extra`` (the app's own,
	e.g. Open Items')."""
	found: dict[tuple[str, str], dict[str, Any]] = {}
	for template in TEMPLATES.values():
		for doctype, field in template.custom_fields:
			found[(doctype, field["fieldname"])] = dict(field)
	for doctype, fields in (extra or {}).items():
		for field in fields:
			found[(doctype, field["fieldname"])] = dict(field)
	return found


def is_app_field(doctype: str, field: dict[str, Any]) -> bool:
	"""Whether ``field`` (as a file carries it) is one of the templates' own, as the app defines it."""
	own = definitions().get((doctype, field.get("fieldname")))
	return bool(own) and all(field.get(k) in (None, v) for k, v in own.items() if k in field)


def ensure(
	fields: dict[str, list[dict[str, Any]]], *, extra: dict[str, list[dict[str, Any]]] | None = None
) -> list[str]:
	"""Create the missing ones of ``fields`` (``{doctype: [definition]}``), each of which must be the
	app's own (:func:`definitions`, with ``extra``); returns ``["Customer.afas_organisation_code"]`` of
	those created. Raises ``frappe.PermissionError`` for any other definition unless the user is a
	System Manager, who may create custom fields in the desk anyway."""
	own = definitions(extra)
	created: list[str] = []
	for doctype, wanted in fields.items():
		for field in wanted:
			fieldname = field.get("fieldname")
			if frappe.get_meta(doctype).get_field(fieldname) or frappe.db.exists(
				"Custom Field", {"dt": doctype, "fieldname": fieldname}
			):
				continue
			app_defined = own.get((doctype, fieldname)) == {k: v for k, v in field.items() if k != "dt"}
			if not app_defined and "System Manager" not in frappe.get_roles():
				raise frappe.PermissionError(
					_(
						"Adding the custom field {0}.{1} needs a System Manager (it changes {0}'s form for every "
						"user): ask your administrator to import this file, or to add the field"
					).format(doctype, fieldname)
				)
			doc = frappe.get_doc(
				{
					"doctype": "Custom Field",
					"dt": doctype,
					"is_system_generated": 1,
					"owner": "Administrator",
					**field,
				}
			)
			# The app's own definition (checked above), or a System Manager's: see the module's rule.
			doc.insert(ignore_permissions=app_defined)
			created.append(f"{doctype}.{fieldname}")
		if any(c.startswith(f"{doctype}.") for c in created):
			frappe.clear_cache(doctype=doctype)
	return created
