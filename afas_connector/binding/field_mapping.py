"""The checks of a Field Map mapping, either direction: its rows compile (``sync/mapping.py``), name
ERPNext fields that can hold what they write, a match rule the rows write, a pairing that is read
one way only, and AFAS fields the connector has (its metainfo, when AFAS can be reached). The
direction's own checks are in ``inbound_mapping`` and ``outbound_mapping``."""

from __future__ import annotations

import json
from typing import Any

import frappe
from frappe import _

from afas_connector.afas import AfasError
from afas_connector.binding.connection import connector_fields, metainfo_kind
from afas_connector.binding.constants import LOG, MAPPING
from afas_connector.binding.mapping_checks import STANDARD_FIELDS, escape_html
from afas_connector.sync.days import DAY
from afas_connector.sync.mapping import CONSTANT, SOURCELESS_TRANSFORMS, content_hash
from afas_connector.sync.mapping_errors import MappingConfigError
from afas_connector.sync.metainfo import COMPATIBLE_FIELDTYPES, NON_VALUE_FIELDTYPES
from afas_connector.sync.transforms import ROW_TRANSFORMS, link_sources

#: The columns of a row that change what a run writes: a change reads every AFAS row again.
HASHED_COLUMNS = (
	"afas_field",
	"erpnext_field",
	"transform",
	"transform_options",
	"default_value",
	"required",
)


def validate_rows(doc: Any) -> None:
	"""The rows compile; a changed field map of an inbound mapping that has written makes the next
	run read every row; an ``afas_key`` row names an existing mapping."""
	source = "erpnext_field" if doc.direction == "Outbound" else "afas_field"
	for row in doc.field_mappings:  # a constant row reads nothing: its source shows (constant)
		if row.transform in SOURCELESS_TRANSFORMS and not (row.get(source) or "").strip():
			row.set(source, CONSTANT)
	try:
		doc.field_map()
	except MappingConfigError as exc:
		frappe.throw(_("Field Mapping: {0}").format(escape_html(str(exc))), title=_("Invalid field mapping"))
	digest = content_hash([{k: row.get(k) for k in HASHED_COLUMNS} for row in doc.field_mappings])
	changed = bool(doc.field_map_hash) and digest != doc.field_map_hash
	if doc.direction == "Inbound" and changed and has_written(doc):
		doc.full_sync_pending = 1
		frappe.msgprint(
			_(
				"The field mapping changed: the next run reads every AFAS row again, so the records "
				"already synced get the new mapping too"
			),
			indicator="blue",
			alert=True,
		)
	doc.field_map_hash = digest
	for row in doc.field_mappings:
		target = (row.transform_options or "").strip()
		if row.transform == "afas_key" and not frappe.db.exists(MAPPING, target):
			frappe.throw(
				_(
					"Field Mapping row {0}: afas_key needs an existing mapping in Transform Options, not {1}"
				).format(row.idx, frappe.bold(target)),
				title=_("Invalid field mapping"),
			)


def has_written(doc: Any) -> bool:
	"""Whether runs have written records with the field map saved so far: a run finished or left
	state (a first run has no watermark until it ends), or one is queued or going on now."""
	if doc.is_new():
		return False
	if doc.watermark or json.loads(doc.sync_state or "{}"):
		return True
	return bool(
		frappe.db.exists(
			LOG, {"mapping": doc.name, "direction": "Inbound", "status": ["in", ("Queued", "Running")]}
		)
	)


def validate_erpnext_fields(doc: Any) -> None:
	"""Each row's ERPNext field exists and can hold what its transform writes."""
	meta = frappe.get_meta(doc.erpnext_doctype)
	for row in doc.field_mappings:
		target_meta, fieldname = meta, row.erpnext_field.strip()
		if row.transform in ROW_TRANSFORMS:
			check_child_rows(doc, row, meta, fieldname)
			continue
		if "." in fieldname and doc.direction == "Inbound":
			frappe.throw(
				_(
					"Row {0}: {1} is a field of a child table. An inbound mapping writes the fields of "
					"{2} itself; map child rows with a mapping of their own"
				).format(row.idx, fieldname, doc.erpnext_doctype),
				title=_("Child table field"),
			)
		if "." in fieldname:
			table, fieldname = fieldname.split(".", 1)
			table_field = meta.get_field(table)
			if not table_field or table_field.fieldtype != "Table":
				frappe.throw(
					_("Row {0}: {1} is not a child table of {2}").format(row.idx, table, doc.erpnext_doctype)
				)
			target_meta = frappe.get_meta(table_field.options)
		if fieldname in STANDARD_FIELDS:
			continue
		field = target_meta.get_field(fieldname)
		if not field:
			frappe.throw(
				_("Row {0}: ERPNext field {1} does not exist on {2}").format(
					row.idx, fieldname, target_meta.name
				),
				title=_("Unknown field"),
			)
		if field.fieldtype in NON_VALUE_FIELDTYPES:
			frappe.throw(
				_("Row {0}: {1} is a {2} field and cannot hold a value").format(
					row.idx, fieldname, field.fieldtype
				)
			)
		allowed = COMPATIBLE_FIELDTYPES.get(row.transform or "")
		if allowed and field.fieldtype not in allowed:
			frappe.throw(
				_("Row {0}: transform {1} cannot write into {2} ({3}); expected one of: {4}").format(
					row.idx, row.transform, fieldname, field.fieldtype, ", ".join(sorted(allowed))
				),
				title=_("Incompatible field type"),
			)


