"""UpdateConnector wire format: request bodies from plain data, defensive parsing of answers.

A body is ``{"<root element>": {"Element": …}}``. The root element is not always the connector id
(``FiEntries`` takes ``FiEntryPar``, ``KnEmployee`` takes ``AfasEmployee``: :data:`ROOT_ELEMENTS`), and
a body AFAS would read as empty must never be sent: :func:`build_body` raises
:class:`~afas_connector.afas.errors.AfasBodyError` for any input it cannot carry whole.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from afas_connector.afas.connector_facts import RESULT_KEYS, ROOT_ELEMENTS
from afas_connector.afas.errors import AfasBodyError

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
	def from_dict(cls, data: dict[str, Any], where: str = "record") -> Record:
		"""Build from ``{"fields":…, "keys":…, "objects": {"Sub": {…} | [{…}]}, "action":…}``.

		Anything else in ``data`` would be left out of the body, so it raises :class:`AfasBodyError`."""
		if not isinstance(data, dict):
			raise AfasBodyError(
				f"{where} must be a dict of fields/keys/objects/action, not {type(data).__name__}"
			)
		unknown = sorted(set(data) - RECORD_PARTS)
		if unknown:
			raise AfasBodyError(
				f"{where} has {', '.join(map(repr, unknown))}, which a body cannot carry: give "
				"{'fields': {…}, 'keys': {…}, 'objects': {…}, 'action': …} or a whole AFAS body"
			)
		for part in ("fields", "keys", "objects"):
			if data.get(part) is not None and not isinstance(data[part], dict):
				raise AfasBodyError(f"{where}: '{part}' must be a dict, not {type(data[part]).__name__}")
		objects: dict[str, Record | list[Record]] = {}
		for name, value in (data.get("objects") or {}).items():
			inner = f"{where}.{name}"
			if isinstance(value, list):
				objects[name] = [cls.from_dict(v, f"{inner}[{i}]") for i, v in enumerate(value)]
			elif isinstance(value, Record):
				objects[name] = value
			else:
				objects[name] = cls.from_dict(value, inner)
		return cls(
			fields=dict(data.get("fields") or {}),
			keys=dict(data.get("keys") or {}),
			objects=objects,
			action=data.get("action"),
		)


#: What :meth:`Record.from_dict` reads; any other key would be dropped.
RECORD_PARTS = frozenset({"fields", "keys", "objects", "action"})


def root_element(connector: str, root: str | None = None) -> str:
	"""The root element of ``connector``'s body: ``root`` when given (a mapping that knows it, or a
	custom connector), else AFAS's own (:data:`ROOT_ELEMENTS`), else the connector id."""
	if root and str(root).strip():
		return str(root).strip()
	return ROOT_ELEMENTS.get(connector, connector)


def _element_of(value: Record | list[Record]) -> dict[str, Any]:
	if isinstance(value, list):
		return {"Element": [r.to_element() for r in value]}
	return {"Element": value.to_element()}


def build_body(
	connector: str, records: Record | list[Record] | dict[str, Any], root: str | None = None
) -> dict[str, Any]:
	"""``{"<root>": {"Element": …}}``; a list sends several records in one call.

	``records`` is a :class:`Record`, a list of them, a record as plain data (see
	:meth:`Record.from_dict`) or a whole AFAS body, which must sit under the connector's root element
	(``root``, else :func:`root_element`) and hold an ``Element``. Anything that would reach AFAS
	without all the data given raises :class:`AfasBodyError` before sending.
	"""
	name = root_element(connector, root)
	if isinstance(records, dict):
		if records and not (set(records) & RECORD_PARTS):
			return _ready_body(connector, name, records)
		records = Record.from_dict(records)
	if isinstance(records, list):
		if not all(isinstance(r, Record) for r in records):
			raise AfasBodyError(f"A list of records for {connector} must hold Record objects only")
		return {name: {"Element": [r.to_element() for r in records]}}
	if not isinstance(records, Record):
		raise AfasBodyError(f"Cannot build a {connector} body from {type(records).__name__}")
	return {name: {"Element": records.to_element()}}


