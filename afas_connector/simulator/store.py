"""The simulator's data: GetConnector rows, UpdateConnector records, metainfo and data-connector files.

One :class:`Store` guards everything with one lock. Each GetConnector keeps its rows in insertion order
plus a version; a page is served from a cached filtered+sorted *view* keyed by (filter, order) that is
dropped whenever the connector's version changes, so paging through 100k rows never re-sorts per request.
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
import re
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from afas_connector.afas.dates import amsterdam_now
from afas_connector.afas.filters import FilterSet
from afas_connector.simulator.functional import FunctionalError, UnknownConnector
from afas_connector.simulator.query import (
	QueryError,
	canonical_filter,
	coerce_value,
	compile_filter,
	parse_order,
	render_value,
	sort_rows,
)

_CUSTOM_FIELD = re.compile(r"^U[0-9A-Fa-f]{32}$")
#: Where AFAS lists the files of dossier items (``attachment_id``, ``subject_id``, ``file_id``, ``file_name``).
SUBJECT_ATTACHMENTS = "profit_subject_attachments"
_VIEW_CACHE_SIZE = 32


@dataclass(frozen=True)
class GetField:
	"""One GetConnector column as ``/metainfo/get`` describes it."""

	id: str
	data_type: str
	label_nl: str
	label_en: str
	length: int = 0
	decimals: int = 0
	field_id: str = ""
	control_type: int = 1

	def metainfo(self, english: bool) -> dict[str, Any]:
		return {
			"id": self.id,
			"fieldId": self.field_id or self.id,
			"dataType": self.data_type,
			"label": self.label_en if english else self.label_nl,
			"length": self.length,
			"controlType": self.control_type,
			"decimals": self.decimals,
			"decimalsFieldId": "",
		}


@dataclass(frozen=True)
class GetConnectorSpec:
	"""A GetConnector: its columns, the key used by ``update_row``/``delete_row`` and its modified-date column."""

	id: str
	description: str
	fields: tuple[GetField, ...]
	key: str | None = None
	modified: str | None = None
	deletion_log: str | None = None  # GetConnector that receives (key, DeletedAt) when a row is deleted

	@property
	def data_types(self) -> dict[str, str]:
		return {f.id: f.data_type for f in self.fields}


@dataclass(frozen=True)
class UpdateField:
	"""One UpdateConnector field as ``/metainfo/update`` describes it."""

	field_id: str
	data_type: str
	label_nl: str
	label_en: str
	mandatory: bool = False
	primary_key: bool = False
	length: int = 0
	decimals: int = 0
	values: tuple[tuple[str, str], ...] = ()
	control_type: int = 1
	#: Other codes AFAS takes for the same values (an item type as ``Art`` besides ``2``); not in metainfo.
	aliases: tuple[str, ...] = ()

	def metainfo(self, english: bool) -> dict[str, Any]:
		return {
			"fieldId": self.field_id,
			"primaryKey": self.primary_key,
			"dataType": self.data_type,
			"label": self.label_en if english else self.label_nl,
			"mandatory": self.mandatory,
			"length": self.length,
			"decimals": self.decimals,
			"decimalFieldId": "",
			"notzero": False,
			"controlType": self.control_type,
			"values": [{"id": k, "description": d} for k, d in self.values],
		}


@dataclass(frozen=True)
class UpdateObject:
	"""An element of an UpdateConnector body (the root element or a nested object)."""

	name: str
	fields: tuple[UpdateField, ...]
	objects: tuple[UpdateObject, ...] = ()
	#: Whether one call may carry several lines of this object (``Element`` as a list).
	multiple: bool = True
	#: Sub-objects by name pattern that carry only free fields (KnSubject's ``KnS01`` … per subject type).
	free_objects: str = ""

	def field(self, field_id: str) -> UpdateField | None:
		for f in self.fields:
			if f.field_id == field_id:
				return f
		return None

	def object(self, name: str) -> UpdateObject | None:
		for o in self.objects:
			if o.name == name:
				return o
		return None

	def find(self, name: str) -> UpdateObject | None:
		if self.name.lower() == name.lower():
			return self
		for o in self.objects:
			hit = o.find(name)
			if hit:
				return hit
		return None

	def metainfo(self, english: bool) -> dict[str, Any]:
		return {
			"name": self.name,
			"fields": [f.metainfo(english) for f in self.fields],
			"objects": [o.metainfo(english) for o in self.objects],
		}


@dataclass(frozen=True)
class UpdateConnectorSpec:
	"""An UpdateConnector and, declaratively, how its writes surface in a GetConnector.

	``field_map`` maps a dotted path in the stored record (``"KnOrganisation.Nm"``) to a GetConnector column;
	``autonumber`` maps a path to a counter (``"key"`` = the linked GetConnector's key, else a shared name).
	"""

	id: str
	description: str
	root: UpdateObject
	key: str
	result_keys: tuple[str, ...]
	get_connector: str | None = None
	field_map: dict[str, str] = field(default_factory=dict)
	autonumber: dict[str, str] = field(default_factory=dict)
	#: Fields that must name an existing record of another UpdateConnector (``{"DbId": "KnSalesRelationOrg"}``):
	#: AFAS refuses an order for a debtor it does not know.
	references: dict[str, str] = field(default_factory=dict)
	#: The write methods AFAS's spec gives the connector (FiEntries: POST only).
	methods: tuple[str, ...] = ("POST", "PUT", "DELETE")
	#: Business rules run on an insert before anything is stored: ``check(store, record, english)``
	#: raises :class:`FunctionalError` with AFAS's message.
	check: Callable[[Store, dict[str, Any], bool], None] | None = None
	#: Run after an insert is stored (e.g. a journal entry's lines into ``Profit_Transactions``).
	after_insert: Callable[[Store, dict[str, Any]], None] | None = None
	#: More GetConnectors a write shows in, each with its own field map: a debtor written through
	#: KnSalesRelationOrg is a row of the app's ``ERP_Debtors`` and of AFAS's ``Profit_Debtor`` alike.
	surfaces: tuple[tuple[str, dict[str, str]], ...] = ()
	#: UpdateConnectors numbering their keys from the same range (a debtor number is a debtor number,
	#: whether the debtor is an organisation or a person): a new key is free in all of them.
	shares_keys_with: tuple[str, ...] = ()
	#: Sub-objects a PUT adds lines to instead of replacing them (a dossier item's attachments).
	appends: tuple[str, ...] = ()
	#: A root field the key is numbered within, with its default (FiEntries: entry numbers per
	#: administration, ``("UnId", 1)``): each value has its own counter, and records are stored under
	#: ``"<value>/<key>"``.
	numbered_per: tuple[str, Any] | None = None

	def stored_key(self, record: dict[str, Any]) -> str:
		"""The key a record is stored under: its key, within its ``numbered_per`` value if any."""
		if self.numbered_per is None:
			return str(record[self.key])
		field, default = self.numbered_per
		return f"{record.get(field) or default}/{record[self.key]}"


@dataclass
class StoredFile:
	filename: str
	mimetype: str
	data: bytes


class _Row:
	"""A stored row: typed values for filtering/sorting and the pre-rendered JSON form for paging."""

	__slots__ = ("values", "wire")

	def __init__(self, values: dict[str, Any]) -> None:
		self.values = values
		self.wire = {k: render_value(v) for k, v in values.items()}


class _Table:
	def __init__(self, spec: GetConnectorSpec) -> None:
		self.spec = spec
		self.rows: list[_Row] = []
		self.index: dict[Any, _Row] = {}
		self.version = 0
		self.views: OrderedDict[tuple, list[_Row]] = OrderedDict()

	def changed(self) -> None:
		self.version += 1
		self.views.clear()


class Store:
	"""Thread-safe in-memory AFAS environment."""

	def __init__(self, clock: Callable[[], datetime] = amsterdam_now) -> None:
		self.lock = threading.RLock()
		self.clock = clock
		self.tables: dict[str, _Table] = {}
		self.update_specs: dict[str, UpdateConnectorSpec] = {}
		self.records_by_connector: dict[str, dict[str, dict[str, Any]]] = {}
		self.files: dict[tuple[str, str], StoredFile] = {}
		self.images: dict[str, StoredFile] = {}
		self.subject_files: dict[tuple[str, str], StoredFile] = {}
		self.reports: dict[str, StoredFile] = {}
		self.counters: dict[str, int] = {}
		self.counter_floors: dict[str, int] = {}

	# --- definitions -------------------------------------------------------------------------------------

	def define_get_connector(self, spec: GetConnectorSpec) -> None:
		with self.lock:
			self.tables[spec.id.lower()] = _Table(spec)

	def define_update_connector(self, spec: UpdateConnectorSpec) -> None:
		with self.lock:
			self.update_specs[spec.id.lower()] = spec
			self.records_by_connector.setdefault(spec.id, {})

	def table(self, connector_id: str) -> _Table:
		table = self.tables.get(connector_id.lower())
		if table is None:
			raise UnknownConnector(
				f"GetConnector '{connector_id}' bestaat niet of is niet geautoriseerd in de App Connector."
			)
		return table

	def update_spec(self, connector_id: str) -> UpdateConnectorSpec:
		spec = self.update_specs.get(connector_id.lower())
		if spec is None:
			raise UnknownConnector(
				f"UpdateConnector '{connector_id}' bestaat niet of is niet geautoriseerd in de App Connector."
			)
		return spec

	# --- rows ----------------------------------------------------------------------------------------------

	def _make_row(self, spec: GetConnectorSpec, data: dict[str, Any], stamp: bool) -> _Row:
		types = spec.data_types
		unknown = set(data) - set(types)
		if unknown:
			raise KeyError(f"Unknown field(s) {sorted(unknown)} for GetConnector {spec.id}")
		values = {name: coerce_value(dt, data.get(name), name) for name, dt in types.items()}
		if spec.modified and (stamp or values.get(spec.modified) is None):
			values[spec.modified] = self.clock()
		return _Row(values)

	def add_rows(self, connector_id: str, rows: list[dict[str, Any]], stamp: bool = False) -> None:
		with self.lock:
			table = self.table(connector_id)
			for data in rows:
				row = self._make_row(table.spec, data, stamp)
				key = table.spec.key
				if key is not None and row.values.get(key) is not None:
					if row.values[key] in table.index:
						raise ValueError(f"{connector_id}: key {row.values[key]!r} already exists")
					table.index[row.values[key]] = row
				table.rows.append(row)
			table.changed()

	def replace_rows(self, connector_id: str, rows: list[dict[str, Any]]) -> None:
		"""Swap in a whole new set of typed rows (used by the generator; skips per-row checks for speed)."""
		with self.lock:
			table = self.table(connector_id)
			key = table.spec.key
			table.rows = [_Row(values) for values in rows]
			table.index = {r.values[key]: r for r in table.rows} if key else {}
			self.counters.clear()
			table.changed()

	def _lookup(self, table: _Table, key_value: Any) -> _Row:
		if table.spec.key is None:
			raise KeyError(f"GetConnector {table.spec.id} has no key")
		key = coerce_value(table.spec.data_types[table.spec.key], key_value, table.spec.key)
		row = table.index.get(key)
		if row is None:
			raise KeyError(f"{table.spec.id}: no row with {table.spec.key}={key_value!r}")
		return row

	def update_row(self, connector_id: str, key_value: Any, changes: dict[str, Any]) -> None:
		with self.lock:
			table = self.table(connector_id)
			old = self._lookup(table, key_value)
			merged = {**old.values, **changes}
			if table.spec.modified and table.spec.modified not in changes:
				merged[table.spec.modified] = None
			new = self._make_row(table.spec, merged, stamp=table.spec.modified not in changes)
			self._replace(table, old, new)

	def _replace(self, table: _Table, old: _Row, new: _Row) -> None:
		key = table.spec.key
		table.rows[table.rows.index(old)] = new
		if key:
			del table.index[old.values[key]]
			table.index[new.values[key]] = new
		table.changed()

	def delete_row(self, connector_id: str, key_value: Any) -> None:
		with self.lock:
			table = self.table(connector_id)
			row = self._lookup(table, key_value)
			table.rows.remove(row)
			del table.index[row.values[table.spec.key]]
			table.changed()
			if table.spec.deletion_log:
				log = self.table(table.spec.deletion_log)
				log.rows.append(_Row({table.spec.key: row.values[table.spec.key], "DeletedAt": self.clock()}))
				log.changed()

	def rows(self, connector_id: str) -> list[dict[str, Any]]:
		with self.lock:
			return [dict(r.wire) for r in self.table(connector_id).rows]

	def has_row(self, connector_id: str, key_value: Any) -> bool:
		with self.lock:
			try:
				self._lookup(self.table(connector_id), key_value)
				return True
			except KeyError:
				return False

	# --- GetConnector reads ------------------------------------------------------------------------------

	def view(self, connector_id: str, filters: FilterSet, order_text: str) -> list[_Row]:
		"""The filtered+sorted rows, cached per (filter, order) until the connector changes."""
		with self.lock:
			table = self.table(connector_id)
			types = table.spec.data_types
			order = parse_order(order_text, types, table.spec.id)
			cache_key = (canonical_filter(filters), order)
			cached = table.views.get(cache_key)
			if cached is not None:
				table.views.move_to_end(cache_key)
				return cached
			predicate = compile_filter(filters, types, table.spec.id)
			rows = table.rows if predicate is None else [r for r in table.rows if predicate(r.values)]
			if order:
				rows = sort_rows(rows, order, lambda r: r.values)
			else:
				rows = list(rows)
			table.views[cache_key] = rows
			if len(table.views) > _VIEW_CACHE_SIZE:
				table.views.popitem(last=False)
			return rows

	# --- UpdateConnector writes --------------------------------------------------------------------------

	def records(self, connector_id: str) -> dict[str, dict[str, Any]]:
		with self.lock:
			spec = self.update_spec(connector_id)
			return _deep_copy(self.records_by_connector.get(spec.id, {}))

	def write(
		self,
		connector_id: str,
		method: str,
		body: Any,
		subelement: str | None = None,
		english: bool = False,
	) -> list[dict]:
		"""Apply a POST (insert) or PUT (update) body; return the result keys per element.

		Simplifications: a POST whose key already exists is a 500 "already exists" (no upsert); missing keys
		are auto-numbered (``DbId`` 10031, 10032 … after the highest existing one); ``MatchOga`` 6 /
		``MatchPer`` 7 always number a new organisation/person code; other match strategies just keep the code
		sent. A POST to ``/connectors/{id}/{subelement}`` updates the existing main record (key required) and
		adds the sub-object. Unknown fields or objects are 500s naming them (custom ``U<32 hex>`` fields pass).
		Mandatory fields are checked on POST for every object present in the body. Every value must fit
		its field (type, length, codes; see :func:`_value`), an object AFAS takes one line of per call
		refuses a list, and a connector's own rules (``spec.check``) run before an insert is stored.
		"""
		with self.lock:
			spec = self.update_spec(connector_id)
			if method not in spec.methods:
				raise FunctionalError(
					f"{method} is niet mogelijk voor UpdateConnector '{spec.id}'. ({spec.id} takes "
					f"{', '.join(spec.methods)} only.)"
				)
			if subelement and spec.root.find(subelement) is None:
				raise FunctionalError(f"Object '{subelement}' bestaat niet in UpdateConnector '{spec.id}'.")
			if not isinstance(body, dict) or len(body) != 1:
				raise FunctionalError(f"De body moet één root-element '{spec.root.name}' bevatten.")
			((root_name, payload),) = body.items()
			if root_name != spec.root.name:
				raise FunctionalError(
					f"Onbekend root-element '{root_name}' voor UpdateConnector '{spec.id}'; verwacht "
					f"'{spec.root.name}'. (Unknown root element '{root_name}': {spec.id} takes {spec.root.name}.)"
				)
			elements = _elements(payload, root_name, spec.root.multiple)
			insert = method == "POST" and not subelement
			parsed = [_parse_element(element, spec.root, []) for element in elements]
			try:
				return [self._write_one(spec, record, insert, english) for record in parsed]
			except QueryError as exc:
				raise FunctionalError(str(exc)) from None

	def _write_one(
		self, spec: UpdateConnectorSpec, record: dict[str, Any], insert: bool, english: bool = False
	) -> dict[str, Any]:
		records = self.records_by_connector.setdefault(spec.id, {})
		incoming = record
		key_value = record.get(spec.key)
		if key_value in ("", None):
			key_value = None
		for path, target in spec.references.items():
			value = _get_path(record, path)
			if value not in (None, "") and not self._exists(self.update_spec(target), str(value)):
				raise FunctionalError(
					f"{spec.root.name}: {path} '{value}' bestaat niet in {target}. (Unknown {path}.)"
				)
		if insert:
			_check_mandatory(spec.root, record, [])
			if spec.check is not None:
				spec.check(self, record, english)
			if key_value is not None and self._exists(spec, str(key_value)):
				raise FunctionalError(
					f"{spec.root.name}: een record met {spec.key} '{key_value}' bestaat al. (Record already exists.)"
				)
			for path, counter in spec.autonumber.items():
				if _get_path(record, path) in (None, "") or (counter != "key" and _always_new(record, path)):
					_set_path(record, path, self._next_number(spec, counter, self._scope_of(spec, record)))
			key_value = spec.stored_key(record)
			records[key_value] = record
		else:
			if key_value is None:
				raise FunctionalError(
					f"{spec.root.name}: het sleutelveld {spec.key} ontbreekt. (Key missing.)"
				)
			key_value = str(key_value)
			if not self._exists(spec, key_value):
				raise FunctionalError(
					f"{spec.root.name}: record met {spec.key} '{key_value}' niet gevonden. (Record not found.)"
				)
			records[key_value] = _merge(records.get(key_value, {}), record, spec.appends)
		self._surface(spec, records[key_value], changed=incoming)
		self._store_attachments(records[key_value], key_value)
		if insert and spec.after_insert is not None:
			spec.after_insert(self, records[key_value])
		return {name: _get_path(records[key_value], path) for name, path in _result_paths(spec)}

	def _store_attachments(self, record: dict[str, Any], key_value: str) -> None:
		"""KnSubject attachments become readable through the SubjectConnector (``FileId`` added to the
		record) and are listed in ``Profit_Subject_Attachments``, as AFAS lists a dossier item's files."""
		value = record.get("KnSubjectAttachment")
		for item in value if isinstance(value, list) else [value] if value else []:
			if item.get("FileId") or not item.get("FileStream"):
				continue
			try:
				data = base64.b64decode(item["FileStream"], validate=True)
			except (binascii.Error, ValueError):
				raise FunctionalError("KnSubjectAttachment.FileStream is geen geldige Base64.") from None
			file_id = uuid.uuid4().hex.upper()
			item["FileId"] = file_id
			name = str(item.get("FileName") or file_id)
			mimetype = mimetypes.guess_type(name)[0] or "application/octet-stream"
			self.subject_files[(key_value, file_id.lower())] = StoredFile(name, mimetype, data)
			if SUBJECT_ATTACHMENTS in self.tables:
				self.add_rows(
					"Profit_Subject_Attachments",
					[
						{
							"attachment_id": self._next_counter("attachment_id"),
							"subject_id": int(key_value),
							"file_id": file_id,
							"file_name": name,
						}
					],
				)

	def _next_counter(self, column: str) -> int:
		"""The next number of a column no UpdateConnector numbers (an attachment id)."""
		if column not in self.counters:
			self.counters[column] = max(
				[self.counter_floors.get(column, 0)]
				+ [
					int(r.values[column])
					for t in self.tables.values()
					if column in t.spec.data_types
					for r in t.rows
					if r.values.get(column) is not None
				]
			)
		self.counters[column] += 1
		return self.counters[column]

	def _exists(self, spec: UpdateConnectorSpec, key_value: str) -> bool:
		if key_value in self.records_by_connector.get(spec.id, {}):
			return True
		return bool(spec.get_connector) and self.has_row(spec.get_connector, key_value)

	def _key_taken(self, spec: UpdateConnectorSpec, key_value: str) -> bool:
		"""A key is taken when this connector, one it shares its key range with, or a GetConnector its
		writes show in holds it."""
		for one in (spec, *(self.update_spec(other) for other in spec.shares_keys_with)):
			if self._exists(one, key_value):
				return True
			if any(self.has_row(connector, key_value) for connector, _ in one.surfaces):
				return True
		return False

	def _scope_of(self, spec: UpdateConnectorSpec, record: dict[str, Any]) -> str | None:
		if spec.numbered_per is None:
			return None
		field, default = spec.numbered_per
		return str(record.get(field) or default)

	def _next_number(self, spec: UpdateConnectorSpec, counter: str, scope: str | None = None) -> str:
		# connectors that share a key range share one counter; a key numbered per value, one per value
		name = f"{min((spec.id, *spec.shares_keys_with))}:key" if counter == "key" else counter
		if scope is not None:
			name = f"{name}@{scope}"
		if name not in self.counters:
			self.counters[name] = self._highest(spec, counter, scope)
		while True:
			self.counters[name] += 1
			candidate = str(self.counters[name])
			if counter != "key" or not self._key_taken(spec, candidate):
				return candidate

	def _highest(self, spec: UpdateConnectorSpec, counter: str, scope: str | None = None) -> int:
		values: list[Any] = []
		if scope is not None:  # numbered per value: this value's own records only
			values = [
				_get_path(r, path)
				for path, name in spec.autonumber.items()
				if name == counter
				for r in self.records_by_connector.get(spec.id, {}).values()
				if self._scope_of(spec, r) == scope
			]
		elif counter == "key":
			for one in (spec, *(self.update_spec(other) for other in spec.shares_keys_with)):
				values += list(self.records_by_connector.get(one.id, {}))
				for connector in [one.get_connector, *(c for c, _ in one.surfaces)]:
					if connector:
						values += list(self.table(connector).index)
		else:
			for table in self.tables.values():
				if counter in table.spec.data_types:
					values += [r.values.get(counter) for r in table.rows]
			for other in self.update_specs.values():
				for path, name in other.autonumber.items():
					if name == counter:
						values += [
							_get_path(r, path) for r in self.records_by_connector.get(other.id, {}).values()
						]
		numbers = [int(v) for v in values if isinstance(v, (int, str)) and str(v).isdigit()]
		floor = self.counter_floors.get(counter, 10000 if counter == "key" else 0)
		return max(numbers, default=floor) if counter == "key" else max([floor, *numbers])

	def _surface(self, spec: UpdateConnectorSpec, record: dict[str, Any], changed: dict[str, Any]) -> None:
		"""Reflect a stored record in the linked GetConnectors (the round trip a sync relies on)."""
		if spec.get_connector:
			self._surface_in(spec, spec.get_connector, spec.field_map, record, changed)
		for connector, field_map in spec.surfaces:
			self._surface_in(spec, connector, field_map, record, changed)

	def _surface_in(
		self,
		spec: UpdateConnectorSpec,
		connector: str,
		field_map: dict[str, str],
		record: dict[str, Any],
		changed: dict[str, Any],
	) -> None:
		table = self.table(connector)
		types = table.spec.data_types
		values: dict[str, Any] = {}
		for path, column in field_map.items():
			if column in types:
				values[column] = _get_path(record, path)
		key_column = field_map.get(spec.key, table.spec.key)
		key_value = values.get(key_column)
		try:
			old = self._lookup(table, key_value)
		except KeyError:
			old = None
		if old is None:
			new = self._make_row(table.spec, _coerce_all(values, types), stamp=True)
			if table.spec.key:
				table.index[new.values[table.spec.key]] = new
			table.rows.append(new)
			table.changed()
		else:
			merged = dict(old.values)
			for path, column in field_map.items():
				if column in types and _has_path(changed, path):
					merged[column] = _get_path(changed, path)
			new = self._make_row(table.spec, _coerce_all(merged, types), stamp=True)
			self._replace(table, old, new)

	def delete(self, connector_id: str, element: str, key_names: list[str], key_values: list[str]) -> None:
		"""``DELETE /connectors/{id}/{element}/{@Key}/{value}``: remove the record and its GetConnector row."""
		with self.lock:
			spec = self.update_spec(connector_id)
			if element.lower() != spec.root.name.lower():
				raise FunctionalError(
					f"Verwijderen van '{element}' wordt niet ondersteund; gebruik het root-element '{spec.root.name}'."
				)
			names = [n.lstrip("@") for n in key_names]
			unknown = [n for n in names if spec.root.field(n) is None]
			if unknown:
				raise FunctionalError(
					f"Onbekend sleutelveld '{unknown[0]}' voor '{spec.root.name}'. (Unknown key field '{unknown[0]}'.)"
				)
			if len(names) != len(key_values):
				raise FunctionalError("Het aantal sleutelvelden en waarden verschilt.")
			if spec.key not in names:
				raise FunctionalError(f"Het sleutelveld {spec.key} ontbreekt in de URL.")
			key_value = key_values[names.index(spec.key)]
			if not self._exists(spec, key_value):
				raise FunctionalError(f"{spec.root.name}: record met {spec.key} '{key_value}' niet gevonden.")
			self.records_by_connector.get(spec.id, {}).pop(key_value, None)
			for connector in [spec.get_connector, *(c for c, _ in spec.surfaces)]:
				if connector and self.has_row(connector, key_value):
					self.delete_row(connector, key_value)


# --- body helpers ------------------------------------------------------------------------------------------


def _elements(payload: Any, name: str, multiple: bool = True) -> list[dict[str, Any]]:
	if not isinstance(payload, dict) or "Element" not in payload:
		raise FunctionalError(f"'{name}' mist 'Element'.")
	element = payload["Element"]
	items = element if isinstance(element, list) else [element]
	if not items or not all(isinstance(i, dict) for i in items):
		raise FunctionalError(f"'{name}.Element' moet een object of een lijst van objecten zijn.")
	if len(items) > 1 and not multiple:
		raise FunctionalError(
			f"'{name}' neemt één regel per aanroep; er zijn er {len(items)} meegegeven. "
			f"({name} takes one line per call, got {len(items)}.)"
		)
	return items


def _parse_element(element: dict[str, Any], obj: UpdateObject, path: list[str]) -> dict[str, Any]:
	"""Flatten ``{"@Key", "Fields", "Objects"}`` into ``{field: value, SubObject: {...} | [...]}``, validated.

	As AFAS's own examples do, ``Fields`` may be ``""`` (none) or a one-element list, and ``Objects`` a
	list of single-key objects or one object.
	"""
	where = ".".join(path + [obj.name])
	record: dict[str, Any] = {}
	for name, value in element.items():
		if name.lower() == "@action":
			record["@Action"] = value
		elif name.startswith("@"):
			known = obj.field(name[1:])
			if known is None:
				raise FunctionalError(f"Onbekend sleutelveld '{name}' in object '{where}'.")
			record[name[1:]] = _value(known, value, where)
		elif name not in ("Fields", "Objects"):
			raise FunctionalError(f"Onbekend onderdeel '{name}' in object '{where}'.")
	fields = element.get("Fields") or {}
	if isinstance(fields, list) and len(fields) == 1 and isinstance(fields[0], dict):
		fields = fields[0]
	if not isinstance(fields, dict):
		raise FunctionalError(f"'Fields' in object '{where}' moet een object zijn.")
	for name, value in fields.items():
		if name.lower() == "@action" or _CUSTOM_FIELD.match(name):
			record[name] = value
			continue
		known = obj.field(name)
		if known is None:
			raise FunctionalError(
				f"Het veld '{name}' bestaat niet in object '{where}'. (Unknown field '{name}'.)"
			)
		record[name] = _value(known, value, where)
	objects = element.get("Objects") or []
	if isinstance(objects, dict):
		objects = [{k: v} for k, v in objects.items()]
	if not isinstance(objects, list):
		raise FunctionalError(f"'Objects' in object '{where}' moet een lijst of object zijn.")
	for item in objects:
		if not isinstance(item, dict):
			raise FunctionalError(f"'Objects' in object '{where}' bevat een ongeldig onderdeel.")
		for sub_name, sub_payload in item.items():
			sub = obj.object(sub_name)
			if sub is None and obj.free_objects and re.fullmatch(obj.free_objects, sub_name):
				sub = UpdateObject(sub_name, ())
			if sub is None:
				raise FunctionalError(f"Object '{sub_name}' bestaat niet onder '{where}'.")
			parsed = [
				_parse_element(e, sub, path + [obj.name])
				for e in _elements(sub_payload, f"{where}.{sub_name}", sub.multiple)
			]
			record[sub_name] = parsed[0] if len(parsed) == 1 else parsed
	return record


_DATE_VALUE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,7})?)?)?$")
_TRUE_FALSE = {"0", "1", "true", "false", "-1"}


