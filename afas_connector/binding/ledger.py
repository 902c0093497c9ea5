"""The ledger flow, the frappe side: a submitted voucher (Sales/Purchase Invoice, Payment Entry,
Journal Entry) → its GL Entries → one balanced AFAS financial entry, built by ``sync/ledger.py``.

It reads what the builder needs from ERPNext (GL Entries, the invoice's items and taxes for the VAT
split, the party numbers AFAS holds through the customer and supplier mappings' Record Links) and
from AFAS (the administration's period table, cached), and looks a voucher up in AFAS's financial
mutations (``Profit_Transactions``, by voucher number, in the voucher's administration) before it
books: a booking whose answer was lost is found there instead of booked twice, and only if it is this
booking (``sync/ledger.find_booking``). A booking is known by ``administration/entry number``.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import frappe
from frappe import _
from frappe.utils import getdate

from afas_connector.binding.connection import environment, get_client
from afas_connector.binding.constants import LINK, LOG, MAPPING
from afas_connector.binding.record_links import afas_key_of, link_filters, scope_of, update_link
from afas_connector.binding.sync_log import has_pending_push
from afas_connector.sync.ledger import (
	DOCUMENT_NAME,
	ERPNEXT_NUMBER,
	BookedEntry,
	GLLine,
	InvoiceLine,
	LedgerMaps,
	Voucher,
	build_entry,
	entries_from_rows,
	invoice_number,
	invoice_number_clashes,
	item_vat_code,
	parse_entry_key,
	supplier_invoice_number,
)
from afas_connector.sync.mapping_errors import RecordError
from afas_connector.sync.outbound_plan import LEDGER
from afas_connector.sync.payroll_journal import JOURNAL_ENTRIES

VOUCHER_TYPES = ("Sales Invoice", "Purchase Invoice", "Payment Entry", "Journal Entry")
INVOICES = {"Sales Invoice": "Sales Invoice Item", "Purchase Invoice": "Purchase Invoice Item"}
#: Where AFAS keeps what it booked, and its period table (standard GetConnectors).
TRANSACTIONS = "Profit_Transactions"
PERIODS = "Profit_periods_per_administration"
PERIOD_CACHE_SECONDS = 600
REVERSAL_MARK = "On cancellation of "


def is_ledger(mapping: Any) -> bool:
	return mapping.get("mapping_type") == LEDGER


def maps_of(mapping: Any) -> tuple[LedgerMaps, dict[str, str], dict[str, str], dict[str, str]]:
	"""The mapping's Ledger Maps: ``(LedgerMaps, journals, administrations, cost centre codes)``;
	journals are keyed by voucher type or bank/cash account."""
	maps = LedgerMaps()
	journals: dict[str, str] = {}
	units: dict[str, str] = {}
	for row in mapping.ledger_maps:
		value = (row.afas_value or "").strip()
		if row.kind == "Account":
			maps.accounts[row.erpnext_value] = value
			if row.get("dimension"):
				maps.dimensions[row.erpnext_value] = row.dimension
		elif row.kind == "VAT Code":
			maps.vat_codes[row.erpnext_value] = value
		elif row.kind == "Cost Centre":
			maps.cost_centres[row.erpnext_value] = value
		elif row.kind == "Journal":
			journals[row.erpnext_value] = value
		elif row.kind == "Administration":
			units[row.erpnext_value] = value
	return maps, journals, units, maps.cost_centres


def voucher_of(mapping: Any, doctype: str, name: str, *, reverse: bool = False) -> tuple[Voucher, Any]:
	"""The voucher as the builder takes it, and its ERPNext document. ``reverse``: the GL lines ERPNext
	booked for its cancellation (the reversing entry) instead of the booking. The document is read
	as the builder needs it (header, items, taxes), not loaded whole: a Sales Invoice has some twenty
	child tables, and loading them was half of a ledger push."""
	doc = _voucher_document(doctype, name)
	company_currency = frappe.get_cached_value("Company", doc.company, "default_currency")
	rows = frappe.get_all(
		"GL Entry",
		# A deleted voucher's GL Entries stay (ERPNext keeps them unless Accounts Settings says
		# otherwise) and Frappe gives a deleted last name out again: only this voucher's own.
		filters={"voucher_type": doctype, "voucher_no": name, "creation": [">=", doc.creation]},
		fields=[
			"account",
			"debit",
			"credit",
			"party_type",
			"party",
			"cost_center",
			"account_currency",
			"debit_in_account_currency",
			"credit_in_account_currency",
			"against_voucher",
			"against_voucher_type",
			"posting_date",
			"remarks",
		],
		order_by="creation asc, name asc",
	)
	lines = [
		GLLine(
			account=r.account,
			debit=Decimal(str(r.debit or 0)),
			credit=Decimal(str(r.credit or 0)),
			party_type=r.party_type or None,
			party=r.party or None,
			cost_center=r.cost_center or None,
			account_currency=r.account_currency or None,
			debit_in_account_currency=Decimal(str(r.debit_in_account_currency or 0)),
			credit_in_account_currency=Decimal(str(r.credit_in_account_currency or 0)),
			against_voucher=r.against_voucher or None,
			against_voucher_type=r.against_voucher_type or None,
			posting_date=str(r.posting_date),
		)
		for r in rows
		if (r.remarks or "").startswith(REVERSAL_MARK) == reverse
	]
	voucher = Voucher(
		doctype=doctype,
		name=name,
		company=doc.company,
		company_currency=company_currency,
		posting_date=str(lines[0].posting_date if lines else doc.get("posting_date")),
		lines=lines,
		description=_description(doc),
	)
	if doctype in INVOICES:
		number, _why = invoice_number_of(mapping, doctype, name, bill_no=doc.get("bill_no"))
		voucher.invoice_number = number
		voucher.due_date = str(doc.due_date) if doc.get("due_date") else None
		voucher.invoice_lines = _invoice_lines(doc, maps_of(mapping)[0])
	return voucher, doc


#: The header fields a voucher's entry reads, per voucher type.
HEADER = {
	"Sales Invoice": ["creation", "company", "posting_date", "due_date", "customer_name"],
	"Purchase Invoice": ["creation", "company", "posting_date", "due_date", "supplier_name", "bill_no"],
	"Payment Entry": ["creation", "company", "posting_date", "party_name", "paid_to", "paid_from", "remarks"],
	"Journal Entry": ["creation", "company", "posting_date", "user_remark"],
}
#: An invoice's item and tax tables, and the item fields its lines read.
INVOICE_TABLES = {
	"Sales Invoice": ("Sales Invoice Item", "Sales Taxes and Charges", "income_account"),
	"Purchase Invoice": ("Purchase Invoice Item", "Purchase Taxes and Charges", "expense_account"),
}


def _voucher_document(doctype: str, name: str) -> Any:
	"""``{doctype, name, <HEADER fields>, items, taxes}`` of a voucher, read with three queries."""
	doc = frappe.db.get_value(doctype, name, HEADER[doctype], as_dict=True)
	if doc is None:
		raise frappe.DoesNotExistError(_("{0} {1} not found").format(_(doctype), name))
	doc.update(doctype=doctype, name=name)
	if doctype in INVOICE_TABLES:
		items, taxes, account_field = INVOICE_TABLES[doctype]
		child = {"parent": name, "parenttype": doctype}
		doc["items"] = frappe.get_all(
			items,
			filters=child,
			fields=[account_field, "cost_center", "base_net_amount", "item_tax_rate"],
			order_by="idx asc",
		)
		doc["taxes"] = frappe.get_all(
			taxes, filters=child, fields=["account_head", "rate"], order_by="idx asc"
		)
	return doc


def _description(doc: Any) -> str:
	party = doc.get("customer_name") or doc.get("supplier_name") or doc.get("party_name") or ""
	text = doc.get("remarks") or doc.get("user_remark") or ""  # a payment's remarks, a journal's user remark
	return (text or f"{doc.doctype} {doc.name} {party}").strip()


def _invoice_lines(doc: Any, maps: LedgerMaps) -> list[InvoiceLine]:
	"""Each item's net amount on its income or expense account, with its VAT code."""
	tax_rows = [(t.account_head, float(t.rate or 0)) for t in doc.get("taxes") or []]
	account_field = "income_account" if doc.doctype == "Sales Invoice" else "expense_account"
	lines = []
	for item in doc["items"]:
		rates = json.loads(item.item_tax_rate or "{}") if item.get("item_tax_rate") else {}
		lines.append(
			InvoiceLine(
				account=item.get(account_field),
				cost_center=item.get("cost_center"),
				amount=Decimal(str(item.base_net_amount or 0)),
				vat_code=item_vat_code(rates, tax_rows, maps.vat_codes),
			)
		)
	return lines


