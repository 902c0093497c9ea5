"""The mapping templates (``sync/templates.py``) against AFAS's own OpenAPI specs: every GetConnector
and UpdateConnector a template names exists, every AFAS field it reads or writes is one the spec lists,
with a transform that fits its type; keys and modified-date columns are AFAS's, a template without one
says it reads everything, and every outbound template builds a body AFAS's schema accepts. Skipped,
with a message, where the specs are absent (``afas_oas.py``); the counts are printed at the end."""

from __future__ import annotations

import json
from typing import Any

import pytest

from afas_connector.afas.filters import FilterSet
from afas_connector.afas.update import build_body
from afas_connector.simulator.connectors import GET_CONNECTORS as SIMULATED_GET_CONNECTORS
from afas_connector.sync.days import DAY, expand
from afas_connector.sync.mapping import FieldMap
from afas_connector.sync.templates import (
	CONSTANT,
	TEMPLATES,
	Parameter,
	Template,
	TemplateError,
	apply_template,
	get_template,
)
from afas_connector.tests.core import afas_oas
from afas_connector.tests.core.afas_oas import COUNTS

#: Every template (the desk's picker).
ALL = dict(TEMPLATES)
#: The app's own GetConnectors (``ERP_*``) a template may read: AFAS's specs cannot know them, so their
#: fields are checked against the simulator's definition (whose docstring names AFAS's field for each).
OWN_CONNECTORS = {spec.id: spec for spec in SIMULATED_GET_CONNECTORS if spec.id.startswith("ERP_")}
_JSON_TYPE = {
	"string": "string",
	"date": "string",
	"int": "integer",
	"decimal": "number",
	"boolean": "boolean",
}

#: Which transforms can read a value of each JSON type AFAS's specs give a GetConnector field.
READS = {
	"boolean": {"boolean", "value_map"},
	"number": {"number"},
	"integer": {"integer", "number", "expression", "afas_key"},
	"string": {
		"",
		"strip",
		"upper",
		"lower",
		"expression",
		"value_map",
		"afas_key",
		"child_row",
		"link_rows",
	},
}
#: Which transforms can write a value of each JSON type AFAS's specs give an UpdateConnector field.
WRITES = {
	"boolean": {"boolean", "expression"},
	"number": {"number", "expression"},
	"integer": {"integer", "expression"},
	"string": {"", "strip", "upper", "lower", "expression", "value_map", "constant", "afas_key", "date"},
}
#: What an ERPNext document gives an outbound template in the body checks.
SAMPLES: dict[str, dict[str, Any]] = {
	"Customer": {
		"name": "Zuiderzee Vis B.V.",
		"customer_name": "Zuiderzee Vis B.V.",
		"customer_type": "Company",
		"tax_id": "NL001234567B01",
		"default_currency": "EUR",
		"disabled": 0,
	},
	"Supplier": {
		"name": "Staal B.V.",
		"supplier_name": "Staal B.V.",
		"tax_id": "NL009876543B01",
		"disabled": 0,
	},
	"Item": {"name": "ART-1", "item_code": "ART-1", "item_name": "Bout", "stock_uom": "Nos", "disabled": 0},
	"Sales Invoice": {
		"name": "ACC-SINV-2026-00001",
		"customer": "Zuiderzee Vis B.V.",
		"posting_date": "2026-05-01",
		"currency": "EUR",
		"items": [{"item_code": "ART-1", "uom": "Nos", "qty": 3, "rate": 12.5}],
	},
	"Project": {"name": "PROJ-0001", "project_name": "P24-001 Nieuwbouw"},
	"Timesheet": {
		"name": "TS-2026-00001/a1b2c3d4e5",
		"start_date": "2026-03-02",
		"total_hours": 2.5,
		"employee": "HR-EMP-00001",
		"parent_project": "PROJ-0001",
		"note": "Werkoverleg",
	},
}
ANSWERS = {
	"company": "AFAS Test B.V.",
	"parent_cost_center": "AFAS Test B.V. - ATBV",
	"article_group": "ICT",
	"ledger_mapping": "Ledger",
}


def _mappings(template: Template) -> dict[str, str]:
	return {need: f"mapping of {need}" for need in template.needs}


def _date_column(name: str, info: dict[str, Any]) -> bool:
	label = (info.get("description") or "").lower()
	return "date" in name.lower() or "changed" in label or "created" in label or "date" in label


def _modified_columns(rows: dict[str, dict[str, Any]]) -> list[str]:
	return [
		name
		for name, info in rows.items()
		if "modified" in name.lower() or "changed on" in (info.get("description") or "").lower()
	]


