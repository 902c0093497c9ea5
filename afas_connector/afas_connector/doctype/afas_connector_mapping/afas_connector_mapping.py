"""AFAS Connector Mapping: one sync route between an AFAS connector and an ERPNext DocType."""

from __future__ import annotations

import json
from functools import partial
from html import escape
from typing import Any

import frappe
from frappe import _
from frappe.model.document import Document

from afas_connector.afas import AfasError, FilterSet
from afas_connector.afas.filters import normalise_filter_spec
from afas_connector.afas.update import root_element
from afas_connector.binding import write_rules
from afas_connector.binding.connection import connector_fields, is_enabled, metainfo_kind
from afas_connector.binding.constants import LOG, MAPPING
from afas_connector.binding.doc_events import clear_outbound_cache
from afas_connector.sync.mapping import CONSTANT, SOURCELESS_TRANSFORMS, FieldMap, content_hash
from afas_connector.sync.mapping_errors import MappingConfigError
from afas_connector.sync.metainfo import COMPATIBLE_FIELDTYPES, NON_VALUE_FIELDTYPES
from afas_connector.sync.open_items import OPEN_ITEMS
from afas_connector.sync.outbound_plan import LEDGER
from afas_connector.sync.transforms import ROW_TRANSFORMS, link_sources

#: Text in a message the desk shows as HTML (AFAS's words, a formula from an imported file): as text.
escape_html = partial(escape, quote=False)

STANDARD_FIELDS = {"name", "owner", "creation", "modified", "docstatus"}
#: A Condition runs on every save of the DocType: one line, not a program.
MAX_CONDITION_CHARS = 1000


