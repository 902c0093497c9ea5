"""AFAS's own OpenAPI specs (``../shared/afas-oas/profit-en/*.json`` beside the repository, or the folder
in ``AFAS_OAS_DIR``) as the reference for the pure tier: UpdateConnector body schemas, AFAS's example
bodies, and the ``Profit_*`` GetConnectors' row fields. The specs are reference data, never part of the
project; where they are absent the tests that need them skip with a message saying where to put them.

``accepting_schema`` turns AFAS's schema for a body into what AFAS itself accepts (its own examples
disagree with its schemas): ``Objects`` as a list of single-key objects *or* one object, ``Element`` as
an object or a list, ``@Key`` attributes naming a field, AFAS's free fields (``U`` + 32 hex) and
``@Action``; no ``required`` (AFAS's schemas require auto-numbered keys its examples leave out). Field
names, types, lengths and codes stay as strict as the schema says, and no other field is allowed.
"""

from __future__ import annotations

import functools
import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

ENV = "AFAS_OAS_DIR"
REPO = Path(__file__).resolve().parents[3]
#: Counts the conformance tests record, printed at the end of the run (conftest's terminal summary).
COUNTS: Counter[str] = Counter()
CUSTOM_FIELD = "^U[0-9A-Fa-f]{32}$"


def spec_dir() -> Path | None:
	"""The folder with AFAS's ``*.json`` module specs, or None."""
	given = os.environ.get(ENV)
	for folder in [Path(given)] if given else [REPO.parent / "shared" / "afas-oas"]:
		for path in (folder / "profit-en", folder):
			if path.is_dir() and any(path.glob("*.json")):
				return path
	return None


def require_specs() -> Path:
	folder = spec_dir()
	if folder is None:
		pytest.skip(
			f"AFAS's OpenAPI specs are not here: put AFASSoftware/OASContent's OpenApiSpecs/profit/en/*.json "
			f"in {REPO.parent / 'shared' / 'afas-oas' / 'profit-en'} or name their folder in ${ENV}"
		)
	return folder


@functools.lru_cache(maxsize=1)
def _modules(folder: str) -> dict[str, dict[str, Any]]:
	return {path.name: json.loads(path.read_text("utf-8")) for path in sorted(Path(folder).glob("*.json"))}


def modules() -> dict[str, dict[str, Any]]:
	return _modules(str(require_specs()))


@functools.lru_cache(maxsize=1)
def _update_connectors(folder: str) -> dict[str, dict[str, Any]]:
	found: dict[str, dict[str, Any]] = {}
	for name, spec in _modules(folder).items():
		schemas = spec.get("components", {}).get("schemas", {})
		for path, item in spec.get("paths", {}).items():
			parts = path.split("/")
			if len(parts) != 3 or parts[1] != "connectors":
				continue
			connector = parts[2]
			for method in ("post", "put"):
				if method not in item or "requestBody" not in item[method]:
					continue
				content = item[method]["requestBody"]["content"]["application/json"]
				ref = content.get("schema", {}).get("$ref", "")
				entry = found.setdefault(
					connector, {"module": name, "schemas": {}, "examples": {}, "results": []}
				)
				entry["schemas"].setdefault(
					method, schemas.get(ref.rsplit("/", 1)[-1]) if ref else content.get("schema")
				)
				entry["examples"].setdefault(method, list((content.get("examples") or {}).items()))
			created = (item.get("post") or {}).get("responses", {}).get("201", {})
			for example in (
				created.get("content", {}).get("application/json", {}).get("examples") or {}
			).values():
				found.setdefault(connector, {"module": name, "schemas": {}, "examples": {}, "results": []})[
					"results"
				].append(example.get("value"))
	return found


def update_connectors() -> dict[str, dict[str, Any]]:
	"""``{connector: {"module", "schemas": {"post"|"put": schema}, "examples": {method: [(name, example)]},
	"results": [201 examples]}}`` for every UpdateConnector in AFAS's specs."""
	return _update_connectors(str(require_specs()))


def body_schema(connector: str) -> dict[str, Any] | None:
	entry = update_connectors().get(connector)
	if not entry:
		return None
	return entry["schemas"].get("post") or entry["schemas"].get("put")


def root_of(schema: dict[str, Any]) -> str:
	(root,) = schema["properties"]
	return root


@functools.lru_cache(maxsize=1)
def _get_connectors(folder: str) -> dict[str, dict[str, Any]]:
	found = {}
	for spec in _modules(folder).values():
		for path, item in spec.get("paths", {}).items():
			if not path.startswith("/connectors/Profit") or "get" not in item:
				continue
			schema = item["get"]["responses"]["200"]["content"]["application/json"]["schema"]
			found.setdefault(path.split("/")[2], schema["properties"]["rows"]["items"]["properties"])
	return found


def get_connectors() -> dict[str, dict[str, Any]]:
	"""``{Profit_* connector: {row field: {"type", "description"}}}`` from AFAS's specs."""
	return _get_connectors(str(require_specs()))


def accepting_schema(schema: dict[str, Any]) -> dict[str, Any]:
	"""AFAS's body schema relaxed to what AFAS accepts, strict about everything else (module docstring)."""
	root = root_of(schema)
	return {
		"type": "object",
		"properties": {root: _node(schema["properties"][root])},
		"required": [root],
		"additionalProperties": False,
	}


def _node(node: dict[str, Any]) -> dict[str, Any]:
	element = node["properties"]["Element"]
	element = element.get("items", element)
	parts = element.get("properties", {})
	field_props = dict((parts.get("Fields") or {}).get("properties") or {})
	fields = {
		"type": "object",
		"properties": field_props,
		"patternProperties": {
			CUSTOM_FIELD: {},
			"^@[Aa]ction$": {"enum": ["insert", "update", "delete"]},
		},
		"additionalProperties": False,
	}
	scalar = {"type": ["string", "number", "integer", "boolean", "null"]}
	one = {"type": "object", "properties": {"Fields": fields, **{f"@{f}": scalar for f in field_props}}}
	one["additionalProperties"] = False
	objects = parts.get("Objects")
	if objects:
		subs = {name: _node(sub) for name, sub in objects["items"]["properties"].items()}
		single = {"type": "object", "properties": subs, "additionalProperties": False, "minProperties": 1}
		one["properties"]["Objects"] = {
			"anyOf": [{"type": "array", "items": {**single, "maxProperties": 1}}, single]
		}
	return {
		"type": "object",
		"properties": {"Element": {"anyOf": [one, {"type": "array", "items": one, "minItems": 1}]}},
		"required": ["Element"],
		"additionalProperties": False,
	}


def body_errors(connector: str, body: dict[str, Any]) -> list[str] | None:
	"""Why ``body`` does not validate against AFAS's schema for ``connector`` (``[]`` when it does), or
	None when AFAS's specs have no schema for it."""
	from jsonschema import Draft7Validator

	schema = body_schema(connector)
	if schema is None:
		return None
	validator = Draft7Validator(accepting_schema(schema))
	problems = []
	for error in validator.iter_errors(body):
		deepest = error
		while deepest.context:  # an anyOf: the branch that got furthest into the body says why
			deepest = max(deepest.context, key=lambda e: len(e.absolute_path))
		problems.append(f"{'/'.join(map(str, deepest.absolute_path))}: {deepest.message}")
	return problems
