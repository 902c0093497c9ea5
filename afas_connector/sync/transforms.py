"""Field transforms between AFAS values and ERPNext values, both directions.

A transform is chosen per field mapping row. Its configuration is checked when the mapping is saved
(:func:`compile_transform` raises :class:`TransformConfigError`); a value it cannot convert raises
:class:`TransformValueError`, which the sync engine records against that one record.

AFAS date-times end in ``Z`` but are Amsterdam local time ("We recommend ignoring this Z"), so the
``datetime`` transform reads them as Europe/Amsterdam and converts to the ERPNext system time zone.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from afas_connector.afas.dates import AfasDateError, parse_afas_datetime, to_afas_datetime
from afas_connector.sync.expression import compile_expression
from afas_connector.sync.mapping_errors import TransformConfigError, TransformValueError

TRUE_WORDS = frozenset({"1", "true", "yes", "y", "ja", "j", "waar", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "n", "nee", "onwaar", "off", ""})


@dataclass(frozen=True)
class Transform:
	"""A compiled transform: ``inbound`` turns an AFAS value into ERPNext's, ``outbound`` the reverse."""

	name: str
	inbound: Callable[[Any, dict], Any]
	outbound: Callable[[Any, dict], Any]


def _text(fn: Callable[[str], str]) -> Callable[[Any, dict], Any]:
	return lambda value, ctx: fn(value) if isinstance(value, str) else value


def _afas_moment(value: Any) -> dt.datetime | None:
	try:
		return parse_afas_datetime(value)
	except AfasDateError as exc:
		raise TransformValueError(str(exc)) from None


def _date_in(value: Any, ctx: dict) -> Any:
	moment = _afas_moment(value)
	return moment.date().isoformat() if moment else None


def _date_out(value: Any, ctx: dict) -> Any:
	if value in (None, ""):
		return None
	if isinstance(value, dt.datetime):
		return value.date().isoformat()
	if isinstance(value, dt.date):
		return value.isoformat()
	try:
		return dt.date.fromisoformat(str(value)[:10]).isoformat()
	except ValueError:
		raise TransformValueError(f"{value!r} is not a date (expected YYYY-MM-DD)") from None


def _datetime_in(value: Any, ctx: dict) -> Any:
	moment = _afas_moment(value)
	if moment is None:
		return None
	target = ZoneInfo(ctx.get("time_zone") or "Europe/Amsterdam")
	return moment.astimezone(target).replace(tzinfo=None).isoformat(sep=" ")


def _datetime_out(value: Any, ctx: dict) -> Any:
	if value in (None, ""):
		return None
	if not isinstance(value, dt.datetime):
		try:
			value = dt.datetime.fromisoformat(str(value).replace(" ", "T"))
		except ValueError:
			raise TransformValueError(f"{value!r} is not a date-time") from None
	if value.tzinfo is None:
		value = value.replace(tzinfo=ZoneInfo(ctx.get("time_zone") or "Europe/Amsterdam"))
	return to_afas_datetime(value)


def _number(value: Any, ctx: dict) -> Any:
	if value in (None, ""):
		return None
	if isinstance(value, bool):
		raise TransformValueError(f"{value!r} is not a number")
	if isinstance(value, int | float | Decimal):
		return float(value)
	text = str(value).strip().replace(" ", "")
	if "," in text and "." in text:
		text = text.replace(".", "").replace(",", ".")  # Dutch 1.234,56
	elif "," in text:
		text = text.replace(",", ".")
	try:
		return float(Decimal(text))
	except InvalidOperation:
		raise TransformValueError(f"{value!r} is not a number") from None


def _integer(value: Any, ctx: dict) -> Any:
	number = _number(value, ctx)
	if number is None:
		return None
	if number != int(number):
		raise TransformValueError(f"{value!r} is not a whole number")
	return int(number)


def _boolean_in(value: Any, ctx: dict) -> Any:
	if value is None:
		return 0
	if isinstance(value, bool):
		return int(value)
	text = str(value).strip().lower()
	if text in TRUE_WORDS:
		return 1
	if text in FALSE_WORDS:
		return 0
	raise TransformValueError(f"{value!r} is not a yes/no value")


def _boolean_out(value: Any, ctx: dict) -> Any:
	return bool(_boolean_in(value, ctx))


