"""The one place where the API's arguments are parsed and checked (``api.py`` calls these, and
``transfer.py`` for the exported file it reads).

A caller's mistake is a 417 whose message names the argument and what was expected, never a 500:
text that is not JSON, JSON of the wrong shape, nesting deep enough to exhaust the parser, a list
where a name belongs. Sizes are bounded before anything is parsed. Unknown records are 404s.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

import frappe
from frappe import _

#: An exported mappings file is the largest JSON argument; 2 MB holds hundreds of mappings.
MAX_JSON_CHARS = 2_000_000
#: JSON nested deeper than this is refused (an export file is at most 5 levels deep).
MAX_JSON_DEPTH = 20
#: A name, key or id: longer is not one.
MAX_NAME_CHARS = 140
#: Lists of names (logs, mappings, AFAS keys) per call.
MAX_NAMES = 500


class InvalidArgument(frappe.ValidationError):
	"""HTTP 417: an argument is missing or not what the method takes; the message names it."""


def invalid(argument: str, expected: str) -> None:
	"""Raise :class:`InvalidArgument`: "``argument`` must be ``expected``"."""
	frappe.throw(
		_("{0} must be {1}").format(escape(argument, quote=False), escape(expected, quote=False)),
		InvalidArgument,
		title=_("Invalid argument"),
	)


def required(value: Any, argument: str, what: str) -> str:
	"""A required text argument (a name, an id), stripped; a 417 naming it when missing or not text."""
	if value in (None, "") or isinstance(value, bool) or not isinstance(value, str | int):
		frappe.throw(
			_("{0} is required: {1}").format(argument, what), InvalidArgument, title=_("Missing argument")
		)
	text = str(value).strip()
	if not text:
		invalid(argument, what)
	return text


def optional_name(value: Any, argument: str, what: str) -> str | None:
	"""An optional name: None when absent, else as :func:`required`."""
	return None if value in (None, "") else required(value, argument, what)


def integer(value: Any, argument: str, low: int, high: int) -> int:
	"""A whole number in ``[low, high]`` (``"5"`` is 5)."""
	try:
		number = int(str(value).strip()) if not isinstance(value, bool) else None
	except (TypeError, ValueError):
		number = None
	if number is None:
		frappe.throw(
			_("{0} must be a whole number between {1} and {2}").format(argument, low, high),
			InvalidArgument,
			title=_("Invalid argument"),
		)
	if not low <= number <= high:
		frappe.throw(
			_("{0} must be between {1} and {2}").format(argument, low, high),
			InvalidArgument,
			title=_("Invalid argument"),
		)
	return number


def flag(value: Any, argument: str) -> bool:
	"""A yes/no argument: 0/1, true/false (any case), or absent (no)."""
	if value in (None, "", 0, 1, True, False):
		return bool(value)
	text = str(value).strip().lower()
	if text in ("0", "false", "no"):
		return False
	if text in ("1", "true", "yes"):
		return True
	invalid(argument, _("0 or 1"))
	return False


def choice(value: Any, argument: str, choices: tuple[str, ...]) -> str:
	"""One of ``choices``, exactly."""
	if not isinstance(value, str) or value not in choices:
		invalid(argument, _("one of {0}").format(", ".join(choices)))
	return value


def json_value(value: Any, argument: str, expected: type | tuple[type, ...], what: str) -> Any:
	"""``value`` as parsed JSON (text is parsed; a dict or list as sent is taken as it is), of type
	``expected``, at most ``MAX_JSON_CHARS`` long and ``MAX_JSON_DEPTH`` deep."""
	if isinstance(value, str):
		if len(value) > MAX_JSON_CHARS:
			invalid(argument, _("{0} of at most {1} characters").format(what, MAX_JSON_CHARS))
		try:
			value = json.loads(value)
		except (ValueError, RecursionError):
			invalid(argument, what)
	if not isinstance(value, expected) or depth(value) > MAX_JSON_DEPTH:
		invalid(argument, what)
	return value


def depth(value: Any) -> int:
	"""How deep lists and objects nest in ``value`` (a scalar is 0), without recursion."""
	deepest = 0
	stack = [(value, 1)]
	while stack:
		item, level = stack.pop()
		if isinstance(item, dict):
			children = item.values()
		elif isinstance(item, list | tuple):
			children = item
		else:
			continue
		deepest = max(deepest, level)
		if deepest > MAX_JSON_DEPTH:
			return deepest
		stack.extend((child, level + 1) for child in children)
	return deepest


def names(value: Any, argument: str = "names") -> list[str]:
	"""A JSON list of names (or one name as JSON, ``"X"``), at most ``MAX_NAMES``."""
	found = json_value(value, argument, (list, str, int), _("a JSON list of names"))
	if not isinstance(found, list):
		found = [found]
	if len(found) > MAX_NAMES:
		invalid(argument, _("a list of at most {0} names").format(MAX_NAMES))
	if not all(isinstance(n, str | int) and not isinstance(n, bool) for n in found):
		invalid(argument, _("a JSON list of names"))
	if any(len(str(n)) > MAX_NAME_CHARS for n in found):
		invalid(argument, _("a JSON list of names"))
	return [str(n) for n in found]


def json_object(value: Any, argument: str, what: str) -> dict[str, Any]:
	"""A JSON object (or nothing: an empty one)."""
	if value in (None, "") or (isinstance(value, str) and not value.strip()):
		return {}
	return json_value(value, argument, dict, what)
