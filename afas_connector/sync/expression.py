"""The small, safe expression language of the ``expression`` transform.

A one-line formula over ``value`` (the field's value) and ``row`` (the whole AFAS row or ERPNext
document), checked when the mapping is saved: only the syntax and names listed here are allowed, so
a mapping can never reach Python's attributes, imports or builtins.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from typing import Any

from afas_connector.sync.mapping_errors import TransformConfigError, TransformValueError

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
