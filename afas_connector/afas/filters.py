"""GetConnector filters: the 15 AFAS operators, AND/OR groups, and both wire forms.

AFAS takes filters two ways:

* the simple form ``filterfieldids=a,b;c&filtervalues=1,2;3&operatortypes=1,1;2`` where ``,`` is AND
  and ``;`` is OR. A value holding ``,`` or ``;`` cannot be expressed this way (AFAS documents no
  escape), so :func:`to_query_params` switches to the second form then;
* ``filterjson={"Filters":{"Filter":[{"@FilterId":"Filter 1","Field":[{"@FieldId","@OperatorType","#text"}]}]}}``
  where the fields inside one ``Filter`` are ANDed and the ``Filter`` blocks are ORed.

A :class:`FilterSet` is an OR of groups, each group an AND of :class:`Condition` objects, which
is exactly what both wire forms can say.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from afas_connector.afas.dates import normalise_filter_value


class Operator(IntEnum):
	"""AFAS filter operator codes (``operatortypes``)."""

	EQUAL = 1
	GREATER_OR_EQUAL = 2
	LESS_OR_EQUAL = 3
	GREATER = 4
	LESS = 5
	CONTAINS = 6
	NOT_EQUAL = 7
	EMPTY = 8
	NOT_EMPTY = 9
	STARTS_WITH = 10
	NOT_CONTAINS = 11
	NOT_STARTS_WITH = 12
	ENDS_WITH = 13
	NOT_ENDS_WITH = 14
	QUICK_FILTER = 15


#: Short symbols as AFAS's own overview lists them, accepted wherever an operator is given.
OPERATOR_SYMBOLS: dict[str, Operator] = {
	"=": Operator.EQUAL,
	">=": Operator.GREATER_OR_EQUAL,
	"<=": Operator.LESS_OR_EQUAL,
	">": Operator.GREATER,
	"<": Operator.LESS,
	"*": Operator.CONTAINS,
	"!=": Operator.NOT_EQUAL,
	"[]": Operator.EMPTY,
	"![]": Operator.NOT_EMPTY,
	"@": Operator.STARTS_WITH,
	"!*": Operator.NOT_CONTAINS,
	"!@": Operator.NOT_STARTS_WITH,
	"&": Operator.ENDS_WITH,
	"!&": Operator.NOT_ENDS_WITH,
	"sf": Operator.QUICK_FILTER,
}

#: Operators whose value AFAS matches with ``%`` wildcards (``%NL%`` for "contains NL").
WILDCARD_OPERATORS = frozenset({Operator.CONTAINS, Operator.NOT_CONTAINS})

#: Operators that take no real value; AFAS still wants an (empty) value in the query string.
VALUELESS_OPERATORS = frozenset({Operator.EMPTY, Operator.NOT_EMPTY})


def parse_operator(op: Operator | int | str) -> Operator:
	"""Accept ``Operator.EQUAL``, ``1``, ``"1"``, ``"="`` or ``"EQUAL"``; reject anything else clearly."""
	if isinstance(op, Operator):
		return op
	if isinstance(op, bool):
		raise ValueError(f"Unknown AFAS filter operator {op!r}")
	if isinstance(op, int):
		try:
			return Operator(op)
		except ValueError:
			raise ValueError(f"Unknown AFAS filter operator {op!r}: expected 1 to 15") from None
	text = str(op).strip()
	if text.isdigit():
		return parse_operator(int(text))
	if text.lower() in OPERATOR_SYMBOLS:
		return OPERATOR_SYMBOLS[text.lower()]
	try:
		return Operator[text.upper()]
	except KeyError:
		raise ValueError(
			f"Unknown AFAS filter operator {op!r}: expected 1 to 15, a symbol such as '>=' or a name such as 'EQUAL'"
		) from None


def format_value(value: Any) -> str:
	"""Render a Python value as AFAS expects it in a filter: booleans as 1/0, dates and date-times in
	Amsterdam wall-clock time without ``Z`` or offset (:func:`~afas_connector.afas.dates.normalise_filter_value`)."""
	if value is None:
		return ""
	if isinstance(value, bool):
		return "1" if value else "0"
	return str(normalise_filter_value(value))


@dataclass(frozen=True)
class Condition:
	"""One ``field <operator> value`` test."""

	field: str
	operator: Operator
	value: str = ""

	@classmethod
	def make(cls, field_id: str, operator: Operator | int | str, value: Any = "") -> Condition:
		if not field_id or not str(field_id).strip():
			raise ValueError("A filter needs a field id")
		op = parse_operator(operator)
		text = "" if op in VALUELESS_OPERATORS else format_value(value)
		if op in WILDCARD_OPERATORS and text and not (text.startswith("%") or text.endswith("%")):
			text = f"%{text}%"
		return cls(str(field_id).strip(), op, text)


@dataclass
class FilterSet:
	"""An OR of AND-groups of conditions. ``FilterSet().where(...).where(...).or_where(...)``."""

	groups: list[list[Condition]] = field(default_factory=list)

	def where(self, field_id: str, operator: Operator | int | str, value: Any = "") -> FilterSet:
		"""AND a condition onto the current (last) group."""
		if not self.groups:
			self.groups.append([])
		self.groups[-1].append(Condition.make(field_id, operator, value))
		return self

	def or_where(self, field_id: str, operator: Operator | int | str, value: Any = "") -> FilterSet:
		"""Start a new OR group with this condition."""
		self.groups.append([Condition.make(field_id, operator, value)])
		return self

	def __bool__(self) -> bool:
		return any(self.groups)

	def and_also(self, conditions: Iterable[Condition]) -> FilterSet:
		"""A new set with ``conditions`` ANDed onto every OR group: (A or B) and C = (A and C) or (B and C)."""
		extra = list(conditions)
		groups = [g for g in self.groups if g] or [[]]
		return FilterSet([list(g) + extra for g in groups if g or extra])

	@classmethod
	def from_spec(cls, spec: Iterable[Any] | None) -> FilterSet:
		"""Build from plain data: ``[[field, op, value], …]`` (all ANDed) or ``[[[…],[…]], [[…]]]`` (OR of ANDs)."""
		result = cls()
		if not spec:
			return result
		items = list(spec)
		if isinstance(items[0], Condition):
			result.groups.append(list(items))
			return result
		nested = (
			items
			and isinstance(items[0], (list, tuple))
			and items[0]
			and isinstance(items[0][0], (list, tuple, dict, Condition))
		)
		groups = items if nested else [items]
		for group in groups:
			conditions = []
			for item in group:
				if isinstance(item, dict):
					conditions.append(
						Condition.make(item.get("field"), item.get("operator", 1), item.get("value", ""))
					)
				elif isinstance(item, Condition):
					conditions.append(item)
				else:
					if len(item) not in (2, 3):
						raise ValueError(f"A filter is [field, operator, value]; got {item!r}")
					conditions.append(Condition.make(*item))
			if conditions:
				result.groups.append(conditions)
		return result

	def to_spec(self) -> list[list[list[Any]]]:
		"""Plain data (an OR of AND-groups of ``[field, operator code, value]``) with every value as it
		goes to AFAS (dates normalised), for :meth:`from_spec` and for showing a saved filter."""
		return [[[c.field, int(c.operator), c.value] for c in group] for group in self.groups if group]

	def needs_filterjson(self) -> bool:
		"""True when a field id or value cannot be written in the simple ``,``/``;`` syntax."""
		return any(
			any(ch in text for ch in ",;")
			for group in self.groups
			for cond in group
			for text in (cond.field, cond.value)
		)

	def to_simple_params(self) -> dict[str, str]:
		"""``filterfieldids``/``filtervalues``/``operatortypes`` (``,`` = AND, ``;`` = OR)."""
		groups = [g for g in self.groups if g]
		if not groups:
			return {}
		return {
			"filterfieldids": ";".join(",".join(c.field for c in g) for g in groups),
			"filtervalues": ";".join(",".join(c.value for c in g) for g in groups),
			"operatortypes": ";".join(",".join(str(int(c.operator)) for c in g) for g in groups),
		}

	def to_filterjson(self) -> str:
		"""The ``filterjson`` form: fields in one Filter are ANDed, Filters are ORed."""
		filters = []
		for index, group in enumerate(g for g in self.groups if g):
			filters.append(
				{
					"@FilterId": f"Filter {index + 1}",
					"Field": [
						{"@FieldId": c.field, "@OperatorType": int(c.operator), "#text": c.value}
						for c in group
					],
				}
			)
		return json.dumps({"Filters": {"Filter": filters}}, separators=(",", ":"), ensure_ascii=False)

	def to_query_params(self, prefer_json: bool = False) -> dict[str, str]:
		"""Query parameters in the simple form, or ``filterjson`` when needed or asked for."""
		if not self:
			return {}
		if prefer_json or self.needs_filterjson():
			return {"filterjson": self.to_filterjson()}
		return self.to_simple_params()


def normalise_filter_spec(spec: Any) -> Any:
	"""The same filter spec (``[[field, op, value], …]``, nested OR groups, or ``{"field", "operator",
	"value"}`` items) with every date value normalised as AFAS wants it, the rest untouched: what a
	mapping's Filters should hold once saved, in the shape it was typed."""
	if isinstance(spec, dict):
		if "value" in spec:
			return {**spec, "value": normalise_filter_value(spec["value"])}
		return spec
	if not isinstance(spec, (list, tuple)):
		return spec
	if len(spec) in (2, 3) and isinstance(spec[0], str) and not isinstance(spec[1], (list, tuple, dict)):
		return [spec[0], spec[1], normalise_filter_value(spec[2])] if len(spec) == 3 else list(spec)
	return [normalise_filter_spec(item) for item in spec]


