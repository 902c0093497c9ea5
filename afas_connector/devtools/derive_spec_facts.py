"""Derive ``simulator/spec_facts.json`` from AFAS's OpenAPI specs (AFASSoftware/OASContent,
``OpenApiSpecs/profit/en``), so the simulator's fields are AFAS's own and can be checked again when AFAS
publishes new specs.

	python -m afas_connector.devtools.derive_spec_facts [SPEC_DIR] [--check]

``SPEC_DIR`` defaults to ``$AFAS_OAS_DIR`` or ``../shared/afas-oas/profit-en`` beside the repository
(where the core tier's spec tests look too); the specs are reference data, never part of the project.
``--check`` writes nothing and exits 1 when the data file differs from what the specs give.

How the facts correspond to the specs:

- an UpdateConnector's body is its POST schema (PUT where there is no POST) in
  ``components.schemas``; each object is an ``Element`` (an object or a list of them) with ``Fields``
  and ``Objects`` (the sub-objects by element name);
- a field is (id, data type, maximum length, label, codes): the type is metainfo's (``integer`` →
  ``int``, ``number`` → ``decimal``, a string in ``date`` or ``date-time`` format → ``date``), a length of
  0 is no ``maxLength``, the label is the description's first line, and the codes are the ``enum`` in its
  order with the descriptions AFAS lists under the label (``code = description;`` per line);
- objects are keyed by element name; where the schemas give a name other fields or sub-objects, the
  second variant is ``name:2`` and so on, numbered in the order met (sub-objects before their parent);
- a ``Profit_*`` GetConnector's fields are its 200 response's ``rows.items.properties``: (id, type,
  description);
- a connector in more than one module is read from the first module by file name, as ``afas_oas`` does.

Nothing is corrected by hand: the data file is exactly what the specs give (the core test
``spec_facts_test`` proves it when the specs are present). A correction, should one be needed, belongs in
a small table here with a comment saying why, never in the data file.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
DATA_FILE = REPO / "afas_connector" / "simulator" / "spec_facts.json"
SOURCE = "AFASSoftware/OASContent, OpenApiSpecs/profit/en, commit 64278d2"

#: The UpdateConnectors the simulator implements (``simulator/connectors.py``); a new one is added here.
UPDATE_CONNECTORS = (
	"KnSalesRelationOrg",
	"KnPurchaseRelationOrg",
	"KnOrganisation",
	"KnPerson",
	"FbItemArticle",
	"FbSales",
	"KnSubject",
	"FiEntries",
	"KnSalesRelationPer",
	"PtRealization",
	"FbDirectInvoice",
)
#: The ``Profit_*`` GetConnectors it serves with AFAS's own fields.
GET_CONNECTORS = (
	"Profit_Transactions",
	"Profit_Accounts",
	"Profit_Journals",
	"Profit_Administrations",
	"Profit_periods_per_administration",
	"Profit_Debtor",
	"Profit_Creditor",
	"Profit_Article",
	"Profit_Article_image",
	"Profit_Contacts",
	"Profit_Projects",
	"Profit_CostCentre",
	"Profit_VAT_code",
	"Profit_Subjects",
	"Profit_Subject_Attachments",
	"Profit_Debtor_Invoices",
	"Profit_Creditor_Invoices",
	"Profit_Transactions_Allocated",
	"Profit_Hourtype",
	"Profit_Worktype",
	"Profit_Realization",
	"Profit_Leaves",
	"Profit_Illness",
)
#: JSON schema type → metainfo's data type.
TYPES = {"string": "string", "integer": "int", "number": "decimal", "boolean": "boolean"}
DATE_FORMATS = ("date", "date-time")


def default_spec_dir() -> Path:
	given = os.environ.get("AFAS_OAS_DIR")
	folder = Path(given) if given else REPO.parent / "shared" / "afas-oas"
	return folder / "profit-en" if (folder / "profit-en").is_dir() else folder


def derive(spec_dir: Path) -> dict[str, Any]:
	"""The data file's content for the specs in ``spec_dir``."""
	modules = {p.name: json.loads(p.read_text("utf-8")) for p in sorted(spec_dir.glob("*.json"))}
	if not modules:
		raise FileNotFoundError(f"no AFAS OpenAPI specs (*.json) in {spec_dir}")
	objects: dict[str, dict[str, Any]] = {}
	found_in: dict[str, str] = {}
	updates = {}
	for connector in UPDATE_CONNECTORS:
		found_in[connector], schema = _body_schema(modules, connector)
		(root,) = schema["properties"]
		updates[connector] = _object(root, schema["properties"][root], objects)
	gets = {}
	for connector in GET_CONNECTORS:
		found_in[connector], rows = _row_fields(modules, connector)
		gets[connector] = [
			[field, TYPES[prop["type"]], prop.get("description", "")] for field, prop in rows.items()
		]
	return {
		"source": SOURCE,
		"derived_by": "afas_connector/devtools/derive_spec_facts.py",
		"modules": found_in,
		"update_connectors": updates,
		"objects": objects,
		"get_connectors": gets,
	}


