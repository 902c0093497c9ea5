"""UpdateConnector wire format: request bodies from plain data, defensive parsing of answers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

#: AFAS refuses requests over 75 MB (HTTP 413); refuse them before sending.
MAX_BODY_BYTES = 75 * 1024 * 1024


@dataclass
class Record:
	"""One element of an UpdateConnector body.

	``keys`` become ``@Key`` attributes, ``fields`` the ``Fields`` object, and ``objects`` maps a
	sub-object name (``KnOrganisation``, ``KnBasicAddressAdr``) to one Record or a list of them.
	``action`` sets ``Fields["@Action"]`` (insert/update/delete) for nested changes in one call.
	"""

	fields: dict[str, Any] = field(default_factory=dict)
	keys: dict[str, Any] = field(default_factory=dict)
	objects: dict[str, Record | list[Record]] = field(default_factory=dict)
	action: str | None = None

	def to_element(self) -> dict[str, Any]:
		element: dict[str, Any] = {f"@{k.lstrip('@')}": v for k, v in self.keys.items()}
		fields = dict(self.fields)
		if self.action:
			fields["@Action"] = self.action
		element["Fields"] = fields
		if self.objects:
			element["Objects"] = [{name: _element_of(value)} for name, value in self.objects.items()]
		return element

	@classmethod
	def from_dict(cls, data: dict[str, Any]) -> Record:
		"""Build from ``{"fields":…, "keys":…, "objects": {"Sub": {…} | [{…}]}, "action":…}``."""
		objects: dict[str, Record | list[Record]] = {}
		for name, value in (data.get("objects") or {}).items():
			objects[name] = (
				[cls.from_dict(v) for v in value] if isinstance(value, list) else cls.from_dict(value)
			)
		return cls(
			fields=dict(data.get("fields") or {}),
			keys=dict(data.get("keys") or {}),
			objects=objects,
			action=data.get("action"),
		)


def _element_of(value: Record | list[Record]) -> dict[str, Any]:
	if isinstance(value, list):
		return {"Element": [r.to_element() for r in value]}
	return {"Element": value.to_element()}


def build_body(connector: str, records: Record | list[Record] | dict[str, Any]) -> dict[str, Any]:
	"""``{"<Connector>": {"Element": …}}``; a list sends several records in one call."""
	if isinstance(records, dict):
		if connector in records and len(records) == 1:
			return records  # already an AFAS body
		records = Record.from_dict(records)
	if isinstance(records, list):
		return {connector: {"Element": [r.to_element() for r in records]}}
	return {connector: {"Element": records.to_element()}}


def encode_body(body: dict[str, Any]) -> bytes:
	"""UTF-8 JSON, as AFAS wants it (accents intact, no ASCII escapes)."""
	return json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")


def delete_path(connector: str, element: str, keys: dict[str, Any]) -> str:
	"""``/connectors/{conn}/{element}/@{K1},{K2}/{v1},{v2}``, each part URL-encoded."""
	if not keys:
		raise ValueError("A DELETE needs at least one key field")
	names = ",".join("@" + quote(str(k).lstrip("@"), safe="") for k in keys)
	values = ",".join(quote(str(v), safe="") for v in keys.values())
	return f"/connectors/{quote(connector, safe='')}/{quote(element, safe='')}/{names}/{values}"


@dataclass
class UpdateResult:
	"""What an UpdateConnector call returned: HTTP status, new keys (may be empty), the raw JSON."""

	status: int
	keys: dict[str, Any] = field(default_factory=dict)
	raw: Any = None


def parse_update_result(connector: str, status: int, text: str) -> UpdateResult:
	"""Read the keys AFAS returns after a POST, whatever shape they come in.

	Seen shapes: ``{"results": {"Conn": {keys}}}``, ``{"results": {"Conn": [{keys}, …]}}``,
	``{"FiEntryPar": {keys}}``, an empty body (PUT, and some POSTs), and ``null``.
	"""
	if not text or not text.strip():
		return UpdateResult(status)
	try:
		data = json.loads(text)
	except ValueError:
		return UpdateResult(status, raw=text[:1000])
	if not isinstance(data, dict):
		return UpdateResult(status, raw=data)
	payload: Any = data.get("results", data)
	if isinstance(payload, dict):
		if connector in payload:
			payload = payload[connector]
		elif len(payload) == 1:
			payload = next(iter(payload.values()))
	if isinstance(payload, list):
		payload = payload[0] if len(payload) == 1 else {"items": payload}
	keys = {k: v for k, v in payload.items()} if isinstance(payload, dict) else {}
	return UpdateResult(status, keys=keys, raw=data)
