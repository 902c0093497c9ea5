"""Field transforms between AFAS values and ERPNext values, both directions.

A transform is chosen per field mapping row. Its configuration is checked when the mapping is saved
(:func:`compile_transform` raises :class:`TransformConfigError`); a value it cannot convert raises
:class:`TransformValueError`, which the sync engine records against that one record.

AFAS date-times end in ``Z`` but are Amsterdam local time ("We recommend ignoring this Z"), so the
``datetime`` transform reads them as Europe/Amsterdam and converts to the ERPNext system time zone.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import math
import operator
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

AFAS_TZ = ZoneInfo("Europe/Amsterdam")
TRANSFORMS = (
	"",
	"strip",
	"upper",
	"lower",
	"date",
	"datetime",
	"number",
	"integer",
	"boolean",
	"value_map",
	"constant",
	"expression",
	"afas_key",
)
TRUE_WORDS = frozenset({"1", "true", "yes", "y", "ja", "j", "waar", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "n", "nee", "onwaar", "off", ""})


class TransformConfigError(ValueError):
	"""A field mapping's transform is configured wrongly (caught at save time)."""


class TransformValueError(ValueError):
	"""One value could not be converted (a per-record error, the run goes on)."""


@dataclass(frozen=True)
class Transform:
	"""A compiled transform: ``inbound`` turns an AFAS value into ERPNext's, ``outbound`` the reverse."""

	name: str
	inbound: Callable[[Any, dict], Any]
	outbound: Callable[[Any, dict], Any]


def _text(fn: Callable[[str], str]) -> Callable[[Any, dict], Any]:
	return lambda value, ctx: fn(value) if isinstance(value, str) else value


def parse_afas_datetime(value: Any) -> dt.datetime | None:
	"""AFAS ``2024-05-01T10:11:12Z`` (Amsterdam time despite the Z) → aware datetime in Amsterdam."""
	if value in (None, ""):
		return None
	if isinstance(value, dt.datetime):
		moment = value
	elif isinstance(value, dt.date):
		moment = dt.datetime.combine(value, dt.time())
	else:
		text = str(value).strip()
		if text.endswith("Z"):
			text = text[:-1]
		try:
			moment = dt.datetime.fromisoformat(text.replace(" ", "T"))
		except ValueError:
			raise TransformValueError(
				f"{value!r} is not a date-time (expected YYYY-MM-DDTHH:MM:SS)"
			) from None
	if moment.tzinfo is not None:
		moment = moment.replace(tzinfo=None)  # AFAS's Z is not UTC: the wall-clock time is Amsterdam's
	return moment.replace(tzinfo=AFAS_TZ)


def to_afas_datetime(moment: dt.datetime) -> str:
	"""An aware or naive (taken as Amsterdam) datetime → the naive Amsterdam text AFAS filters want."""
	if moment.tzinfo is not None:
		moment = moment.astimezone(AFAS_TZ).replace(tzinfo=None)
	return moment.replace(microsecond=0).isoformat()


def _date_in(value: Any, ctx: dict) -> Any:
	moment = parse_afas_datetime(value)
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
	moment = parse_afas_datetime(value)
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


def compile_transform(name: str | None, options: str | None = None) -> Transform:
	"""Check a transform's configuration once and return the callable pair."""
	name = (name or "").strip()
	options = options or ""
	identity = lambda value, ctx: value  # noqa: E731
	simple = {
		"": (identity, identity),
		"strip": (_text(str.strip), _text(str.strip)),
		"upper": (_text(str.upper), _text(str.upper)),
		"lower": (_text(str.lower), _text(str.lower)),
		"date": (_date_in, _date_out),
		"datetime": (_datetime_in, _datetime_out),
		"number": (_number, _number),
		"integer": (_integer, _integer),
		"boolean": (_boolean_in, _boolean_out),
	}
	if name in simple:
		return Transform(name, *simple[name])
	if name == "value_map":
		return _value_map(options)
	if name == "constant":
		constant = options
		return Transform(name, lambda value, ctx: constant, lambda value, ctx: constant)
	if name == "expression":
		expression = compile_expression(options)
		return Transform(name, expression, expression)
	if name == "afas_key":
		return _afas_key(options)
	raise TransformConfigError(
		f"Unknown transform {name!r}; choose one of {', '.join(t for t in TRANSFORMS if t)}"
	)


# ---------------------------------------------------------------- the small safe expression language

_BIN_OPS = {
	ast.Add: operator.add,
	ast.Sub: operator.sub,
	ast.Mult: operator.mul,
	ast.Div: operator.truediv,
	ast.FloorDiv: operator.floordiv,
	ast.Mod: operator.mod,
}
_CMP_OPS = {
	ast.Eq: operator.eq,
	ast.NotEq: operator.ne,
	ast.Lt: operator.lt,
	ast.LtE: operator.le,
	ast.Gt: operator.gt,
	ast.GtE: operator.ge,
	ast.In: lambda a, b: a in b,
	ast.NotIn: lambda a, b: a not in b,
}
_FUNCTIONS: dict[str, Callable[..., Any]] = {
	"str": str,
	"int": int,
	"float": float,
	"round": round,
	"len": len,
	"abs": abs,
	"min": min,
	"max": max,
	"bool": bool,
}
_METHODS = frozenset(
	{
		"strip",
		"lstrip",
		"rstrip",
		"upper",
		"lower",
		"title",
		"capitalize",
		"replace",
		"split",
		"join",
		"startswith",
		"endswith",
		"zfill",
		"get",
	}
)