def check_child_rows(doc: Any, row: Any, meta: Any, fieldname: str) -> None:
	"""``child_row`` and ``link_rows`` fill a child table of the document, inbound: the field is a
	Table, the row's fields are the child's, the linked documents can be found."""
	if doc.direction != "Inbound":
		frappe.throw(
			_("Row {0}: {1} fills a child table from AFAS; an outbound mapping cannot use it").format(
				row.idx, row.transform
			),
			title=_("Child table field"),
		)
	table = meta.get_field(fieldname)
	if not table or table.fieldtype != "Table":
		frappe.throw(
			_("Row {0}: {1} needs a child table of {2} as ERPNext Field, not {3}").format(
				row.idx, row.transform, doc.erpnext_doctype, fieldname
			),
			title=_("Child table field"),
		)
	child = frappe.get_meta(table.options)
	if row.transform == "child_row":
		for name in json.loads(row.transform_options or "{}"):
			if not child.get_field(name):
				frappe.throw(
					_("Row {0}: {1} is not a field of {2} (the rows of {3})").format(
						row.idx, name, table.options, fieldname
					),
					title=_("Unknown field"),
				)
		return
	if not (child.get_field("link_doctype") and child.get_field("link_name")):
		frappe.throw(
			_("Row {0}: link_rows fills a table of links (link_doctype, link_name); {1} is not one").format(
				row.idx, fieldname
			),
			title=_("Child table field"),
		)
	for source in link_sources(row.transform_options):
		if source.get("mapping"):
			if not frappe.db.exists(MAPPING, source["mapping"]):
				frappe.throw(
					_("Row {0}: link_rows names mapping {1}, which does not exist").format(
						row.idx, source["mapping"]
					),
					title=_("Invalid field mapping"),
				)
		elif not frappe.db.exists("DocType", source["doctype"]) or not frappe.get_meta(
			source["doctype"]
		).get_field(source["field"]):
			frappe.throw(
				_("Row {0}: link_rows looks for {1} in {2}, which has no such field").format(
					row.idx, source["field"], source["doctype"]
				),
				title=_("Unknown field"),
			)


def validate_keys(doc: Any) -> None:
	"""The AFAS key is named; Match Existing By names fields the rows write."""
	if not doc.afas_key_field:
		frappe.throw(_("AFAS Key Field is required"))
	fields = [f.strip() for f in (doc.erpnext_key_field or "").split(",") if f.strip()]
	doc.erpnext_key_field = ", ".join(fields)
	meta = frappe.get_meta(doc.erpnext_doctype)
	mapped = {r.erpnext_field for r in doc.field_mappings}
	for field in fields:
		if field not in STANDARD_FIELDS and not meta.get_field(field):
			frappe.throw(
				_("Match Existing By: {0} is not a field of {1}").format(field, doc.erpnext_doctype),
				title=_("Unknown field"),
			)
		if field not in mapped:
			frappe.throw(
				_(
					"Match Existing By: {0} must be written by the field mapping (add a row → {0}), or "
					"no AFAS row could ever match"
				).format(field),
				title=_("Match rule"),
			)


def validate_pairing(doc: Any) -> None:
	"""Same AFAS Records As: both mappings then share one Record Link per AFAS record. The pair must
	be read one way only: the same DocType, and no chains (the named mapping names none itself)."""
	if doc.link_with:
		check_pair(doc)
	elif doc.is_new() or not frappe.db.exists(MAPPING, {"link_with": doc.name}):
		warn_unpaired(doc)


