"""Open items back from AFAS: which of the invoices the ledger booked AFAS still sees open, and for how much.

AFAS lists a debtor's or creditor's outstanding items in its standard GetConnectors
``Profit_Debtor_Invoices`` and ``Profit_Creditor_Invoices`` (``Mutaties.json`` in AFAS's OpenAPI specs):
one row per open invoice with ``UnitId`` (administration), ``DebtorId``/``CreditorId``, ``InvoiceNr`` and,
for debtors, ``Balance`` (what is still open, in the administration's currency). A paid invoice leaves
the list. These connectors have no modified date, so they cannot be read incrementally; instead the
invoices the app sent and does not yet know paid are asked for by invoice number (an OR of ``UnitId``
and ``InvoiceNr`` groups, which the client spreads over as many calls as AFAS's URL length allows), and
each answer is settled: listed means open with its balance, absent means paid.

``Profit_Creditor_Invoices`` carries no balance: an open creditor item shows its invoice amount
(``AmtInvoice``), which is what is open until a part payment; the open amount is that.

Pure: no frappe.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from afas_connector.afas.filters import FilterSet, Operator

#: The mapping type (AFAS Connector Mapping's Mapping Type) of an open items read.
OPEN_ITEMS = "Open Items"


@dataclass(frozen=True)
class OpenItemsSide:
	"""One side of the open items: its GetConnector and the fields that name the party and the amount."""

	connector: str
	party_field: str
	amount_field: str


DEBTOR_ITEMS = OpenItemsSide("Profit_Debtor_Invoices", "DebtorId", "Balance")
CREDITOR_ITEMS = OpenItemsSide("Profit_Creditor_Invoices", "CreditorId", "AmtInvoice")
#: Which side an ERPNext invoice DocType reads.
SIDES = {"Sales Invoice": DEBTOR_ITEMS, "Purchase Invoice": CREDITOR_ITEMS}


@dataclass(frozen=True)
class SentInvoice:
	"""An invoice the ledger booked: its ERPNext name, AFAS administration, party number and ``InId``."""

	name: str
	unit: int
	party: str
	invoice_number: str

	@property
	def key(self) -> tuple[int, str, str]:
		return (self.unit, self.party, self.invoice_number)


@dataclass(frozen=True)
class OpenState:
	"""What AFAS says of one invoice: ``open_amount`` (Decimal, administration currency), ``paid``."""

	open_amount: Decimal
	paid: bool


def invoice_filter(invoices: Iterable[SentInvoice]) -> FilterSet:
	"""The filter that asks for the given invoices: an OR of ``UnitId = u AND InvoiceNr = n`` groups, one
	per number even when two parties share it (the party is matched in :func:`settle`). The client
	splits it over as many calls as AFAS's URL length needs."""
	found = FilterSet()
	seen: set[tuple[int, str]] = set()
	for invoice in invoices:
		pair = (invoice.unit, invoice.invoice_number)
		if pair not in seen:
			seen.add(pair)
			found.or_where("UnitId", Operator.EQUAL, invoice.unit).where(
				"InvoiceNr", Operator.EQUAL, invoice.invoice_number
			)
	return found


def order_of(side: OpenItemsSide) -> list[str]:
	"""Sort fields for paging: administration, party, invoice number (together unique per open item)."""
	return ["UnitId", side.party_field, "InvoiceNr"]


def settle(
	invoices: Iterable[SentInvoice], rows: Iterable[dict[str, Any]], side: OpenItemsSide
) -> dict[str, OpenState]:
	"""``{invoice name: OpenState}`` for every invoice asked for. A row counts for the invoice with the
	same administration, party and invoice number (rows of one invoice are summed); an invoice without
	a row is paid. A listed item with a zero balance is paid too."""
	open_amounts: dict[tuple[int, str, str], Decimal] = {}
	for row in rows:
		key = (
			int(row.get("UnitId") or 0),
			str(row.get(side.party_field) or ""),
			str(row.get("InvoiceNr") or ""),
		)
		open_amounts[key] = open_amounts.get(key, Decimal(0)) + Decimal(str(row.get(side.amount_field) or 0))
	result = {}
	for invoice in invoices:
		amount = open_amounts.get(invoice.key)
		if amount is None or amount == 0:
			result[invoice.name] = OpenState(Decimal(0), True)
		else:
			result[invoice.name] = OpenState(amount, False)
	return result
