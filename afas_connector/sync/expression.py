"""The small, safe expression language of the ``expression`` transform.

A one-line formula over ``value`` (the field's value) and ``row`` (the whole AFAS row or ERPNext
document), checked when the mapping is saved: only the syntax and names listed here are allowed, so
a mapping can never reach Python's attributes, imports or builtins.

A formula is also bounded, because it runs inside a web request or a worker beside everything else:
its size is checked when it is saved, and what it builds and how long it runs when it runs. Sizes
are checked before a text or list is built wherever the size can be known beforehand, so
``"x" * 500000000`` is refused without allocating anything.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable
from typing import Any

from afas_connector.sync.mapping_errors import TransformConfigError, TransformValueError

MAX_FORMULA_CHARS = 1_000
"""Longest formula, checked before it is parsed: ast.parse itself recurses on a long chain."""
MAX_FORMULA_DEPTH = 50
"""Deepest nesting of a formula's parts: evaluation recurses once per level."""
MAX_FORMULA_NODES = 500
"""Most parts (names, literals, operators, calls) in one formula; each is evaluated at most once."""
MAX_REPEAT = 1_000
"""Most times ``*`` may repeat a text or list, in either order: the first guard, kept as it was."""
MAX_RESULT_SIZE = 100_000
"""Longest text, or most items of a list or dict, that one step of a formula may build."""
MAX_BUILT_TOTAL = 1_000_000
"""Characters and items one run of a formula may build in all, so many results cannot add up."""
MAX_INT_BITS = 256
"""Largest whole number a formula may make (in bits): huge integers are slow to multiply or print."""
MAX_ROUND_DIGITS = 100
"""Most digits round() may round to either side of the point: round(5, -10**9) computes 10**10**9."""
MAX_STEPS = 10_000
"""Most evaluation steps of one run: a backstop, as a formula within the limits above needs fewer."""

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
_SIZED = (str, bytes, list, tuple, dict)
"""The results whose length the size limits count."""
_FORMAT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?")
"""One printf conversion of ``text % args``: its width and precision pad the result."""
_FORMAT_NAME = re.compile(r"%\(([^)]*)\)")
"""A named conversion, ``%(Nm)s``, of ``text % row``."""
_SYMBOLS = {
	ast.Add: "'+'",
	ast.Sub: "'-'",
	ast.Mult: "'*'",
	ast.Div: "'/'",
	ast.FloorDiv: "'//'",
	ast.Mod: "'%'",
}
"""How an error names the operator that hit a limit."""


def compile_expression(source: str) -> Callable[[Any, dict], Any]:
	"""Compile a one-line expression over ``value`` and ``row`` (the whole AFAS row or ERPNext doc).

	Allowed: literals, ``value``/``row``, ``row["Field"]``, arithmetic, comparisons, ``and/or/not``,
	``x if c else y``, a few functions (str, int, float, round, len, abs, min, max, bool) and string
	methods (strip, upper, lower, title, replace, split, join, startswith, endswith, zfill, get).
	Anything else — attributes, imports, lambdas, dunder names — is refused at save time, and so is
	a formula past the ``MAX_FORMULA_*`` limits.
	"""
	text = (source or "").strip()
	if not text:
		raise TransformConfigError(
			"expression needs a formula in Transform Options, e.g. value.strip().title()"
		)
	if len(text) > MAX_FORMULA_CHARS:
		raise TransformConfigError(
			f"expression {_short(text)} is {len(text):,} characters long; "
			f"a formula may have at most {MAX_FORMULA_CHARS:,} characters"
		)
	try:
		tree = ast.parse(text, mode="eval")
	except SyntaxError as exc:
		raise TransformConfigError(f"expression {text!r} is not valid: {exc.msg}") from None
	except (RecursionError, MemoryError):
		raise TransformConfigError(
			f"expression {_short(text)} is nested too deeply to read; "
			f"a formula may nest at most {MAX_FORMULA_DEPTH} levels"
		) from None
	_check_size(tree.body, text)
	_check(tree.body, text)

	def run(value: Any, ctx: dict) -> Any:
		evaluation = _Evaluation(text, {"value": value, "row": ctx.get("row") or {}})
		try:
			return evaluation.eval(tree.body)
		except TransformValueError:
			raise
		except Exception as exc:
			raise TransformValueError(
				f"expression {text!r} failed for {_short(repr(value), raw=True)}: {exc}"
			) from None

	return run


def _short(text: str, raw: bool = False) -> str:
	"""A long formula or value cut to its start, so an error message stays readable."""
	shown = text if raw else repr(text)
	return shown if len(shown) <= 80 else shown[:60] + "…"


