"""The checks of a Journal Entries (AFAS → ERPNext) mapping (``binding/payroll_journal.py`` books its
entries): it reads chosen AFAS journals into Journal Entries with the maps of the Ledger mapping it
names, used in reverse. Nothing is mapped field by field. Its schedule is an inbound one
(``inbound_mapping``)."""

from __future__ import annotations

from typing import Any

import frappe
from frappe import _

from afas_connector.binding.constants import MAPPING
from afas_connector.binding.payroll_journal import journals_of, ledger_journals, reversed_maps
from afas_connector.sync.mapping_errors import MappingConfigError
from afas_connector.sync.outbound_plan import LEDGER
from afas_connector.sync.payroll_journal import SOURCE, guard_conflicts


def validate(doc: Any) -> None:
	if doc.erpnext_doctype != "Journal Entry":
		frappe.throw(
			_("AFAS's journal entries are booked as Journal Entries, not {0}").format(_(doc.erpnext_doctype)),
			title=_("Invalid journal entries mapping"),
		)
	ledger = frappe.db.get_value(MAPPING, doc.ledger_mapping, "mapping_type") if doc.ledger_mapping else None
	if ledger != LEDGER:
		frappe.throw(
			_(
				"{0}: pick the Ledger (FiEntries) mapping whose account, cost centre and administration maps to use"
			).format(_(doc.meta.get_label("ledger_mapping"))),
			title=_("Invalid journal entries mapping"),
		)
	journals = journals_of(doc)
	if not journals:
		frappe.throw(
			_("AFAS Journals: name the AFAS journals to read, e.g. 60"),
			title=_("Invalid journal entries mapping"),
		)
	doc.afas_journals = ", ".join(journals)
	for name, booked_into in ledger_journals(but=doc.name).items():
		clash = guard_conflicts(journals, booked_into)
		if clash:
			frappe.throw(
				_(
					"AFAS journal {0} is one the Ledger mapping {1} books into: its entries came from ERPNext "
					"and are never read back"
				).format(", ".join(clash), name),
				title=_("Invalid journal entries mapping"),
			)
	try:
		reversed_maps(frappe.get_doc(MAPPING, doc.ledger_mapping))
	except MappingConfigError as exc:
		frappe.throw(str(exc), title=_("Invalid journal entries mapping"))
	doc.afas_connector, doc.afas_key_field = SOURCE, "EntryNo"
	doc.modified_field = None
	doc.deletion_mode = "Ignore"
	doc.set("field_mappings", [])