def build(
	mapping: Any, doctype: str, name: str, *, reverse: bool = False
) -> tuple[Any, list[RecordError], list[str]]:
	"""The FiEntries record for the voucher (its reversal with ``reverse``), the reasons it cannot be
	sent, and the parties whose own push is still on its way (the entry waits for them)."""
	voucher, doc = voucher_of(mapping, doctype, name, reverse=reverse)
	maps, journals, units, _codes = maps_of(mapping)
	maps.profit_and_loss = profit_and_loss_accounts({line.account for line in voucher.lines})
	errors: list[RecordError] = []
	waiting: list[str] = []
	unit = units.get(voucher.company)
	journal = _journal(doc, journals)
	if not unit:
		errors.append(
			RecordError(
				name,
				"UnId",
				_("company {0} has no AFAS administration in the mapping").format(voucher.company),
			)
		)
	if not journal:
		errors.append(
			RecordError(name, "JoCo", _("{0} has no AFAS journal in the mapping").format(_(doctype)))
		)
	parties: dict[tuple[str, str], str | None] = {}
	for line in voucher.lines:
		if line.party_type in ("Customer", "Supplier") and line.party:
			via = mapping.customer_mapping if line.party_type == "Customer" else mapping.supplier_mapping
			key = afas_key_of(via, line.party) if via else None
			parties[(line.party_type, line.party)] = key
			if not key and via and has_pending_push(via, line.party):
				waiting.append(_("{0} (mapping {1})").format(line.party, via))
	invoice_numbers = {}
	for line in voucher.lines:
		if line.against_voucher and line.against_voucher != name:
			number, _why = invoice_number_of(mapping, line.against_voucher_type, line.against_voucher)
			if number:
				invoice_numbers[line.against_voucher] = number
	if doctype in INVOICES and not voucher.invoice_number:
		why = invoice_number_of(mapping, doctype, name, bill_no=doc.get("bill_no"))[1]
		errors.append(RecordError(name, "InId", why))
	year = period = 0
	if unit:
		try:
			year, period = period_of(int(unit), getdate(voucher.posting_date))
		except LookupError as exc:
			errors.append(RecordError(name, "Peri", str(exc)))
	record, build_errors = build_entry(
		voucher,
		maps,
		year=year,
		period=period,
		unit=int(unit or 0),
		journal=journal or "",
		parties=parties,
		invoice_numbers=invoice_numbers,
	)
	return record, errors + build_errors, waiting