class AFASConnectorMapping(Document):
	def validate(self) -> None:
		self.afas_connector = (self.afas_connector or "").strip()
		self.afas_key_field = (self.afas_key_field or "").strip()
		if not frappe.db.exists("DocType", self.erpnext_doctype):
			frappe.throw(_("ERPNext DocType {0} does not exist").format(self.erpnext_doctype))
		if frappe.get_meta(self.erpnext_doctype).istable:
			frappe.throw(
				_("ERPNext DocType {0} is a child table; map its parent instead").format(self.erpnext_doctype)
			)
		self.check_trust()
		self.keep_run_state()
		if self.direction == "Outbound" and self.mapping_type == LEDGER:
			self.validate_ledger()
			return
		if self.direction == "Inbound" and self.mapping_type == OPEN_ITEMS:
			self.validate_open_items()
			self.validate_inbound()
			return
		self.mapping_type = "Field Map"
		self.validate_field_map()
		self.validate_erpnext_fields()
		self.validate_attachments()
		self.validate_keys()
		self.validate_pairing()
		self.validate_inbound()
		self.validate_outbound()
		self.validate_against_metainfo()

	def check_trust(self) -> None:
		"""The trust model (``binding/write_rules.py``): the mapping runs as whoever saves it, and may
		write only what that user may write in the desk, never what grants access or runs code."""
		if not (frappe.flags.in_install or frappe.flags.in_migrate or frappe.flags.in_patch):
			self.run_as = frappe.session.user
		write_rules.check(self)

	def _validate_links(self) -> None:
		# Ledger Maps rows link by kind (an Account, a Company …): known before Frappe checks the links.
		from afas_connector.afas_connector.doctype.afas_ledger_map.afas_ledger_map import ERPNEXT_DOCTYPE

		for row in self.get("ledger_maps") or []:
			if row.kind and not (row.kind == "Journal" and row.erpnext_doctype in ("DocType", "Account")):
				row.erpnext_doctype = ERPNEXT_DOCTYPE.get(row.kind)
		super()._validate_links()

	def check_ledger_values_in_afas(self) -> None:
		"""Each AFAS value of the Ledger Maps is one AFAS has (its account, journal, administration …),
		labelled with AFAS's description; checked when AFAS can be reached."""
		from afas_connector.binding.ledger import REFERENCE, reference_values

		if not is_enabled():
			return
		for kind in sorted({row.kind for row in self.ledger_maps} & set(REFERENCE)):
			try:
				known = reference_values(kind)
			except AfasError as exc:
				if exc.status in (404, 500):
					continue  # this App Connector has no such GetConnector: the values stay unchecked
				frappe.msgprint(
					_("Could not check the {0} values against AFAS: {1}").format(
						_(kind), escape_html(str(exc))
					),
					indicator="orange",
					alert=True,
				)
				return
			for row in self.ledger_maps:
				if row.kind != kind:
					continue
				value = (row.afas_value or "").strip()
				if value not in known:
					frappe.throw(
						_("Ledger Maps row {0}: AFAS has no {1} {2}").format(row.idx, _(kind).lower(), value),
						title=_("Unknown AFAS value"),
					)
				row.afas_value, row.afas_label = value, known[value]

	def validate_ledger(self) -> None:
		"""A ledger mapping books vouchers as AFAS financial entries: FiEntries (root FiEntryPar) on
		submit, a reversal on cancel. Its maps must cover what its vouchers book: every account their
		GL Entries use, an administration per company and a journal."""
		from afas_connector.afas_connector.doctype.afas_ledger_map.afas_ledger_map import ERPNEXT_DOCTYPE
		from afas_connector.binding.ledger import VOUCHER_TYPES, invoice_number_problems, unmapped_accounts

		if self.erpnext_doctype not in VOUCHER_TYPES:
			frappe.throw(
				_("A ledger mapping books {0}, not {1}").format(
					", ".join(VOUCHER_TYPES), self.erpnext_doctype
				),
				title=_("Invalid ledger mapping"),
			)
		self.afas_connector, self.afas_root_element, self.afas_key_field = "FiEntries", "FiEntryPar", "EnNo"
		self.push_on_submit, self.push_on_cancel = 1, 1
		self.push_on_insert = self.push_on_update = self.push_on_trash = 0
		self.set("field_mappings", [])
		for row in self.ledger_maps:
			if row.kind != "Journal" or row.erpnext_doctype not in ("DocType", "Account"):
				row.erpnext_doctype = ERPNEXT_DOCTYPE[row.kind]
			if not frappe.db.exists(row.erpnext_doctype, row.erpnext_value):
				frappe.throw(
					_("Ledger Maps row {0}: {1} {2} does not exist").format(
						row.idx, _(row.erpnext_doctype), row.erpnext_value
					)
				)
		kinds = {row.kind for row in self.ledger_maps}
		for kind, why in (
			("Administration", _("the AFAS administration (UnId) of each company")),
			("Journal", _("the AFAS journal (JoCo)")),
		):
			if kind not in kinds:
				frappe.throw(
					_("Ledger Maps: add a {0} row: {1}").format(_(kind), why),
					title=_("Invalid ledger mapping"),
				)
		for field, party in (("customer_mapping", "Sales Invoice"), ("supplier_mapping", "Purchase Invoice")):
			if self.erpnext_doctype == party and not self.get(field):
				frappe.throw(
					_("{0} is required: its Record Links give the party's AFAS number").format(
						_(self.meta.get_label(field))
					)
				)
		self.check_ledger_values_in_afas()
		clashes = invoice_number_problems(self)
		if clashes:
			frappe.throw(
				_(
					"Invoice Number: {0} would give two naming series of {1} the same invoice numbers in AFAS "
					"({2}). Give one of them numbers of another form, or choose Document Name"
				).format(
					_(self.invoice_number_rule or "Number at the End of the Name"),
					_(self.erpnext_doctype),
					"; ".join(clashes),
				),
				title=_("Invalid ledger mapping"),
			)
		missing = unmapped_accounts(self)
		if missing:
			frappe.throw(
				_(
					"These accounts are used by {0} vouchers but have no AFAS account in the Ledger Maps: {1}"
				).format(_(self.erpnext_doctype), ", ".join(missing[:20])),
				title=_("Unmapped accounts"),
			)
		self.validate_condition()

	def validate_open_items(self) -> None:
		"""An Open Items mapping reads AFAS's outstanding items (Profit_Debtor_Invoices for Sales
		Invoices, Profit_Creditor_Invoices for Purchase Invoices) for the invoices a Ledger mapping
		booked, and shows them on those invoices. Nothing is mapped field by field."""
		from afas_connector.sync.open_items import SIDES

		side = SIDES.get(self.erpnext_doctype)
		if not side:
			frappe.throw(
				_("Open Items are read for {0}, not {1}").format(" / ".join(SIDES), self.erpnext_doctype),
				title=_("Invalid open items mapping"),
			)
		ledger = (
			frappe.db.get_value(
				MAPPING, self.ledger_mapping, ["mapping_type", "erpnext_doctype"], as_dict=True
			)
			if self.ledger_mapping
			else None
		)
		if not ledger or ledger.mapping_type != LEDGER or ledger.erpnext_doctype != self.erpnext_doctype:
			frappe.throw(
				_("{0}: pick the Ledger (FiEntries) mapping that books the {1} documents").format(
					_(self.meta.get_label("ledger_mapping")), _(self.erpnext_doctype)
				),
				title=_("Invalid open items mapping"),
			)
		self.afas_connector, self.afas_key_field = side.connector, "InvoiceNr"
		self.modified_field = None
		self.deletion_mode = "Ignore"
		self.set("field_mappings", [])

	def on_update(self) -> None:
		clear_outbound_cache()
		if self.mapping_type == OPEN_ITEMS:
			from afas_connector.binding.open_items import ensure_custom_fields

			ensure_custom_fields(self.erpnext_doctype)
		if self.link_with and self.has_value_changed("link_with"):
			from afas_connector.binding.record_links import join_pair

			counts = join_pair(self.name, self.link_with)
			if counts["conflict"]:
				frappe.msgprint(
					_(
						"{0} AFAS records were linked to different documents by the two mappings: see the AFAS "
						"Record Links marked Merged Away"
					).format(counts["conflict"]),
					indicator="orange",
				)

	def on_trash(self) -> None:
		clear_outbound_cache()

	# -------------------------------------------------------------- checks

	def field_map(self) -> FieldMap:
		"""The compiled field map (the rules live in ``afas_connector.sync``)."""
		return FieldMap.from_rows(
			[row.as_dict() for row in self.field_mappings],
			time_zone=frappe.utils.get_system_timezone(),
			outbound=self.direction == "Outbound",
		)

	def filter_set(self) -> FilterSet:
		"""The mapping's Filters (JSON, e.g. ``[["Blocked", "=", 0]]``) as a :class:`FilterSet`;
		raises ``ValueError``/``TypeError`` for malformed JSON (refused when the mapping is saved)."""
		if not (self.filters or "").strip():
			return FilterSet()
		return FilterSet.from_spec(json.loads(self.filters))

	def validate_field_map(self) -> None:
		source = "erpnext_field" if self.direction == "Outbound" else "afas_field"
		for row in self.field_mappings:  # a constant row reads nothing: its source shows (constant)
			if row.transform in SOURCELESS_TRANSFORMS and not (row.get(source) or "").strip():
				row.set(source, CONSTANT)
		try:
			self.field_map()
		except MappingConfigError as exc:
			frappe.throw(
				_("Field Mapping: {0}").format(escape_html(str(exc))), title=_("Invalid field mapping")
			)
		digest = content_hash(
			[
				{
					k: row.get(k)
					for k in (
						"afas_field",
						"erpnext_field",
						"transform",
						"transform_options",
						"default_value",
						"required",
					)
				}
				for row in self.field_mappings
			]
		)
		changed = bool(self.field_map_hash) and digest != self.field_map_hash
		if self.direction == "Inbound" and changed and self.has_written():
			self.full_sync_pending = 1
			frappe.msgprint(
				_(
					"The field mapping changed: the next run reads every AFAS row again, so the records "
					"already synced get the new mapping too"
				),
				indicator="blue",
				alert=True,
			)
		self.field_map_hash = digest
		for row in self.field_mappings:
			target = (row.transform_options or "").strip()
			if row.transform == "afas_key" and not frappe.db.exists(MAPPING, target):
				frappe.throw(
					_(
						"Field Mapping row {0}: afas_key needs an existing mapping in Transform Options, not {1}"
					).format(row.idx, frappe.bold(target)),
					title=_("Invalid field mapping"),
				)

	#: Fields only runs write (``binding/pull.py``): a save from a form loaded before or during a run
	#: keeps what the runs wrote since, instead of the values the form was loaded with.
	RUN_FIELDS = ("sync_state", "watermark", "last_run", "full_sync_pending", "field_map_hash")

	def keep_run_state(self) -> None:
		if self.is_new():
			return
		stored = frappe.db.get_value(MAPPING, self.name, self.RUN_FIELDS, as_dict=True)
		if stored:
			self.update(stored)

	def has_written(self) -> bool:
		"""Whether runs have written records with the field map saved so far: a run finished or left
		state (a first run has no watermark until it ends), or one is queued or going on now."""
		if self.is_new():
			return False
		if self.watermark or json.loads(self.sync_state or "{}"):
			return True
		return bool(
			frappe.db.exists(
				LOG, {"mapping": self.name, "direction": "Inbound", "status": ["in", ("Queued", "Running")]}
			)
		)

	def validate_erpnext_fields(self) -> None:
		meta = frappe.get_meta(self.erpnext_doctype)
		for row in self.field_mappings:
			target_meta, fieldname = meta, row.erpnext_field.strip()
			if row.transform in ROW_TRANSFORMS:
				self.validate_child_rows(row, meta, fieldname)
				continue
			if "." in fieldname and self.direction == "Inbound":
				frappe.throw(
					_(
						"Row {0}: {1} is a field of a child table. An inbound mapping writes the fields of "
						"{2} itself; map child rows with a mapping of their own"
					).format(row.idx, fieldname, self.erpnext_doctype),
					title=_("Child table field"),
				)
			if "." in fieldname:
				table, fieldname = fieldname.split(".", 1)
				table_field = meta.get_field(table)
				if not table_field or table_field.fieldtype != "Table":
					frappe.throw(
						_("Row {0}: {1} is not a child table of {2}").format(
							row.idx, table, self.erpnext_doctype
						)
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

	def validate_child_rows(self, row: Any, meta: Any, fieldname: str) -> None:
		"""``child_row`` and ``link_rows`` fill a child table of the document, inbound: the field is a
		Table, the row's fields are the child's, the linked documents can be found."""
		if self.direction != "Inbound":
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
					row.idx, row.transform, self.erpnext_doctype, fieldname
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
				_(
					"Row {0}: link_rows fills a table of links (link_doctype, link_name); {1} is not one"
				).format(row.idx, fieldname),
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

	def validate_attachments(self) -> None:
		"""Pictures and dossier attachments (inbound) and files sent with a push (outbound) need their
		settings complete; see ``binding/attachments.py``."""
		if self.direction == "Inbound" and (self.image_field or "").strip():
			self.image_field = self.image_field.strip()
			field = frappe.get_meta(self.erpnext_doctype).get_field(self.image_field)
			if not field or field.fieldtype not in ("Attach Image", "Attach", "Data"):
				frappe.throw(
					_("Image Field: {0} is not an image or attachment field of {1}").format(
						self.image_field, self.erpnext_doctype
					),
					title=_("AFAS attachments"),
				)
			missing = [
				_(label)
				for label, value in (
					("Image GetConnector", self.image_connector),
					("Image: Record Column", self.image_record_field),
					("Image: Image Id Column", self.image_id_field),
				)
				if not (value or "").strip()
			]
			if missing:
				frappe.throw(
					_("Pictures from AFAS need: {0}").format(", ".join(missing)), title=_("AFAS attachments")
				)
		if self.direction == "Inbound" and self.dossier_attachments:
			self.subject_connector = (self.subject_connector or "").strip() or "Profit_Subjects"
			if not (self.subject_record_field or "").strip():
				frappe.throw(
					_("Dossier attachments need the Dossier: Record Column (e.g. Project or OrgPersId)"),
					title=_("AFAS attachments"),
				)
			match = (self.subject_match_field or "").strip()
			if match and match != self.afas_key_field:
				from afas_connector.binding.attachments import match_target

				if not match_target(self, match):
					frappe.throw(
						_(
							"Dossier: Record Column Holds {0}: map {0} to a field of {1} (a row of the field "
							"mapping), so a dossier item finds its document by it"
						).format(match, self.erpnext_doctype),
						title=_("AFAS attachments"),
					)
		if self.direction == "Outbound" and self.send_attachments:
			self.attachment_object = (self.attachment_object or "").strip() or "KnSubjectAttachment"

	def validate_keys(self) -> None:
		if not self.afas_key_field:
			frappe.throw(_("AFAS Key Field is required"))
		fields = [f.strip() for f in (self.erpnext_key_field or "").split(",") if f.strip()]
		self.erpnext_key_field = ", ".join(fields)
		meta = frappe.get_meta(self.erpnext_doctype)
		mapped = {r.erpnext_field for r in self.field_mappings}
		for field in fields:
			if field not in STANDARD_FIELDS and not meta.get_field(field):
				frappe.throw(
					_("Match Existing By: {0} is not a field of {1}").format(field, self.erpnext_doctype),
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

	def validate_pairing(self) -> None:
		"""Same AFAS Records As: both mappings then share one Record Link per AFAS record. The pair must
		be read one way only: the same DocType, and no chains (the named mapping names none itself)."""
		if self.link_with:
			if self.link_with == self.name:
				frappe.throw(_("Same AFAS Records As cannot name the mapping itself"))
			other = frappe.db.get_value(
				MAPPING, self.link_with, ["erpnext_doctype", "link_with", "direction"], as_dict=True
			)
			if not other:
				frappe.throw(_("Same AFAS Records As: mapping {0} does not exist").format(self.link_with))
			if other.erpnext_doctype != self.erpnext_doctype:
				frappe.throw(
					_("Same AFAS Records As: {0} maps {1}, not {2}; a pair maps one DocType").format(
						self.link_with, other.erpnext_doctype, self.erpnext_doctype
					),
					title=_("Ambiguous pairing"),
				)
			if other.link_with:
				frappe.throw(
					_(
						"Same AFAS Records As: {0} itself shares the records of {1}; name {1} here, so the "
						"pair has one owner of its links"
					).format(self.link_with, other.link_with),
					title=_("Ambiguous pairing"),
				)
			named_by = frappe.get_all(MAPPING, filters={"link_with": self.name}, pluck="name")
			if named_by:
				frappe.throw(
					_(
						"{0} is named in Same AFAS Records As by {1}, so it cannot name another mapping "
						"itself; pair them all with one mapping"
					).format(self.name, ", ".join(named_by)),
					title=_("Ambiguous pairing"),
				)
			return
		if self.is_new() or not frappe.db.exists(MAPPING, {"link_with": self.name}):
			opposite = "Outbound" if self.direction == "Inbound" else "Inbound"
			unpaired = frappe.get_all(
				MAPPING,
				filters={
					"erpnext_doctype": self.erpnext_doctype,
					"direction": opposite,
					"link_with": ["in", ("", None)],
					"name": ["!=", self.name or ""],
				},
				pluck="name",
			)
			if unpaired:
				frappe.msgprint(
					_(
						"{0} is also mapped {1} by {2}. If both describe the same AFAS records, set Same "
						"AFAS Records As, or a record pushed one way comes back as a second document."
					).format(_(self.erpnext_doctype), _(opposite).lower(), ", ".join(unpaired)),
					title=_("Not paired"),
					indicator="orange",
				)

	def validate_inbound(self) -> None:
		if self.direction != "Inbound":
			return
		if self.filters and self.filters.strip():
			try:
				self.filter_set()
				# stored as it goes to AFAS, so the form shows it: date values in Amsterdam wall-clock
				# time without Z or offset (AFAS refuses those)
				self.filters = json.dumps(normalise_filter_spec(json.loads(self.filters)), ensure_ascii=False)
			except (ValueError, TypeError) as exc:
				frappe.throw(
					_('Filters must be JSON like [["Blocked", "=", 0]]: {0}').format(escape_html(str(exc))),
					title=_("Invalid filters"),
				)
		if self.schedule == "Every N Minutes" and not (1 <= int(self.interval_minutes or 0) <= 10080):
			frappe.throw(_("Interval (minutes) must be between 1 and 10080"))
		if self.schedule == "Cron":
			from croniter import croniter

			if not self.cron_expression or not croniter.is_valid(self.cron_expression):
				frappe.throw(
					_("Cron Expression {0} is not valid, e.g. */15 * * * *").format(
						self.cron_expression or ""
					)
				)
		if self.deletion_mode == "Deletion Log Connector" and not self.deletion_connector:
			frappe.throw(_("Deletion Log Connector is required when Deletions is 'Deletion Log Connector'"))

	def validate_outbound(self) -> None:
		if self.direction != "Outbound":
			return
		self.afas_root_element = (self.afas_root_element or "").strip() or root_element(self.afas_connector)
		if self.delete_action == "Deactivate in AFAS" and not (self.deactivate_field or "").strip():
			frappe.throw(
				_("Deactivate Field is required when On Delete / Cancel is 'Deactivate in AFAS' (e.g. Bl)"),
				title=_("Missing field"),
			)
		self.validate_condition()

	def validate_condition(self) -> None:
		"""The Condition is Python that Frappe's ``safe_eval`` runs on every save of a document: valid,
		at most ``MAX_CONDITION_CHARS``, and tried on the latest document of the DocType, so a condition
		that raises is refused here rather than found out in a Sync Log (a save never fails on it:
		``outbox.queue_change_safely``)."""
		if not self.condition:
			return
		if len(self.condition) > MAX_CONDITION_CHARS:
			frappe.throw(
				_("Condition: at most {0} characters").format(MAX_CONDITION_CHARS),
				title=_("Invalid condition"),
			)
		try:
			compile(self.condition, "<condition>", "eval")
		except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
			frappe.throw(
				_("Condition is not a valid expression: {0}").format(getattr(exc, "msg", None) or exc),
				title=_("Invalid condition"),
			)
		sample = frappe.get_all(self.erpnext_doctype, pluck="name", order_by="modified desc", limit=1)
		if not sample:
			return
		try:
			frappe.safe_eval(self.condition, None, {"doc": frappe.get_doc(self.erpnext_doctype, sample[0])})
		except Exception as exc:
			frappe.throw(
				_("Condition fails on {0} {1}: {2}").format(
					_(self.erpnext_doctype), sample[0], f"{type(exc).__name__}: {exc}"
				),
				title=_("Invalid condition"),
			)

	def validate_against_metainfo(self) -> None:
		"""AFAS fields must exist in the connector's metainfo — checked when AFAS can be reached."""
		if not is_enabled():
			return
		kind = metainfo_kind(self.direction)
		try:
			known = connector_fields(self.afas_connector, kind)
		except AfasError as exc:
			if exc.status in (404, 500) and exc.status is not None:
				frappe.throw(
					_("AFAS does not know {0} connector {1}: {2}").format(
						kind, self.afas_connector, str(exc)
					),
					title=_("Unknown AFAS connector"),
				)
			frappe.msgprint(
				_("Could not check the fields against AFAS metainfo: {0}").format(escape_html(str(exc))),
				indicator="orange",
				alert=True,
			)
			return
		wanted = [
			(r.idx, r.afas_field)
			for r in self.field_mappings
			if r.transform != "constant" and r.afas_field != CONSTANT
		]
		if self.direction == "Inbound":
			wanted.append((None, self.afas_key_field))
			for extra in (self.modified_field, self.order_by):
				if extra:
					wanted.append((None, extra.lstrip("-")))
		self.validate_file_columns()
		for idx, name in wanted:
			if name and name not in known:
				where = _("Row {0}: ").format(idx) if idx else ""
				frappe.throw(
					where
					+ _("AFAS field {0} is not in {1} connector {2} (metainfo)").format(
						name, kind, self.afas_connector
					),
					title=_("Unknown AFAS field"),
				)
		for row in self.field_mappings:
			info = known.get(row.afas_field) or {}
			row.afas_label = info.get("label") or row.afas_label
			row.afas_data_type = info.get("dataType") or row.afas_data_type

	def validate_file_columns(self) -> None:
		"""The picture and dossier GetConnectors have the columns the mapping names (metainfo)."""
		if self.direction != "Inbound":
			return
		wanted = []
		if (self.image_field or "").strip():
			wanted.append((self.image_connector, [self.image_record_field, self.image_id_field]))
		if self.dossier_attachments:
			wanted.append((self.subject_connector, [self.subject_record_field]))
		for connector, columns in wanted:
			try:
				known = connector_fields(connector, "get")
			except AfasError as exc:
				frappe.throw(
					_("AFAS does not know {0} connector {1}: {2}").format(
						"get", escape_html(connector), escape_html(str(exc))
					),
					title=_("Unknown AFAS connector"),
				)
			for column in columns:
				if column not in known:
					frappe.throw(
						_("AFAS field {0} is not in {1} connector {2} (metainfo)").format(
							column, "get", connector
						),
						title=_("Unknown AFAS field"),
					)
