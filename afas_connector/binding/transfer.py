"""Moving a configuration: mappings exported to one JSON file, and imported on another site (from the
AFAS test environment's ERPNext to production's) after a preview of what the import changes.

The file holds what configures a mapping (connector, keys, field rows, schedule, attachments …) and
the custom fields its rows write, never what belongs to one AFAS environment or one site: watermarks,
cursors, failed rows, Record Links and Sync Logs stay behind. An import

- adds the mappings the site does not have, **switched off** (enable them once production is checked);
- leaves the ones that are the same alone;
- changes a mapping that differs only when the caller names it in ``overwrite``: never silently;
- refuses a file whose mappings name a mapping that is neither in the file nor on the site.

Why a file and not Frappe fixtures: fixtures are re-imported with ``force`` on every migrate, deleting
and re-inserting the documents, which would overwrite a changed production mapping silently and lose
its state; a file is imported once, on purpose, with a preview.
"""

from __future__ import annotations

import json
from typing import Any

import frappe
from frappe import _
from frappe.utils import now_datetime

from afas_connector.binding import app_fields, arguments
from afas_connector.binding.connection import environment
from afas_connector.binding.constants import MAPPING
from afas_connector.sync.mapping_errors import TransformConfigError
from afas_connector.sync.transforms import link_sources

FORMAT = "afas_connector.mappings"
VERSION = 1
#: A mapping's state in one AFAS environment and one site: never exported.
#: Kept by the site: a run's progress, and Runs As (whoever imports a mapping is the one it runs as).
STATE_FIELDS = frozenset(
	{"watermark", "sync_state", "last_run", "full_sync_pending", "field_map_hash", "run_as"}
)
#: Decided on the site itself: an imported mapping arrives switched off, an updated one keeps its switch.
LOCAL_FIELDS = frozenset({"enabled"})
ROW_FIELDS = (
	"afas_field",
	"erpnext_field",
	"transform",
	"transform_options",
	"default_value",
	"required",
	"afas_rounding",
	"afas_label",
	"afas_data_type",
)
_NO_VALUE = frozenset({"Section Break", "Column Break", "Tab Break", "HTML", "Button", "Table", "Fold"})
_CUSTOM_FIELD_KEYS = (
	"dt",
	"fieldname",
	"label",
	"fieldtype",
	"options",
	"insert_after",
	"description",
	"no_copy",
	"search_index",
	"read_only",
	"reqd",
	"default",
)


def config_fields() -> list[str]:
	"""The mapping fields a file carries."""
	return [
		df.fieldname
		for df in frappe.get_meta(MAPPING).fields
		if df.fieldtype not in _NO_VALUE and df.fieldname not in STATE_FIELDS
	]


def export_mappings(names: list[str] | None = None) -> dict[str, Any]:
	"""``names`` (every mapping when empty) as one JSON-able document: ``{"format", "version",
	"exported_at", "site", "environment", "mappings": [...], "custom_fields": [...]}``."""
	names = names or frappe.get_all(MAPPING, pluck="name", order_by="creation asc")
	fields = config_fields()
	mappings = []
	for name in names:
		doc = frappe.get_doc(MAPPING, name)
		data = {field: doc.get(field) for field in fields}
		data["field_mappings"] = [{k: row.get(k) for k in ROW_FIELDS} for row in doc.field_mappings]
		mappings.append(data)
	return {
		"format": FORMAT,
		"version": VERSION,
		"exported_at": str(now_datetime()),
		"site": frappe.local.site,
		"environment": environment(),
		"mappings": mappings,
		"custom_fields": _custom_fields_of(mappings),
	}


def _custom_fields_of(mappings: list[dict[str, Any]]) -> list[dict[str, Any]]:
	"""The custom fields the mappings write or look documents up by (``afas_organisation_code``)."""
	wanted: set[tuple[str, str]] = set()
	for data in mappings:
		for row in data["field_mappings"]:
			wanted.add((data["erpnext_doctype"], (row.get("erpnext_field") or "").split(".")[0]))
			if row.get("transform") == "link_rows":
				for source in json.loads(row.get("transform_options") or "[]"):
					if source.get("doctype"):
						wanted.add((source["doctype"], source["field"]))
	found = []
	for doctype, fieldname in sorted(wanted):
		name = frappe.db.get_value("Custom Field", {"dt": doctype, "fieldname": fieldname}, "name")
		if name:
			field = frappe.get_doc("Custom Field", name)
			found.append({k: field.get(k) for k in _CUSTOM_FIELD_KEYS})
	return found