def _check_size(body: ast.AST, text: str) -> None:
	"""Refuse a formula nested deeper than MAX_FORMULA_DEPTH or with more than MAX_FORMULA_NODES
	parts, and whole-number literals past MAX_INT_BITS; walked without recursion."""
	nodes = 0
	stack: list[tuple[ast.AST, int]] = [(body, 1)]
	while stack:
		node, depth = stack.pop()
		if isinstance(node, ast.expr):
			nodes += 1
			if depth > MAX_FORMULA_DEPTH:
				raise TransformConfigError(
					f"expression {text!r} nests more than {MAX_FORMULA_DEPTH} levels deep; "
					f"a formula may nest at most {MAX_FORMULA_DEPTH} levels"
				)
			if nodes > MAX_FORMULA_NODES:
				raise TransformConfigError(
					f"expression {text!r} has more than {MAX_FORMULA_NODES} parts; "
					f"a formula may have at most {MAX_FORMULA_NODES}"
				)
			if (
				isinstance(node, ast.Constant)
				and isinstance(node.value, int)
				and node.value.bit_length() > MAX_INT_BITS
			):
				raise TransformConfigError(
					f"expression {text!r}: a number in it has {node.value.bit_length():,} bits; "
					f"a formula's whole numbers may have at most {MAX_INT_BITS} bits"
				)
		child_depth = depth + isinstance(node, ast.expr)
		stack.extend((child, child_depth) for child in ast.iter_child_nodes(node))


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


class _Evaluation:
	"""One run of a formula: its names, and the steps and sizes it has spent against the limits."""

	def __init__(self, text: str, names: dict[str, Any]) -> None:
		self.text = text
		self.names = names
		self.steps = 0
		self.built = 0

	def limit(self, why: str) -> TransformValueError:
		"""The row error for a limit that was hit: which formula, and which limit."""
		return TransformValueError(f"expression {_short(self.text)} stopped: {why}")

	def expect(self, size: int, what: str, at_least: bool = False) -> None:
		"""Refuse, before building it, a result of ``size`` characters or items past the limits
		(``at_least``: a count that stopped early)."""
		if size > MAX_RESULT_SIZE:
			raise self.limit(
				f"{what} would be {'at least ' if at_least else ''}{size:,} characters or items long, "
				f"over the limit of {MAX_RESULT_SIZE:,} per result"
			)
		if self.built + size > MAX_BUILT_TOTAL:
			raise self.limit(
				f"{what} would bring what it builds to {self.built + size:,} characters or items, "
				f"over the limit of {MAX_BUILT_TOTAL:,} per run"
			)

	def keep(self, result: Any, what: str) -> Any:
		"""Count a built result against the limits (those that could not be predicted, too)."""
		if isinstance(result, int) and not isinstance(result, bool):
			if result.bit_length() > MAX_INT_BITS:
				raise self.limit(
					f"{what} makes a whole number of {result.bit_length():,} bits, "
					f"over the limit of {MAX_INT_BITS} bits"
				)
		elif isinstance(result, _SIZED):
			self.expect(len(result), what)
			self.built += len(result)
		return result

	def eval(self, node: ast.AST) -> Any:
		self.steps += 1
		if self.steps > MAX_STEPS:
			raise self.limit(f"it took more than {MAX_STEPS:,} steps, the limit per run")
		if isinstance(node, ast.Constant):
			return node.value
		if isinstance(node, ast.Name):
			return self.names[node.id] if node.id in self.names else _FUNCTIONS[node.id]
		if isinstance(node, ast.BinOp):
			left, right = self.eval(node.left), self.eval(node.right)
			self._predict_binop(node.op, left, right)
			return self.keep(_BIN_OPS[type(node.op)](left, right), _SYMBOLS[type(node.op)])
		if isinstance(node, ast.UnaryOp):
			operand = self.eval(node.operand)
			return {ast.Not: lambda x: not x, ast.USub: operator.neg, ast.UAdd: operator.pos}[type(node.op)](
				operand
			)
		if isinstance(node, ast.BoolOp):
			if isinstance(node.op, ast.And):
				result: Any = True
				for value in node.values:
					result = self.eval(value)
					if not result:
						return result
				return result
			result = False
			for value in node.values:
				result = self.eval(value)
				if result:
					return result
			return result
		if isinstance(node, ast.Compare):
			left = self.eval(node.left)
			for op, comparator in zip(node.ops, node.comparators):
				right = self.eval(comparator)
				if not _CMP_OPS[type(op)](left, right):
					return False
				left = right
			return True
		if isinstance(node, ast.IfExp):
			return self.eval(node.body) if self.eval(node.test) else self.eval(node.orelse)
		if isinstance(node, ast.Call):
			return self._call(node)
		if isinstance(node, ast.Attribute):
			raise TransformValueError(f".{node.attr} must be called")
		if isinstance(node, ast.Subscript):
			container = self.eval(node.value)
			key = self.eval(node.slice)
			if isinstance(container, list | tuple | str):
				return container[key]
			return container.get(key)  # a dict, or a document with .get
		if isinstance(node, ast.List | ast.Tuple):
			return self.keep([self.eval(e) for e in node.elts], "a list")
		if isinstance(node, ast.Dict):
			items = {self.eval(k): self.eval(v) for k, v in zip(node.keys, node.values)}
			return self.keep(items, "a dict")
		raise TransformValueError(f"unsupported expression part {type(node).__name__}")

	def _predict_binop(self, op: ast.operator, left: Any, right: Any) -> None:
		"""Refuse ``seq * n``, ``n * seq``, ``seq + seq`` and ``text % args`` past the limits
		before Python builds them."""
		if isinstance(op, ast.Mult):
			for seq, times in ((left, right), (right, left)):
				if isinstance(seq, str | bytes | list | tuple) and isinstance(times, int):
					self.expect(len(seq) * max(times, 0), "'*'")
					if times > MAX_REPEAT:
						raise self.limit(
							f"'*' repeats {times:,} times, over the limit of {MAX_REPEAT:,} repeats"
						)
		elif isinstance(op, ast.Add):
			if isinstance(left, str | bytes | list | tuple) and isinstance(right, str | bytes | list | tuple):
				self.expect(len(left) + len(right), "'+'")
		elif isinstance(op, ast.Mod) and isinstance(left, str | bytes):
			self.expect(_format_size(left, right), "'%' formatting", at_least=True)

	def _call(self, node: ast.Call) -> Any:
		args = [self.eval(a) for a in node.args]
		if isinstance(node.func, ast.Name):
			name = node.func.id
			if name == "str" and len(args) == 1 and not isinstance(args[0], str):
				self.expect(_text_size(args[0], MAX_RESULT_SIZE), "str()", at_least=True)
			if name == "round" and len(args) == 2 and isinstance(args[1], int):
				if abs(args[1]) > MAX_ROUND_DIGITS:
					raise self.limit(
						f"round() to {args[1]:,} digits, over the limit of {MAX_ROUND_DIGITS} digits"
					)
			return self.keep(_FUNCTIONS[name](*args), f"{name}()")
		target = self.eval(node.func.value)
		method = node.func.attr
		if not isinstance(target, str | dict | list):
			raise TransformValueError(f".{method}() needs text, got {type(target).__name__}")
		if isinstance(target, str):
			self._predict_method(target, method, args)
		result = getattr(target, method)(*args)
		return result if method == "get" else self.keep(result, f".{method}()")

	def _predict_method(self, text: str, method: str, args: list[Any]) -> None:
		"""Refuse ``.join``, ``.replace``, ``.zfill`` and ``.split`` past the limits before they run."""
		what = f".{method}()"
		if method == "join" and len(args) == 1 and isinstance(args[0], str | list | tuple | dict):
			items = args[0]
			size = len(text) * max(len(items) - 1, 0)
			for item in items:
				size += len(item) if isinstance(item, str) else 1
				if size > MAX_RESULT_SIZE:
					break
			self.expect(size, what, at_least=True)
		elif method == "replace" and len(args) >= 2 and isinstance(args[0], str) and isinstance(args[1], str):
			old, new = args[0], args[1]
			count = text.count(old) if old else len(text) + 1
			if len(args) > 2 and isinstance(args[2], int) and args[2] >= 0:
				count = min(count, args[2])
			self.expect(len(text) + count * max(len(new) - len(old), 0), what)
		elif method == "zfill" and len(args) == 1 and isinstance(args[0], int):
			self.expect(max(len(text), args[0]), what)
		elif method == "split":
			sep = args[0] if args else None
			parts = text.count(sep) + 1 if isinstance(sep, str) and sep else (len(text) + 1) // 2 + 1
			if len(args) > 1 and isinstance(args[1], int) and args[1] >= 0:
				parts = min(parts, args[1] + 1)
			self.expect(parts, what)


