"""FiEntries, the financial mutation: AFAS's rules for a journal entry, and its lines in ``Profit_Transactions``.

A POST to ``/connectors/FiEntries`` has root ``FiEntryPar`` (``Year``, ``Peri``, ``UnId``, ``JoCo``) and its
lines under ``FiEntries``. Before anything is stored, as AFAS does (``endpoint/{en,nl}/fientries-post.md``,
``profit/en/howto-finance-mutation.md``):

* the administration (``UnId``, default 1), the journal (``JoCo``) and the period (``Year``/``Peri``) must
  exist (``Profit_Administrations``, ``Profit_Journals``, ``Profit_periods_per_administration``);
* a line's ``EnNo`` may not be given on a POST (AFAS numbers the entry);
* each line's ``AcNr`` must be a ledger account (``VaAs`` 1, ``Profit_Accounts``), a debtor (2) or a creditor
  (3) AFAS knows: "The entered value for 'Account Number' does not exist | Enter a value for 'Account
  Number'.";
* the period of each line's voucher date (``BpDa``, which decides the period) and the entry's own period
  must be open: "Date '1-11-2024' belongs to a blocked period | For this administration, period 8 of the
  year 2024 is blocked.";
* debit and credit must balance (AFAS validates "balanced journal entries"; the wording is ours);
* a line in a foreign currency (``CuId``) with a ``Rate`` and a currency amount (``AmDc``/``AmCc``): the
  amount in the administration's currency × ``Rate`` is the currency amount, within the rounding of a
  rate of 6 decimals. AFAS's ``Rate`` is foreign units per unit of the administration's currency: its
  example "Purchase with Currency" books 10,000 as NOK 75,000 with ``Rate`` 7.5, and the connector
  computes a currency amount "uit AmSe, Rate en valuta-afronding" (``endpoint/nl/fientries-post.md``).
  A rate given the other way round fails here (the wording is ours);
* a dimension (``FiDimEntries``) only on an account that takes one: a profit-and-loss account
  (``Profit_Accounts.Type`` W), or a balance-sheet account set up for axis 1 (``DimAx1``), never a
  debtor or creditor line: a strict administration, as AFAS's own examples book ("Sales
  Specialization": the dimension on the revenue line only). The wording is ours.

English messages are AFAS's own where it publishes them (Accept-Language en-*); the Dutch ones, the
default, are ours where AFAS publishes only English. A booking layout held by another user is a fault:
``sim.lock_booking_layout()``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from afas_connector.simulator.functional import FunctionalError

if TYPE_CHECKING:
	from afas_connector.simulator.store import Store

ADMINISTRATIONS = "Profit_Administrations"
JOURNALS = "Profit_Journals"
ACCOUNTS = "Profit_Accounts"
PERIODS = "Profit_periods_per_administration"
TRANSACTIONS = "Profit_Transactions"
#: The same lines with their account type and dimensions (``DimAx1``…``DimAx5``, from ``FiDimEntries``).
TRANSACTIONS_ALLOCATED = "Profit_Transactions_Allocated"
DEBTOR_INVOICES = "Profit_Debtor_Invoices"
CREDITOR_INVOICES = "Profit_Creditor_Invoices"


class _Messages:
	"""AFAS's messages in the request's language."""

	def __init__(self, english: bool) -> None:
		self.english = english

	def pick(self, nl: str, en: str) -> str:
		return en if self.english else nl

	def does_not_exist(self, label_nl: str, label_en: str) -> str:
		return self.pick(
			f"De ingevoerde waarde voor '{label_nl}' bestaat niet | Vul een waarde in voor '{label_nl}'.",
			f"The entered value for '{label_en}' does not exist | Enter a value for '{label_en}'.",
		)

	def blocked_period(self, day: date, period: int, year: int) -> str:
		shown = f"{day.day}-{day.month}-{day.year}"
		return self.pick(
			f"Datum '{shown}' valt in een geblokkeerde periode | Voor deze administratie is periode {period} "
			f"van het jaar {year} geblokkeerd.",
			f"Date '{shown}' belongs to a blocked period | For this administration, period {period} of the "
			f"year {year} is blocked.",
		)


def check_entry(store: Store, record: dict[str, Any], english: bool) -> None:
	"""Refuse a journal entry AFAS would refuse (see the module docstring), naming the cause."""
	say = _Messages(english)
	unit = _int(record.get("UnId"), 1)
	if not _rows(store, ADMINISTRATIONS, AdminId=unit):
		raise FunctionalError(say.pick("Geen administratie beschikbaar.", "No unit available"))
	if not _rows(store, JOURNALS, UnitId=unit, JournalId=str(record.get("JoCo") or "")):
		raise FunctionalError(say.does_not_exist("Dagboek", "Journal"))
	lines = _lines(record)
	if not lines:
		raise FunctionalError(
			say.pick("De journaalpost heeft geen regels.", "The journal entry has no lines.")
		)
	if any(line.get("EnNo") not in (None, "") for line in lines):
		raise FunctionalError(
			say.pick(
				"Bij toevoegen journaalpost mag het journaalpostnummer niet worden opgegeven.",
				"When adding a journal entry, the journal entry number must not be given.",
			)
		)
	year, period = _int(record.get("Year")), _int(record.get("Peri"))
	header = _rows(store, PERIODS, Unit=unit, Year=year, Period=period)
	if not header:
		raise FunctionalError(say.does_not_exist("Periode", "Period"))
	for line in lines:
		_check_account(store, line, say)
		day = _day(line.get("BpDa") or line.get("EnDa"))
		found = [
			r for r in _rows(store, PERIODS, Unit=unit) if r["DateFrom"].date() <= day <= r["DateTo"].date()
		]
		if not found:
			raise FunctionalError(
				say.pick(
					f"Datum '{day.day}-{day.month}-{day.year}' valt niet in een periode van deze administratie.",
					f"Date '{day.day}-{day.month}-{day.year}' is not in a period of this administration.",
				)
			)
		for row in found + header:
			if row["Blocked"]:
				raise FunctionalError(say.blocked_period(day, row["Period"], row["Year"]))
	for line in lines:
		_check_rate(line, say)
		_check_dimension(store, line, say)
	debit = sum((_amount(line.get("AmDe")) for line in lines), Decimal(0))
	credit = sum((_amount(line.get("AmCr")) for line in lines), Decimal(0))
	if debit != credit:
		raise FunctionalError(
			say.pick(
				f"De journaalpost is niet in balans: debet {debit:.2f}, credit {credit:.2f}.",
				f"The journal entry does not balance: debit {debit:.2f}, credit {credit:.2f}.",
			)
		)


def book_entry(store: Store, record: dict[str, Any]) -> None:
	"""The stored entry's lines as ``Profit_Transactions`` rows (one per line, ``SeqNo`` from 1), and the
	keys AFAS answers with (``EnNo``, ``UnId``, ``InID``)."""
	unit = _int(record.get("UnId"), 1)
	record["UnId"] = record.get("UnId") or unit
	lines = _lines(record)
	record["InID"] = next((line["InId"] for line in lines if line.get("InId")), None)
	now = store.clock()
	rows = []
	for number, line in enumerate(lines, start=1):
		rows.append(
			{
				"UnitId": unit,
				"EntryNo": _int(record["EnNo"]),
				"SeqNo": number,
				"Year": _int(record.get("Year")),
				"Period": _int(record.get("Peri")),
				"JournalId": str(record.get("JoCo")),
				"AccountNo": str(line.get("AcNr")),
				"AmtDebit": float(_amount(line.get("AmDe"))),
				"AmtCredit": float(_amount(line.get("AmCr"))),
				"EntryDate": line.get("EnDa"),
				"InvoiceId": line.get("InId"),
				"VoucherDate": line.get("BpDa"),
				"VoucherNo": line.get("BpNr"),
				"VatCode": line.get("VaId"),
				"Description": line.get("Ds"),
				"Created": now,
				"Modified": now,
			}
		)
	store.add_rows(TRANSACTIONS, rows)
	if TRANSACTIONS_ALLOCATED.lower() in store.tables:
		store.add_rows(
			TRANSACTIONS_ALLOCATED, [_allocated(store, row, line) for row, line in zip(rows, lines)]
		)
	_settle_open_items(store, unit, lines)


def _allocated(store: Store, row: dict[str, Any], line: dict[str, Any]) -> dict[str, Any]:
	"""A ``Profit_Transactions`` row as ``Profit_Transactions_Allocated`` shows it: with the account's
	type (``Profit_Accounts.Type``, B or W; a debtor or creditor line has none) and the line's dimension
	codes per axis (the first ``FiDimEntries`` line's ``DiC1``…``DiC5``)."""
	dims = line.get("FiDimEntries")
	dims = dims if isinstance(dims, list) else [dims] if isinstance(dims, dict) else []
	first = dims[0] if dims else {}
	account = next(iter(_rows(store, ACCOUNTS, Account=row["AccountNo"])), None)
	return {
		**row,
		"Omschrijving": row["Description"],
		"Type": account.get("Type") if account and str(line.get("VaAs")) == "1" else None,
		**{f"DimAx{axis}": first.get(f"DiC{axis}") or None for axis in range(1, 6)},
	}


#: Outstanding items per side: (GetConnector, party field, amount field, sign of a debit).
_OPEN_ITEMS = {
	"2": (DEBTOR_INVOICES, "DebtorId", "Balance", 1),
	"3": (CREDITOR_INVOICES, "CreditorId", "AmtInvoice", -1),
}


def _settle_open_items(store: Store, unit: int, lines: list[dict[str, Any]]) -> None:
	"""A debtor (``VaAs`` 2) or creditor (3) line with an invoice number opens that invoice's outstanding
	item or moves its balance (a payment, a credit note); an item whose balance reaches 0 leaves the
	list, as in AFAS. ``Profit_Creditor_Invoices`` has no balance field: the open part is its amount."""
	with store.lock:
		for line in lines:
			side = _OPEN_ITEMS.get(str(line.get("VaAs")))
			if not side or line.get("InId") in (None, ""):
				continue
			connector, party_field, amount_field, sign = side
			table = store.table(connector)
			key = (unit, str(line.get("AcNr")), str(line["InId"]))
			amount = sign * (_amount(line.get("AmDe")) - _amount(line.get("AmCr")))
			found = next(
				(
					r
					for r in table.rows
					if (r.values["UnitId"], r.values[party_field], r.values["InvoiceNr"]) == key
				),
				None,
			)
			if found is not None:
				table.rows.remove(found)
				amount += _amount(found.values[amount_field])
				values = dict(found.values)
			else:
				day = line.get("BpDa") or line.get("EnDa")
				values = {
					"UnitId": unit,
					party_field: key[1],
					"InvoiceNr": key[2],
					"Description": line.get("Ds"),
				}
				values.update(
					{"NookPieceDate": day, "ExpDate": day, "AmtInvoice": float(amount)}
					if connector == DEBTOR_INVOICES
					else {
						"BookPieceDate": day,
						"ExpDate": day,
						"BookPiecrNr": line.get("BpNr"),
						"Blocked": False,
					}
				)
			if amount != 0:
				values[amount_field] = float(amount)
				table.rows.append(store._make_row(table.spec, values, stamp=False))
			table.changed()


def _check_account(store: Store, line: dict[str, Any], say: _Messages) -> None:
	kind, number = str(line.get("VaAs") or ""), str(line.get("AcNr") or "")
	if kind == "1":
		known = bool(_rows(store, ACCOUNTS, Account=number))
	elif kind == "2":
		known = store._exists(store.update_spec("KnSalesRelationOrg"), number)
	elif kind == "3":
		known = store._exists(store.update_spec("KnPurchaseRelationOrg"), number)
	else:
		known = False
	if not known:
		raise FunctionalError(say.does_not_exist("Rekeningnummer", "Account Number"))


#: A rate of 6 decimals is off by at most half a millionth; a currency amount by half a cent.
_RATE_ROUNDING = Decimal("0.0000005")


def _check_rate(line: dict[str, Any], say: _Messages) -> None:
	"""amount × ``Rate`` = currency amount (module docstring), for a line that gives all three."""
	if line.get("CuId") in (None, "") or line.get("Rate") in (None, ""):
		return
	if all(line.get(name) in (None, "") for name in ("AmDc", "AmCc")):
		return  # AFAS computes the currency amount itself
	rate = _amount(line.get("Rate"))
	amount = _amount(line.get("AmDe")) - _amount(line.get("AmCr"))
	currency = _amount(line.get("AmDc")) - _amount(line.get("AmCc"))
	tolerance = Decimal("0.01") * max(Decimal(1), rate) + abs(amount) * _RATE_ROUNDING * 2
	if abs(amount * rate - currency) > tolerance:
		product = (amount * rate).quantize(Decimal("0.01"))
		raise FunctionalError(
			say.pick(
				f"Het valutabedrag {abs(currency):.2f} {line['CuId']} is niet het bedrag {abs(amount):.2f} maal "
				f"de koers {rate} ({abs(product):.2f}).",
				f"The currency amount {abs(currency):.2f} {line['CuId']} is not the amount {abs(amount):.2f} "
				f"times the rate {rate} ({abs(product):.2f}).",
			)
		)


def _check_dimension(store: Store, line: dict[str, Any], say: _Messages) -> None:
	"""A dimension only on an account that takes one (module docstring)."""
	dims = line.get("FiDimEntries")
	dims = dims if isinstance(dims, list) else [dims] if isinstance(dims, dict) else []
	if not any(str(d.get(f"DiC{axis}") or "") for d in dims for axis in range(1, 6)):
		return
	kind, number = str(line.get("VaAs") or ""), str(line.get("AcNr") or "")
	account = next(iter(_rows(store, ACCOUNTS, Account=number)), None) if kind == "1" else None
	if account is not None and (account.get("Type") != "B" or account.get("DimAx1")):
		return
	raise FunctionalError(
		say.pick(
			f"Op rekening {number} mag geen verbijzondering worden geboekt: het is een balansrekening "
			"zonder verbijzonderingsas.",
			f"Account {number} takes no dimension: it is a balance sheet account without a dimension axis.",
		)
	)


def _rows(store: Store, connector: str, **equal: Any) -> list[dict[str, Any]]:
	"""Typed rows of a (small) reference GetConnector whose fields equal ``equal``."""
	return [
		row.values
		for row in store.table(connector).rows
		if all(row.values.get(name) == value for name, value in equal.items())
	]


def _lines(record: dict[str, Any]) -> list[dict[str, Any]]:
	value = record.get("FiEntries")
	return value if isinstance(value, list) else [value] if isinstance(value, dict) else []


def _int(value: Any, default: int = 0) -> int:
	try:
		return int(str(value).strip()) if value not in (None, "") else default
	except ValueError:
		return default


def _amount(value: Any) -> Decimal:
	try:
		return Decimal(str(value).strip()) if value not in (None, "") else Decimal(0)
	except InvalidOperation:
		return Decimal(0)


def _day(value: Any) -> date:
	return datetime.fromisoformat(str(value).strip()[:10]).date()
