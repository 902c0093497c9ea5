"""The general ledger to AFAS, pure: an ERPNext voucher's GL Entries → one balanced AFAS financial
entry (UpdateConnector ``FiEntries``, root ``FiEntryPar``).

Whatever ERPNext booked is what AFAS books: every GL line becomes an AFAS line, on the AFAS account
the account map gives (``VaAs`` 1), or on the debtor or creditor AFAS holds for a customer or
supplier line (``VaAs`` 2 / 3), with the voucher number (``BpNr``), the invoice number (``InId``),
the dates, the cost centre (AFAS dimension entries, ``FiDimEntries``) and, where the account is in a
foreign currency, the currency amounts.

**VAT.** AFAS's own examples book a sales invoice as a debtor line incl. VAT, revenue lines excl.
VAT and a VAT line on the VAT account, the revenue and VAT lines both carrying the VAT code
(``VaId``; AFAS OpenAPI spec, Mutaties, example "Sales with VAT"). So: a GL line on a tax account
keeps its amount and gets the code mapped from that tax account; an invoice's income or expense
line is split over the VAT codes of its items, in proportion to their net amounts. An item's code is
that of its own tax template's account with a rate (else its zero-rated one: reverse charge, export),
else that of the invoice's first mapped tax row. A zero-rated tax row books no GL line, but still
gives its code to the items, so AFAS's VAT return sees reverse-charge turnover.

**Cancel.** ERPNext books the reversal of a cancelled voucher as GL lines of its own (debit and
credit swapped, "On cancellation of …"); those lines are the reversing entry AFAS gets. Nothing
booked in AFAS is deleted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from afas_connector.afas.update import Record
from afas_connector.sync.mapping_errors import RecordError

#: AFAS's limits for the fields a ledger entry fills (AFAS OpenAPI spec, FiEntries).
MAX_INVOICE_NUMBER = 12  # InId
MAX_VOUCHER_NUMBER = 32  # BpNr
MAX_DESCRIPTION = 255  # Ds
#: ``VaAs``: what ``AcNr`` is.
LEDGER_ACCOUNT, DEBTOR, CREDITOR = "1", "2", "3"
PARTY_KIND = {"Customer": DEBTOR, "Supplier": CREDITOR}
#: How the invoice number (``InId``, at most 12 characters) is made from the ERPNext voucher.
INVOICE_NUMBER_RULES = ("Number at the End of the Name", "Document Name")
CENT = Decimal("0.01")


@dataclass
class GLLine:
	"""One GL Entry, as ERPNext booked it (amounts in the company currency)."""

	account: str
	debit: Decimal
	credit: Decimal
	party_type: str | None = None
	party: str | None = None
	cost_center: str | None = None
	account_currency: str | None = None
	debit_in_account_currency: Decimal = Decimal(0)
	credit_in_account_currency: Decimal = Decimal(0)
	against_voucher: str | None = None  # the invoice a payment line settles
	posting_date: str = ""


@dataclass
class InvoiceLine:
	"""An invoice item's net amount on its income or expense account, and its VAT code."""

	account: str
	cost_center: str | None
	amount: Decimal
	vat_code: str | None


@dataclass
class Voucher:
	"""What the builder needs of an ERPNext voucher (Sales/Purchase Invoice, Payment Entry, Journal
	Entry): its GL lines (the booking, or for a cancel the reversal), and for invoices the item split."""

	doctype: str
	name: str
	company: str
	company_currency: str
	posting_date: str
	lines: list[GLLine]
	invoice_lines: list[InvoiceLine] = field(default_factory=list)
	invoice_number: str | None = None  # InId of the voucher itself (invoices)
	due_date: str | None = None
	description: str = ""


@dataclass
class LedgerMaps:
	"""ERPNext → AFAS: ledger accounts, VAT codes (by tax account), cost centres (dimension code)."""

	accounts: dict[str, str] = field(default_factory=dict)
	vat_codes: dict[str, str] = field(default_factory=dict)
	cost_centres: dict[str, str] = field(default_factory=dict)


