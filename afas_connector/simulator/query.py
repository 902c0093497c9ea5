"""Server-side GetConnector semantics: typed filter matching and stable sorting.

The operator codes and wire parsers live in :mod:`afas_connector.afas.filters`; this module only decides
what a :class:`Condition` means against a stored row. Decisions (AFAS does not document them all):

* Text comparisons are case-insensitive, as on AFAS's SQL Server (``Latin1_General_CI_AS``).
* Operators 1, 6, 7 and 11 are SQL ``LIKE`` when the value holds ``%``; without ``%`` operators 6 and 11
  compare the whole value (so "contains" really needs ``%…%``, as AFAS's help page shows). Operator 7
  with ``%…%`` therefore means "does not contain", as on the same page.
* Operators 10, 12, 13, 14 and 15 ignore ``%`` at the ends of the value.
* An empty text field counts as ``""`` for the text operators; an empty field of any type never satisfies
  ``>=``, ``<=``, ``>`` or ``<``; an empty non-text field only satisfies ``!=`` and "empty".
* Values are typed by the field's metainfo ``dataType``: numbers numerically, booleans from 1/0/true/false,
  dates as datetimes. A date filter value with a ``Z`` or an offset is a 500, as on AFAS: filters compare
  in Amsterdam wall-clock time and take the value without a zone (although returned dates end in ``Z``).
* Sorting puts empty values first when ascending (SQL Server), and is stable: ties keep insertion order.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from afas_connector.afas.dates import has_zone, parse_afas_datetime
from afas_connector.afas.filters import Condition, FilterSet, Operator

RowPredicate = Callable[[dict[str, Any]], bool]

_LIKE_OPERATORS = frozenset({Operator.EQUAL, Operator.NOT_EQUAL, Operator.CONTAINS, Operator.NOT_CONTAINS})
_ORDERING = {
	Operator.GREATER_OR_EQUAL: lambda a, b: a >= b,
	Operator.LESS_OR_EQUAL: lambda a, b: a <= b,
	Operator.GREATER: lambda a, b: a > b,
	Operator.LESS: lambda a, b: a < b,
}
_TRUE = {"1", "true", "waar", "ja", "yes", "-1"}
_FALSE = {"0", "false", "onwaar", "nee", "no"}


class QueryError(Exception):
	"""A filter or sort AFAS would answer with a 500 functional error."""


def render_value(value: Any) -> Any:
	"""The JSON value AFAS sends: date-times as whole seconds with a ``Z`` on Amsterdam local time."""
	if isinstance(value, datetime):
		return f"{value.year:04d}-{value.month:02d}-{value.day:02d}T{value.hour:02d}:{value.minute:02d}:{value.second:02d}Z"
	return value


def coerce_value(data_type: str, value: Any, field_id: str = "") -> Any:
	"""Turn a filter text or a written value into the Python value stored for ``data_type``."""
	if value is None:
		return None
	try:
		if data_type == "string":
			text = value if isinstance(value, str) else str(value)
			return text if text != "" else None
		if isinstance(value, str) and value.strip() == "":
			return None
		if data_type == "int":
			if isinstance(value, bool):
				return int(value)
			return int(value) if not isinstance(value, str) else int(value.strip())
		if data_type == "decimal":
			if isinstance(value, str):
				return float(value.strip().replace(",", "."))
			return float(value)
		if data_type == "boolean":
			if isinstance(value, bool):
				return value
			text = str(value).strip().lower()
			if text in _TRUE:
				return True
			if text in _FALSE:
				return False
			raise ValueError(text)
		if data_type == "date":
			return parse_afas_datetime(value).replace(tzinfo=None)
	except (TypeError, ValueError):
		raise QueryError(f"Ongeldige waarde '{value}' voor veld '{field_id}' ({data_type}).") from None
	return value


def _text(value: Any) -> str:
	if value is None:
		return ""
	if isinstance(value, datetime):
		return render_value(value)[:-1]
	if isinstance(value, bool):
		return "1" if value else "0"
	return str(value)


def _like(pattern: str) -> re.Pattern[str]:
	return re.compile(".*".join(re.escape(part) for part in pattern.split("%")), re.IGNORECASE | re.DOTALL)


def compile_condition(cond: Condition, data_type: str) -> RowPredicate:
	"""A predicate over a stored row's values for one condition, typed by the field's ``dataType``."""
	name, op, raw = cond.field, cond.operator, cond.value
	if raw == '""':
		raw = ""
	if op is Operator.EMPTY:
		return lambda row: row.get(name) in (None, "")
	if op is Operator.NOT_EMPTY:
		return lambda row: row.get(name) not in (None, "")
	if data_type == "date" and has_zone(raw):
		raise QueryError(
			f"Ongeldige datum '{raw}' voor veld '{name}': een filterwaarde heeft geen tijdzone (geen Z of "
			f"+hh:mm). (Invalid date '{raw}' for field '{name}': no Z or offset in a filter value.)"
		)
	is_text = data_type == "string"
	if op in _LIKE_OPERATORS and "%" in raw:
		regex = _like(raw)
		negate = op in (Operator.NOT_EQUAL, Operator.NOT_CONTAINS)
		if negate:
			return lambda row: regex.fullmatch(_text(row.get(name))) is None
		return lambda row: regex.fullmatch(_text(row.get(name))) is not None
	if op in (Operator.CONTAINS, Operator.NOT_CONTAINS) or (
		is_text and op in (Operator.EQUAL, Operator.NOT_EQUAL)
	):
		wanted = raw.casefold()
		if op in (Operator.EQUAL, Operator.CONTAINS):
			return lambda row: _text(row.get(name)).casefold() == wanted
		return lambda row: _text(row.get(name)).casefold() != wanted
	if op in (
		Operator.STARTS_WITH,
		Operator.NOT_STARTS_WITH,
		Operator.ENDS_WITH,
		Operator.NOT_ENDS_WITH,
		Operator.QUICK_FILTER,
	):
		needle = raw.strip("%").casefold()
		if op is Operator.STARTS_WITH:
			return lambda row: _text(row.get(name)).casefold().startswith(needle)
		if op is Operator.NOT_STARTS_WITH:
			return lambda row: not _text(row.get(name)).casefold().startswith(needle)
		if op is Operator.ENDS_WITH:
			return lambda row: _text(row.get(name)).casefold().endswith(needle)
		if op is Operator.NOT_ENDS_WITH:
			return lambda row: not _text(row.get(name)).casefold().endswith(needle)
		return lambda row: needle in _text(row.get(name)).casefold()
	if is_text:
		wanted_text = raw.casefold()
		compare = _ORDERING[op]

		def text_order(row: dict[str, Any]) -> bool:
			value = row.get(name)
			return value not in (None, "") and compare(str(value).casefold(), wanted_text)

		return text_order
	wanted = coerce_value(data_type, raw, name)
	if op is Operator.EQUAL:
		return lambda row: wanted is not None and row.get(name) == wanted
	if op is Operator.NOT_EQUAL:
		return lambda row: row.get(name) != wanted
	if wanted is None:
		return lambda row: False
	compare = _ORDERING[op]

	def typed_order(row: dict[str, Any]) -> bool:
		value = row.get(name)
		return value is not None and compare(value, wanted)

	return typed_order


def compile_filter(filters: FilterSet, data_types: dict[str, str], connector_id: str) -> RowPredicate | None:
	"""OR of AND-groups as one predicate; ``None`` when there is nothing to filter."""
	groups: list[list[RowPredicate]] = []
	for group in filters.groups:
		predicates = []
		for cond in group:
			if cond.field not in data_types:
				raise QueryError(_unknown_field(cond.field, connector_id))
			predicates.append(compile_condition(cond, data_types[cond.field]))
		if predicates:
			groups.append(predicates)
	if not groups:
		return None
	if len(groups) == 1 and len(groups[0]) == 1:
		return groups[0][0]
	return lambda row: any(all(p(row) for p in group) for group in groups)


def parse_order(text: str, data_types: dict[str, str], connector_id: str) -> tuple[tuple[str, bool], ...]:
	"""``"A,-B"`` → ``(("A", False), ("B", True))``; unknown fields are a functional error."""
	order = []
	for part in (text or "").split(","):
		part = part.strip()
		if not part:
			continue
		descending = part.startswith("-")
		name = part[1:].strip() if descending or part.startswith("+") else part
		if name not in data_types:
			raise QueryError(_unknown_field(name, connector_id))
		order.append((name, descending))
	return tuple(order)


def sort_rows(
	items: list[Any], order: Iterable[tuple[str, bool]], values: Callable[[Any], dict]
) -> list[Any]:
	"""Stable multi-key sort: one stable pass per key, last key first (``reverse`` keeps stability)."""
	result = list(items)
	for name, descending in reversed(tuple(order)):

		def key(item: Any, name: str = name) -> tuple:
			value = values(item).get(name)
			if value is None or value == "":
				return (0, "")
			if isinstance(value, str):
				return (1, value.casefold())
			return (1, value)

		result.sort(key=key, reverse=descending)
	return result


def canonical_filter(filters: FilterSet) -> tuple:
	"""A hashable form of a filter, for the view cache."""
	return tuple(tuple(group) for group in filters.groups if group)


def _unknown_field(name: str, connector_id: str) -> str:
	return f"Het veld '{name}' bestaat niet in GetConnector '{connector_id}'. (Unknown field '{name}'.)"
