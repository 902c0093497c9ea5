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

**Currency.** AFAS's ``Rate`` is the amount in the foreign currency per one unit of the
administration's currency: AFAS's example "Purchase with Currency" (OpenAPI spec, Mutaties,
FiEntries) books 10,000 (EUR) as 75,000 NOK with ``Rate`` 7.5, "Sales Currency" gives GBP 0.87, and
the connector computes a foreign amount "uit AmSe, Rate en valuta-afronding" (from the base amount and
the rate; ``endpoint/nl/fientries-post.md``, FiPrjEntries.AmFc). So amount × ``Rate`` = currency
amount. ERPNext's exchange rate is the other way round (company currency per foreign unit: USD 1,000
at 0.92 = EUR 920), so the entry carries its inverse (1.086957), computed from the line's own amounts.

**Dimensions.** AFAS's examples put the dimension (``FiDimEntries``) on the revenue or expense line
only ("Sales Specialization": on 8000, not on the debtor or the VAT line), and an administration
whose balance-sheet accounts take no dimensions refuses one there. So a cost centre goes only on a
profit-and-loss account's line, unless the account map says otherwise for that account.

**Identity.** AFAS numbers entries per administration, and answers a POST with ``EnNo`` and ``UnId``:
a booking is ``administration/entry number`` (:func:`entry_key`). Whether an entry AFAS already holds
under a voucher number is this voucher's booking is decided by :func:`find_booking`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
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
NUMBER_AT_THE_END, DOCUMENT_NAME = "Number at the End of the Name", "Document Name"
INVOICE_NUMBER_RULES = (NUMBER_AT_THE_END, DOCUMENT_NAME)
#: Which number a Purchase Invoice's lines carry (mapping field Purchase Invoice Number): the
#: supplier's own (``bill_no``), which AFAS's creditor open items and payments are matched on, or the
#: ERPNext number by the Invoice Number rule.
SUPPLIER_NUMBER, ERPNEXT_NUMBER = "Supplier's Invoice Number", "ERPNext Number"
PURCHASE_NUMBER_RULES = (SUPPLIER_NUMBER, ERPNEXT_NUMBER)
#: Account map choices for the cost-centre dimension (AFAS Ledger Map, Dimension).
DIMENSION_BY_TYPE, DIMENSION_SEND, DIMENSION_NEVER = "", "Always", "Never"
CENT = Decimal("0.01")
RATE_PLACES = Decimal("0.000001")


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
	against_voucher_type: str | None = None


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
	"""ERPNext → AFAS: ledger accounts, VAT codes (by tax account), cost centres (dimension code).

	``profit_and_loss``: the ERPNext accounts of the profit-and-loss statement (``report_type``);
	``dimensions``: an account map row's own choice (:data:`DIMENSION_SEND` or :data:`DIMENSION_NEVER`)."""

	accounts: dict[str, str] = field(default_factory=dict)
	vat_codes: dict[str, str] = field(default_factory=dict)
	cost_centres: dict[str, str] = field(default_factory=dict)
	profit_and_loss: set[str] = field(default_factory=set)
	dimensions: dict[str, str] = field(default_factory=dict)

	def takes_dimension(self, account: str) -> bool:
		"""Whether a line on ``account`` carries its cost centre: as the account map says, else only a
		profit-and-loss account (not a VAT, bank, debtor or other balance-sheet account)."""
		choice = self.dimensions.get(account) or DIMENSION_BY_TYPE
		if choice == DIMENSION_SEND:
			return True
		if choice == DIMENSION_NEVER:
			return False
		return account in self.profit_and_loss


def invoice_number(name: str, rule: str, series: Sequence[str] = ()) -> tuple[str | None, str | None]:
	"""``InId`` from an ERPNext voucher name by ``rule``: ``(number, None)`` or ``(None, why not)``.

	"Number at the End of the Name" keeps the part after the naming series' letters:
	``ACC-SINV-2026-00001`` → ``2026-00001``; "Document Name" sends the name as it is. AFAS holds at
	most 12 characters; a number that does not fit is refused, never cut.

	``series`` are the DocType's naming series (its first the default). A name of a series whose
	numbers look like those of an earlier one (``ACC-SINV-RET-.YYYY.-`` beside ``ACC-SINV-.YYYY.-``)
	gets that series' mark in front (:func:`series_marks`: ``R2026-00001``), so a credit note never
	shares its invoice's number in AFAS.
	"""
	if rule == DOCUMENT_NAME:
		number = name
	else:
		number = _number_at_the_end(name)
		prefix = _series_of(name, series)
		mark = series_marks(series).get(prefix or "", "") if prefix is not None else ""
		number = mark + number
	return fitting_invoice_number(number)


