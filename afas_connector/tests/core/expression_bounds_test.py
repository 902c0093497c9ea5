"""Formulas are bounded (issue 23 §4): what a formula may build and how long it may run.

Each attack here used to take memory or time without limit, or crash the save with a
MemoryError or RecursionError; now it is refused when the mapping is saved, or stops as a row
error that names the limit.
"""

import pytest

from afas_connector.sync import expression
from afas_connector.sync.expression import (
	MAX_BUILT_TOTAL,
	MAX_FORMULA_CHARS,
	MAX_FORMULA_DEPTH,
	MAX_FORMULA_NODES,
	MAX_INT_BITS,
	MAX_REPEAT,
	MAX_RESULT_SIZE,
	MAX_ROUND_DIGITS,
	compile_expression,
)
from afas_connector.sync.mapping import FieldMap
from afas_connector.sync.mapping_errors import TransformConfigError, TransformValueError


def run(formula, value=None, row=None):
	return compile_expression(formula)(value, {"row": row or {}})


@pytest.mark.parametrize(
	"formula,limit",
	[
		("-" * 60_000 + "1", f"at most {MAX_FORMULA_CHARS:,} characters"),
		("1+" * 20_000 + "1", f"at most {MAX_FORMULA_CHARS:,} characters"),
		("value + " * 200 + "value", f"at most {MAX_FORMULA_CHARS:,} characters"),
		("-" * 100 + "1", f"at most {MAX_FORMULA_DEPTH} levels"),
		("value" + ".strip()" * 40, f"at most {MAX_FORMULA_DEPTH} levels"),
		("[" + ",".join(["-1"] * 330) + "]", f"at most {MAX_FORMULA_NODES}"),
		("9" * 200, f"at most {MAX_INT_BITS} bits"),
	],
)
def test_a_formula_too_long_deep_or_large_is_refused_at_save(formula, limit):
	with pytest.raises(TransformConfigError, match=limit):
		compile_expression(formula)


def test_a_parser_that_runs_out_of_stack_is_a_config_error(monkeypatch):
	"""The length check keeps deep input from ast.parse; should it get there, the save still says why."""
	monkeypatch.setattr(expression, "MAX_FORMULA_CHARS", 1_000_000)
	for formula in ("-" * 60_000 + "1", "1+" * 20_000 + "1"):
		with pytest.raises(TransformConfigError, match="nested too deeply"):
			compile_expression(formula)


SIZE = f"over the limit of {MAX_RESULT_SIZE:,} per result"


@pytest.mark.parametrize(
	"formula,limit",
	[
		('str(len(("x"*1000)*1000*1000))', SIZE),
		('500000000*"x"', SIZE),
		('"x"*500000000', SIZE),
		("[0]*200000", SIZE),
		("200000*[0]", SIZE),
		('str(["x"*1000]*1000)', SIZE),
		('str([["x"*1000]*1000]*1000)', SIZE),
		('("x"*1000*60) + ("x"*1000*60)', SIZE),
		('"-".join(["x"*1000]*1000)', SIZE),
		('("x"*1000).replace("x", "x"*1000)', SIZE),
		('("x"*1000*50).replace("", "yy")', SIZE),
		('"x".zfill(1000000000)', SIZE),
		('("x"*1000*100).split("x")', SIZE),
		("min([1]*1000*1000)", SIZE),
		('"%0999999999d" % 1', SIZE),
		('"%.999999999f" % 1.0', SIZE),
		(
			"[" + ", ".join(['"x"*1000*100'] * 11) + "]",
			f"over the limit of {MAX_BUILT_TOTAL:,} per run",
		),
		('int("9"*1000*4)', f"over the limit of {MAX_INT_BITS} bits"),
		('int("9"*70) * int("9"*70)', f"over the limit of {MAX_INT_BITS} bits"),
		("round(5, -1000000000)", f"over the limit of {MAX_ROUND_DIGITS} digits"),
		('"x"*1001', f"over the limit of {MAX_REPEAT:,} repeats"),
		('1001*"x"', f"over the limit of {MAX_REPEAT:,} repeats"),
	],
)
def test_a_formula_that_would_build_too_much_stops_with_the_limit_it_hit(formula, limit):
	with pytest.raises(TransformValueError, match=limit):
		run(formula)


