"""Reading AFAS metainfo: field paths of a connector, and mapping suggestions from field labels."""

from __future__ import annotations

import difflib
import re
from typing import Any

#: AFAS dataType → the transform that turns its values into ERPNext's.
TRANSFORM_FOR_TYPE = {"date": "date", "boolean": "boolean", "decimal": "number", "int": "integer"}
#: ERPNext field types a transform can write into.
COMPATIBLE_FIELDTYPES = {
	"date": {"Date", "Datetime", "Data"},
	"datetime": {"Datetime", "Data"},
	"number": {"Float", "Currency", "Percent", "Int", "Data"},
	"integer": {"Int", "Float", "Currency", "Percent", "Data", "Check"},
	"boolean": {"Check", "Int"},
}
#: ERPNext field types that hold no value of their own.
NON_VALUE_FIELDTYPES = {
	"Section Break",
	"Column Break",
	"Tab Break",
	"HTML",
	"Button",
	"Table",
	"Table MultiSelect",
	"Fold",
	"Heading",
	"Image",
}


def field_paths(meta: dict[str, Any], prefix: str = "") -> dict[str, dict[str, Any]]:
	"""``{path: field}`` for a metainfo answer; nested UpdateConnector objects become ``Obj.Field``.

	GetConnector fields are named by ``id``; UpdateConnector fields by ``fieldId``.
	"""
	result: dict[str, dict[str, Any]] = {}
	for field in meta.get("fields") or []:
		name = field.get("id") or field.get("fieldId")
		if name:
			result[prefix + name] = field
	for obj in meta.get("objects") or []:
		name = obj.get("name") or obj.get("id")
		if name:
			result.update(field_paths(obj, f"{prefix}{name}."))
	return result


def _norm(text: str) -> str:
	return re.sub(r"[^a-z0-9]", "", (text or "").lower())


def suggest_mappings(
	afas_fields: dict[str, dict[str, Any]], erpnext_fields: list[dict[str, Any]], *, cutoff: float = 0.82
) -> list[dict[str, Any]]:
	"""One row per AFAS field: the ERPNext field whose label or name matches best (or empty).

	Each ERPNext field is suggested at most once. ``erpnext_fields`` are dicts with fieldname,
	label and fieldtype. The transform follows the AFAS data type.
	"""
	candidates = {}
	for field in erpnext_fields:
		if field.get("fieldtype") in NON_VALUE_FIELDTYPES:
			continue
		for text in (field.get("label"), field.get("fieldname")):
			if text:
				candidates.setdefault(_norm(text), field)
	used: set[str] = set()
	rows = []
	for path, info in afas_fields.items():
		suggestion: dict[str, Any] | None = None
		for text in (info.get("label"), path.rsplit(".", 1)[-1]):
			key = _norm(text or "")
			if not key:
				continue
			match = candidates.get(key)
			if not match:
				close = difflib.get_close_matches(key, list(candidates), n=1, cutoff=cutoff)
				match = candidates[close[0]] if close else None
			if match and match["fieldname"] not in used:
				suggestion = match
				break
		if suggestion:
			used.add(suggestion["fieldname"])
		data_type = (info.get("dataType") or "").lower()
		transform = TRANSFORM_FOR_TYPE.get(data_type, "")
		if transform == "date" and suggestion and suggestion.get("fieldtype") == "Datetime":
			transform = "datetime"
		rows.append(
			{
				"afas_field": path,
				"erpnext_field": suggestion["fieldname"] if suggestion else "",
				"transform": transform,
				"afas_label": info.get("label") or "",
				"afas_data_type": data_type,
				"required": 1 if info.get("mandatory") else 0,
			}
		)
	return rows