def compile_expression(source: str) -> Callable[[Any, dict], Any]:
	"""Compile a one-line expression over ``value`` and ``row`` (the whole AFAS row or ERPNext doc).

	Allowed: literals, ``value``/``row``, ``row["Field"]``, arithmetic, comparisons, ``and/or/not``,
	``x if c else y``, a few functions (str, int, float, round, len, abs, min, max, bool) and string
	methods (strip, upper, lower, title, replace, split, join, startswith, endswith, zfill, get).
	Anything else — attributes, imports, lambdas, dunder names — is refused at save time.
	"""
	text = (source or "").strip()
	if not text:
		raise TransformConfigError(
			"expression needs a formula in Transform Options, e.g. value.strip().title()"
		)
	try:
		tree = ast.parse(text, mode="eval")
	except SyntaxError as exc:
		raise TransformConfigError(f"expression {text!r} is not valid: {exc.msg}") from None
	_check(tree.body, text)

	def run(value: Any, ctx: dict) -> Any:
		try:
			return _eval(tree.body, {"value": value, "row": ctx.get("row") or {}})
		except TransformValueError:
			raise
		except Exception as exc:
			raise TransformValueError(f"expression {text!r} failed for {value!r}: {exc}") from None

	return run


def _check(node: ast.AST, text: str) -> None:
	allowed = (
		ast.Constant,
		ast.Name,
		ast.BinOp,
		ast.UnaryOp,
		ast.BoolOp,
		ast.Compare,
		ast.IfExp,
		ast.Call,
		ast.Attribute,
		ast.Subscript,
		ast.List,
		ast.Tuple,
		ast.Dict,
		ast.Load,
		ast.And,
		ast.Or,
		ast.Not,
		ast.USub,
		ast.UAdd,
		*_BIN_OPS,
		*_CMP_OPS,
	)
	for child in ast.walk(node):
		if not isinstance(child, allowed):
			raise TransformConfigError(
				f"expression {text!r} uses {type(child).__name__}, which is not allowed"
			)
		if isinstance(child, ast.Name) and child.id not in ("value", "row") and child.id not in _FUNCTIONS:
			raise TransformConfigError(f"expression {text!r}: unknown name {child.id!r} (use value or row)")
		if isinstance(child, ast.Attribute) and child.attr not in _METHODS:
			raise TransformConfigError(f"expression {text!r}: .{child.attr} is not an allowed method")
		if isinstance(child, ast.Call) and not isinstance(child.func, ast.Name | ast.Attribute):
			raise TransformConfigError(f"expression {text!r}: only simple calls are allowed")
		if isinstance(child, ast.Call) and child.keywords:
			raise TransformConfigError(f"expression {text!r}: keyword arguments are not allowed")


def _eval(node: ast.AST, names: dict[str, Any]) -> Any:
	if isinstance(node, ast.Constant):
		return node.value
	if isinstance(node, ast.Name):
		return names[node.id] if node.id in names else _FUNCTIONS[node.id]
	if isinstance(node, ast.BinOp):
		left, right = _eval(node.left, names), _eval(node.right, names)
		if (
			isinstance(node.op, ast.Mult)
			and isinstance(left, str | list)
			and isinstance(right, int)
			and right > 1000
		):
			raise TransformValueError("expression result too large")
		return _BIN_OPS[type(node.op)](left, right)
	if isinstance(node, ast.UnaryOp):
		operand = _eval(node.operand, names)
		return {ast.Not: lambda x: not x, ast.USub: operator.neg, ast.UAdd: operator.pos}[type(node.op)](
			operand
		)
	if isinstance(node, ast.BoolOp):
		if isinstance(node.op, ast.And):
			result: Any = True
			for value in node.values:
				result = _eval(value, names)
				if not result:
					return result
			return result
		result = False
		for value in node.values:
			result = _eval(value, names)
			if result:
				return result
		return result
	if isinstance(node, ast.Compare):
		left = _eval(node.left, names)
		for op, comparator in zip(node.ops, node.comparators):
			right = _eval(comparator, names)
			if not _CMP_OPS[type(op)](left, right):
				return False
			left = right
		return True
	if isinstance(node, ast.IfExp):
		return _eval(node.body, names) if _eval(node.test, names) else _eval(node.orelse, names)
	if isinstance(node, ast.Call):
		args = [_eval(a, names) for a in node.args]
		if isinstance(node.func, ast.Name):
			return _FUNCTIONS[node.func.id](*args)
		target = _eval(node.func.value, names)
		if not isinstance(target, str | dict | list):
			raise TransformValueError(f".{node.func.attr}() needs text, got {type(target).__name__}")
		return getattr(target, node.func.attr)(*args)
	if isinstance(node, ast.Attribute):
		raise TransformValueError(f".{node.attr} must be called")
	if isinstance(node, ast.Subscript):
		container = _eval(node.value, names)
		key = _eval(node.slice, names)
		if isinstance(container, list | tuple | str):
			return container[key]
		return container.get(key)  # a dict, or a document with .get
	if isinstance(node, ast.List | ast.Tuple):
		return [_eval(e, names) for e in node.elts]
	if isinstance(node, ast.Dict):
		return {_eval(k, names): _eval(v, names) for k, v in zip(node.keys, node.values)}
	raise TransformValueError(f"unsupported expression part {type(node).__name__}")
