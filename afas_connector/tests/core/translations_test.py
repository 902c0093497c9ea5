"""Every user-facing string of the app has a Dutch row in ``translations/nl.csv``.

The strings are found by walking the app, so a new file is covered without being listed here:

* Python: ``_("…")`` and ``frappe._("…")`` with a literal, in every module but those under tests/,
  simulator/ (it speaks AFAS's own Dutch) and devtools/ (developer CLI output);
* Python, the pure layer (sync/): the literal ``reason=`` of a ``Call``. It cannot import frappe, so the
  frappe layer translates it on the way out (``call.message(_)`` in binding/push.py, binding/outbox.py and api.py);
* Python, the pure layer (afas/): the English template of an error made with ``values=`` (``str()`` of
  an AfasError words it through the translator binding/__init__.py sets);
* JavaScript: ``__("…")`` (or ``'…'``, or a template without ``${}``) in every .js outside tests/;
* DocType JSON: the DocType's name, and each field's label, description and Select options (a layout
  field without a label, such as most Column Breaks, shows nothing and is skipped);
* workspace, number card and dashboard chart JSON: the labels the desk shows.
"""

import ast
import csv
import json
import pathlib
import re

import pytest

APP = pathlib.Path(__file__).resolve().parents[2]
MODULE = APP / "afas_connector"
#: Python outside these folders speaks to users; inside them it does not (or not in our words).
NOT_USER_FACING = {"tests", "simulator", "devtools"}
#: Rows whose Dutch is the English on purpose: product names, words Dutch uses as they are, and the
#: option values of Accept-Language and Authentication. Technical ids (GetConnectors, value_map, nl-nl)
#: need no entry here (see ``technical``).
SAME_IN_DUTCH = {
	"{0} min {1} s",  # minutes and seconds: the same abbreviations in Dutch
	"AFAS",
	"AFAS Monitor",
	"AFAS: {0}",
	"API",
	"Accept",
	"Accept-Language",
	"Bytes",
	"Cron",
	"Details",
	"Document",
	"ERPNext",
	"Filters",
	"Label",
	"OAuth2 Client Credentials",
	"OK",
	"Open",
	"Outbox",
	"Payload",
	"Status",
	"Test",
	"Token",
	"Workers",
	"cron {0}",
	"{0}: {1} workers",
}


def relative(path: pathlib.Path) -> str:
	return path.relative_to(APP).as_posix()


# ------------------------------------------------------------------ where the strings are


def python_files() -> list[str]:
	return [
		relative(path)
		for path in sorted(APP.rglob("*.py"))
		if not NOT_USER_FACING & set(path.relative_to(APP).parts) and python_strings(relative(path))
	]


def javascript_files() -> list[str]:
	return [
		relative(path) for path in sorted(APP.rglob("*.js")) if "tests" not in path.relative_to(APP).parts
	]


def json_files() -> list[str]:
	return [
		relative(path)
		for kind in ("doctype", "workspace", "number_card", "dashboard_chart")
		for path in sorted((MODULE / kind).glob("*/*.json"))
	]


# ------------------------------------------------------------------ what the strings are


def is_gettext(func: ast.expr) -> bool:
	"""``_`` or ``frappe._``."""
	if isinstance(func, ast.Name):
		return func.id == "_"
	return (
		isinstance(func, ast.Attribute) and func.attr == "_" and getattr(func.value, "id", None) == "frappe"
	)


def literal(node: ast.expr) -> str | None:
	return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def python_strings(path: str) -> list[str]:
	tree = ast.parse((APP / path).read_text(encoding="utf-8"))
	calls = sorted(
		(n for n in ast.walk(tree) if isinstance(n, ast.Call)), key=lambda n: (n.lineno, n.col_offset)
	)
	found = []
	for node in calls:
		if is_gettext(node.func) and node.args:
			found.append(literal(node.args[0]))
		elif path.startswith("sync/") and getattr(node.func, "id", None) == "Call":
			found += [literal(k.value) for k in node.keywords if k.arg == "reason"]
		elif path.startswith("afas/") and node.args and any(k.arg == "values" for k in node.keywords):
			# an AfasError's English template (``values=``): binding/__init__.py words it through frappe._
			found.append(literal(node.args[0]))
			if isinstance(node.args[0], ast.IfExp):
				found += [literal(node.args[0].body), literal(node.args[0].orelse)]
	return [s for s in found if s]