def _text_size(value: Any, limit: int) -> int:
	"""A lower bound of ``len(str(value))``, counted only until it passes ``limit``: each part
	counts at least one, so this stops after about ``limit`` parts however large ``value`` is."""
	if isinstance(value, str):
		return len(value)
	size = 0
	stack = [value]
	while stack and size <= limit:
		item = stack.pop()
		if isinstance(item, str | bytes):
			size += len(item) + 2
		elif isinstance(item, bool) or item is None:
			size += 4
		elif isinstance(item, int):
			size += max(item.bit_length() // 4, 1)
		elif isinstance(item, list | tuple):
			size += 2 * max(len(item), 1)
			stack.extend(item)
		elif isinstance(item, dict):
			size += 2 + 4 * len(item)
			stack.extend(item.keys())
			stack.extend(item.values())
		else:
			size += 1
	return size


def _format_size(fmt: str | bytes, args: Any) -> int:
	"""A bound of ``len(fmt % args)`` worth refusing on: the format, every width and precision in
	it, and the text of the arguments."""
	spec = fmt.decode("latin-1") if isinstance(fmt, bytes) else fmt
	names = _FORMAT_NAME.findall(spec)
	if names and isinstance(args, dict):  # "%(Nm)s" % row reads only the fields it names
		size = len(spec) + sum(_text_size(args.get(name), MAX_RESULT_SIZE) for name in set(names))
	else:
		size = len(spec) + _text_size(args, MAX_RESULT_SIZE)
	for width, precision in _FORMAT_SPEC.findall(spec):
		for number in (width, precision):
			if number == "*":
				starred = args if isinstance(args, tuple) else (args,)
				size += sum(abs(a) for a in starred if isinstance(a, int))
			elif number:
				size += int(number) if len(number) <= 9 else MAX_RESULT_SIZE + 1
	return size
