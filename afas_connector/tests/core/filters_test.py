"""Filter building and parsing: all 15 operators, AND/OR, both wire forms."""

import datetime
import json

import pytest

from afas_connector.afas.dates import normalise_filter_value
from afas_connector.afas.filters import (
	Condition,
	FilterSet,
	Operator,
	normalise_filter_spec,
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


UTC = datetime.timezone.utc
PLUS2 = datetime.timezone(datetime.timedelta(hours=2))


@pytest.mark.parametrize(
	"given,sent",
	[
		# AFAS's own notation: the Z it puts on returned dates is Amsterdam wall-clock time -> dropped
		("2026-05-01T10:00:00Z", "2026-05-01T10:00:00"),
		("2026-05-01T10:00:00.250Z", "2026-05-01T10:00:00.250000"),
		# a real offset is converted to Amsterdam (CEST in May, CET in January), never passed through
		("2026-05-01T10:00:00+02:00", "2026-05-01T10:00:00"),
		("2026-05-01T08:00:30+00:00", "2026-05-01T10:00:30"),
		("2026-01-15T08:00:00-01:00", "2026-01-15T10:00:00"),
		# aware datetimes: converted to Amsterdam wall-clock time
		(datetime.datetime(2026, 5, 1, 8, 0, 30, tzinfo=UTC), "2026-05-01T10:00:30"),
		(datetime.datetime(2026, 5, 1, 10, 0, 30, tzinfo=PLUS2), "2026-05-01T10:00:30"),
		(datetime.datetime(2026, 1, 15, 9, 0, tzinfo=UTC), "2026-01-15T10:00:00"),
		# naive values are Amsterdam already; dates stay dates; desk text gets the T
		(datetime.datetime(2026, 5, 1, 10, 0, 30), "2026-05-01T10:00:30"),
		(datetime.date(2026, 5, 1), "2026-05-01"),
		("2026-05-01 10:00:00", "2026-05-01T10:00:00"),
		("2026-05-01", "2026-05-01"),
		# not dates: untouched
		("NL", "NL"),
		("10001", "10001"),
		("Z-Bouw", "Z-Bouw"),
	],
)
def test_date_filter_values_go_out_in_amsterdam_wall_clock_without_zone(given, sent):
	"""AFAS compares date filters in Amsterdam wall-clock time and refuses a Z or an offset."""
	assert normalise_filter_value(given) == sent
	assert Condition.make("Modified", ">=", given).value == sent
	assert FilterSet().where("Modified", "<", given).to_simple_params()["filtervalues"] == sent


def test_normalised_spec_keeps_the_shape_typed_in_the_desk():
	spec = [["Modified", ">=", "2026-05-01T08:00:00+00:00"], ["Blocked", "=", 0]]
	assert normalise_filter_spec(spec) == [["Modified", ">=", "2026-05-01T10:00:00"], ["Blocked", "=", 0]]
	nested = [[{"field": "Modified", "operator": 2, "value": "2026-05-01T10:00:00Z"}], [["City", "=", "Z"]]]
	assert normalise_filter_spec(nested) == [
		[{"field": "Modified", "operator": 2, "value": "2026-05-01T10:00:00"}],
		[["City", "=", "Z"]],
	]
	assert FilterSet.from_spec(spec).to_spec() == [
		[["Modified", 2, "2026-05-01T10:00:00"], ["Blocked", 1, "0"]]
	]
	assert (
		FilterSet.from_spec(FilterSet.from_spec(nested).to_spec()).groups
		== FilterSet.from_spec(nested).groups
	)


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