def typed_literal(text: str | None) -> Any:
	"""A value typed in a settings field, as AFAS wants it: ``true``/``false`` and numbers as JSON
	literals (so a boolean field like ``Bl`` gets ``true``, not the string ``"true"``), else text."""
	if text is None:
		return None
	stripped = text.strip()
	lowered = stripped.lower()
	if lowered in ("true", "false"):
		return lowered == "true"
	try:
		return int(stripped)
	except ValueError:
		pass
	try:
		number = float(stripped)
	except ValueError:
		return text
	return number if math.isfinite(number) else text


def _value_map(options: str) -> Transform:
	try:
		mapping = json.loads(options or "")
	except ValueError:
		raise TransformConfigError(
			'value_map needs a JSON object in Transform Options, e.g. {"M": "Male"}'
		) from None
	if not isinstance(mapping, dict) or not mapping:
		raise TransformConfigError(
			'value_map needs a non-empty JSON object, e.g. {"M": "Male", "V": "Female"}'
		)
	fallback = mapping.pop("*", None)
	reverse = {str(v): k for k, v in mapping.items()}
	known = ", ".join(sorted(str(k) for k in mapping))

	def inbound(value: Any, ctx: dict) -> Any:
		if value in (None, ""):
			return value
		if str(value) in mapping:
			return mapping[str(value)]
		if fallback is not None:
			return fallback
		raise TransformValueError(f"{value!r} is not in the value map (known: {known})")

	def outbound(value: Any, ctx: dict) -> Any:
		if value in (None, ""):
			return value
		if str(value) in reverse:
			return reverse[str(value)]
		raise TransformValueError(f"{value!r} has no AFAS code in the value map")

	return Transform("value_map", inbound, outbound)


def _afas_key(options: str) -> Transform:
	"""A link by AFAS key: outbound an ERPNext name becomes the AFAS key that mapping ``options``
	recorded for it (a Sales Order's customer → the debtor's DbId); inbound the reverse. The lookups
	come from the caller in ``ctx`` (``afas_key`` / ``erpnext_name``), so this module stays pure."""
	mapping = options.strip()
	if not mapping:
		raise TransformConfigError(
			"afas_key needs, in Transform Options, the mapping whose AFAS keys to use, "
			"e.g. Customer → KnSalesRelationOrg"
		)

	def outbound(value: Any, ctx: dict) -> Any:
		if value in (None, ""):
			return value
		key = _lookup(ctx, "afas_key")(mapping, str(value))
		if key in (None, ""):
			raise TransformValueError(f"{value} is not in AFAS yet: mapping {mapping} has no AFAS key for it")
		return key

	def inbound(value: Any, ctx: dict) -> Any:
		if value in (None, ""):
			return value
		name = _lookup(ctx, "erpnext_name")(mapping, str(value))
		if name in (None, ""):
			raise TransformValueError(f"AFAS key {value} has no ERPNext document in mapping {mapping} yet")
		return name

	return Transform("afas_key", inbound, outbound)


def _lookup(ctx: dict, name: str) -> Callable[[str, str], Any]:
	lookup = ctx.get(name)
	if lookup is None:
		raise TransformValueError("afas_key can only be resolved inside ERPNext (no record links here)")
	return lookup


#: Transforms whose inbound value is a list of child-table rows for a Table field (Contact's
#: ``email_ids``, Address's ``links``), not one value: several rows may write into the same table.
ROW_TRANSFORMS = frozenset({"child_row", "link_rows"})
#: What stands for the AFAS value in a ``child_row`` row.
VALUE_PLACEHOLDER = "{value}"


def _child_row(options: str) -> Transform:
	"""Inbound only: the AFAS value becomes one row of a child table, given in Transform Options as a
	JSON object in which ``"{value}"`` stands for the value, e.g. ``{"email_id": "{value}", "is_primary":
	1}``; an empty value makes no row. The rows of every ``child_row`` into one table replace its rows."""
	try:
		row = json.loads(options or "")
	except ValueError:
		raise TransformConfigError(
			'child_row needs a JSON object in Transform Options, e.g. {"email_id": "{value}", "is_primary": 1}'
		) from None
	if not isinstance(row, dict) or VALUE_PLACEHOLDER not in row.values():
		raise TransformConfigError(
			'child_row needs a JSON object with "{value}" for one of its fields, e.g. '
			'{"email_id": "{value}", "is_primary": 1}'
		)

	def inbound(value: Any, ctx: dict) -> Any:
		if value in (None, ""):
			return []
		return [{k: (value if v == VALUE_PLACEHOLDER else v) for k, v in row.items()}]

	def outbound(value: Any, ctx: dict) -> Any:
		raise TransformValueError("child_row fills a child table inbound; it sends nothing to AFAS")

	return Transform("child_row", inbound, outbound)


