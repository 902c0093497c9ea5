"""AFAS Connector Mapping: one sync route between an AFAS connector and an ERPNext DocType.

A mapping is one of several kinds: a Field Map (inbound or outbound, with attachment settings), a
Ledger (FiEntries) mapping, an Open Items mapping, a Journal Entries (AFAS → ERPNext) mapping. Each kind's rules live next to the flow that uses
them (``binding/*_mapping.py``); this controller says which kind a mapping is and runs its checks in
order."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import frappe
from frappe import _
from frappe.model.document import Document

from afas_connector.afas import FilterSet
from afas_connector.binding import (
	attachments_mapping,
	field_mapping,
	inbound_mapping,
	journal_mapping,
	ledger_mapping,
	open_items_mapping,
	outbound_mapping,
	write_rules,
)
from afas_connector.binding.connection import is_enabled
from afas_connector.binding.constants import MAPPING
from afas_connector.binding.doc_events import clear_outbound_cache
from afas_connector.binding.mapping_checks import check_doctype
from afas_connector.binding.open_items import ensure_custom_fields
from afas_connector.binding.record_links import join_pair
from afas_connector.sync.mapping import FieldMap
from afas_connector.sync.open_items import OPEN_ITEMS
from afas_connector.sync.outbound_plan import LEDGER
from afas_connector.sync.payroll_journal import JOURNAL_ENTRIES

FIELD_MAP = "Field Map"
#: The checks of each direction of a Field Map (the attachment checks are picked by their settings).
DIRECTION_CHECKS = {"Inbound": inbound_mapping.validate, "Outbound": outbound_mapping.validate}

Check = Callable[[Any], None]


class AFASConnectorMapping(Document):
	def validate(self) -> None:
		self.afas_connector = (self.afas_connector or "").strip()
		self.afas_key_field = (self.afas_key_field or "").strip()
		check_doctype(self)
		self.check_trust()
		self.keep_run_state()
		for check in self.kind_checks():
			check(self)

	def kind_checks(self) -> list[Check]:
		"""The checks of this mapping's kind, in the order they run."""
		if self.direction == "Outbound" and self.mapping_type == LEDGER:
			return [
				ledger_mapping.validate,
				outbound_mapping.check_condition,
				outbound_mapping.check_one_way_to_the_books,
			]
		if self.direction == "Inbound" and self.mapping_type == OPEN_ITEMS:
			return [open_items_mapping.validate, inbound_mapping.validate]
		if self.direction == "Inbound" and self.mapping_type == JOURNAL_ENTRIES:
			return [journal_mapping.validate, inbound_mapping.validate]
		self.mapping_type = FIELD_MAP
		direction = DIRECTION_CHECKS.get(self.direction)
		return [
			field_mapping.validate_rows,
			field_mapping.validate_erpnext_fields,
			*self.attachment_checks(),
			field_mapping.validate_keys,
			field_mapping.validate_pairing,
			*([direction] if direction else []),
			AFASConnectorMapping.check_against_metainfo,
		]

	def attachment_checks(self) -> list[Check]:
		"""Pictures and dossier attachments (inbound) and files sent with a push (outbound), when used."""
		checks = []
		if self.direction == "Inbound" and (self.image_field or "").strip():
			checks.append(attachments_mapping.check_pictures)
		if self.direction == "Inbound" and self.dossier_attachments:
			checks.append(attachments_mapping.check_dossier)
		if self.direction == "Outbound" and self.send_attachments:
			checks.append(attachments_mapping.check_sending)
		return checks

	def check_against_metainfo(self) -> None:
		"""AFAS fields must exist in the connector's metainfo — checked when AFAS can be reached."""
		if not is_enabled():
			return
		known = field_mapping.afas_fields(self)
		if known is None:
			return
		if self.direction == "Inbound":
			attachments_mapping.check_file_columns(self)
		field_mapping.check_afas_fields(self, known)

	def check_trust(self) -> None:
		"""The trust model (``binding/write_rules.py``): the mapping runs as whoever saves it, and may
		write only what that user may write in the desk, never what grants access or runs code."""
		if not (frappe.flags.in_install or frappe.flags.in_migrate or frappe.flags.in_patch):
			self.run_as = frappe.session.user
		write_rules.check(self)

	#: Fields only runs write (``binding/pull.py``): a save from a form loaded before or during a run
	#: keeps what the runs wrote since, instead of the values the form was loaded with.
	RUN_FIELDS = ("sync_state", "watermark", "last_run", "full_sync_pending", "field_map_hash")

	def keep_run_state(self) -> None:
		if self.is_new():
			return
		stored = frappe.db.get_value(MAPPING, self.name, self.RUN_FIELDS, as_dict=True)
		if stored:
			self.update(stored)

	def _validate_links(self) -> None:
		ledger_mapping.link_doctypes(self)
		super()._validate_links()

	def on_update(self) -> None:
		clear_outbound_cache()
		if self.mapping_type == OPEN_ITEMS:
			ensure_custom_fields(self.erpnext_doctype)
		if self.link_with and self.has_value_changed("link_with"):
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

	# -------------------------------------------------------------- what the flows read

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