def read_file(data: Any) -> dict[str, Any]:
	"""The exported document (a dict, or its JSON text), its shape checked; raises
	:class:`~afas_connector.arguments.InvalidArgument` (HTTP 417) naming the first thing that is not
	as :func:`export_mappings` writes it (``mappings[2].field_mappings[0].transform_options: …``)."""
	if isinstance(data, str):
		data = arguments.json_value(data, "data", dict, _("the exported file's JSON object"))
	if not isinstance(data, dict) or data.get("format") != FORMAT:
		frappe.throw(
			_("This is not an export of AFAS Connector Mappings (format {0})").format(FORMAT),
			arguments.InvalidArgument,
			title=_("Import mappings"),
		)
	version = data.get("version")
	if not isinstance(version, int) or isinstance(version, bool) or version < 1:
		arguments.invalid("data: version", _("a whole number"))
	if version > VERSION:
		frappe.throw(
			_("The file is of a newer version ({0}) than this app reads ({1}); update the app first").format(
				version, VERSION
			),
			arguments.InvalidArgument,
			title=_("Import mappings"),
		)
	if not isinstance(data.get("mappings"), list):
		frappe.throw(
			_("The file has no list of mappings"), arguments.InvalidArgument, title=_("Import mappings")
		)
	types = {df.fieldname: df.fieldtype for df in frappe.get_meta(MAPPING).fields}
	for number, mapping in enumerate(data["mappings"]):
		_check_mapping_shape(mapping, f"mappings[{number}]", types)
	custom = data.get("custom_fields") or []
	if not isinstance(custom, list):
		arguments.invalid("data: custom_fields", _("a list of fields"))
	for number, field in enumerate(custom):
		where = f"custom_fields[{number}]"
		if not isinstance(field, dict):
			arguments.invalid(f"data: {where}", _("an object"))
		for key in ("dt", "fieldname", "fieldtype"):
			if not isinstance(field.get(key), str) or not field[key].strip():
				arguments.invalid(f"data: {where}.{key}", _("text"))
		if set(field) - set(_CUSTOM_FIELD_KEYS):
			arguments.invalid(
				f"data: {where}",
				_("a custom field with only these keys: {0}").format(", ".join(_CUSTOM_FIELD_KEYS)),
			)
	return data


#: What a mapping field of each type holds in a file; anything else is refused.
_TEXT_TYPES = (
	"Data",
	"Select",
	"Link",
	"Code",
	"Small Text",
	"Text",
	"Long Text",
	"Autocomplete",
	"Datetime",
)


def _check_mapping_shape(mapping: Any, where: str, types: dict[str, str]) -> None:
	if not isinstance(mapping, dict):
		arguments.invalid(f"data: {where}", _("an object (one mapping)"))
	name = mapping.get("mapping_name")
	if not isinstance(name, str) or not name.strip() or len(name) > arguments.MAX_NAME_CHARS:
		arguments.invalid(f"data: {where}.mapping_name", _("the mapping's name (text)"))
	for field, value in mapping.items():
		kind = types.get(field)
		if field == "field_mappings" or value is None or kind is None:
			continue
		if kind in ("Int", "Check"):
			ok = isinstance(value, int) and not isinstance(value, bool)
		elif kind in _TEXT_TYPES:
			ok = isinstance(value, str)
		else:
			ok = isinstance(value, str | int | float) and not isinstance(value, bool)
		if not ok:
			arguments.invalid(f"data: {where}.{field}", _("a {0} value").format(kind))
	rows = mapping.get("field_mappings") or []
	if not isinstance(rows, list):
		arguments.invalid(f"data: {where}.field_mappings", _("a list of field rows"))
	for number, row in enumerate(rows):
		at = f"{where}.field_mappings[{number}]"
		if not isinstance(row, dict):
			arguments.invalid(f"data: {at}", _("an object (one field row)"))
		for key, value in row.items():
			if value is not None and not (
				isinstance(value, str | int | float) and not isinstance(value, bool)
			):
				arguments.invalid(f"data: {at}.{key}", _("text or a number"))
		if row.get("transform") == "link_rows":
			try:
				link_sources(str(row.get("transform_options") or ""))
			except TransformConfigError as exc:
				arguments.invalid(f"data: {at}.transform_options", str(exc))