def _journal(doc: Any, journals: dict[str, str]) -> str | None:
	"""The journal of a voucher: its bank or cash account's (a payment), else its voucher type's."""
	if doc.doctype == "Payment Entry":
		for account in (doc.get("paid_to"), doc.get("paid_from")):
			if account in journals:
				return journals[account]
	return journals.get(doc.doctype)


def period_of(unit: int, day: Any) -> tuple[int, int]:
	"""AFAS's financial year and period of ``day`` in administration ``unit``, from its own period
	table (``Profit_periods_per_administration``: not always 12 calendar months). Raises LookupError."""
	key = f"afas_periods::{environment()}::{unit}"
	periods = frappe.cache.get_value(key)
	if periods is None:
		with get_client() as client:
			rows = client.iter_rows(PERIODS, order_by=["Year", "Period"], filters=[["Unit", "=", unit]])
			periods = [(r["Year"], r["Period"], str(r["DateFrom"])[:10], str(r["DateTo"])[:10]) for r in rows]
		frappe.cache.set_value(key, periods, expires_in_sec=PERIOD_CACHE_SECONDS)
	text = str(day)[:10]
	for year, period, start, end in periods:
		if start <= text <= end:
			return int(year), int(period)
	raise LookupError(_("{0} is in no period of AFAS administration {1}").format(text, unit))


def profit_and_loss_accounts(accounts: set[str]) -> set[str]:
	"""Which of ``accounts`` are on ERPNext's profit and loss statement (``report_type``)."""
	if not accounts:
		return set()
	return set(
		frappe.get_all(
			"Account",
			filters={"name": ["in", sorted(accounts)], "report_type": "Profit and Loss"},
			pluck="name",
		)
	)


def naming_series_of(doctype: str) -> list[str]:
	"""The naming series a DocType offers (its Naming Series options, the first the default)."""
	field = frappe.get_meta(doctype).get_field("naming_series")
	options = (field.options or "") if field else ""
	return [line.strip() for line in options.split("\n") if line.strip()]


