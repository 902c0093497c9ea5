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


#: What AFAS calls a field (its id or label, English or Dutch, normalised) → the ERPNext fields it
#: usually is, best first. Labels alone miss these: ``Blocked`` is ERPNext's ``disabled``, an
#: article's ``Unit`` its ``stock_uom``.
SYNONYMS: dict[str, tuple[str, ...]] = {
	"blocked": ("disabled",),
	"geblokkeerd": ("disabled",),
	"unit": ("stock_uom", "uom"),
	"baseunit": ("stock_uom",),
	"basiseenheid": ("stock_uom",),
	"eenheid": ("stock_uom", "uom"),
	"description": ("item_name", "description"),
	"omschrijving": ("item_name", "description"),
	"name": (
		"customer_name",
		"supplier_name",
		"item_name",
		"employee_name",
		"project_name",
		"cost_center_name",
	),
	"naam": (
		"customer_name",
		"supplier_name",
		"item_name",
		"employee_name",
		"project_name",
		"cost_center_name",
	),
	"vatnumber": ("tax_id",),
	"btwidentificatienummer": ("tax_id",),
	"btwnummer": ("tax_id",),
	"email": ("email_id", "company_email"),
	"emailwerk": ("email_id", "company_email"),
	"workemail": ("email_id", "company_email"),
	"phone": ("mobile_no", "phone"),
	"telefoonnrwerk": ("mobile_no", "phone"),
	"itemcode": ("item_code",),
	"itemgroup": ("item_group",),
	"artikelgroep": ("item_group",),
	"currency": ("default_currency", "currency"),
	"valuta": ("default_currency", "currency"),
	"countryid": ("country",),
	"land": ("country",),
	"city": ("city",),
	"woonplaats": ("city",),
	"iban": ("iban",),
	"website": ("website",),
	# people (ERPNext's Employee; its mandatory dates are named otherwise in AFAS)
	"firstname": ("first_name",),
	"voornaam": ("first_name",),
	"lastname": ("last_name",),
	"achternaam": ("last_name",),
	"birthdate": ("date_of_birth",),
	"dateofbirth": ("date_of_birth",),
	"geboortedatum": ("date_of_birth",),
	"startdate": ("date_of_joining",),
	"datumindienst": ("date_of_joining",),
	"indienst": ("date_of_joining",),
	"enddate": ("relieving_date",),
	"datumuitdienst": ("relieving_date",),
	"uitdienst": ("relieving_date",),
	"gender": ("gender",),
	"geslacht": ("gender",),
	"department": ("department",),
	"afdeling": ("department",),
	"function": ("designation",),
	"functie": ("designation",),
	"jobtitle": ("designation",),
}
#: Words that name a record's modified date in AFAS (English and Dutch ids and labels).
_MODIFIED_WORDS = ("modified", "gewijzigd", "mutatie", "changed", "lastchange")


def _norm(text: str) -> str:
	return re.sub(r"[^a-z0-9]", "", (text or "").lower())


def suggest_modified_field(afas_fields: dict[str, dict[str, Any]]) -> str | None:
	"""The GetConnector field that holds each record's modified date, for incremental runs: a date
	field whose id or label says so (``Modified``, ``Datum gewijzigd``), or None."""
	for path, info in afas_fields.items():
		if (info.get("dataType") or "").lower() not in ("date", "datetime"):
			continue
		words = _norm(path) + " " + _norm(info.get("label") or "")
		if any(word in words for word in _MODIFIED_WORDS):
			return path
	return None


def suggest_key_field(afas_fields: dict[str, dict[str, Any]], *, outbound: bool = False) -> str | None:
	"""The AFAS field that identifies a record. Outbound: the UpdateConnector's own key, the top-level
	field its metainfo marks ``primaryKey`` (``CrId`` of ``KnPurchaseRelationOrg``; AFAS's REST API
	documentation, ``/metainfo/update/{connector}``). Inbound: a GetConnector column that is likely
	unique per record: the first id ending in ``Id`` (e.g. ``DebtorId``), else one ending in ``Code``
	(``ItemCode``); GetConnector metainfo does not mark keys, so the user confirms it."""
	paths = [p for p in afas_fields if "." not in p]
	if outbound:
		return next((p for p in paths if afas_fields[p].get("primaryKey") is True), None)
	for suffix in ("Id", "Code", "Nr"):
		for path in paths:
			if path.endswith(suffix) and path != suffix:
				return path
	return paths[0] if paths else None


def missing_mandatory(
	rows: list[dict[str, Any]], erpnext_fields: list[dict[str, Any]]
) -> list[dict[str, Any]]:
	"""The ERPNext fields a new document must have (mandatory, no default) that none of ``rows``
	fills: the user adds a row for each (from another AFAS field, a constant or a formula), else every
	insert fails. ``rows`` as :func:`suggest_mappings` returns them; returns ``[{fieldname, label}]``."""
	filled = {r.get("erpnext_field") for r in rows}
	return [
		{"fieldname": f["fieldname"], "label": f.get("label") or f["fieldname"]}
		for f in erpnext_fields
		if f.get("reqd")
		and not f.get("default")
		and f.get("fieldtype") not in NON_VALUE_FIELDTYPES
		and f["fieldname"] not in filled
		and f["fieldname"] not in ("naming_series", "name")
	]


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
	by_name = {f["fieldname"]: f for f in erpnext_fields if f.get("fieldtype") not in NON_VALUE_FIELDTYPES}
	used: set[str] = set()
	rows = []
	for path, info in afas_fields.items():
		suggestion: dict[str, Any] | None = None
		texts = [_norm(t or "") for t in (info.get("label"), path.rsplit(".", 1)[-1])]
		texts = [t for t in texts if t]
		for key in texts:  # the same label or name
			match = candidates.get(key)
			if match and match["fieldname"] not in used:
				suggestion = match
				break
		if not suggestion:  # what AFAS calls it is what ERPNext calls something else
			for key in texts:
				for fieldname in SYNONYMS.get(key, ()):
					if fieldname in by_name and fieldname not in used:
						suggestion = by_name[fieldname]
						break
				if suggestion:
					break
		if not suggestion:  # a near spelling
			for key in texts:
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