def parse_simple_params(fieldids: str, values: str, operators: str) -> FilterSet:
	"""Parse the simple query form back into a :class:`FilterSet` (the simulator's side of the wire)."""
	field_groups = fieldids.split(";") if fieldids else []
	value_groups = values.split(";") if values is not None else []
	op_groups = operators.split(";") if operators else []
	if not (len(field_groups) == len(op_groups)):
		raise ValueError("filterfieldids and operatortypes have a different number of ';' groups")
	result = FilterSet()
	for gi, fgroup in enumerate(field_groups):
		fields = fgroup.split(",")
		ops = op_groups[gi].split(",")
		vals = value_groups[gi].split(",") if gi < len(value_groups) else [""] * len(fields)
		if len(ops) != len(fields):
			raise ValueError("filterfieldids and operatortypes have a different number of ',' items")
		vals = (vals + [""] * len(fields))[: len(fields)]
		result.groups.append(
			[Condition(f, parse_operator(int(o)), _strip_quotes(v)) for f, o, v in zip(fields, ops, vals)]
		)
	return result


def parse_filterjson(text: str) -> FilterSet:
	"""Parse a ``filterjson`` value back into a :class:`FilterSet` (the simulator's side of the wire)."""
	data = json.loads(text)
	blocks = data.get("Filters", {}).get("Filter", [])
	if isinstance(blocks, dict):
		blocks = [blocks]
	result = FilterSet()
	for block in blocks:
		fields = block.get("Field", [])
		if isinstance(fields, dict):
			fields = [fields]
		result.groups.append(
			[
				Condition(
					f["@FieldId"], parse_operator(int(f["@OperatorType"])), str(f.get("#text", "") or "")
				)
				for f in fields
			]
		)
	return result


def _strip_quotes(value: str) -> str:
	# AFAS's own example for operators 8/9 sends filtervalues="" (two quote characters).
	return "" if value == '""' else value