def invoice_number_of(
	mapping: Any, doctype: str | None, name: str, *, bill_no: str | None = None
) -> tuple[str | None, str | None]:
	"""The invoice number (``InId``) AFAS gets for invoice ``name``: a Purchase Invoice's supplier's
	own number (``bill_no``) where it has one and the mapping's Purchase Invoice Number says so
	(the default: what AFAS's creditor items and payments are matched on); else the number by the
	mapping's Invoice Number rule, unique per naming series (``sync/ledger.invoice_number``). Returns
	``(number, None)`` or ``(None, why not)``. The Open Items read asks AFAS for the same number."""
	rule = mapping.get("invoice_number_rule") or ""
	if doctype == "Purchase Invoice" and (mapping.get("purchase_invoice_number") or "") != ERPNEXT_NUMBER:
		if bill_no is None:
			bill_no = frappe.db.get_value("Purchase Invoice", name, "bill_no")
		number, why = supplier_invoice_number(bill_no)
		if number or why:
			return number, why
	series = naming_series_of(doctype) if doctype in INVOICES and rule != DOCUMENT_NAME else []
	return invoice_number(name, rule, series)


def invoice_number_problems(mapping: Any) -> list[str]:
	"""Why the mapping's Invoice Number rule cannot give its invoices numbers of their own in AFAS
	(per administration and party kind: a Sales Invoice's debtor item, a Purchase Invoice's creditor
	item), for the mapping's save to refuse; empty when it can."""
	doctype = mapping.get("erpnext_doctype")
	rule = mapping.get("invoice_number_rule") or ""
	if doctype not in INVOICES or rule == DOCUMENT_NAME:
		return []
	return invoice_number_clashes(naming_series_of(doctype))


def booked_entries(client: Any, voucher_no: str, unit: int) -> list[BookedEntry]:
	"""The entries AFAS holds with voucher number ``voucher_no`` in administration ``unit``, oldest
	first (AFAS numbers entries per administration: another administration's are another voucher's)."""
	rows = client.iter_rows(
		TRANSACTIONS,
		order_by=["EntryNo", "SeqNo"],
		filters=[["VoucherNo", "=", voucher_no], ["UnitId", "=", unit]],
	)
	return entries_from_rows(rows)


def claimed_entries(mapping: Any, doctype: str, name: str, unit: int, entries: list[BookedEntry]) -> set[str]:
	"""Which of ``entries`` are another document's: linked (as its booking or reversal) to another
	document of the mapping in this AFAS environment, or booked for an earlier document of the same
	name (Frappe gives a deleted last name out again; its Sync Logs stay)."""
	if not entries:
		return set()
	keys = {e.key for e in entries}
	spelled = sorted(keys | {e.number for e in entries if e.unit == unit})  # and links made before
	created = frappe.db.get_value(doctype, name, "creation")
	claimed: set[str] = set()
	for field in ("afas_key", "reversal_key"):
		for link in frappe.get_all(
			LINK,
			filters=link_filters(mapping.name, **{field: ["in", spelled]}),
			fields=[field, "reference_doctype", "reference_name", "creation"],
		):
			same = (link.reference_doctype, link.reference_name) == (doctype, name)
			if not same or (created and link.creation < created):
				claimed.add(parse_entry_key(link[field], unit) or "")
	if created:
		for key in frappe.get_all(
			LOG,
			filters={
				"mapping": mapping.name,
				"reference_doctype": doctype,
				"reference_name": name,
				"status": "Success",
				"afas_key": ["in", spelled],
				"creation": ["<", created],
			},
			pluck="afas_key",
		):
			claimed.add(parse_entry_key(key, unit) or "")
	return claimed & keys


#: Appended to the key of a link whose AFAS entry number AFAS gave to another voucher: the link stays
#: on its document (never moved), with a note, and its key is free for the booking AFAS answered.
GIVEN_OUT_AGAIN = " (given out again)"