def _ready_body(connector: str, root: str, body: dict[str, Any]) -> dict[str, Any]:
	"""A whole body given as a dict: sent as it is when AFAS can read all of it, else refused."""
	if len(body) != 1:
		raise AfasBodyError(
			f"A {connector} body has one root element {root!r}; got {', '.join(map(repr, body))}"
		)
	((given, payload),) = body.items()
	if given != root:
		hint = " (the connector id is not its root element)" if given == connector else ""
		raise AfasBodyError(
			f"{connector} takes root element {root}, not {given!r}{hint}: AFAS would not read this body"
		)
	if not isinstance(payload, dict) or "Element" not in payload or set(payload) != {"Element"}:
		raise AfasBodyError(
			f"The {root} body must be {{'{root}': {{'Element': {{…}} or [ … ]}}}}; "
			f"got {sorted(payload) if isinstance(payload, dict) else type(payload).__name__}"
		)
	if not isinstance(payload["Element"], dict | list) or not payload["Element"]:
		raise AfasBodyError(f"{root}.Element must be a non-empty object or list of objects")
	return body


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


#: Where :func:`parse_update_result` puts a new key that AFAS sent without a name (a bare ``"12345"``)
#: for a connector whose key name AFAS's specs do not settle; :meth:`UpdateResult.key` reads it.
UNNAMED_KEY = "#key"


@dataclass
class UpdateResult:
	"""What an UpdateConnector call returned: HTTP status, new keys (may be empty), the raw JSON."""

	status: int
	keys: dict[str, Any] = field(default_factory=dict)
	raw: Any = None

	def key(self, name: str) -> Any:
		"""The new key ``name`` (``DbId``, ``SbId`` …): as AFAS named it, else the one value AFAS sent
		without a name (a bare ``"12345"``), else None. A key AFAS named otherwise is never returned
		for ``name``."""
		if name in self.keys:
			return self.keys[name]
		return self.keys.get(UNNAMED_KEY)


def parse_update_result(connector: str, status: int, text: str) -> UpdateResult:
	"""Read the keys AFAS returns after a POST, whatever shape they come in.

	Seen shapes: ``{"results": {"Conn": {keys}}}``, ``{"results": {"Conn": [{keys}, …]}}``,
	``{"results": {"Conn": "12345"}}``, a bare ``"12345"``, ``{"FiEntryPar": {keys}}`` (under the root
	element, howto-finance-mutation.md), ``{"SbId": "1"}``, an empty body (PUT, and some POSTs), and
	``null``. A bare value is stored under the connector's key name when AFAS's specs give it one
	(:data:`~afas_connector.afas.connector_facts.RESULT_KEYS`), else under :data:`UNNAMED_KEY`.
	"""
	if not text or not text.strip():
		return UpdateResult(status)
	try:
		data = json.loads(text)
	except ValueError:
		return UpdateResult(status, raw=text[:1000])
	payload: Any = data.get("results", data) if isinstance(data, dict) else data
	if isinstance(payload, dict) and len(payload) == 1:
		((name, inner),) = payload.items()
		if name in (connector, root_element(connector)) or isinstance(inner, dict | list):
			payload = inner
	if isinstance(payload, list):
		payload = payload[0] if len(payload) == 1 else {"items": payload}
	if isinstance(payload, dict):
		return UpdateResult(status, keys=dict(payload), raw=data)
	if isinstance(payload, str | int) and not isinstance(payload, bool) and str(payload).strip():
		names = RESULT_KEYS.get(connector, ())
		return UpdateResult(status, keys={names[0] if len(names) == 1 else UNNAMED_KEY: payload}, raw=data)
	return UpdateResult(status, raw=data)
