"""Issue 24, the pure parts: a voucher's identity in AFAS (administration, entry number, voucher number,
and whether an entry AFAS holds is this booking), the invoice number AFAS gets, AFAS's rate convention
and where dimensions go, each also booked by the simulator, which applies AFAS's rules."""

from decimal import Decimal

import pytest

from afas_connector.afas import AfasValidationError, Record
from afas_connector.sync.ledger import (
	DIMENSION_NEVER,
	DIMENSION_SEND,
	BookedEntry,
	GLLine,
	InvoiceLine,
	LedgerMaps,
	Voucher,
	build_entry,
	entries_from_rows,
	entry_key,
	entry_of_record,
	find_booking,
	invoice_number,
	invoice_number_clashes,
	pair_reversals,
	parse_entry_key,
	party_accounts,
	series_marks,
	supplier_invoice_number,
)

D = Decimal
MAPS = LedgerMaps(
	accounts={"Sales - T": "8000", "VAT 21% - T": "1510", "Debtors USD - T": "1300"},
	vat_codes={"VAT 21% - T": "1"},
	cost_centres={"Main - T": "WEST"},
	profit_and_loss={"Sales - T"},
)
ERPNEXT_SALES_SERIES = ("ACC-SINV-.YYYY.-", "ACC-SINV-RET-.YYYY.-")


def invoice(lines, name="ACC-SINV-2026-00001", items=()):
	return Voucher(
		doctype="Sales Invoice",
		name=name,
		company="T",
		company_currency="EUR",
		posting_date="2026-03-10",
		lines=lines,
		invoice_lines=list(items),
		invoice_number=invoice_number(name, "")[0],
		due_date="2026-04-09",
	)


ZERO = D(0)


def debtor(debit=ZERO, credit=ZERO, **extra):
	return GLLine("Debtors - T", debit, credit, party_type="Customer", party="Jansen", **extra)


def build(voucher, maps=MAPS):
	return build_entry(
		voucher, maps, year=2026, period=3, unit=1, journal="20", parties={("Customer", "Jansen"): "10001"}
	)


def lines_of(record):
	return {(line.fields["VaAs"], line.fields["AcNr"]): line for line in record.objects["FiEntries"]}


# ---------------------------------------------------------------- §2 the rate as AFAS reads it


def test_the_rate_is_foreign_units_per_unit_of_the_administration_currency(client, sim):
	"""USD 1,000 at ERPNext's 0.92 is EUR 920: AFAS gets Rate 1.086957 (USD per EUR), as its example
	"Purchase with Currency" (10,000 = NOK 75,000 at 7.5) reads it, and the simulator, which checks
	amount × Rate against the currency amount, books it; ERPNext's 0.92 would be refused."""
	voucher = invoice(
		[
			debtor(debit=D("920.00"), account_currency="USD", debit_in_account_currency=D("1000.00")),
			GLLine("Sales - T", D(0), D("920.00")),
		]
	)
	record, errors = build(voucher)
	assert errors == []
	party = lines_of(record)[("2", "10001")].fields
	assert (party["CuId"], party["AmDe"], party["AmDc"], party["Rate"]) == ("USD", 920.0, 1000.0, 1.086957)
	assert D(str(party["AmDe"])) * D(str(party["Rate"])) == pytest.approx(D("1000.00"), abs=D("0.01"))
	assert client.insert("FiEntries", record).key("EnNo")
	party["Rate"] = 0.92  # ERPNext's own direction
	with pytest.raises(AfasValidationError, match="koers 0.92"):
		client.insert("FiEntries", record)


# ---------------------------------------------------------------- §3 dimensions where they belong


