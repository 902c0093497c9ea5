"""Outbound values against what AFAS's fields can hold, before anything is sent.

AFAS's UpdateConnector metainfo (``/metainfo/update/{id}``) gives each field a ``dataType``, a
``length`` and ``decimals``; AFAS's OpenAPI specs give the same types and lengths (``KnOrganisation.Nm``
at most 255). A value that does not fit is either refused by AFAS (the whole call fails) or, worse,
cut to fit (a price of 0.0025 in a 2-decimal field is 0.00 in AFAS). :func:`check_record` compares
every value of an UpdateConnector record with its field and either rounds it, where the mapping row
says so (:func:`rounding_from_rows`), or returns a :class:`RecordError` that names the field, what it
holds and what AFAS's field takes.

Decisions where AFAS's metainfo is vague:

* ``length`` 0 means "no limit" (memo fields); for ``int`` it is the number of digits, for
  ``decimal`` the total digits, so ``length - decimals`` digits before the point.
* ``decimals`` 0 on a ``decimal`` field, or a ``decimalFieldId`` (the decimals follow another
  record's setting, e.g. an item's price decimals), means the decimals are not stated: not checked.
* A field with a code table (``values``) takes only its codes.
* Date-times are Amsterdam wall-clock time; a ``Z`` or an offset is refused rather than guessed at.
* An empty value (``None``, ``""``) is always allowed: it leaves or clears the field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from afas_connector.afas.update import Record
from afas_connector.sync.mapping_errors import RecordError

#: Rounding modes a mapping row can choose (its "AFAS Rounding" option), by option label or name.
ROUNDING_MODES: dict[str, str] = {
	"half_up": ROUND_HALF_UP,
	"half_even": ROUND_HALF_EVEN,
	"down": ROUND_DOWN,
	"Round half up": ROUND_HALF_UP,
	"Round half even": ROUND_HALF_EVEN,
	"Round down": ROUND_DOWN,
}
#: The option labels, for a Select field on the mapping row ("" = refuse a value with too many decimals).
ROUNDING_OPTIONS = ("", "Round half up", "Round half even", "Round down")

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,7})?)?)?$")
_ZONED = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$", re.I)
_TRUE_FALSE = {"0", "1", "true", "false"}


def rounding_from_rows(rows: Iterable[Mapping[str, Any]]) -> dict[str, str]:
	"""``{AFAS field path: rounding mode}`` from mapping rows whose ``afas_rounding`` option is set."""
	result = {}
	for row in rows:
		option = (row.get("afas_rounding") or "").strip()
		if option:
			result[(row.get("afas_field") or "").strip()] = _mode_name(option)
	return result


def check_record(
	record: Record,
	fields: Mapping[str, Mapping[str, Any]],
	*,
	rounding: Mapping[str, str] | None = None,
	key: str | None = None,
	unknown_fields: bool = True,
) -> tuple[Record, list[RecordError]]:
	"""Every value of ``record`` (its fields, keys and nested objects) against ``fields`` — ``{path:
	metainfo field}`` as :func:`~afas_connector.sync.metainfo.field_paths` gives it for the connector.

	Returns a copy with values rounded where ``rounding`` (``{path: mode}``) says so, and the values
	that do not fit, one :class:`RecordError` each (``field`` is the path, lines numbered from 1:
	``FbSalesLines[2].Upri``). With ``unknown_fields`` a path AFAS does not know is an error too (AFAS
	refuses the whole call for it).
	"""
	modes = {path: _mode(path, mode) for path, mode in (rounding or {}).items()}
	errors: list[RecordError] = []
	checked = _check(record, "", "", fields, modes, key, unknown_fields, errors)
	return checked, errors


def _check(
	record: Record,
	path: str,
	shown: str,
	fields: Mapping[str, Mapping[str, Any]],
	modes: dict[str, str],
	key: str | None,
	unknown_fields: bool,
	errors: list[RecordError],
) -> Record:
	def value_of(name: str, value: Any) -> Any:
		if name.startswith("@"):
			return value  # @Action
		where = shown + name
		info = fields.get(path + name)
		if info is None:
			if unknown_fields and not _is_custom(name):
				errors.append(RecordError(key, where, f"{where}: AFAS has no field {name!r} here"))
			return value
		new, problem = check_value(value, info, modes.get(path + name))
		if problem:
			errors.append(RecordError(key, where, f"{where} holds {problem}"))
		return new

	result = Record(
		fields={name: value_of(name, value) for name, value in record.fields.items()},
		keys={name: value_of(name.lstrip("@"), value) for name, value in record.keys.items()},
		action=record.action,
	)
	for name, value in record.objects.items():
		if isinstance(value, list):
			result.objects[name] = [
				_check(
					item, f"{path}{name}.", f"{shown}{name}[{i}].", fields, modes, key, unknown_fields, errors
				)
				for i, item in enumerate(value, start=1)
			]
		else:
			result.objects[name] = _check(
				value, f"{path}{name}.", f"{shown}{name}.", fields, modes, key, unknown_fields, errors
			)
	return result


def check_value(value: Any, info: Mapping[str, Any], rounding: str | None = None) -> tuple[Any, str | None]:
	"""``(value to send, None)`` when ``value`` fits the metainfo field ``info`` (rounded to its
	decimals when ``rounding`` is a :data:`ROUNDING_MODES` constant), else ``(value, problem)`` where
	problem reads "<value>: AFAS's field … takes …"."""
	if value is None or value == "":
		return value, None
	data_type = str(info.get("dataType") or "").lower()
	length = _int(info.get("length"))
	name = _field_name(info)
	codes = [str(v.get("id")) for v in info.get("values") or [] if isinstance(v, Mapping)]
	if codes and str(value) not in codes and not isinstance(value, bool):
		shown = ", ".join(codes[:12]) + (" …" if len(codes) > 12 else "")
		return value, f"{value!r}: AFAS's field {name} takes one of its codes: {shown}"
	if data_type == "boolean":
		if isinstance(value, bool) or value in (0, 1) or str(value).strip().lower() in _TRUE_FALSE:
			return value, None
		return value, f"{value!r}: AFAS's field {name} takes true or false"
	if data_type == "date":
		text = str(value).strip()
		if _ZONED.match(text):
			return value, (
				f"{value!r}: AFAS's field {name} takes Amsterdam wall-clock time without a Z or offset"
			)
		if not _DATE.match(text):
			return value, f"{value!r}: AFAS's field {name} takes a date YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS"
		return value, None
	if data_type in ("int", "decimal"):
		return _check_number(value, data_type, length, info, rounding, name)
	text = value if isinstance(value, str) else str(value)
	if isinstance(value, bool | dict | list):
		return value, f"{value!r}: AFAS's field {name} takes text"
	if length > 0 and len(text) > length:
		return value, f"{_short(text)} ({len(text)} characters): AFAS's field {name} takes at most {length}"
	return value, None


def _check_number(
	value: Any, data_type: str, length: int, info: Mapping[str, Any], rounding: str | None, name: str
) -> tuple[Any, str | None]:
	number = _decimal(value)
	if number is None:
		return value, f"{value!r}: AFAS's field {name} takes a number (a point for decimals)"
	decimals = 0 if data_type == "int" else _int(info.get("decimals"))
	stated = data_type == "int" or (decimals > 0 and not info.get("decimalFieldId"))
	places = max(0, -number.normalize().as_tuple().exponent)
	if stated and places > decimals:
		if rounding is None:
			what = "a whole number" if data_type == "int" else f"at most {decimals} decimals"
			return value, f"{value!r} ({places} decimals): AFAS's field {name} takes {what}"
		number = number.quantize(Decimal(1).scaleb(-decimals), rounding=rounding)
		value = _as_type_of(value, number)
	digits = len(str(abs(number).quantize(Decimal(1), rounding=ROUND_DOWN)).lstrip("0"))
	if length > 0:
		before = length - decimals if data_type == "decimal" and decimals < length else length
		if digits > before:
			where = "" if data_type == "int" else " before the point"
			return value, f"{value!r}: AFAS's field {name} takes at most {before} digits{where}"
	return value, None


def _decimal(value: Any) -> Decimal | None:
	if isinstance(value, bool):
		return None
	try:
		number = Decimal(str(value).strip()) if isinstance(value, str | int | float | Decimal) else None
	except InvalidOperation:
		return None
	return number if number is not None and number.is_finite() else None


def _as_type_of(original: Any, number: Decimal) -> Any:
	"""The rounded number in the type it came in (a float stays a float, text stays text)."""
	if isinstance(original, float):
		return float(number)
	if isinstance(original, int):
		return int(number)
	if isinstance(original, str):
		return str(number)
	return number


def _mode(path: str, mode: str) -> str:
	try:
		return ROUNDING_MODES[_mode_name(mode)]
	except KeyError:
		raise ValueError(
			f"Unknown rounding {mode!r} for {path}: expected one of {', '.join(ROUNDING_OPTIONS[1:])}"
		) from None


def _mode_name(option: str) -> str:
	names = {"Round half up": "half_up", "Round half even": "half_even", "Round down": "down"}
	return names.get(option, option)


def _field_name(info: Mapping[str, Any]) -> str:
	field_id = info.get("fieldId") or info.get("id") or "?"
	label = info.get("label")
	return f"{field_id} ({label})" if label and label != field_id else str(field_id)


def _is_custom(name: str) -> bool:
	"""AFAS's free fields (``U`` + 32 hex) are listed in metainfo too, but a stale cache may miss one."""
	return bool(re.fullmatch(r"U[0-9A-Fa-f]{32}", name))


def _int(value: Any) -> int:
	try:
		return int(value or 0)
	except (TypeError, ValueError):
		return 0


def _short(text: str) -> str:
	return repr(text if len(text) <= 40 else text[:37] + "…")
