"""New mappings from the templates on AFAS's standard connectors (``sync/templates.py``): the desk's
**New from Template** and ``api.new_mapping_from_template``.

A mapping made from a template is saved switched off: the user looks at it, previews it, and enables
it. Before saving it is checked against AFAS's live metainfo when AFAS Settings are on and AFAS answers:
an App Connector without the connector, or a field AFAS does not have (the controller's own check, on
the metainfo just read), refuses it with AFAS's answer; otherwise the result says it was not checked.
"""

from __future__ import annotations

from typing import Any

import frappe
from frappe import _
from frappe.utils import escape_html

from afas_connector.afas import AfasError
from afas_connector.binding import app_fields
from afas_connector.binding.connection import connector_fields, is_enabled, metainfo_kind
from afas_connector.binding.constants import MAPPING
from afas_connector.sync.templates import TEMPLATES, Template, TemplateError, apply_template, get_template


def made_from_templates() -> dict[str, str]:
	"""``{template id: mapping name}``: the (oldest) mapping made from each template, which the
	templates that build on it name (Same AFAS Records As, ``afas_key``, ``link_rows``)."""
	found: dict[str, str] = {}
	for row in frappe.get_all(
		MAPPING, filters={"template": ["is", "set"]}, fields=["name", "template"], order_by="creation asc"
	):
		found.setdefault(row.template, row.name)
	return found


def parameter_defaults(template: Template) -> dict[str, Any]:
	"""The answers the desk proposes: the template's defaults, the default company and its top cost
	center."""
	answers = {p.name: p.default for p in template.parameters}
	names = {p.name for p in template.parameters}
	company = frappe.defaults.get_user_default("Company") or frappe.db.get_single_value(
		"Global Defaults", "default_company"
	)
	if "company" in names and company:
		answers["company"] = company
	if "ledger_mapping" in names:  # the payroll journal's: the (first) Ledger mapping
		answers["ledger_mapping"] = frappe.db.get_value(
			MAPPING, {"mapping_type": "Ledger (FiEntries)"}, "name", order_by="creation asc"
		)
	if "parent_cost_center" in names and company:
		answers["parent_cost_center"] = frappe.db.get_value(
			"Cost Center",
			{"company": company, "is_group": 1, "parent_cost_center": ["is", "not set"]},
			"name",
		)
	return answers


def unavailable(template: Template) -> str | None:
	"""Why ``template`` cannot be used on this site (its DocType does not exist: an app that is not
	installed, HRMS for leave and absence, or an ERPNext without it), or None."""
	if frappe.db.exists("DocType", template.doctype):
		return None
	if template.app:
		return _("{0} needs the {1} app, which is not installed on this site ({2} is its DocType)").format(
			_(template.title), APP_TITLES.get(template.app, template.app), _(template.doctype)
		)
	return _("{0} needs the DocType {1}, which this site does not have").format(
		_(template.title), _(template.doctype)
	)


#: How the desk names the apps a template's DocType may belong to.
APP_TITLES = {"hrms": "HRMS (Frappe HR)"}


def template_list() -> list[dict[str, Any]]:
	"""Every template with what the picker needs: its summary, the mappings already made from it, the
	templates it still waits for, proposed answers, and why it is unavailable on this site (None when
	it is available: :func:`unavailable`; the picker shows such a template with its reason)."""
	made = made_from_templates()
	found = []
	for template in TEMPLATES.values():
		reason = unavailable(template)
		summary = template.summary()
		for parameter in summary["parameters"]:
			parameter.update(label=_(parameter["label"]), description=_(parameter["description"]))
		found.append(
			{
				**summary,
				"title": _(template.title),
				"description": _(template.description),
				"made": made.get(template.id),
				"waiting_for": [_(TEMPLATES[t].title) for t in template.needs if t not in made],
				"answers": {} if reason else parameter_defaults(template),
				"unavailable": reason,
			}
		)
	return found


def create_mapping(
	template_id: str, answers: dict[str, Any] | None = None, mapping_name: str | None = None
) -> dict[str, Any]:
	"""Make (and save, switched off) the mapping of ``template_id`` with the user's ``answers`` (the
	proposed ones, :func:`parameter_defaults`, where the user gave none).

	Returns ``{"mapping", "checked", "message", "reads_everything"}``. Raises
	``frappe.ValidationError`` naming what is missing (an answer, a mapping it builds on) or what AFAS
	refused (the controller's checks against metainfo).
	"""
	template = get_template(template_id)
	reason = unavailable(template)
	if reason:
		frappe.throw(escape_html(reason), title=_("Mapping template"))
	answers = {
		**parameter_defaults(template),
		**{k: v for k, v in (answers or {}).items() if v not in (None, "")},
	}
	try:
		fields = apply_template(template, answers, made_from_templates())
	except TemplateError as exc:
		frappe.throw(escape_html(str(exc)), title=_("Mapping template"))
	fields["mapping_name"] = _free_name((mapping_name or "").strip() or fields["mapping_name"])
	_custom_fields(template)
	checked, message = _check_with_afas(template)
	rows = fields.pop("field_mappings")
	doc = frappe.get_doc({"doctype": MAPPING, **fields})
	for row in rows:
		doc.append("field_mappings", row)
	doc.insert()
	return {
		"mapping": doc.name,
		"checked": checked,
		"message": message,
		"reads_everything": template.reads_everything,
	}


def _free_name(name: str) -> str:
	if not frappe.db.exists(MAPPING, name):
		return name
	number = 2
	while frappe.db.exists(MAPPING, f"{name} {number}"):
		number += 1
	return f"{name} {number}"


def _custom_fields(template: Template) -> None:
	"""The fields a template writes that ERPNext does not have (AFAS's organisation number): the app's
	own definitions, so an AFAS Manager's template gets them too (``binding/app_fields.py``)."""
	wanted: dict[str, list[dict[str, Any]]] = {}
	for doctype, field in template.custom_fields:
		wanted.setdefault(doctype, []).append(dict(field))
	if wanted:
		app_fields.ensure(wanted)


def _check_with_afas(template: Template) -> tuple[bool, str]:
	"""Whether the mapping's fields will be checked against AFAS's live metainfo on saving, and why not."""
	if not is_enabled():
		return False, _("AFAS Settings are switched off: the fields were not checked against AFAS")
	kind = metainfo_kind(template.direction)
	try:  # fresh, and cached for the save's own checks of every field
		connector_fields(template.connector, kind, use_cache=False)
	except AfasError as exc:
		if exc.status in (404, 500):  # AFAS answered: the App Connector does not offer it
			frappe.throw(  # a message dialog is HTML: AFAS's answer is text in it
				_("AFAS does not know {0} connector {1}: {2}").format(
					kind, template.connector, escape_html(str(exc))
				),
				title=_("Unknown AFAS connector"),
			)
		return False, _("AFAS did not answer, so the fields were not checked: {0}").format(str(exc))
	return True, _("Checked against AFAS's metainfo of {0}").format(template.connector)