def link_sources(options: str) -> list[dict[str, str]]:
	"""The sources of a ``link_rows`` transform: ``[{"doctype": "Customer", "field":
	"afas_organisation_code"}, {"mapping": "AFAS Debtors → Customer"}]``; raises
	:class:`TransformConfigError` for anything else."""
	try:
		sources = json.loads(options or "")
	except ValueError:
		sources = None
	example = (
		'[{"doctype": "Customer", "field": "afas_organisation_code"}] or [{"mapping": "<the mapping '
		'of the records>"}]'
	)
	if not isinstance(sources, list) or not sources:
		raise TransformConfigError(f"link_rows needs a JSON list of where to look, e.g. {example}")
	for source in sources:
		if not isinstance(source, dict) or not (
			(set(source) == {"doctype", "field"} and all(source.values()))
			or (set(source) == {"mapping"} and source["mapping"])
		):
			raise TransformConfigError(f"link_rows: {source!r} is not a source; e.g. {example}")
	return sources


def _link_rows(options: str) -> Transform:
	"""Inbound only: links (``link_doctype``, ``link_name`` rows of a Dynamic Link table such as a
	Contact's or Address's ``links``) to every document the AFAS value identifies: documents whose
	``field`` holds it, or the document another mapping synced from that AFAS key. The frappe layer
	finds them (``ctx["find_documents"](source, value)``, so this module stays pure). No document yet
	is an error of the row, which is read again on the next run."""
	sources = link_sources(options)

	def inbound(value: Any, ctx: dict) -> Any:
		if value in (None, ""):
			return []
		find = ctx.get("find_documents")
		if find is None:
			raise TransformValueError("link_rows can only be resolved inside ERPNext")
		rows = []
		for source in sources:
			for doctype, name in find(source, str(value)):
				rows.append({"link_doctype": doctype, "link_name": name})
		if not rows:
			where = ", ".join(s.get("doctype") or s.get("mapping", "") for s in sources)
			raise TransformValueError(f"no document for AFAS value {value} in {where} yet")
		return rows

	def outbound(value: Any, ctx: dict) -> Any:
		raise TransformValueError("link_rows fills a child table inbound; it sends nothing to AFAS")

	return Transform("link_rows", inbound, outbound)


def _identity(value: Any, ctx: dict) -> Any:
	return value


def _pair(inbound: Callable[[Any, dict], Any], outbound: Callable[[Any, dict], Any]) -> Callable[..., Any]:
	return lambda name, options: Transform(name, inbound, outbound)


def _constant(name: str, options: str) -> Transform:
	return Transform(name, lambda _value, _ctx: options, lambda _value, _ctx: options)


def _expression(name: str, options: str) -> Transform:
	expression = compile_expression(options)
	return Transform(name, expression, expression)


#: Every transform, by the name a field mapping row chooses: ``factory(name, options) → Transform``.
#: The Transform select of AFAS Field Mapping lists the same names (a test holds them equal).
_FACTORIES: dict[str, Callable[[str, str], Transform]] = {
	"": _pair(_identity, _identity),
	"strip": _pair(_text(str.strip), _text(str.strip)),
	"upper": _pair(_text(str.upper), _text(str.upper)),
	"lower": _pair(_text(str.lower), _text(str.lower)),
	"date": _pair(_date_in, _date_out),
	"datetime": _pair(_datetime_in, _datetime_out),
	"number": _pair(_number, _number),
	"integer": _pair(_integer, _integer),
	"boolean": _pair(_boolean_in, _boolean_out),
	"value_map": lambda name, options: _value_map(options),
	"constant": _constant,
	"expression": _expression,
	"afas_key": lambda name, options: _afas_key(options),
	"child_row": lambda name, options: _child_row(options),
	"link_rows": lambda name, options: _link_rows(options),
}
TRANSFORMS = tuple(_FACTORIES)


def compile_transform(name: str | None, options: str | None = None) -> Transform:
	"""Check a transform's configuration once and return the callable pair; raises
	:class:`TransformConfigError` for an unknown name or options the transform cannot use."""
	name = (name or "").strip()
	factory = _FACTORIES.get(name)
	if factory is None:
		raise TransformConfigError(
			f"Unknown transform {name!r}; choose one of {', '.join(t for t in TRANSFORMS if t)}"
		)
	return factory(name, options or "")