def _value(f: UpdateField, value: Any, where: str) -> Any:
	"""A written value as AFAS keeps it, or the 500 AFAS gives for a value its field cannot hold.

	Numbers, booleans and dates may come as text (AFAS's own examples send ``"2013"`` and ``"1"``); a
	decimal is stored rounded to the field's stated decimals, as a fixed-decimal column keeps it
	(inference: AFAS documents no refusal). ``null`` and ``""`` clear the field.
	"""
	if value is None or value == "":
		return value
	problem = None
	kind = f.data_type
	# a JSON true/false for a coded text field is AFAS's 1/0 (AFAS's own examples send VaDu: true)
	text = ("1" if value else "0") if isinstance(value, bool) and kind == "string" else str(value)
	if isinstance(value, dict | list):
		problem = "geen enkele waarde (not a single value)"
	elif f.values and text.lower() not in {code.lower() for code, _ in f.values} | {
		alias.lower() for alias in f.aliases
	}:
		codes = ", ".join(code for code, _ in f.values[:15]) + (" …" if len(f.values) > 15 else "")
		problem = f"geen geldige code (not one of its codes: {codes})"
	elif kind in ("int", "decimal") and isinstance(value, bool):
		pass  # AFAS's own examples send false for a number (KnPurchaseRelationOrg Krli): 0
	elif kind == "int":
		try:
			number = float(str(value).strip())
			if number != int(number):
				raise ValueError
		except ValueError:
			problem = "geen geheel getal (not a whole number)"
	elif kind == "decimal":
		try:
			amount = Decimal(str(value).strip())
			if not amount.is_finite():
				raise ValueError
		except (ValueError, InvalidOperation):
			problem = "geen getal (not a number)"
		else:
			if f.decimals > 0 and -amount.as_tuple().exponent > f.decimals:
				rounded = amount.quantize(Decimal(1).scaleb(-f.decimals), rounding=ROUND_HALF_UP)
				value = float(rounded) if isinstance(value, float | int) else str(rounded)
	elif kind == "boolean":
		if not (isinstance(value, bool) or str(value).strip().lower() in _TRUE_FALSE):
			problem = "geen ja/nee-waarde (not true or false)"
	elif kind == "date":
		if not isinstance(value, str) or not _DATE_VALUE.match(value.strip()):
			problem = "geen datum JJJJ-MM-DD[THH:MM:SS] zonder tijdzone (not a date without a zone)"
	if problem is None and kind == "string" and f.length > 0 and len(text) > f.length:
		problem = f"te lang: {len(text)} tekens, maximaal {f.length} (too long: at most {f.length})"
	if problem:
		raise FunctionalError(
			f"{where}: de waarde '{_short(value)}' voor veld '{f.label_nl}' ({f.field_id}) is {problem}."
		)
	return value


