"""Field maps: AFAS rows → ERPNext values (inbound) and ERPNext documents → UpdateConnector records.

Pure data in, pure data out: the frappe layer turns an *AFAS Connector Mapping* document into a
:class:`FieldMap` with :meth:`FieldMap.from_rows` and never interprets a rule itself.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from afas_connector.afas.update import Record
from afas_connector.sync.mapping_errors import (
	MappingConfigError,
	RecordError,
	TransformConfigError,
	TransformValueError,
)
from afas_connector.sync.transforms import ROW_TRANSFORMS, Transform, compile_transform

#: The source side of a row that reads nothing: the AFAS Field of an inbound constant (or a formula over
#: the whole row), the ERPNext Field of an outbound one. A row may leave that side empty; it is then
#: stored and shown as this.
CONSTANT = "(constant)"
#: Transforms that need no source field: ``constant`` writes its value, ``expression`` may read ``row``.
SOURCELESS_TRANSFORMS = ("constant", "expression")


@dataclass
class FieldRule:
	"""One row of the field mapping table."""

	afas_field: str
	erpnext_field: str
	transform: str = ""
	transform_options: str = ""
	default: Any = None
	required: bool = False
	compiled: Transform | None = field(default=None, repr=False)

	@property
	def reads_afas(self) -> bool:
		"""Whether the row reads an AFAS field (inbound): not a constant, not a formula on no field."""
		return self.transform != "constant" and self.afas_field != CONSTANT

	def compile(self, row: int | None = None, outbound: bool = False) -> FieldRule:
		"""Check the row and compile its transform. The source side (AFAS Field inbound, ERPNext Field
		outbound) may be empty for a ``constant`` or ``expression`` row and becomes :data:`CONSTANT`;
		raises :class:`MappingConfigError` naming the row and the field."""
		source = "erpnext_field" if outbound else "afas_field"
		if self.transform in SOURCELESS_TRANSFORMS and not (getattr(self, source) or "").strip():
			setattr(self, source, CONSTANT)
		if not self.afas_field or not self.afas_field.strip():
			hint = "" if outbound else " (a constant row: choose Transform constant and leave it empty)"
			raise MappingConfigError(f"Row {row}: AFAS Field is empty{hint}", row, "afas_field")
		if not self.erpnext_field or not self.erpnext_field.strip():
			hint = " (a constant row: choose Transform constant and leave it empty)" if outbound else ""
			raise MappingConfigError(f"Row {row}: ERPNext Field is empty{hint}", row, "erpnext_field")
		self.afas_field = self.afas_field.strip()
		self.erpnext_field = self.erpnext_field.strip()
		try:
			self.compiled = compile_transform(self.transform, self.transform_options)
		except TransformConfigError as exc:
			raise MappingConfigError(
				f"Row {row} ({self.afas_field} → {self.erpnext_field}): {exc}", row, "transform"
			)
		return self


@dataclass
class FieldMap:
	"""An ordered, compiled set of :class:`FieldRule`, with the time zone ERPNext stores date-times in."""

	rules: list[FieldRule]
	time_zone: str = "Europe/Amsterdam"

	@classmethod
	def from_rows(
		cls, rows: list[dict[str, Any]], time_zone: str | None = None, outbound: bool = False
	) -> FieldMap:
		"""Compile mapping rows (dicts with the child-table field names); raise on the first bad one.

		Each target is written once: an ERPNext field inbound, an AFAS field path outbound.
		"""
		target = "afas_field" if outbound else "erpnext_field"
		label = "AFAS Field" if outbound else "ERPNext Field"
		rules = []
		seen: dict[str, int] = {}
		for index, row in enumerate(rows, start=1):
			rule = FieldRule(
				afas_field=row.get("afas_field") or "",
				erpnext_field=row.get("erpnext_field") or "",
				transform=row.get("transform") or "",
				transform_options=row.get("transform_options") or "",
				default=row.get("default_value") if row.get("default_value") not in ("", None) else None,
				required=bool(row.get("required")),
			).compile(index, outbound)
			value = getattr(rule, target)
			if not outbound and rule.transform in ROW_TRANSFORMS:
				if value in seen and rows[seen[value] - 1].get("transform") not in ROW_TRANSFORMS:
					raise MappingConfigError(
						f"Row {index}: ERPNext Field {value!r} is already mapped in row {seen[value]}",
						index,
						target,
					)
				seen.setdefault(value, index)
				rules.append(rule)
				continue  # several rows may each add rows to one child table
			if value in seen:
				raise MappingConfigError(
					f"Row {index}: {label} {value!r} is already mapped in row {seen[value]}", index, target
				)
			seen[value] = index
			rules.append(rule)
		if not rules:
			raise MappingConfigError("The field mapping is empty: map at least one field")
		return cls(rules, time_zone or "Europe/Amsterdam")

	@property
	def reads_child_tables(self) -> bool:
		"""Outbound: whether mapping a document needs its child tables (a ``table.field`` path, or an
		expression, which may read anything of the document)."""
		return any("." in r.erpnext_field or r.transform == "expression" for r in self.rules)

	@property
	def child_tables(self) -> dict[str, str]:
		"""Inbound: the child tables the map fills, ``{table field: "replace" | "add"}``: rows from
		``child_row`` replace the table's rows (AFAS is their source), links from ``link_rows`` are added
		to the ones the document has (a link made in ERPNext stays)."""
		tables: dict[str, str] = {}
		for rule in self.rules:
			if rule.transform == "link_rows":
				tables[rule.erpnext_field] = "add"
			elif rule.transform == "child_row":
				tables.setdefault(rule.erpnext_field, "replace")
		return tables

	@property
	def afas_fields(self) -> list[str]:
		return [r.afas_field for r in self.rules if r.reads_afas]

	def to_erpnext(
		self, row: dict[str, Any], key: str | None = None, lookups: dict[str, Any] | None = None
	) -> tuple[dict[str, Any], list[RecordError]]:
		"""Map one AFAS row; returns the ERPNext values and the errors of fields that failed.

		``lookups`` gives transforms what only the caller knows (``erpnext_name`` for ``afas_key``)."""
		values: dict[str, Any] = {}
		errors: list[RecordError] = []
		ctx = {**(lookups or {}), "row": row, "time_zone": self.time_zone}
		for rule in self.rules:
			raw = row.get(rule.afas_field)
			try:
				value = rule.compiled.inbound(raw, ctx)  # type: ignore[union-attr]
			except TransformValueError as exc:
				errors.append(RecordError(key, rule.afas_field, str(exc)))
				continue
			if rule.transform in ROW_TRANSFORMS:
				if rule.required and not value:
					errors.append(
						RecordError(key, rule.afas_field, f"{rule.afas_field} is required but empty")
					)
					continue
				values.setdefault(rule.erpnext_field, []).extend(value or [])
				continue
			if value in (None, "") and rule.default is not None:
				value = rule.default
			if rule.required and value in (None, ""):
				errors.append(RecordError(key, rule.afas_field, f"{rule.afas_field} is required but empty"))
				continue
			values[rule.erpnext_field] = value
		return values, errors

	def to_afas(
		self, doc: Any, key: str | None = None, lookups: dict[str, Any] | None = None
	) -> tuple[Record, list[RecordError]]:
		"""Map an ERPNext document (a dict, or anything with ``.get`` such as a frappe Document) to an
		UpdateConnector record.

		``afas_field`` may be a path: ``KnOrganisation.Nm`` puts ``Nm`` in the nested KnOrganisation
		object. ``erpnext_field`` may name a child table row field: ``items.item_code`` makes one
		nested element per child row. ``lookups`` as for :meth:`to_erpnext` (``afas_key``).
		"""
		root = Record()
		errors: list[RecordError] = []
		ctx = {**(lookups or {}), "row": doc, "time_zone": self.time_zone}
		child_rows: dict[str, list[Record]] = {}
		for rule in self.rules:
			path = rule.afas_field.split(".")
			if "." in rule.erpnext_field:
				table, child_field = rule.erpnext_field.split(".", 1)
				rows = doc.get(table) or []
				records = child_rows.setdefault(rule.afas_field.rsplit(".", 1)[0], [Record() for _ in rows])
				for record, child in zip(records, rows):
					try:
						value = rule.compiled.outbound((child or {}).get(child_field), {**ctx, "row": child})  # type: ignore[union-attr]
					except TransformValueError as exc:
						errors.append(RecordError(key, rule.erpnext_field, str(exc)))
						continue
					record.fields[path[-1]] = _json_safe(value)
				continue
			try:
				value = rule.compiled.outbound(doc.get(rule.erpnext_field), ctx)  # type: ignore[union-attr]
			except TransformValueError as exc:
				errors.append(RecordError(key, rule.erpnext_field, str(exc)))
				continue
			if value in (None, "") and rule.default is not None:
				value = rule.default
			if rule.required and value in (None, ""):
				errors.append(
					RecordError(key, rule.erpnext_field, f"{rule.erpnext_field} is required but empty")
				)
				continue
			_node(root, path[:-1]).fields[path[-1]] = _json_safe(value)
		for object_path, records in child_rows.items():
			if not records:  # no child rows: no nested object (AFAS refuses an empty Element list)
				continue
			parts = object_path.split(".")
			_node(root, parts[:-1]).objects[parts[-1]] = records
		return root, errors


def _node(root: Record, path: list[str]) -> Record:
	node = root
	for name in path:
		child = node.objects.get(name)
		if not isinstance(child, Record):
			child = Record()
			node.objects[name] = child
		node = child
	return node


def _json_safe(value: Any) -> Any:
	if value is None or isinstance(value, str | int | float | bool):
		return value
	return str(value)


def content_hash(values: dict[str, Any]) -> str:
	"""A stable fingerprint of mapped values: equal hashes mean nothing to write."""
	canonical = json.dumps(values, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)
	return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]