def check_pair(doc: Any) -> None:
	if doc.link_with == doc.name:
		frappe.throw(_("Same AFAS Records As cannot name the mapping itself"))
	other = frappe.db.get_value(
		MAPPING, doc.link_with, ["erpnext_doctype", "link_with", "direction"], as_dict=True
	)
	if not other:
		frappe.throw(_("Same AFAS Records As: mapping {0} does not exist").format(doc.link_with))
	if other.erpnext_doctype != doc.erpnext_doctype:
		frappe.throw(
			_("Same AFAS Records As: {0} maps {1}, not {2}; a pair maps one DocType").format(
				doc.link_with, other.erpnext_doctype, doc.erpnext_doctype
			),
			title=_("Ambiguous pairing"),
		)
	if other.link_with:
		frappe.throw(
			_(
				"Same AFAS Records As: {0} itself shares the records of {1}; name {1} here, so the "
				"pair has one owner of its links"
			).format(doc.link_with, other.link_with),
			title=_("Ambiguous pairing"),
		)
	named_by = frappe.get_all(MAPPING, filters={"link_with": doc.name}, pluck="name")
	if named_by:
		frappe.throw(
			_(
				"{0} is named in Same AFAS Records As by {1}, so it cannot name another mapping "
				"itself; pair them all with one mapping"
			).format(doc.name, ", ".join(named_by)),
			title=_("Ambiguous pairing"),
		)


def warn_unpaired(doc: Any) -> None:
	"""The same DocType mapped the other way, unpaired: a record pushed one way may come back."""
	opposite = "Outbound" if doc.direction == "Inbound" else "Inbound"
	unpaired = frappe.get_all(
		MAPPING,
		filters={
			"erpnext_doctype": doc.erpnext_doctype,
			"direction": opposite,
			"link_with": ["in", ("", None)],
			"name": ["!=", doc.name or ""],
		},
		pluck="name",
	)
	if unpaired:
		frappe.msgprint(
			_(
				"{0} is also mapped {1} by {2}. If both describe the same AFAS records, set Same "
				"AFAS Records As, or a record pushed one way comes back as a second document."
			).format(_(doc.erpnext_doctype), _(opposite).lower(), ", ".join(unpaired)),
			title=_("Not paired"),
			indicator="orange",
		)


def afas_fields(doc: Any) -> dict[str, dict[str, Any]] | None:
	"""The fields of the mapping's connector in AFAS's metainfo; None when AFAS cannot say (a
	message says so). A connector AFAS does not know is refused."""
	kind = metainfo_kind(doc.direction)
	try:
		return connector_fields(doc.afas_connector, kind)
	except AfasError as exc:
		if exc.status in (404, 500) and exc.status is not None:
			frappe.throw(
				_("AFAS does not know {0} connector {1}: {2}").format(kind, doc.afas_connector, str(exc)),
				title=_("Unknown AFAS connector"),
			)
		frappe.msgprint(
			_("Could not check the fields against AFAS metainfo: {0}").format(escape_html(str(exc))),
			indicator="orange",
			alert=True,
		)
		return None


def check_afas_fields(doc: Any, known: dict[str, dict[str, Any]]) -> None:
	"""The AFAS fields the mapping reads or writes are in the connector's metainfo; the rows get
	AFAS's label and data type."""
	kind = metainfo_kind(doc.direction)
	per_day = doc.direction == "Inbound" and doc.get("one_per_day")
	wanted = [
		(r.idx, r.afas_field)
		for r in doc.field_mappings
		if r.transform != "constant" and r.afas_field != CONSTANT and not (per_day and r.afas_field == DAY)
	]
	if per_day:  # the range each row spans (the day itself is the run's: sync/days.py)
		wanted.extend((None, (field or "").strip()) for field in (doc.day_from_field, doc.day_to_field))
	if doc.direction == "Inbound":
		wanted.append((None, doc.afas_key_field))
		for extra in (doc.modified_field, doc.order_by):
			if extra:
				wanted.append((None, extra.lstrip("-")))
	for idx, name in wanted:
		if name and name not in known:
			where = _("Row {0}: ").format(idx) if idx else ""
			frappe.throw(
				where
				+ _("AFAS field {0} is not in {1} connector {2} (metainfo)").format(
					name, kind, doc.afas_connector
				),
				title=_("Unknown AFAS field"),
			)
	for row in doc.field_mappings:
		info = known.get(row.afas_field) or {}
		row.afas_label = info.get("label") or row.afas_label
		row.afas_data_type = info.get("dataType") or row.afas_data_type