def _paths(modules: dict[str, Any], connector: str):
	for name, spec in modules.items():
		item = spec.get("paths", {}).get(f"/connectors/{connector}")
		if item:
			yield name, spec, item


def _body_schema(modules: dict[str, Any], connector: str) -> tuple[str, dict[str, Any]]:
	for name, spec, item in _paths(modules, connector):
		for method in ("post", "put"):
			if "requestBody" in item.get(method, {}):
				ref = item[method]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
				return name, spec["components"]["schemas"][ref.rsplit("/", 1)[-1]]
	raise LookupError(f"AFAS's specs have no body schema for {connector}")


def _row_fields(modules: dict[str, Any], connector: str) -> tuple[str, dict[str, Any]]:
	for name, _spec, item in _paths(modules, connector):
		if "get" in item:
			schema = item["get"]["responses"]["200"]["content"]["application/json"]["schema"]
			return name, schema["properties"]["rows"]["items"]["properties"]
	raise LookupError(f"AFAS's specs have no GetConnector {connector}")


def _object(name: str, node: dict[str, Any], objects: dict[str, dict[str, Any]]) -> str:
	"""Add the object ``name`` (and its sub-objects first) to ``objects``; its key."""
	element = node["properties"]["Element"]
	parts = element.get("items", element).get("properties", {})
	fields = [_field(f, prop) for f, prop in ((parts.get("Fields") or {}).get("properties") or {}).items()]
	subs = (parts.get("Objects") or {}).get("items", {}).get("properties") or {}
	entry = {"name": name, "objects": [_object(s, sub, objects) for s, sub in subs.items()], "fields": fields}
	variants = [key for key in objects if key.split(":")[0] == name]
	for key in variants:
		if objects[key] == entry:
			return key
	key = f"{name}:{len(variants) + 1}" if variants else name
	objects[key] = entry
	return key


def _field(field_id: str, prop: dict[str, Any]) -> list[Any]:
	kind = prop["type"]
	data_type = "date" if kind == "string" and prop.get("format") in DATE_FORMATS else TYPES[kind]
	label, *listed = prop.get("description", "").split("\n")
	described = dict(line.removesuffix(";").split(" = ", 1) for line in listed if " = " in line)
	codes = [[code, described.get(code, "")] for code in prop.get("enum", ())]
	return [field_id, data_type, prop.get("maxLength", 0), label, codes]


def render(data: dict[str, Any]) -> str:
	"""The data as the file holds it: one field per line, so a change in AFAS's specs reads as a diff."""
	return _render(data, "") + "\n"


def _render(value: Any, indent: str) -> str:
	inner = indent + "\t"
	if isinstance(value, dict) and value:
		items = (f"{inner}{json.dumps(k, ensure_ascii=False)}: {_render(v, inner)}" for k, v in value.items())
		return "{\n" + ",\n".join(items) + f"\n{indent}}}"
	if isinstance(value, list) and value and all(isinstance(v, list) for v in value):
		rows = (inner + json.dumps(v, ensure_ascii=False) for v in value)
		return "[\n" + ",\n".join(rows) + f"\n{indent}]"
	return json.dumps(value, ensure_ascii=False)


def main(argv: list[str] | None = None) -> int:
	parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
	parser.add_argument("spec_dir", nargs="?", type=Path, default=default_spec_dir())
	parser.add_argument("--check", action="store_true", help="compare only; exit 1 when the file differs")
	args = parser.parse_args(argv)
	text = render(derive(args.spec_dir))
	if args.check:
		same = DATA_FILE.is_file() and DATA_FILE.read_text("utf-8") == text
		print(f"{DATA_FILE.name}: {'matches' if same else 'differs from'} AFAS's specs in {args.spec_dir}")
		return 0 if same else 1
	DATA_FILE.write_text(text, "utf-8")
	print(f"wrote {DATA_FILE} ({len(text):,} characters)")
	return 0


if __name__ == "__main__":
	sys.exit(main())