def test_a_cost_centre_goes_on_profit_and_loss_lines_only(client, sim):
	voucher = invoice(
		[
			debtor(debit=D("121.00"), cost_center="Main - T"),
			GLLine("Sales - T", D(0), D("100.00"), cost_center="Main - T"),
			GLLine("VAT 21% - T", D(0), D("21.00"), cost_center="Main - T"),
		],
		items=[InvoiceLine("Sales - T", "Main - T", D("100"), "1")],
	)
	record, errors = build(voucher)
	assert errors == []
	dims = {key: "FiDimEntries" in line.objects for key, line in lines_of(record).items()}
	assert dims == {("2", "10001"): False, ("1", "8000"): True, ("1", "1510"): False}
	assert client.insert("FiEntries", record).key("EnNo")
	# before: every line with a cost centre got it, and a strict administration refuses that
	record.objects["FiEntries"][2].objects["FiDimEntries"] = Record(fields={"DiC1": "WEST"})
	with pytest.raises(AfasValidationError, match="1510"):
		client.insert("FiEntries", record)


def test_the_account_map_can_send_or_withhold_a_dimension():
	maps = LedgerMaps(
		**{**MAPS.__dict__, "dimensions": {"VAT 21% - T": DIMENSION_SEND, "Sales - T": DIMENSION_NEVER}}
	)
	assert maps.takes_dimension("VAT 21% - T") and not maps.takes_dimension("Sales - T")
	assert MAPS.takes_dimension("Sales - T") and not MAPS.takes_dimension("VAT 21% - T")


# ---------------------------------------------------------------- §1c the invoice number AFAS gets


@pytest.mark.parametrize(
	"name,expected",
	[
		("ACC-SINV-2026-00001", "2026-00001"),
		("ACC-SINV-RET-2026-00001", "R2026-00001"),  # a credit note never shares its invoice's number
		("ACC-SINV-2026-00001-1", "2026-00001-1"),  # an amendment
		("SINV-00042", "00042"),  # a series the DocType does not list: as it is
	],
)
def test_number_at_the_end_of_the_name_is_unique_per_series(name, expected):
	assert invoice_number(name, "Number at the End of the Name", ERPNEXT_SALES_SERIES) == (expected, None)


def test_series_that_cannot_get_numbers_of_their_own_are_named():
	assert series_marks(ERPNEXT_SALES_SERIES) == {"ACC-SINV-RET-": "R"}
	assert invoice_number_clashes(ERPNEXT_SALES_SERIES) == []
	assert invoice_number_clashes(("SINV-.YYYY.-", "SINV-.YY.-")) == []  # 2026-00001 and 26-00001
	clash = invoice_number_clashes((*ERPNEXT_SALES_SERIES, "ACC-SINV-REV-.YYYY.-"))
	assert clash == ["ACC-SINV-RET-… and ACC-SINV-REV-… would both become R2026-00001 in AFAS"]
	long = invoice_number_clashes(("INV-.YYYY.-.MM.-.#####", "CREDIT-INV-.YYYY.-.MM.-.#####"))
	assert long == ["CREDIT-INV-… would become C2026-01-00001 (14 characters), over AFAS's 12"]


def test_the_supplier_s_invoice_number_is_the_creditor_s():
	assert supplier_invoice_number("  F-2026-117 ") == ("F-2026-117", None)
	assert supplier_invoice_number(None) == (None, None)
	number, why = supplier_invoice_number("INV/2026/000117-NL")
	assert number is None and "supplier's invoice number" in why and "at most 12" in why


# ---------------------------------------------------------------- §1a/b a booking's identity


def test_an_entry_key_holds_the_administration():
	assert entry_key(2, "48244") == "2/48244"
	assert parse_entry_key("2/48244", 1) == "2/48244"
	assert parse_entry_key("48244", 1) == "1/48244", "a link made before keys held the administration"
	assert parse_entry_key("1/48244 (given out again)", 3) == "1/48244"
	assert parse_entry_key("", 1) is None


def rows(unit, number, date, *lines):
	return [
		{"UnitId": unit, "EntryNo": number, "VoucherDate": f"{date}T00:00:00Z", "AccountNo": account,
		 "AmtDebit": max(net, 0), "AmtCredit": max(-net, 0)}
		for account, net in lines
	]  # fmt: skip


def sale(number, amount, date="2026-03-10", unit=1):
	vat = round(amount * 21 / 121, 2)
	return rows(unit, number, date, ("10001", amount), ("8000", -(amount - vat)), ("1510", -vat))


