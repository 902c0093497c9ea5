"""The checks of a Ledger (FiEntries) mapping (``binding/ledger.py`` books its vouchers): its maps
cover what its vouchers book, and their AFAS values are ones AFAS has. Its Condition is an outbound
one (``outbound_mapping.check_condition``)."""

from __future__ import annotations

from typing import Any

import frappe
from frappe import _

from afas_connector.afas import AfasError
from afas_connector.binding.connection import is_enabled
from afas_connector.binding.ledger import (
	REFERENCE,
	VOUCHER_TYPES,
	invoice_number_problems,
	reference_values,
	unmapped_accounts,
)
from afas_connector.binding.mapping_checks import escape_html

#: What each kind of Ledger Maps row maps from (the Dynamic Link's DocType; a journal row may name an
#: Account: a bank account's own journal).
ERPNEXT_DOCTYPE = {
	"Account": "Account",
	"VAT Code": "Account",
	"Journal": "DocType",
	"Administration": "Company",
	"Cost Centre": "Cost Center",
}


def link_doctypes(doc: Any) -> None:
	"""Ledger Maps rows link by kind (an Account, a Company …): known before Frappe checks the links."""
	for row in doc.get("ledger_maps") or []:
		if row.kind and not (row.kind == "Journal" and row.erpnext_doctype in ("DocType", "Account")):
			row.erpnext_doctype = ERPNEXT_DOCTYPE.get(row.kind)


def validate(doc: Any) -> None:
	"""A ledger mapping books vouchers as AFAS financial entries: FiEntries (root FiEntryPar) on
	submit, a reversal on cancel. Its maps must cover what its vouchers book: every account their
	GL Entries use, an administration per company and a journal."""
	if doc.erpnext_doctype not in VOUCHER_TYPES:
		frappe.throw(
			_("A ledger mapping books {0}, not {1}").format(", ".join(VOUCHER_TYPES), doc.erpnext_doctype),
			title=_("Invalid ledger mapping"),
		)
	doc.afas_connector, doc.afas_root_element, doc.afas_key_field = "FiEntries", "FiEntryPar", "EnNo"
	doc.push_on_submit, doc.push_on_cancel = 1, 1
	doc.push_on_insert = doc.push_on_update = doc.push_on_trash = 0
	doc.set("field_mappings", [])
	check_maps(doc)
	for field, party in (("customer_mapping", "Sales Invoice"), ("supplier_mapping", "Purchase Invoice")):
		if doc.erpnext_doctype == party and not doc.get(field):
			frappe.throw(
				_("{0} is required: its Record Links give the party's AFAS number").format(
					_(doc.meta.get_label(field))
				)
			)
	check_values_in_afas(doc)
	check_invoice_numbers(doc)
	missing = unmapped_accounts(doc)
	if missing:
		frappe.throw(
			_(
				"These accounts are used by {0} vouchers but have no AFAS account in the Ledger Maps: {1}"
			).format(_(doc.erpnext_doctype), ", ".join(missing[:20])),
			title=_("Unmapped accounts"),
		)


def check_maps(doc: Any) -> None:
	"""Each row's ERPNext side exists, and the maps have an administration and a journal."""
	for row in doc.ledger_maps:
		if row.kind != "Journal" or row.erpnext_doctype not in ("DocType", "Account"):
			row.erpnext_doctype = ERPNEXT_DOCTYPE[row.kind]
		if not frappe.db.exists(row.erpnext_doctype, row.erpnext_value):
			frappe.throw(
				_("Ledger Maps row {0}: {1} {2} does not exist").format(
					row.idx, _(row.erpnext_doctype), row.erpnext_value
				)
			)
	kinds = {row.kind for row in doc.ledger_maps}
	for kind, why in (
		("Administration", _("the AFAS administration (UnId) of each company")),
		("Journal", _("the AFAS journal (JoCo)")),
	):
		if kind not in kinds:
			frappe.throw(
				_("Ledger Maps: add a {0} row: {1}").format(_(kind), why),
				title=_("Invalid ledger mapping"),
			)


def check_values_in_afas(doc: Any) -> None:
	"""Each AFAS value of the Ledger Maps is one AFAS has (its account, journal, administration …),
	labelled with AFAS's description; checked when AFAS can be reached."""
	if not is_enabled():
		return
	for kind in sorted({row.kind for row in doc.ledger_maps} & set(REFERENCE)):
		try:
			known = reference_values(kind)
		except AfasError as exc:
			if exc.status in (404, 500):
				continue  # this App Connector has no such GetConnector: the values stay unchecked
			frappe.msgprint(
				_("Could not check the {0} values against AFAS: {1}").format(_(kind), escape_html(str(exc))),
				indicator="orange",
				alert=True,
			)
			return
		for row in doc.ledger_maps:
			if row.kind != kind:
				continue
			value = (row.afas_value or "").strip()
			if value not in known:
				frappe.throw(
					_("Ledger Maps row {0}: AFAS has no {1} {2}").format(row.idx, _(kind).lower(), value),
					title=_("Unknown AFAS value"),
				)
			row.afas_value, row.afas_label = value, known[value]


def check_invoice_numbers(doc: Any) -> None:
	"""Two naming series must not give AFAS the same invoice numbers (InId holds 12 characters)."""
	clashes = invoice_number_problems(doc)
	if clashes:
		frappe.throw(
			_(
				"Invoice Number: {0} would give two naming series of {1} the same invoice numbers in AFAS "
				"({2}). Give one of them numbers of another form, or choose Document Name"
			).format(
				_(doc.invoice_number_rule or "Number at the End of the Name"),
				_(doc.erpnext_doctype),
				"; ".join(clashes),
			),
			title=_("Invalid ledger mapping"),
		)
