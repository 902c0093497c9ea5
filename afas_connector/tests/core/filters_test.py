"""Filter building and parsing: all 15 operators, AND/OR, both wire forms."""

import datetime
import json

import pytest

from afas_connector.afas.filters import (
	Condition,
	FilterSet,
	Operator,
	parse_filterjson,
	parse_operator,
	parse_simple_params,
)


@pytest.mark.parametrize("op", list(Operator))
def test_every_operator_parses_from_code_symbol_and_name(op):
	assert parse_operator(int(op)) is op
	assert parse_operator(str(int(op))) is op
	assert parse_operator(op.name.lower()) is op


@pytest.mark.parametrize("bad", [0, 16, "~", "", True, "contains-ish"])
def test_unknown_operator_is_a_clear_error(bad):
	with pytest.raises(ValueError, match="operator"):
		parse_operator(bad)


def test_and_or_simple_form():
	fs = FilterSet().where("CountryId", "=", "NL").where("Blocked", 1, False).or_where("City", "@", "Amster")
	assert fs.to_simple_params() == {
		"filterfieldids": "CountryId,Blocked;City",
		"filtervalues": "NL,0;Amster",
		"operatortypes": "1,1;10",
	}


def test_contains_gets_wildcards_and_empty_operators_take_no_value():
	fs = FilterSet().where("Name", Operator.CONTAINS, "bakker").where("Email", Operator.EMPTY, "ignored")
	assert [c.value for c in fs.groups[0]] == ["%bakker%", ""]
	assert parse_simple_params(*fs.to_simple_params().values()).groups == fs.groups


def test_dates_lose_their_zone_suffix():
	when = datetime.datetime(2024, 5, 1, 10, 0, tzinfo=datetime.timezone.utc)
	assert Condition.make("Modified", ">=", when).value == "2024-05-01T10:00:00"


def test_comma_or_semicolon_in_value_switches_to_filterjson():
	fs = FilterSet().where("Name", "=", "Jansen, Bakker & Co").or_where("Name", "=", "A;B")
	params = fs.to_query_params()
	assert list(params) == ["filterjson"]
	data = json.loads(params["filterjson"])
	assert len(data["Filters"]["Filter"]) == 2
	assert parse_filterjson(params["filterjson"]).groups == fs.groups


def test_filterjson_roundtrip_equals_simple_form():
	fs = FilterSet.from_spec([[["DebtorId", ">", "100"], ["Blocked", "=", 0]], [["City", "=", "Utrecht"]]])
	assert (
		parse_filterjson(fs.to_filterjson()).groups
		== parse_simple_params(*fs.to_simple_params().values()).groups
	)


def test_from_spec_accepts_flat_dicts_and_rejects_bad_items():
	assert (
		len(FilterSet.from_spec([{"field": "A", "operator": ">=", "value": 1}, ["B", 1, 2]]).groups[0]) == 2
	)
	with pytest.raises(ValueError, match="field"):
		FilterSet.from_spec([["", 1, 2]])
	with pytest.raises(ValueError, match=r"\[field, operator, value\]"):
		FilterSet.from_spec([["A"]])


def test_mismatched_simple_params_are_rejected():
	with pytest.raises(ValueError, match="different number"):
		parse_simple_params("A,B", "1", "1")