def preview_import(data: Any) -> dict[str, Any]:
	"""What importing ``data`` would change, writing nothing: ``{"changes": [{"mapping", "action" (new,
	update, same), "differences": [{"field", "label" (the form's, translated), "current", "incoming"}]}], "custom_fields": [fields to
	add], "problems": [...]}``."""
	data = read_file(data)
	fields = [f for f in config_fields() if f not in LOCAL_FIELDS]
	changes = []
	meta = frappe.get_meta(MAPPING)  # a difference names the field as the form labels it
	for incoming in data["mappings"]:
		name = incoming.get("mapping_name")
		if not frappe.db.exists(MAPPING, name):
			changes.append({"mapping": name, "action": "new", "differences": []})
			continue
		current = frappe.get_doc(MAPPING, name)
		differences = [
			{
				"field": field,
				"label": _(meta.get_label(field)),
				"current": current.get(field),
				"incoming": incoming.get(field),
			}
			for field in fields
			if field in incoming and _value(current.get(field)) != _value(incoming.get(field))
		]
		rows_now = [_row_text(r) for r in current.field_mappings]
		rows_then = [_row_text(r) for r in incoming.get("field_mappings") or []]
		if rows_now != rows_then:
			differences.append(
				{
					"field": "field_mappings",
					"label": _(meta.get_label("field_mappings")),
					"current": [r for r in rows_now if r not in rows_then],
					"incoming": [r for r in rows_then if r not in rows_now],
				}
			)
		changes.append(
			{"mapping": name, "action": "update" if differences else "same", "differences": differences}
		)
	return {
		"changes": changes,
		"custom_fields": [
			f"{f['dt']}.{f['fieldname']}"
			for f in data.get("custom_fields") or []
			if frappe.db.exists("DocType", f.get("dt"))
			and not frappe.get_meta(f["dt"]).get_field(f["fieldname"])
		],
		"problems": _problems(data),
	}


def _value(value: Any) -> Any:
	"""Values as they compare: no value is no value whatever its type (None, "", 0)."""
	if value in (None, "", 0):
		return None
	return str(value).strip() if isinstance(value, str) else value


def _row_text(row: Any) -> str:
	"""One field row as the preview shows it, and as rows compare."""
	get = row.get if hasattr(row, "get") else row.__getitem__
	text = f"{get('afas_field')} → {get('erpnext_field')}"
	if get("transform"):
		text += f" ({get('transform')}"
		text += f": {get('transform_options')})" if get("transform_options") else ")"
	extras = [f"{k}={get(k)}" for k in ("default_value", "required", "afas_rounding") if _value(get(k))]
	return text + (" [" + ", ".join(extras) + "]" if extras else "")


def _problems(data: dict[str, Any]) -> list[str]:
	"""What makes the file impossible to import here: DocTypes the site lacks, mappings named that are
	neither in the file nor on the site, custom fields only a System Manager may add."""
	in_file = {m.get("mapping_name") for m in data["mappings"]}
	found = []
	if "System Manager" not in frappe.get_roles():
		for field in data.get("custom_fields") or []:
			doctype = field["dt"]
			if (
				frappe.db.exists("DocType", doctype)
				and not frappe.get_meta(doctype).get_field(field["fieldname"])
				and not app_fields.is_app_field(doctype, field)
			):
				found.append(
					_(
						"Adding the custom field {0}.{1} needs a System Manager (it changes {0}'s form for every "
						"user): ask your administrator to import this file, or to add the field"
					).format(doctype, field["fieldname"])
				)
	for incoming in data["mappings"]:
		name = incoming.get("mapping_name")
		if not name:
			found.append(_("A mapping in the file has no name"))
			continue
		if not frappe.db.exists("DocType", incoming.get("erpnext_doctype")):
			found.append(
				_("{0}: DocType {1} does not exist on this site").format(
					name, incoming.get("erpnext_doctype")
				)
			)
		for other in _references(incoming):
			if other not in in_file and not frappe.db.exists(MAPPING, other):
				found.append(
					_("{0} names mapping {1}, which is neither in the file nor on this site").format(
						name, other
					)
				)
	return found