def invoice_number(name: str, rule: str) -> tuple[str | None, str | None]:
	"""``InId`` from an ERPNext voucher name by ``rule``: ``(number, None)`` or ``(None, why not)``.

	"Number at the End of the Name" keeps the part after the naming series' letters:
	``ACC-SINV-2026-00001`` → ``2026-00001``; "Document Name" sends the name as it is. AFAS holds at
	most 12 characters; a number that does not fit is refused, never cut.
	"""
	if rule == "Document Name":
		number = name
	else:
		match = re.search(r"(\d[\d\-/.]*)$", name)
		number = match.group(1).lstrip("-/.") if match else name
	if len(number) > MAX_INVOICE_NUMBER:
		return None, (
			f"invoice number {number!r} ({len(number)} characters) does not fit AFAS's InId "
			f"(at most {MAX_INVOICE_NUMBER}); choose another Invoice Number rule on the mapping"
		)
	return number, None


def item_vat_code(
	item_tax_rates: Mapping[str, float], tax_rows: list[tuple[str, float]], vat_codes: Mapping[str, str]
) -> str | None:
	"""The VAT code of one invoice item: its own tax template's mapped account with a rate, else its
	mapped zero-rated one, else the invoice's first mapped tax row with a rate, else its first mapped
	zero-rated row (reverse charge, export); None where nothing is mapped."""
	own = [(account, rate) for account, rate in item_tax_rates.items() if account in vat_codes]
	for rows in (own, tax_rows):
		mapped = [(account, rate) for account, rate in rows if account in vat_codes]
		for account, rate in mapped:
			if rate:
				return vat_codes[account]
		if mapped:
			return vat_codes[mapped[0][0]]
	return None


def build_entry(
	voucher: Voucher,
	maps: LedgerMaps,
	*,
	year: int,
	period: int,
	unit: int,
	journal: str,
	parties: Mapping[tuple[str, str], str | None],
	invoice_numbers: Mapping[str, str] | None = None,
) -> tuple[Record, list[RecordError]]:
	"""The FiEntries record (root ``FiEntryPar``) for ``voucher``, and what stops it from being sent.

	``parties``: ``{(party_type, party): AFAS debtor or creditor number or None}``;
	``invoice_numbers``: ``{ERPNext invoice: InId}`` for payment lines settling an invoice. Errors
	name what is missing (an account without an AFAS account, a party not in AFAS) or does not fit
	(a voucher number over 32 characters); the lines balance or it is an error.
	"""
	errors: list[RecordError] = []
	key = voucher.name
	if len(voucher.name) > MAX_VOUCHER_NUMBER:
		errors.append(
			RecordError(
				key, "BpNr", f"voucher number {voucher.name!r} is over {MAX_VOUCHER_NUMBER} characters"
			)
		)
	invoice_numbers = invoice_numbers or {}
	rows: dict[tuple, dict[str, Any]] = {}
	splits = _split_by_vat(voucher)
	for line in voucher.lines:
		for part in _parts(line, splits):
			fields = _line_fields(voucher, part, maps, parties, invoice_numbers, errors)
			if fields is None:
				continue
			merge = (
				fields["VaAs"],
				fields["AcNr"],
				fields.get("VaId"),
				fields.get("CuId"),
				fields.get("InId"),
				part.cost_center_code,
			)
			row = rows.setdefault(
				merge, {"fields": fields, "dim": part.cost_center_code, "net": Decimal(0), "fc": Decimal(0)}
			)
			row["net"] += part.debit - part.credit
			row["fc"] += part.debit_fc - part.credit_fc
	lines: list[Record] = []
	debit_total = credit_total = Decimal(0)
	for row in rows.values():
		net = row["net"].quantize(CENT, ROUND_HALF_UP)
		if not net:
			continue
		fields = dict(row["fields"])
		fields["AmDe"], fields["AmCr"] = (float(net), 0.0) if net > 0 else (0.0, float(-net))
		debit_total += max(net, Decimal(0))
		credit_total += max(-net, Decimal(0))
		if "CuId" in fields:
			fc = row["fc"].quantize(CENT, ROUND_HALF_UP)
			fields["AmDc"], fields["AmCc"] = (float(fc), 0.0) if fc > 0 else (0.0, float(-fc))
			fields["Rate"] = float((abs(net) / abs(fc)).quantize(Decimal("0.000001"))) if fc else 1.0
		record = Record(fields=fields)
		if row["dim"]:
			record.objects["FiDimEntries"] = Record(
				fields={"DiC1": row["dim"], "AmDe": fields["AmDe"], "AmCr": fields["AmCr"]}
			)
		lines.append(record)
	if debit_total != credit_total and not errors:
		errors.append(
			RecordError(key, None, f"the entry does not balance: debit {debit_total}, credit {credit_total}")
		)
	if not lines:
		errors.append(RecordError(key, None, f"{voucher.doctype} {voucher.name} has no GL Entries to book"))
	root = Record(fields={"Year": year, "Peri": period, "UnId": unit, "JoCo": journal})
	root.objects["FiEntries"] = lines
	return root, errors