def javascript_strings(path: str) -> list[str]:
	text = (APP / path).read_text(encoding="utf-8")
	quoted = re.findall(r"""__\(\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')""", text)
	templates = re.findall(r"__\(\s*`([^`$]*)`", text)
	return [ast.literal_eval(s) for s in quoted] + templates


def json_strings(path: str) -> list[str]:
	meta = json.loads((APP / path).read_text(encoding="utf-8"))
	kind = meta["doctype"]
	if kind == "DocType":
		found = [meta["name"]]
		for field in meta["fields"]:
			found += [field.get("label"), field.get("description")]
			if field["fieldtype"] == "Select":
				found += (field.get("options") or "").split("\n")
	elif kind == "Workspace":
		found = [meta.get("label"), meta.get("title")]
		for part in ("charts", "number_cards", "shortcuts", "links", "quick_lists", "custom_blocks"):
			found += [item.get("label") for item in meta.get(part) or []]
	elif kind == "Number Card":
		found = [meta.get("label")]
	elif kind == "Dashboard Chart":
		found = [meta.get("chart_name")]
	else:
		raise AssertionError(f"{path}: what does a {kind} show?")
	return [s for s in found if s and s.strip()]


def strings_of(path: str) -> list[str]:
	if path.endswith(".py"):
		return python_strings(path)
	if path.endswith(".js"):
		return javascript_strings(path)
	return json_strings(path)


# ------------------------------------------------------------------ the Dutch


def rows() -> list[list[str]]:
	with open(APP / "translations" / "nl.csv", encoding="utf-8", newline="") as handle:
		return [row for row in csv.reader(handle) if row]


def dutch() -> dict[str, str]:
	return {row[0]: row[1] for row in rows()}


def technical(text: str) -> bool:
	"""Not words: placeholders, ids such as value_map or nl-nl, CamelCase names such as GetConnectors."""
	bare = re.sub(r"\{\d\}", "", text).strip()
	return not bare or bool(re.fullmatch(r"[a-z0-9_.\-]+|[A-Z][a-z0-9]+(?:[A-Z][A-Za-z0-9]*)+", bare))


# ------------------------------------------------------------------ the tests


def test_the_walk_finds_every_kind_of_file():
	"""A walk that finds nothing would make every check below pass on nothing."""
	py, js, data = python_files(), javascript_files(), json_files()
	assert "api.py" in py and "sync/outbound_plan.py" in py and "afas/client.py" in py
	assert not [p for p in py if p.split("/")[0] in NOT_USER_FACING]
	assert "public/js/afas_connector.js" in js
	assert "afas_connector/doctype/afas_sync_log/afas_sync_log_list.js" in js
	assert "afas_connector/workspace/afas/afas.json" in data
	assert [p for p in data if "/number_card/" in p] and [p for p in data if "/dashboard_chart/" in p]


@pytest.mark.parametrize("path", python_files() + javascript_files() + json_files())
def test_every_string_has_a_dutch_row(path):
	strings = strings_of(path)
	if path.endswith(".py") or path.endswith(".json"):
		assert strings, f"no strings found in {path}"
	translated = dutch()
	missing = [s for s in strings if not translated.get(s, "").strip()]
	assert missing == [], f"{path}: no Dutch row for {missing}"


def test_rows_are_well_formed_and_unique():
	seen: set[str] = set()
	for row in rows():
		assert len(row) in (2, 3), row
		assert row[0] not in seen, f"two rows for {row[0]!r}"
		seen.add(row[0])


def test_what_stays_english_is_meant_to():
	"""A row that copies the English is either not words (ids, placeholders) or on SAME_IN_DUTCH."""
	copied = [s for s, nl in dutch().items() if s == nl and not technical(s) and s not in SAME_IN_DUTCH]
	assert copied == [], f"English copied as Dutch: {copied}"
	stale = [s for s in SAME_IN_DUTCH if dutch().get(s) != s]
	assert stale == [], f"SAME_IN_DUTCH names rows that are not the same in Dutch: {stale}"


def test_placeholders_survive_translation():
	for source, target in dutch().items():
		assert sorted(re.findall(r"\{\d\}", source)) == sorted(re.findall(r"\{\d\}", target)), source


def test_html_survives_translation():
	"""Tags and entities (&lt;token&gt;) as they are in the English."""
	markup = re.compile(r"</?[a-zA-Z][^>]*>|&[a-z]+;")
	for source, target in dutch().items():
		assert sorted(markup.findall(source)) == sorted(markup.findall(target)), source