def schema_fields(node: dict[str, Any], prefix: str = "") -> dict[str, dict[str, Any]]:
	"""``{path: field schema}`` for every field of an UpdateConnector body schema node."""
	element = node["properties"]["Element"]
	element = element.get("items", element)
	parts = element.get("properties", {})
	found = {prefix + name: f for name, f in ((parts.get("Fields") or {}).get("properties") or {}).items()}
	for name, sub in ((parts.get("Objects") or {}).get("items", {}).get("properties") or {}).items():
		found.update(schema_fields(sub, f"{prefix}{name}."))
	return found


def problems(template: Template) -> list[str]:
	"""Everything about ``template`` that AFAS's specs contradict; ``[]`` when it keeps to them."""
	if template.direction == "Inbound":
		return _inbound_problems(template)
	return _outbound_problems(template)


def _own_connector(connector: str) -> dict[str, dict[str, Any]]:
	"""An ``ERP_*`` GetConnector's fields, shaped as AFAS's specs give a ``Profit_*`` one's."""
	return {
		f.id: {
			"type": _JSON_TYPE[f.data_type],
			"description": f.label_en + (" (date)" if f.data_type == "date" else ""),
		}
		for f in OWN_CONNECTORS[connector].fields
	}


def _inbound_problems(template: Template) -> list[str]:
	specs = dict(afas_oas.get_connectors())
	if template.connector in OWN_CONNECTORS:
		specs[template.connector] = _own_connector(template.connector)
	rows = specs.get(template.connector)
	if rows is None:
		return [f"{template.connector} is not one of AFAS's GetConnectors"]
	found = []
	if template.key_field not in rows:
		found.append(f"key {template.key_field} is not a field of {template.connector}")
	modified = _modified_columns(rows)
	if template.modified_field:
		if template.modified_field not in modified:
			found.append(
				f"{template.modified_field} is not {template.connector}'s modified-date column {modified}"
			)
	elif modified:
		found.append(f"{template.connector} has a modified-date column {modified}: use it")
	for condition in template.filters:
		if condition[0] not in rows:
			found.append(f"filter on {condition[0]}, which {template.connector} does not have")
	for index, row in enumerate(template.rows, start=1):
		if row["transform"] == "constant":
			if row["afas_field"] != CONSTANT:
				found.append(f"row {index}: a constant reads no AFAS field; name it {CONSTANT}")
			continue
		if row["afas_field"] == DAY:  # a per-day row's day (sync/days.py): the range must be AFAS's
			if not template.settings.get("one_per_day"):
				found.append(f"row {index}: {DAY} is read only by a mapping with One Document per Day")
			for column in (template.settings.get("day_from_field"), template.settings.get("day_to_field")):
				if column not in rows or not _date_column(column, rows[column]):
					found.append(f"One Document per Day: {column} is not a date of {template.connector}")
			continue
		info = rows.get(row["afas_field"])
		if info is None:
			found.append(f"row {index}: {row['afas_field']} is not a field of {template.connector}")
			continue
		allowed = set(READS[info["type"]])
		if info["type"] == "string" and _date_column(row["afas_field"], info):
			allowed |= {"date", "datetime"}
		if row["transform"] not in allowed:
			found.append(
				f"row {index}: {row['afas_field']} is {info['type']} in AFAS's spec; "
				f"transform {row['transform']!r} does not read it"
			)
		COUNTS["template fields checked against AFAS's specs (GetConnectors)"] += 1
	settings = template.settings
	for connector, columns in (
		(
			settings.get("image_connector"),
			[settings.get("image_record_field"), settings.get("image_id_field")],
		),
		(settings.get("subject_connector"), [settings.get("subject_record_field")]),
	):
		if not connector:
			continue
		if connector not in specs:
			found.append(f"{connector} is not one of AFAS's GetConnectors")
			continue
		found += [
			f"{column} is not a field of {connector}" for column in columns if column not in specs[connector]
		]
	match = settings.get("subject_match_field")
	if match and match not in rows:
		found.append(f"dossier items match {match}, which {template.connector} does not have")
	return found


def _outbound_problems(template: Template) -> list[str]:
	schema = afas_oas.body_schema(template.connector)
	if schema is None:
		return [f"{template.connector} is not one of AFAS's UpdateConnectors"]
	fields = schema_fields(schema["properties"][afas_oas.root_of(schema)])
	found = []
	if template.key_field not in fields:
		found.append(f"key {template.key_field} is not a field of {template.connector}")
	for index, row in enumerate(template.rows, start=1):
		info = fields.get(row["afas_field"])
		if info is None:
			found.append(f"row {index}: {row['afas_field']} is not a field of {template.connector}")
			continue
		if row["transform"] not in WRITES[info["type"]]:
			found.append(
				f"row {index}: {row['afas_field']} is {info['type']} in AFAS's schema; "
				f"transform {row['transform']!r} does not write it"
			)
		if row["transform"] == "constant" and "enum" in info and row["transform_options"] not in info["enum"]:
			found.append(
				f"row {index}: {row['transform_options']!r} is not one of {row['afas_field']}'s codes"
			)
		COUNTS["template fields checked against AFAS's specs (UpdateConnectors)"] += 1
	deactivate = template.settings.get("deactivate_field")
	if deactivate and deactivate not in fields:
		found.append(f"deactivate field {deactivate} is not a field of {template.connector}")
	attachments = template.settings.get("attachment_object")
	if attachments and f"{attachments}.FileStream" not in fields:
		found.append(f"{attachments} carries no FileStream in {template.connector}")
	return found


