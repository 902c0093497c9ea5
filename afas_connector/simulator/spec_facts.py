"""Facts from AFAS's OpenAPI specifications (AFASSoftware/OASContent, ``OpenApiSpecs/profit/en``,
commit 64278d2): for each UpdateConnector the simulator implements, every object and field AFAS's POST
schema lists (id, data type, maximum length, English label, codes); for each ``Profit_*`` GetConnector it
serves, the row fields and their types.

The facts are data: ``spec_facts.json`` beside this module, derived from the spec files by
``devtools/derive_spec_facts.py`` (which says how they correspond to the specs) and checked against them
by the core test ``spec_facts_test``; the specs themselves stay out of the project. This module only reads
the file, once, on import. Data types are metainfo's: ``string``, ``int``, ``decimal``, ``boolean``,
``date`` (AFAS's ``date`` and ``date-time``); a length of 0 is "no maximum" (text without ``maxLength``,
base64 files).
"""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

#: (field id, data type, length, label, ((code, description), …))
Field = tuple[str, str, int, str, tuple[tuple[str, str], ...]]
#: An object of a body: (element name, fields, keys of its sub-objects in :data:`OBJECTS`).
Object = tuple[str, tuple[Field, ...], tuple[str, ...]]

DATA_FILE = "spec_facts.json"


def _load() -> dict[str, Any]:
	# importlib.resources, not __file__: the file is package data and is found wherever the package is.
	return json.loads(files(__package__).joinpath(DATA_FILE).read_text("utf-8"))


def _field(row: list[Any]) -> Field:
	field_id, data_type, length, label, codes = row
	return field_id, data_type, length, label, tuple((code, text) for code, text in codes)


_DATA = _load()

#: Every object by key: its element name, or ``name:n`` where AFAS's schemas give that name other fields.
OBJECTS: dict[str, Object] = {
	key: (entry["name"], tuple(_field(row) for row in entry["fields"]), tuple(entry["objects"]))
	for key, entry in _DATA["objects"].items()
}
#: UpdateConnector id → the key of its root object in :data:`OBJECTS`.
UPDATE_CONNECTORS: dict[str, str] = dict(_DATA["update_connectors"])
#: GetConnector id → its row fields: (field id, data type, label). AFAS's own field ids, typos included
#: (``Profit_Debtor_Invoices.NookPieceDate``, ``Profit_Creditor_Invoices.BookPiecrNr``).
GET_CONNECTORS: dict[str, tuple[tuple[str, str, str], ...]] = {
	connector: tuple((field_id, data_type, label) for field_id, data_type, label in rows)
	for connector, rows in _DATA["get_connectors"].items()
}

del _DATA