@dataclass
class _Part:
	"""A GL line, or its share for one VAT code."""

	line: GLLine
	debit: Decimal
	credit: Decimal
	debit_fc: Decimal
	credit_fc: Decimal
	vat_code: str | None
	cost_center_code: str | None = None


def _split_by_vat(voucher: Voucher) -> dict[tuple[str, str | None], list[tuple[str | None, Decimal]]]:
	"""``{(account, cost centre): [(VAT code, share of the net amount)]}`` from the invoice's items."""
	groups: dict[tuple[str, str | None], dict[str | None, Decimal]] = {}
	for item in voucher.invoice_lines:
		codes = groups.setdefault((item.account, item.cost_center), {})
		codes[item.vat_code] = codes.get(item.vat_code, Decimal(0)) + abs(item.amount)
	return {key: list(codes.items()) for key, codes in groups.items()}


def _parts(
	line: GLLine, splits: dict[tuple[str, str | None], list[tuple[str | None, Decimal]]]
) -> list[_Part]:
	shares = splits.get((line.account, line.cost_center)) or splits.get((line.account, None))
	if not shares or len(shares) == 1:
		code = shares[0][0] if shares else None
		return [
			_Part(
				line,
				line.debit,
				line.credit,
				line.debit_in_account_currency,
				line.credit_in_account_currency,
				code,
			)
		]
	total = sum(share for _code, share in shares) or Decimal(1)
	parts = []
	left = [line.debit, line.credit, line.debit_in_account_currency, line.credit_in_account_currency]
	for index, (code, share) in enumerate(shares):
		last = index == len(shares) - 1
		amounts = []
		for position, whole in enumerate(
			(line.debit, line.credit, line.debit_in_account_currency, line.credit_in_account_currency)
		):
			amount = left[position] if last else (whole * share / total).quantize(CENT, ROUND_HALF_UP)
			left[position] -= amount
			amounts.append(amount)
		parts.append(_Part(line, *amounts, code))
	return parts


def _line_fields(
	voucher: Voucher,
	part: _Part,
	maps: LedgerMaps,
	parties: Mapping[tuple[str, str], str | None],
	invoice_numbers: Mapping[str, str],
	errors: list[RecordError],
) -> dict[str, Any] | None:
	line = part.line
	key = voucher.name
	fields: dict[str, Any] = {}
	kind = PARTY_KIND.get(line.party_type or "")
	if kind and line.party:
		number = parties.get((line.party_type, line.party))
		if not number:
			errors.append(RecordError(key, "AcNr", f"{line.party_type} {line.party} is not in AFAS yet"))
			return None
		fields["VaAs"], fields["AcNr"] = kind, number
		settles = line.against_voucher if line.against_voucher != voucher.name else None
		number_of_invoice = invoice_numbers.get(settles) if settles else voucher.invoice_number
		if number_of_invoice:
			fields["InId"] = number_of_invoice
		if voucher.due_date and not settles:
			fields["DaEx"] = voucher.due_date
	else:
		account = maps.accounts.get(line.account)
		if not account:
			errors.append(
				RecordError(key, "AcNr", f"account {line.account} has no AFAS account in the mapping")
			)
			return None
		fields["VaAs"], fields["AcNr"] = LEDGER_ACCOUNT, account
		if voucher.invoice_number:
			fields["InId"] = voucher.invoice_number
	day = line.posting_date or voucher.posting_date
	fields["EnDa"] = fields["BpDa"] = day
	fields["BpNr"] = voucher.name
	if voucher.description:
		fields["Ds"] = voucher.description[:MAX_DESCRIPTION]
	code = maps.vat_codes.get(line.account) or part.vat_code
	if code and fields["VaAs"] == LEDGER_ACCOUNT:
		fields["VaId"] = code
	if line.account_currency and line.account_currency != voucher.company_currency:
		fields["CuId"] = line.account_currency
	if line.cost_center and line.cost_center in maps.cost_centres:
		part.cost_center_code = maps.cost_centres[line.cost_center]
	return fields