def fitting_invoice_number(number: str, what: str = "invoice number") -> tuple[str | None, str | None]:
	"""``(number, None)`` when it fits AFAS's ``InId``, else ``(None, why not)``: never cut."""
	if len(number) > MAX_INVOICE_NUMBER:
		return None, (
			f"{what} {number!r} ({len(number)} characters) does not fit AFAS's InId "
			f"(at most {MAX_INVOICE_NUMBER}); choose another Invoice Number rule on the mapping"
		)
	return number, None


def _number_at_the_end(name: str) -> str:
	match = re.search(r"(\d[\d\-/.]*)$", name)
	return match.group(1).lstrip("-/.") if match else name


#: A naming series' placeholders (Frappe: ``.YYYY.``, ``.MM.``, ``.#####`` …) and their widths.
_PLACEHOLDER_WIDTH = {"YYYY": 4, "YY": 2, "MM": 2, "DD": 2, "WW": 2, "FY": 9}


def series_prefix(series: str) -> str:
	"""The literal letters a naming series starts with (``ACC-SINV-.YYYY.-`` → ``ACC-SINV-``)."""
	cut = [i for i in (series.find("."), series.find("#"), series.find("{")) if i >= 0]
	return series[: min(cut)] if cut else series


def _series_shape(series: str) -> str:
	"""What a series' numbers look like after its letters: ``ACC-SINV-.YYYY.-`` → ``.YYYY.-.#####``
	(Frappe adds five digits to a series without ``#``)."""
	rest = series[len(series_prefix(series)) :]
	return rest if "#" in rest else f"{rest}.#####"


def _shape_width(shape: str) -> int:
	width = 0
	for part in shape.split("."):
		width += _PLACEHOLDER_WIDTH.get(part, len(part))
	return width


def _series_of(name: str, series: Sequence[str]) -> str | None:
	"""The prefix of the series ``name`` was made by (the longest that fits), or None."""
	prefixes = sorted({series_prefix(s) for s in series if series_prefix(s)}, key=len, reverse=True)
	return next((p for p in prefixes if name.startswith(p) and name[len(p) : len(p) + 1].isdigit()), None)


def series_marks(series: Sequence[str]) -> dict[str, str]:
	"""``{series prefix: mark}`` for the series whose numbers look like an earlier series' numbers: the
	initials of the words its prefix has and the first such series lacks (``ACC-SINV-RET-`` beside
	``ACC-SINV-`` → ``R``). The first series of each look, and any other, get no mark."""
	marks: dict[str, str] = {}
	first_of_shape: dict[str, str] = {}
	for one in series:
		prefix, shape = series_prefix(one), _series_shape(one)
		if not prefix or prefix in marks or prefix in first_of_shape.values():
			continue
		if shape not in first_of_shape:
			first_of_shape[shape] = prefix
			continue
		base = set(_words(first_of_shape[shape]))
		extra = [w for w in _words(prefix) if w not in base] or _words(prefix)
		marks[prefix] = "".join(w[0] for w in extra).upper()
	return marks


def _words(prefix: str) -> list[str]:
	return [w for w in re.split(r"[^A-Za-z0-9]+", prefix) if w]


def invoice_number_clashes(series: Sequence[str]) -> list[str]:
	"""Why "Number at the End of the Name" cannot give the DocType's series numbers of their own in
	AFAS (two series that look alike and get the same mark, or a marked number over 12 characters);
	empty when it can. Checked when a Ledger mapping is saved."""
	problems = []
	marks = series_marks(series)
	seen: dict[tuple[str, str], str] = {}
	for one in series:
		prefix = series_prefix(one)
		if prefix not in marks:
			continue
		shape = _series_shape(one)
		other = seen.get((shape, marks[prefix]))
		if other and other != prefix:
			problems.append(
				f"{other}… and {prefix}… would both become {marks[prefix]}{_example(shape)} in AFAS"
			)
		seen[(shape, marks[prefix])] = prefix
		width = len(marks[prefix]) + _shape_width(shape.strip("-/. "))
		if width > MAX_INVOICE_NUMBER:
			problems.append(
				f"{prefix}… would become {marks[prefix]}{_example(shape)} ({width} characters), over AFAS's "
				f"{MAX_INVOICE_NUMBER}"
			)
	return problems


