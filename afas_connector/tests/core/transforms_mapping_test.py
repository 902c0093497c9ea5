"""Transforms and field maps, both directions, with per-record errors and save-time config errors."""

import pytest

from afas_connector.afas.dates import parse_afas_datetime
from afas_connector.sync.mapping import FieldMap, content_hash
from afas_connector.sync.mapping_errors import MappingConfigError, TransformConfigError, TransformValueError
from afas_connector.sync.transforms import compile_transform, typed_literal


def run(name, value, options="", ctx=None):
	return compile_transform(name, options).inbound(value, ctx or {})


@pytest.mark.parametrize(
	"name,value,expected",
	[
		("strip", "  Jansen ", "Jansen"),
		("upper", "nl", "NL"),
		("lower", "INFO@X.NL", "info@x.nl"),
		("date", "2024-05-01T00:00:00Z", "2024-05-01"),
		("number", "1.234,56", 1234.56),
		("number", 12, 12.0),
		("integer", "42", 42),
		("boolean", "ja", 1),
		("boolean", False, 0),
		("", "as is", "as is"),
	],
)
def test_inbound_transforms(name, value, expected):
	assert run(name, value) == expected


def test_afas_z_is_amsterdam_time_not_utc():
	# 10:00 "Z" in summer is 10:00 Amsterdam = 08:00 UTC.
	assert run("datetime", "2024-07-01T10:00:00Z", ctx={"time_zone": "UTC"}) == "2024-07-01 08:00:00"
	assert (
		run("datetime", "2024-07-01T10:00:00Z", ctx={"time_zone": "Europe/Amsterdam"})
		== "2024-07-01 10:00:00"
	)
	assert parse_afas_datetime("2024-01-01T10:00:00Z").utcoffset().total_seconds() == 3600
	out = compile_transform("datetime").outbound("2024-07-01 08:00:00", {"time_zone": "UTC"})
	assert out == "2024-07-01T10:00:00"


def test_value_map_both_ways_and_fallback():
	t = compile_transform("value_map", '{"M": "Male", "V": "Female"}')
	assert t.inbound("V", {}) == "Female" and t.outbound("Male", {}) == "M"
	with pytest.raises(TransformValueError, match="not in the value map"):
		t.inbound("X", {})
	assert run("value_map", "X", '{"M": "Male", "*": "Other"}') == "Other"


@pytest.mark.parametrize(
	"name,value",
	[
		("number", "abc"),
		("integer", "1.5"),
		("boolean", "misschien"),
		("date", "gisteren"),
		("datetime", "31-02"),
	],
)
def test_bad_values_are_value_errors(name, value):
	with pytest.raises(TransformValueError):
		run(name, value)


@pytest.mark.parametrize(
	"name,options",
	[
		("value_map", ""),
		("value_map", "[1]"),
		("expression", ""),
		("expression", "__import__('os')"),
		("expression", "value.__class__"),
		("expression", "open('x')"),
		("expression", "(lambda: 1)()"),
		("nonsense", ""),
	],
)
def test_bad_config_is_caught_at_compile(name, options):
	with pytest.raises(TransformConfigError):
		compile_transform(name, options)


def test_expression_language():
	assert run("expression", " jansen bv ", "value.strip().title()") == "Jansen Bv"
	assert (
		run(
			"expression",
			None,
			'row["City"] + ", " + row["CountryId"]',
			{"row": {"City": "Ede", "CountryId": "NL"}},
		)
		== "Ede, NL"
	)
	assert run("expression", 5, "'groot' if value > 3 else 'klein'") == "groot"
	with pytest.raises(TransformValueError):
		run("expression", None, "value.strip()")
	assert run("constant", "ignored", "Commercial") == "Commercial"


ROWS = [
	{"afas_field": "Name", "erpnext_field": "customer_name", "transform": "strip", "required": 1},
	{"afas_field": "Blocked", "erpnext_field": "disabled", "transform": "boolean"},
	{
		"afas_field": "CreditLimit",
		"erpnext_field": "credit_limit",
		"transform": "number",
		"default_value": "0",
	},
	{
		"afas_field": "Group",
		"erpnext_field": "customer_group",
		"transform": "constant",
		"transform_options": "Commercial",
	},
]


def test_field_map_inbound_collects_per_field_errors():
	fm = FieldMap.from_rows(ROWS)
	values, errors = fm.to_erpnext({"Name": " Bakker ", "Blocked": False, "CreditLimit": None}, key="1")
	assert values == {
		"customer_name": "Bakker",
		"disabled": 0,
		"credit_limit": "0",
		"customer_group": "Commercial",
	}
	assert errors == []
	values, errors = fm.to_erpnext({"Name": "", "Blocked": "?", "CreditLimit": 3}, key="2")
	assert [(e.key, e.field) for e in errors] == [("2", "Name"), ("2", "Blocked")]