def _body(template: Template) -> dict[str, Any]:
	doc = apply_template(template, ANSWERS, _mappings(template))
	record, errors = FieldMap.from_rows(doc["field_mappings"], outbound=True).to_afas(
		SAMPLES[template.doctype], lookups={"afas_key": lambda mapping, name: _LINKED.get(mapping, "10001")}
	)
	assert not errors, errors
	if template.settings.get("send_attachments"):
		from afas_connector.afas.update import Record

		record.objects[template.settings["attachment_object"]] = [
			Record(fields={"FileName": "factuur.pdf", "FileStream": "JVBERi0xLjQK"})
		]
	return build_body(template.connector, record)


def _without_nulls(value: Any) -> Any:
	"""A body without its ``null`` values: AFAS reads ``null`` as "no value" (the contract), which its
	schemas, typing every field, do not spell out."""
	if isinstance(value, dict):
		return {k: _without_nulls(v) for k, v in value.items() if v is not None}
	if isinstance(value, list):
		return [_without_nulls(v) for v in value]
	return value


@pytest.mark.parametrize("template_id", list(ALL))
def test_every_template_keeps_to_afas_specs(template_id):
	afas_oas.require_specs()
	assert problems(ALL[template_id]) == []
	COUNTS["templates checked against AFAS's specs"] += 1


@pytest.mark.parametrize("template_id", [t.id for t in ALL.values() if t.direction == "Outbound"])
def test_every_outbound_template_builds_a_body_afas_accepts(template_id):
	afas_oas.require_specs()
	template = ALL[template_id]
	body = _body(template)
	assert afas_oas.body_errors(template.connector, _without_nulls(body)) == []
	COUNTS["template bodies validated against AFAS's schemas"] += 1


def test_the_check_can_fail():
	"""A field AFAS does not have, a transform that cannot read its type, a missing modified-date
	column and a wrong body field are each found."""
	afas_oas.require_specs()
	debtors = get_template("debtors-in")
	wrong = Template(
		**{
			**debtors.__dict__,
			"rows": (
				{"afas_field": "DebtorNaam", "erpnext_field": "customer_name", "transform": "strip"},
				{"afas_field": "Blocked", "erpnext_field": "disabled", "transform": "number"},
			),
			"modified_field": None,
		}
	)
	found = problems(wrong)
	assert any("DebtorNaam" in p for p in found), found
	assert any("Blocked" in p and "number" in p for p in found), found
	assert any("ModifiedDate" in p for p in found), found
	out = get_template("debtors-org-out")
	bad = Template(
		**{
			**out.__dict__,
			"rows": (
				{"afas_field": "KnOrganisation.Naam", "erpnext_field": "customer_name", "transform": ""},
			),
		}
	)
	assert any("KnOrganisation.Naam" in p for p in problems(bad))
	employees = TEMPLATES["employees-in"]
	odd = Template(
		**{
			**employees.__dict__,
			"rows": ({"afas_field": "Geboortedatum", "erpnext_field": "date_of_birth", "transform": "date"},),
		}
	)
	assert any("Geboortedatum" in p for p in problems(odd)), "an own connector's fields are checked too"


def test_templates_without_a_modified_date_read_everything_and_reconcile():
	for template in ALL.values():
		doc = apply_template(template, ANSWERS, _mappings(template))
		if template.reads_everything:
			assert doc["modified_field"] == "" and doc["deletion_mode"] == "Full Reconcile", template.id
		elif template.direction == "Inbound":
			assert doc["modified_field"] == template.modified_field, template.id


def test_every_template_applies_to_a_mapping_that_compiles():
	for template in ALL.values():
		doc = apply_template(template, ANSWERS, _mappings(template))
		assert doc["enabled"] == 0 and doc["template"] == template.id
		if doc["field_mappings"] or not template.settings.get("mapping_type"):  # a field map's rows
			FieldMap.from_rows(doc["field_mappings"], outbound=template.direction == "Outbound")
		if doc.get("filters"):
			FilterSet.from_spec(json.loads(doc["filters"]))
		text = json.dumps(doc, ensure_ascii=False)
		assert "{{" not in text, (template.id, text)
		if template.pair_with:
			assert doc["link_with"] == f"mapping of {template.pair_with}"


