"""Open items back: which invoices AFAS still sees open (pure rules of ``sync/open_items.py``)."""

from decimal import Decimal

from afas_connector.sync.open_items import (
	CREDITOR_ITEMS,
	DEBTOR_ITEMS,
	OpenState,
	SentInvoice,
	invoice_filter,
	order_of,
	settle,
)


def invoices(n, unit=1):
	return [SentInvoice(f"ACC-SINV-2026-{i:05d}", unit, f"{10000 + i}", f"2026-{i:05d}") for i in range(n)]


def test_every_invoice_is_asked_for_once_and_the_client_spreads_them_over_calls(sim, client):
	sent = invoices(300)
	rows = [
		{"UnitId": 1, "DebtorId": i.party, "InvoiceNr": i.invoice_number, "Balance": 10.0} for i in sent[::3]
	]
	sim.store.add_rows(DEBTOR_ITEMS.connector, rows)
	sim.clear_requests()
	got = list(
		client.iter_rows(
			DEBTOR_ITEMS.connector, filters=invoice_filter(sent), order_by=order_of(DEBTOR_ITEMS)
		)
	)
	assert len(sim.requests) > 1, "300 invoices do not fit one URL"
	assert all(len(r.raw_query) <= 2049 for r in sim.requests)
	states = settle(sent, got, DEBTOR_ITEMS)
	assert [n for n, s in states.items() if not s.paid] == [i.name for i in sent[::3]]


def test_a_number_two_parties_share_is_asked_for_once():
	a = SentInvoice("PINV-1", 1, "300", "F-17")
	b = SentInvoice("PINV-2", 1, "301", "F-17")
	assert len(invoice_filter([a, b]).groups) == 1


def test_listed_is_open_with_its_balance_absent_is_paid():
	a, b, c = invoices(3)
	rows = [
		{"UnitId": 1, "DebtorId": a.party, "InvoiceNr": a.invoice_number, "Balance": 121.0},
		{"UnitId": 1, "DebtorId": c.party, "InvoiceNr": c.invoice_number, "Balance": 0.0},
	]
	assert settle([a, b, c], rows, DEBTOR_ITEMS) == {
		a.name: OpenState(Decimal("121.0"), False),
		b.name: OpenState(Decimal(0), True),
		c.name: OpenState(Decimal(0), True),
	}


def test_a_part_payment_leaves_the_rest_open_and_rows_of_one_invoice_add_up():
	(a,) = invoices(1)
	rows = [
		{"UnitId": 1, "DebtorId": a.party, "InvoiceNr": a.invoice_number, "Balance": 100.0},
		{"UnitId": 1, "DebtorId": a.party, "InvoiceNr": a.invoice_number, "Balance": -40.0},
	]
	assert settle([a], rows, DEBTOR_ITEMS)[a.name] == OpenState(Decimal("60.0"), False)


def test_another_party_or_administration_with_the_same_number_does_not_count():
	(a,) = invoices(1)
	rows = [
		{"UnitId": 2, "DebtorId": a.party, "InvoiceNr": a.invoice_number, "Balance": 50},
		{"UnitId": 1, "DebtorId": "99999", "InvoiceNr": a.invoice_number, "Balance": 50},
	]
	assert settle([a], rows, DEBTOR_ITEMS)[a.name].paid


def test_creditor_items_show_their_invoice_amount():
	inv = SentInvoice("PINV-1", 1, "300", "F-17")
	rows = [{"UnitId": 1, "CreditorId": "300", "InvoiceNr": "F-17", "AmtInvoice": 80.5}]
	assert settle([inv], rows, CREDITOR_ITEMS)[inv.name] == OpenState(Decimal("80.5"), False)


def test_the_fields_read_are_afas_s_own():
	from afas_connector.tests.core.afas_oas import get_connectors, require_specs

	require_specs()
	for side in (DEBTOR_ITEMS, CREDITOR_ITEMS):
		fields = get_connectors()[side.connector]
		for field in ("UnitId", "InvoiceNr", side.party_field, side.amount_field):
			assert field in fields, f"{side.connector} has no {field} in AFAS's spec"