def test_field_map_config_errors_name_the_row():
	with pytest.raises(MappingConfigError, match="Row 2") as info:
		FieldMap.from_rows([ROWS[0], {"afas_field": "X", "erpnext_field": "y", "transform": "value_map"}])
	assert info.value.row == 2
	with pytest.raises(MappingConfigError, match="already mapped"):
		FieldMap.from_rows([ROWS[0], ROWS[0]])
	with pytest.raises(MappingConfigError, match="empty"):
		FieldMap.from_rows([])


def test_field_map_outbound_nests_paths_and_child_tables():
	fm = FieldMap.from_rows(
		[
			{"afas_field": "KnOrganisation.Nm", "erpnext_field": "customer_name"},
			{"afas_field": "KnOrganisation.KnBasicAddressAdr.Rs", "erpnext_field": "city"},
			{"afas_field": "CuId", "erpnext_field": "default_currency"},
			{"afas_field": "FbSalesLines.ItCd", "erpnext_field": "items.item_code"},
			{"afas_field": "FbSalesLines.QuUn", "erpnext_field": "items.qty", "transform": "number"},
		]
	)
	doc = {
		"customer_name": "Bakker",
		"city": "Ede",
		"default_currency": "EUR",
		"items": [{"item_code": "A", "qty": 2}, {"item_code": "B", "qty": "1,5"}],
	}
	record, errors = fm.to_afas(doc)
	assert errors == []
	element = record.to_element()
	assert element["Fields"] == {"CuId": "EUR"}
	objects = {list(o)[0]: list(o.values())[0] for o in element["Objects"]}
	org = objects["KnOrganisation"]["Element"]
	assert org["Fields"]["Nm"] == "Bakker"
	assert org["Objects"][0]["KnBasicAddressAdr"]["Element"]["Fields"]["Rs"] == "Ede"
	assert [e["Fields"] for e in objects["FbSalesLines"]["Element"]] == [
		{"ItCd": "A", "QuUn": 2.0},
		{"ItCd": "B", "QuUn": 1.5},
	]


def test_content_hash_is_stable_and_sensitive():
	assert content_hash({"a": 1, "b": "x"}) == content_hash({"b": "x", "a": 1})
	assert content_hash({"a": 1}) != content_hash({"a": 2})


@pytest.mark.parametrize(
	"text,expected",
	[
		("true", True),
		(" FALSE ", False),
		("1", 1),
		("-2", -2),
		("2.5", 2.5),
		("nan", "nan"),
		("Geblokkeerd", "Geblokkeerd"),
		("", ""),
		(None, None),
	],
)
def test_typed_literal_sends_booleans_and_numbers_as_json_values(text, expected):
	value = typed_literal(text)
	assert value == expected
	assert type(value) is type(expected)


def test_afas_key_links_by_the_other_mappings_keys_both_ways():
	links = {("Customers", "CUST-1"): "10001"}
	lookups = {
		"afas_key": lambda mapping, name: links.get((mapping, name)),
		"erpnext_name": lambda mapping, key: {v: k[1] for k, v in links.items() if k[0] == mapping}.get(key),
	}
	fm = FieldMap.from_rows(
		[
			{
				"afas_field": "DbId",
				"erpnext_field": "customer",
				"transform": "afas_key",
				"transform_options": "Customers",
			},
			{"afas_field": "FbSalesLines.ItCd", "erpnext_field": "items.item_code"},
		],
		outbound=True,
	)
	record, errors = fm.to_afas(
		{"customer": "CUST-1", "items": [{"item_code": "A"}]}, key="SO-1", lookups=lookups
	)
	assert errors == []
	assert record.fields == {"DbId": "10001"}
	record, errors = fm.to_afas({"customer": "CUST-2", "items": []}, key="SO-2", lookups=lookups)
	assert [(e.field, e.message) for e in errors] == [
		("customer", "CUST-2 is not in AFAS yet: mapping Customers has no AFAS key for it")
	]
	_, errors = fm.to_afas({"customer": "CUST-1"}, key="SO-3")
	assert "inside ERPNext" in errors[0].message, "no lookups: a clear error, not a crash"
	inbound = FieldMap.from_rows(
		[
			{
				"afas_field": "DebtorId",
				"erpnext_field": "customer",
				"transform": "afas_key",
				"transform_options": "Customers",
			}
		]
	)
	assert inbound.to_erpnext({"DebtorId": "10001"}, lookups=lookups) == ({"customer": "CUST-1"}, [])
	with pytest.raises(TransformConfigError, match="Transform Options"):
		compile_transform("afas_key", " ")