def test_applying_names_what_is_missing():
	with pytest.raises(TemplateError, match="AFAS Debtors"):
		apply_template(get_template("projects-in"), ANSWERS, {})
	with pytest.raises(TemplateError, match="Company"):
		apply_template(get_template("projects-in"), {}, {"debtors-in": "Debtors"})
	with pytest.raises(TemplateError, match="debtors-xx"):
		get_template("debtors-xx")
	doc = apply_template(get_template("journals-in"), {}, {})
	assert json.loads(doc["filters"]) == [["UnitId", "=", "1"]], "a parameter's default is used"
	assert Parameter("x", "X").default == ""


# ---------------------------------------------------------------- against the simulator, over HTTP


def _lookups() -> dict[str, Any]:
	return {
		"erpnext_name": lambda mapping, key: f"doc of {key}",
		"find_documents": lambda source, value: [(source.get("doctype") or "Customer", f"doc of {value}")],
	}


@pytest.mark.parametrize("template_id", [t.id for t in ALL.values() if t.direction == "Inbound"])
def test_every_inbound_template_maps_every_row_the_simulator_serves(sim, client, template_id):
	template = ALL[template_id]
	if template.connector == "Profit_Transactions_Allocated":
		sim.reset_data()
		sim.load_payroll()
	doc = apply_template(template, ANSWERS, _mappings(template))
	if not doc["field_mappings"] and template.settings.get("mapping_type"):
		# a kind of its own (the payroll journal): its flow reads the rows, there is no field map
		field_map = FieldMap.from_rows([{"afas_field": template.key_field, "erpnext_field": "name"}])
	else:
		field_map = FieldMap.from_rows(doc["field_mappings"])
	filters = json.loads(doc["filters"]) if doc.get("filters") else None
	rows = list(client.iter_rows(template.connector, order_by=template.key_field, filters=filters))
	assert rows, template.connector
	if template.settings.get("one_per_day"):  # each row as its days, as the run writes them
		keys = [str(row[template.key_field]) for row in rows]
		_keys, rows, unreadable = expand(
			keys, rows, template.settings["day_from_field"], template.settings["day_to_field"]
		)
		assert not unreadable and len(rows) > len(keys), (template.id, unreadable)
	for row in rows:
		values, errors = field_map.to_erpnext(row, key=str(row[template.key_field]), lookups=_lookups())
		assert errors == [], (template.id, row, errors)
		assert all(
			values.get(r["erpnext_field"]) not in (None, "")
			for r in doc["field_mappings"]
			if r.get("required")
		)
	meta = {f["id"] for f in client.metainfo_get(template.connector)["fields"]}
	assert {
		template.key_field,
		*(r["afas_field"] for r in template.rows if r["afas_field"] not in (CONSTANT, DAY)),
	} <= meta


@pytest.mark.afas_schema_exempt("a new record sends null for the organisation number AFAS assigns")
@pytest.mark.parametrize("template_id", [t.id for t in TEMPLATES.values() if t.direction == "Outbound"])
def test_every_outbound_template_body_is_stored_by_the_simulator(sim, client, template_id):
	template = TEMPLATES[template_id]
	sim.reset_data()
	result = client.insert(template.connector, _record(template))
	key = result.key(template.key_field)
	assert key, result
	stored = sim.records(template.connector)[str(key)]
	for row in template.rows:
		value: Any = stored
		for part in row["afas_field"].split("."):
			value = value[0] if isinstance(value, list) and value else value  # lines: the first one
			value = value.get(part) if isinstance(value, dict) else None
		sent = _record_value(template, row["afas_field"])
		numbered = sent is None and row["afas_field"].endswith(".BcCo")  # AFAS numbers a new one
		assert value == sent or (numbered and value), (row["afas_field"], value, sent)


def _record(template: Template):
	doc = apply_template(template, ANSWERS, _mappings(template))
	record, _errors = FieldMap.from_rows(doc["field_mappings"], outbound=True).to_afas(
		SAMPLES[template.doctype], lookups={"afas_key": lambda mapping, name: _LINKED.get(mapping, "10001")}
	)
	return record


#: The AFAS keys a linked document has, where a debtor's number would not do (an hours line names an
#: employee and a project AFAS knows: the demo's).
_LINKED = {"mapping of employees-in": "1001", "mapping of projects-in": "P24-001"}


def _record_value(template: Template, path: str) -> Any:
	node = _record(template)
	*objects, name = path.split(".")
	for part in objects:
		node = node.objects[part]
		node = node[0] if isinstance(node, list) else node  # lines: the first one
	return node.fields.get(name)
