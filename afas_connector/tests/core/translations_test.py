"""Every user-facing string of the files below has a Dutch row in ``translations/nl.csv``.

Covers the files listed (add yours); older files still have strings without a row.
"""

import ast
import csv
import json
import pathlib
import re

import pytest

APP = pathlib.Path(__file__).resolve().parents[2]
PYTHON = ["binding/monitoring.py", "binding/alerts.py"]
JAVASCRIPT = [
	"afas_connector/doctype/afas_settings/afas_settings.js",
	"afas_connector/doctype/afas_alert/afas_alert_list.js",
]
#: DocType JSON, and which of its fields (None: all) carry labels, descriptions and options to translate.
DOCTYPES = {
	"afas_connector/doctype/afas_alert/afas_alert.json": None,
	"afas_connector/doctype/afas_settings/afas_settings.json": {
		"monitoring_section",
		"alert_failed_runs",
		"alert_late_factor",
		"daily_digest",
		"alert_outbox_size",
		"alert_outbox_minutes",
		"background_section",
	},
}


def dutch() -> dict[str, str]:
	with open(APP / "translations" / "nl.csv", encoding="utf-8") as handle:
		return {row[0]: row[1] for row in csv.reader(handle) if row}


def python_strings(path: str) -> list[str]:
	tree = ast.parse((APP / path).read_text(encoding="utf-8"))
	return [
		node.args[0].value
		for node in ast.walk(tree)
		if isinstance(node, ast.Call)
		and getattr(node.func, "id", None) == "_"
		and node.args
		and isinstance(node.args[0], ast.Constant)
	]


def javascript_strings(path: str) -> list[str]:
	return re.findall(r'__\(\s*"((?:[^"\\]|\\.)*)"', (APP / path).read_text(encoding="utf-8"))


def doctype_strings(path: str, fields: set[str] | None) -> list[str]:
	meta = json.loads((APP / path).read_text(encoding="utf-8"))
	found = [meta["name"]] if fields is None else []
	for field in meta["fields"]:
		if fields is not None and field["fieldname"] not in fields:
			continue
		found += [field.get("label"), field.get("description")]
		if field["fieldtype"] == "Select":
			found += (field.get("options") or "").split("\n")
	return [s for s in found if s]


@pytest.mark.parametrize("path", PYTHON + JAVASCRIPT + list(DOCTYPES))
def test_every_string_has_a_dutch_row(path):
	if path in DOCTYPES:
		strings = doctype_strings(path, DOCTYPES[path])
	elif path.endswith(".js"):
		strings = javascript_strings(path)
	else:
		strings = python_strings(path)
	assert strings, f"no strings found in {path}"
	rows = dutch()
	missing = [s for s in strings if not rows.get(s)]
	assert missing == [], f"{path}: no Dutch row for {missing}"


def test_placeholders_survive_translation():
	for source, target in dutch().items():
		assert sorted(re.findall(r"\{\d\}", source)) == sorted(re.findall(r"\{\d\}", target)), source