def _short(value: Any) -> str:
	text = str(value)
	return text if len(text) <= 40 else text[:37] + "…"


#: Match strategies that find an existing organisation (``MatchOga`` 0–5) or person (``MatchPer`` 0–6): AFAS
#: then needs no name of its own (simplification: the simulator does not look the match up).
_MATCH_EXISTING = {
	"MatchOga": {"0", "1", "2", "3", "4", "5"},
	"MatchPer": {"0", "1", "2", "3", "4", "5", "6"},
}


def _check_mandatory(obj: UpdateObject, record: dict[str, Any], path: list[str]) -> None:
	matches = any(str(record.get(name, "")) in codes for name, codes in _MATCH_EXISTING.items())
	for f in obj.fields:
		if f.mandatory and not matches and record.get(f.field_id) in (None, ""):
			where = ".".join(path + [obj.name])
			raise FunctionalError(
				f"{where}: veld '{f.label_nl}' ({f.field_id}) is verplicht. (Field '{f.field_id}' is mandatory.)"
			)
	for sub in obj.objects:
		value = record.get(sub.name)
		for item in value if isinstance(value, list) else [value] if value else []:
			_check_mandatory(sub, item, path + [obj.name])


def _always_new(record: dict[str, Any], path: str) -> bool:
	"""``MatchOga`` 6 / ``MatchPer`` 7 ("always add new"): a given organisation/person code is not reused,
	unless ``AutoNum`` is false (AFAS's example "EDA" sends its own ``BcCo`` that way)."""
	parent = _get_path(record, path.rsplit(".", 1)[0]) if "." in path else record
	parent = _first(parent)
	if not isinstance(parent, dict):
		return False
	if str(parent.get("AutoNum", "")).strip().lower() in ("false", "0"):
		return False  # AutoNum false: the code sent is the new organisation's or person's
	return str(parent.get("MatchOga", "")) == "6" or str(parent.get("MatchPer", "")) == "7"