def _example(shape: str) -> str:
	parts = []
	for part in shape.split("."):
		if part in _PLACEHOLDER_WIDTH:
			parts.append(
				{"YYYY": "2026", "YY": "26", "MM": "01", "DD": "01"}.get(part, "1" * _PLACEHOLDER_WIDTH[part])
			)
		elif part and set(part) == {"#"}:
			parts.append("1".rjust(len(part), "0"))
		else:
			parts.append(part)
	return "".join(parts).strip("-/. ")


def supplier_invoice_number(bill_no: str | None) -> tuple[str | None, str | None]:
	"""The supplier's own invoice number as AFAS's ``InId``, ``(None, None)`` when there is none."""
	number = (bill_no or "").strip()
	if not number:
		return None, None
	return fitting_invoice_number(number, "the supplier's invoice number")


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
			fields["Rate"] = afas_rate(net, fc)
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
	takes = fields["VaAs"] == LEDGER_ACCOUNT and maps.takes_dimension(line.account)
	if takes and line.cost_center and line.cost_center in maps.cost_centres:
		part.cost_center_code = maps.cost_centres[line.cost_center]
	return fields


def afas_rate(amount: Decimal, currency_amount: Decimal) -> float:
	"""AFAS's ``Rate`` for a line of ``amount`` (administration currency) and ``currency_amount``
	(foreign): foreign units per unit of the administration's currency, so that amount × ``Rate`` =
	currency amount (module docstring, "Currency"; 1.0 for a line without a currency amount)."""
	if not amount or not currency_amount:
		return 1.0
	return float((abs(currency_amount) / abs(amount)).quantize(RATE_PLACES, ROUND_HALF_UP))


# ---------------------------------------------------------------- a voucher's identity in AFAS


def entry_key(unit: Any, number: Any) -> str:
	"""The key of a booking: AFAS numbers entries per administration (``UnId``), so the entry number
	alone is no identity (``1/48244``)."""
	return f"{int(unit)}/{number}"


def parse_entry_key(key: str | None, unit: int) -> str | None:
	"""``key`` as :func:`entry_key` makes it; a bare entry number (a link made before keys held the
	administration) is read as one of ``unit``; anything after the key (a note) is ignored."""
	match = re.match(r"\s*(?:(\d+)/)?(\d+)", key or "")
	if not match:
		return None
	return entry_key(match.group(1) or unit, match.group(2))


@dataclass
class BookedEntry:
	"""An entry AFAS holds (``Profit_Transactions`` rows of one ``UnitId`` and ``EntryNo``)."""

	unit: int
	number: str
	date: str
	nets: dict[str, Decimal]  # AFAS account (ledger, debtor or creditor number) → debit − credit

	@property
	def key(self) -> str:
		return entry_key(self.unit, self.number)


def entries_from_rows(rows: Iterable[Mapping[str, Any]]) -> list[BookedEntry]:
	"""``Profit_Transactions`` rows (``UnitId``, ``EntryNo``, ``AccountNo``, ``AmtDebit``,
	``AmtCredit``, ``VoucherDate``) as entries, in AFAS's order of entry numbers."""
	entries: dict[tuple[int, str], BookedEntry] = {}
	for row in rows:
		unit, number = int(row.get("UnitId") or 1), str(row.get("EntryNo"))
		entry = entries.setdefault(
			(unit, number),
			BookedEntry(unit, number, str(row.get("VoucherDate") or row.get("EntryDate") or "")[:10], {}),
		)
		account = str(row.get("AccountNo"))
		net = _decimal(row.get("AmtDebit")) - _decimal(row.get("AmtCredit"))
		entry.nets[account] = entry.nets.get(account, Decimal(0)) + net
	return sorted(entries.values(), key=lambda e: (e.unit, int(e.number) if e.number.isdigit() else 0))


def entry_of_record(record: Record, unit: int) -> BookedEntry:
	"""What ``record`` (a FiEntries body) books, as :class:`BookedEntry` (no number yet)."""
	nets: dict[str, Decimal] = {}
	date = ""
	for line in record.objects.get("FiEntries") or []:
		fields = line.fields
		account = str(fields.get("AcNr"))
		nets[account] = (
			nets.get(account, Decimal(0)) + _decimal(fields.get("AmDe")) - _decimal(fields.get("AmCr"))
		)
		date = date or str(fields.get("BpDa") or fields.get("EnDa") or "")[:10]
	return BookedEntry(unit, "", date, nets)