def test_every_formula_has_a_step_budget(monkeypatch):
	monkeypatch.setattr(expression, "MAX_STEPS", 5)
	assert run("1+1") == 2
	with pytest.raises(TransformValueError, match="more than 5 steps"):
		run("1+1+1+1+1")


def test_a_limit_is_a_row_error_naming_the_field_and_the_limit():
	rows = [
		{"afas_field": "Nm", "erpnext_field": "customer_name", "transform": "strip"},
		{
			"afas_field": "Re",
			"erpnext_field": "remarks",
			"transform": "expression",
			"transform_options": "value * 500000000",
		},
	]
	values, errors = FieldMap.from_rows(rows).to_erpnext({"Nm": " Jansen ", "Re": "x"}, key="K1")
	assert values == {"customer_name": "Jansen"}
	[error] = errors
	assert (error.key, error.field) == ("K1", "Re")
	assert "'*' would be 500,000,000 characters or items long" in error.message
	assert SIZE in error.message


@pytest.mark.parametrize(
	"formula,value,row,expected",
	[
		("value.strip().title()", " jansen bv ", None, "Jansen Bv"),
		('value.strip().split(" ", 1)[0]', "Jan de Vries", None, "Jan"),
		('" ".join(value.split())', " Ede   Centrum ", None, "Ede Centrum"),
		('"0" if value else "7"', "ORG1", None, "0"),
		("not row['Code']", None, {"Code": ""}, True),
		('row["City"] + ", " + row["CountryId"]', None, {"City": "Ede", "CountryId": "NL"}, "Ede, NL"),
		("len(row)", None, {"a": 1, "b": 2}, 2),
		('"x"*1000', None, None, "x" * 1000),
		('1000*"x"', None, None, "x" * 1000),
		("[0]*1000", None, None, [0] * 1000),
		(f'"x"*1000*{MAX_RESULT_SIZE // 1000}', None, None, "x" * MAX_RESULT_SIZE),
		('("x"*1000*50) + ("x"*1000*50)', None, None, "x" * 100_000),
		('"%05d" % value', 42, None, "00042"),
		('"%(City)s-%(Nr)s" % row', None, {"City": "Ede", "Nr": 3, "Memo": "m" * 200_000}, "Ede-3"),
		("round(value, 2)", 3.14159, None, 3.14),
		("round(value, -2)", 1234, None, 1200),
		('int("123") + 1', None, None, 124),
		('int("9"*70)', None, None, int("9" * 70)),
		("value * 1000000", 12345678901234567890, None, 12345678901234567890000000),
		("str([1, 2])", None, None, "[1, 2]"),
		('str({"a": [1, "b"]})', None, None, "{'a': [1, 'b']}"),
		('value.replace("a", "bb")', "banana", None, "bbbnbbnbb"),
		("value.zfill(8)", "42", None, "00000042"),
		("max(value.split(','))", "a,c,b", None, "c"),
		('{"NL": "Nederland", "BE": "België"}.get(value, value)', "BE", None, "België"),
		("value.strip()", " " + "m" * 90_000 + " ", None, "m" * 90_000),
		("value / 3", 1, None, 1 / 3),
		("-value", 5, None, -5),
		("-" * 40 + "1", None, None, 1),
	],
)
def test_ordinary_formulas_still_work(formula, value, row, expected):
	assert run(formula, value, row) == expected


def test_a_formula_of_the_longest_allowed_length_compiles():
	formula = '"' + "x" * (MAX_FORMULA_CHARS - 2) + '"'
	assert run(formula) == "x" * (MAX_FORMULA_CHARS - 2)


def test_a_huge_value_from_afas_is_named_briefly_in_a_row_error():
	with pytest.raises(TransformValueError) as caught:
		run("value + 1", "m" * 200_000)
	assert len(str(caught.value)) < 300