def test_field_map_knows_whether_it_reads_child_tables():
	parent_only = [{"afas_field": "KnOrganisation.Nm", "erpnext_field": "customer_name"}]
	assert not FieldMap.from_rows(parent_only, outbound=True).reads_child_tables
	lines = [*parent_only, {"afas_field": "FbSalesLines.ItCd", "erpnext_field": "items.item_code"}]
	assert FieldMap.from_rows(lines, outbound=True).reads_child_tables
	formula = [
		*parent_only,
		{
			"afas_field": "Re",
			"erpnext_field": "remarks",
			"transform": "expression",
			"transform_options": "len(row)",
		},
	]
	assert FieldMap.from_rows(formula, outbound=True).reads_child_tables


def test_the_desk_offers_exactly_the_transforms_the_engine_knows():
	"""AFAS Field Mapping's Transform select is the desk's copy of the names: kept equal here."""
	import json
	from pathlib import Path

	from afas_connector.sync.metainfo import COMPATIBLE_FIELDTYPES
	from afas_connector.sync.transforms import TRANSFORMS

	doctype = Path(__file__).parents[2] / "afas_connector/doctype/afas_field_mapping/afas_field_mapping.json"
	field = next(f for f in json.loads(doctype.read_text())["fields"] if f["fieldname"] == "transform")
	assert tuple(field["options"].split("\n")) == TRANSFORMS
	assert set(COMPATIBLE_FIELDTYPES) <= set(TRANSFORMS)


def test_a_constant_row_needs_no_source_field():
	"""Issue 26 §3: a constant (or a formula over the row) reads no AFAS field inbound and no ERPNext
	field outbound; the empty side becomes ``(constant)`` and is never asked of AFAS."""
	from afas_connector.sync.mapping import CONSTANT

	inbound = FieldMap.from_rows(
		[
			{"afas_field": "DebtorId", "erpnext_field": "name"},
			{
				"afas_field": "",
				"erpnext_field": "customer_group",
				"transform": "constant",
				"transform_options": "All",
			},
			{
				"afas_field": None,
				"erpnext_field": "customer_name",
				"transform": "expression",
				"transform_options": "row['Name'].upper()",
			},
		]
	)
	assert inbound.afas_fields == ["DebtorId"]
	assert [r.afas_field for r in inbound.rules[1:]] == [CONSTANT, CONSTANT]
	values, errors = inbound.to_erpnext({"DebtorId": "1", "Name": "jansen"}, key="1")
	assert (values, errors) == ({"name": "1", "customer_group": "All", "customer_name": "JANSEN"}, [])

	outbound = FieldMap.from_rows(
		[
			{
				"afas_field": "KnSubjectLink.SfTp",
				"erpnext_field": "",
				"transform": "constant",
				"transform_options": "4",
			}
		],
		outbound=True,
	)
	record, errors = outbound.to_afas({"name": "X"})
	assert errors == [] and outbound.rules[0].erpnext_field == CONSTANT
	assert record.objects["KnSubjectLink"].fields == {"SfTp": "4"}


@pytest.mark.parametrize("outbound,field", [(False, "afas_field"), (True, "erpnext_field")])
def test_only_a_constant_may_leave_its_source_empty(outbound, field):
	with pytest.raises(MappingConfigError) as caught:
		FieldMap.from_rows(
			[
				{
					"afas_field": "" if not outbound else "Nm",
					"erpnext_field": "" if outbound else "x",
					"transform": "strip",
				}
			],
			outbound=outbound,
		)
	assert caught.value.field == field and "constant" in str(caught.value)
	target = "erpnext_field" if not outbound else "afas_field"
	with pytest.raises(MappingConfigError) as caught:  # the target side is never optional
		FieldMap.from_rows(
			[{"afas_field": "", "erpnext_field": "", "transform": "constant", "transform_options": "1"}],
			outbound=outbound,
		)
	assert caught.value.field == target


def test_no_child_rows_make_no_nested_object():
	"""A document without rows in a mapped child table sends no ``…Lines`` object: AFAS refuses an
	empty ``Element`` list ("moet een object of een lijst van objecten zijn")."""
	rows = [
		{"afas_field": "DbId", "erpnext_field": "customer"},
		{"afas_field": "FbSalesLines.ItCd", "erpnext_field": "items.item_code"},
	]
	outbound = FieldMap.from_rows(rows, outbound=True)
	record, errors = outbound.to_afas({"customer": "10001", "items": []})
	assert errors == [] and record.objects == {}
	record, errors = outbound.to_afas({"customer": "10001", "items": [{"item_code": "A"}]})
	assert [r.fields for r in record.objects["FbSalesLines"]] == [{"ItCd": "A"}]