def _first(value: Any) -> Any:
	return value[0] if isinstance(value, list) and value else value


def _get_path(record: dict[str, Any], path: str) -> Any:
	current: Any = record
	for part in path.split("."):
		current = _first(current)
		if not isinstance(current, dict):
			return None
		current = current.get(part)
	return current


def _has_path(record: dict[str, Any], path: str) -> bool:
	current: Any = record
	for part in path.split("."):
		current = _first(current)
		if not isinstance(current, dict) or part not in current:
			return False
		current = current[part]
	return True


def _set_path(record: dict[str, Any], path: str, value: Any) -> None:
	parts = path.split(".")
	current = record
	for part in parts[:-1]:
		nxt = _first(current.get(part))
		if not isinstance(nxt, dict):
			nxt = {}
			current[part] = nxt
		current = nxt
	current[parts[-1]] = value


def _merge(old: dict[str, Any], new: dict[str, Any], appends: tuple[str, ...] = ()) -> dict[str, Any]:
	result = dict(old)
	for name, value in new.items():
		if name in appends and result.get(name):
			before = result[name] if isinstance(result[name], list) else [result[name]]
			result[name] = before + (value if isinstance(value, list) else [value])
		elif isinstance(value, dict) and isinstance(result.get(name), dict):
			result[name] = _merge(result[name], value)
		else:
			result[name] = value
	return result


def _coerce_all(values: dict[str, Any], types: dict[str, str]) -> dict[str, Any]:
	return {name: coerce_value(types[name], value, name) for name, value in values.items()}


def _result_paths(spec: UpdateConnectorSpec) -> list[tuple[str, str]]:
	paths = {path.split(".")[-1]: path for path in spec.autonumber}
	paths.setdefault(spec.key, spec.key)
	return [(name, paths.get(name, name)) for name in spec.result_keys]


def _deep_copy(value: Any) -> Any:
	if isinstance(value, dict):
		return {k: _deep_copy(v) for k, v in value.items()}
	if isinstance(value, list):
		return [_deep_copy(v) for v in value]
	return value