def link_booking(mapping: Any, key: str, doctype: str, name: str, unit: int) -> str | None:
	"""Link booking ``key`` (``administration/entry``) to the voucher. A link that holds the same entry
	for another document (an AFAS environment restored from a copy gives a number out again) is never
	moved: it stays on its document, marked Missing in AFAS, with a note and its key marked
	:data:`GIVEN_OUT_AGAIN`. Returns a note naming that document, if any."""
	number = key.split("/", 1)[1]
	spelled = [key, number] if key.startswith(f"{unit}/") else [key]
	note = None
	for other in frappe.get_all(
		LINK,
		filters=link_filters(mapping.name, afas_key=["in", spelled]),
		fields=["name", "afas_key", "reference_doctype", "reference_name"],
	):
		if (other.reference_doctype, other.reference_name) == (doctype, name):
			update_link(other.name, afas_key=key, missing_in_afas=0)
			return None
		note = _(
			"AFAS gave entry {0} again, to {1} {2}; it was the booking of {3} {4}, whose link is kept, marked "
			"Missing in AFAS: look {4} up in AFAS (an environment restored from an older copy?)"
		).format(key, _(doctype), name, _(other.reference_doctype), other.reference_name)
		update_link(other.name, afas_key=f"{key}{GIVEN_OUT_AGAIN}", missing_in_afas=1, note=note)
	frappe.get_doc(
		{
			"doctype": LINK,
			"mapping": scope_of(mapping.name),
			"environment": environment(),
			"afas_key": key,
			"reference_doctype": doctype,
			"reference_name": name,
			"last_synced": frappe.utils.now_datetime(),
		}
	).insert(ignore_permissions=True, ignore_links=True)
	return note


def unit_of(mapping: Any, company: str) -> int | None:
	"""The AFAS administration the mapping books ``company``'s vouchers in."""
	unit = maps_of(mapping)[2].get(company)
	return int(unit) if unit else None


def unmapped_accounts(mapping: Any) -> list[str]:
	"""Accounts the mapping's vouchers use (their GL Entries so far, for the companies it maps) that
	have no AFAS account in it; customer and supplier lines need none (they book on the party). Journal
	Entries booked from AFAS (a Journal Entries (AFAS → ERPNext) mapping's) are never sent back: their
	accounts need none either."""
	maps, _journals, units, _codes = maps_of(mapping)
	if not units:
		return []
	filters: dict[str, Any] = {
		"voucher_type": mapping.erpnext_doctype,
		"company": ["in", list(units)],
		"is_cancelled": 0,
	}
	from_afas = booked_from_afas(mapping.erpnext_doctype)
	if from_afas:
		filters["voucher_no"] = ["not in", from_afas]
	used = frappe.get_all(
		"GL Entry",
		filters=filters,
		fields=["account", "party_type"],
		distinct=True,
	)
	return sorted(
		{
			r.account
			for r in used
			if r.account not in maps.accounts and r.party_type not in ("Customer", "Supplier")
		}
	)


def booked_from_afas(doctype: str) -> list[str]:
	"""The ``doctype`` documents a Journal Entries (AFAS → ERPNext) mapping booked (its Record Links)."""
	if doctype != "Journal Entry":
		return []
	readers = frappe.get_all(MAPPING, filters={"mapping_type": JOURNAL_ENTRIES}, pluck="name")
	if not readers:
		return []
	return frappe.get_all(
		LINK,
		filters={"mapping": ["in", readers], "reference_doctype": doctype},
		pluck="reference_name",
	)


def mapping_names() -> list[str]:
	return frappe.get_all(MAPPING, filters={"mapping_type": LEDGER}, pluck="name")


#: Where AFAS keeps the values a Ledger Maps row of each kind names: (GetConnector, key, description).
REFERENCE = {
	"Account": ("Profit_Accounts", "Account", "Description"),
	"Journal": ("Profit_Journals", "JournalId", "Description"),
	"Administration": ("Profit_Administrations", "AdminId", "AdminNm"),
	"VAT Code": ("Profit_VAT_code", "VatCode", "Description"),
	# No standard GetConnector lists the financial dimension codes a FiDimEntries line takes:
	# Profit_CostCentre is payroll's (employer cost centres, keyed by EmployerId). AFAS checks the
	# code when the entry is booked.
}


def reference_values(kind: str, *, interactive: bool = True) -> dict[str, str]:
	"""``{AFAS value: description}`` of a Ledger Maps kind, read from AFAS's standard GetConnector
	(cached like metainfo). Raises :class:`AfasError` when AFAS cannot be read."""
	connector, key, label = REFERENCE[kind]
	cache = f"afas_reference::{environment()}::{connector}"
	values = frappe.cache.get_value(cache)
	if values is None:
		with get_client(interactive=interactive) as client:
			values = {
				str(r.get(key)): str(r.get(label) or "") for r in client.iter_rows(connector, order_by=[key])
			}
		frappe.cache.set_value(cache, values, expires_in_sec=PERIOD_CACHE_SECONDS)
	return values