def _references(data: dict[str, Any]) -> list[str]:
	"""The mappings a mapping names: Same AFAS Records As, ``afas_key`` and ``link_rows`` rows."""
	names = [data["link_with"]] if data.get("link_with") else []
	for row in data.get("field_mappings") or []:
		if row.get("transform") == "afas_key" and row.get("transform_options"):
			names.append(row["transform_options"].strip())
		elif row.get("transform") == "link_rows":
			names += [
				s["mapping"] for s in link_sources(row.get("transform_options") or "") if s.get("mapping")
			]
	return names


def import_mappings(data: Any, overwrite: list[str] | None = None) -> dict[str, Any]:
	"""Import ``data`` as :func:`preview_import` shows it: new mappings switched off, the ones named in
	``overwrite`` changed, every other difference left alone and reported. Returns ``{"created",
	"updated", "unchanged", "skipped": [{"mapping", "reason"}], "custom_fields"}``; raises
	``frappe.ValidationError`` listing the file's problems, before anything is written."""
	data = read_file(data)
	preview = preview_import(data)
	if preview["problems"]:
		frappe.throw(
			"<br>".join(frappe.utils.escape_html(p) for p in preview["problems"]), title=_("Not imported")
		)
	overwrite = set(overwrite or [])
	action = {c["mapping"]: c["action"] for c in preview["changes"]}
	result: dict[str, Any] = {
		"created": [],
		"updated": [],
		"unchanged": [],
		"skipped": [],
		"custom_fields": [],
	}
	result["custom_fields"] = _add_custom_fields(data.get("custom_fields") or [])
	fields = [f for f in config_fields() if f not in LOCAL_FIELDS]
	for incoming in _in_order(data["mappings"]):
		name = incoming["mapping_name"]
		values = {f: incoming.get(f) for f in fields if f in incoming}
		rows = [{k: r.get(k) for k in ROW_FIELDS} for r in incoming.get("field_mappings") or []]
		if action[name] == "same":
			result["unchanged"].append(name)
		elif action[name] == "new":
			doc = frappe.get_doc({"doctype": MAPPING, **values, "enabled": 0})
			for row in rows:
				doc.append("field_mappings", row)
			doc.insert()
			result["created"].append(name)
		elif name in overwrite:
			doc = frappe.get_doc(MAPPING, name)
			doc.update(values)
			doc.set("field_mappings", [])
			for row in rows:
				doc.append("field_mappings", row)
			doc.save()
			result["updated"].append(name)
		else:
			result["skipped"].append(
				{"mapping": name, "reason": _("differs from the file and was not chosen to be overwritten")}
			)
	return result


def _in_order(mappings: list[dict[str, Any]]) -> list[dict[str, Any]]:
	"""Mappings after the ones of the file they name, so each names one that exists when it is saved."""
	by_name = {m["mapping_name"]: m for m in mappings}
	done: list[dict[str, Any]] = []
	seen: set[str] = set()

	def visit(name: str, path: tuple[str, ...] = ()) -> None:
		if name in seen or name not in by_name or name in path:
			return
		for other in _references(by_name[name]):
			visit(other, (*path, name))
		seen.add(name)
		done.append(by_name[name])

	for name in by_name:
		visit(name)
	return done


def _add_custom_fields(fields: list[dict[str, Any]]) -> list[str]:
	"""Add the file's custom fields the site lacks: the templates' own as the app defines them (an AFAS
	Manager may); any other only for a System Manager (``binding/app_fields.py``)."""
	added: dict[str, list[dict[str, Any]]] = {}
	own = app_fields.definitions()
	for field in fields:
		doctype = field["dt"]
		if not frappe.db.exists("DocType", doctype) or frappe.get_meta(doctype).get_field(field["fieldname"]):
			continue
		if app_fields.is_app_field(doctype, field):
			definition = own[(doctype, field["fieldname"])]
		else:
			definition = {k: v for k, v in field.items() if k != "dt" and v is not None}
		added.setdefault(doctype, []).append(definition)
	return app_fields.ensure(added) if added else []