def party_accounts(record: Record) -> set[str]:
	"""The debtor and creditor numbers ``record`` books on."""
	return {
		str(line.fields.get("AcNr"))
		for line in record.objects.get("FiEntries") or []
		if str(line.fields.get("VaAs")) in (DEBTOR, CREDITOR)
	}


@dataclass(frozen=True)
class Finding:
	"""What the look-up in AFAS decided: ``link`` the entry ``key`` (this booking is already there),
	``book`` it, or ``undecided`` (``candidates`` could each be it; the user decides), or ``missing``
	(the booking a reversal reverses is not there)."""

	action: str
	key: str | None = None
	candidates: tuple[str, ...] = ()


def _clean(nets: Mapping[str, Decimal]) -> dict[str, Decimal]:
	return {account: net.quantize(CENT) for account, net in nets.items() if net.quantize(CENT)}


def _negated(a: BookedEntry, b: BookedEntry) -> bool:
	return _clean(a.nets) == {account: -net for account, net in _clean(b.nets).items()}


def _same(a: BookedEntry, b: BookedEntry) -> bool:
	return a.date == b.date and _clean(a.nets) == _clean(b.nets)


def _alike(entry: BookedEntry, wanted: BookedEntry, parties: set[str]) -> bool:
	"""Same date, total and party amounts: the booking, perhaps with lines the mapping now maps
	otherwise (another account, VAT code or cost centre)."""
	total = lambda e: sum((n for n in _clean(e.nets).values() if n > 0), Decimal(0))  # noqa: E731
	party = lambda e: {a: n for a, n in _clean(e.nets).items() if a in parties}  # noqa: E731
	return entry.date == wanted.date and total(entry) == total(wanted) and party(entry) == party(wanted)


def pair_reversals(entries: Sequence[BookedEntry]) -> dict[str, str]:
	"""``{key: key}`` of the bookings and reversals that cancel each other out, both ways: each entry
	that is the exact negation of an earlier one not yet paired reverses the latest such."""
	pairs: dict[str, str] = {}
	open_: list[BookedEntry] = []
	for entry in entries:
		booking = next((e for e in reversed(open_) if _negated(e, entry)), None)
		if booking is None:
			open_.append(entry)
			continue
		open_.remove(booking)
		pairs[booking.key], pairs[entry.key] = entry.key, booking.key
	return pairs


def find_booking(
	wanted: BookedEntry,
	entries: Sequence[BookedEntry],
	*,
	parties: set[str] | frozenset[str] = frozenset(),
	claimed: set[str] | frozenset[str] = frozenset(),
	own: str | None = None,
) -> Finding:
	"""Whether AFAS already holds ``wanted`` (a booking, or with ``own`` the reversal of booking
	``own``) among the ``entries`` it holds under the voucher's number in the voucher's administration.

	An entry is this voucher's only if it is this booking: not a reversal, nor reversed (a booking and
	its reversal pair off: :func:`pair_reversals`; a voucher still submitted has no reversal yet), the
	same date and lines, and not ``claimed`` (linked to another document, or booked for an earlier
	document of the same name). One such entry is linked; none, and nothing alike (same date, total and
	parties), is booked; several, or only alike ones, cannot be told apart: ``undecided``. A reversal
	whose booking ``own`` is not there at all is ``missing``.
	"""
	pairs = pair_reversals(entries)
	if own is not None:
		if own in pairs:
			return Finding("link", pairs[own])
		if own not in {e.key for e in entries}:
			return Finding("missing", own)
	free = [e for e in entries if e.key not in pairs and e.key not in claimed and e.key != own]
	same = [e for e in free if _same(e, wanted)]
	if len(same) == 1:
		return Finding("link", same[0].key)
	if same:
		return Finding("undecided", candidates=tuple(e.key for e in same))
	alike = [e for e in free if _alike(e, wanted, set(parties))]
	if alike:
		return Finding("undecided", candidates=tuple(e.key for e in alike))
	return Finding("book")


def _decimal(value: Any) -> Decimal:
	try:
		return Decimal(str(value)) if value not in (None, "") else Decimal(0)
	except Exception:
		return Decimal(0)