def wanted(amount, date="2026-03-10"):
	return entries_from_rows(sale(0, amount, date))[0]


PARTIES = {"10001"}


def test_a_booking_and_its_reversal_pair_off():
	booked = entries_from_rows(
		sale(48243, 36.30)
		+ [
			{**r, "AmtDebit": r["AmtCredit"], "AmtCredit": r["AmtDebit"], "EntryNo": 48244}
			for r in sale(48243, 36.30)
		]
	)
	assert pair_reversals(booked) == {"1/48243": "1/48244", "1/48244": "1/48243"}


def test_a_name_given_out_again_is_a_new_booking():
	"""ACC-SINV-2026-00037 booked (48243), cancelled (48244 reverses it), deleted; the next invoice gets
	the name again: what AFAS holds under it is the old booking and its reversal, not this booking."""
	old = sale(48243, 36.30)
	reversal = [{**r, "EntryNo": 48244, "AmtDebit": r["AmtCredit"], "AmtCredit": r["AmtDebit"]} for r in old]
	entries = entries_from_rows(old + reversal)
	assert find_booking(wanted(36.30), entries, parties=PARTIES).action == "book", "same amount too"
	assert find_booking(wanted(50.00), entries, parties=PARTIES).action == "book"


def test_a_lost_answer_is_found_once_and_only_if_it_is_this_booking():
	entries = entries_from_rows(sale(48250, 36.30))
	assert find_booking(wanted(36.30), entries, parties=PARTIES).key == "1/48250"
	assert find_booking(wanted(36.30), entries, parties=PARTIES, claimed={"1/48250"}).action == "book"
	assert find_booking(wanted(36.30, "2026-03-11"), entries, parties=PARTIES).action == "book"
	assert find_booking(wanted(99.00), entries, parties=PARTIES).action == "book"


def test_what_cannot_be_told_apart_is_left_to_the_user():
	twice = entries_from_rows(sale(48250, 36.30) + sale(48251, 36.30))
	found = find_booking(wanted(36.30), twice, parties=PARTIES)
	assert (found.action, found.candidates) == ("undecided", ("1/48250", "1/48251"))
	# the same date, total and debtor, other lines (the account map changed since): perhaps this booking
	remapped = entries_from_rows(rows(1, 48252, "2026-03-10", ("10001", 36.30), ("8010", -36.30)))
	found = find_booking(wanted(36.30), remapped, parties=PARTIES)
	assert (found.action, found.candidates) == ("undecided", ("1/48252",))


def test_a_reversal_is_found_by_its_booking():
	booking = sale(48250, 36.30)
	reversal = [
		{**r, "EntryNo": 48260, "AmtDebit": r["AmtCredit"], "AmtCredit": r["AmtDebit"]} for r in booking
	]
	mine = wanted(36.30)
	back = BookedEntry(1, "", mine.date, {a: -n for a, n in mine.nets.items()})
	entries = entries_from_rows(booking + reversal)
	assert find_booking(back, entries, own="1/48250") == find_booking(back, entries, own="1/48250")
	assert find_booking(back, entries, own="1/48250").key == "1/48260"
	assert find_booking(back, entries_from_rows(booking), own="1/48250").action == "book"
	assert find_booking(back, entries_from_rows(sale(48270, 36.30)), own="1/48250").action == "missing"


def test_what_a_record_books_is_read_as_an_entry():
	record, _errors = build(
		invoice([debtor(debit=D("121.00")), GLLine("Sales - T", D(0), D("100.00")), GLLine("VAT 21% - T", D(0), D("21.00"))])
	)  # fmt: skip
	entry = entry_of_record(record, 1)
	assert (entry.date, entry.nets) == (
		"2026-03-10",
		{"10001": D("121.0"), "8000": D("-100.0"), "1510": D("-21.0")},
	)
	assert party_accounts(record) == {"10001"}
	assert find_booking(entry, entries_from_rows(sale(48280, 121.00)), parties={"10001"}).key == "1/48280"
