"""The ledger builder, pure: ERPNext GL lines → one balanced FiEntries entry, checked against AFAS's
own schema and booked by the simulator over HTTP (which applies AFAS's booking rules)."""

from decimal import Decimal

import pytest

from afas_connector.afas.update import build_body
from afas_connector.sync.ledger import (
	GLLine,
	InvoiceLine,
	LedgerMaps,
	Voucher,
	build_entry,
	invoice_number,
	item_vat_code,
)
from afas_connector.tests.core import afas_oas

D = Decimal
MAPS = LedgerMaps(
	accounts={
		"Sales - T": "8000",
		"Sales Low - T": "8010",
		"VAT 21% - T": "1510",
		"VAT 9% - T": "1510",
		"Bank - T": "1100",
		"Rent - T": "4210",
		"VAT Reclaim - T": "1500",
	},
	vat_codes={"VAT 21% - T": "1", "VAT 9% - T": "2", "VAT RC - T": "4", "VAT Reclaim - T": "5"},
	cost_centres={"Main - T": "WEST"},
	profit_and_loss={"Sales - T", "Sales Low - T", "Rent - T"},
)
DEBTOR = {("Customer", "Jansen B.V."): "10004"}


def sales_invoice(lines, items, name="ACC-SINV-2026-00001", **extra):
	return Voucher(
		doctype="Sales Invoice",
		name=name,
		company="Test B.V.",
		company_currency="EUR",
		posting_date="2026-03-10",
		lines=lines,
		invoice_lines=items,
		invoice_number=invoice_number(name, "Number at the End of the Name")[0],
		due_date="2026-04-09",
		description=f"Sales Invoice {name}",
		**extra,
	)


def debtor(debit=None, credit=None, **extra):
	return GLLine(
		"Debtors - T", debit or D(0), credit or D(0), party_type="Customer", party="Jansen B.V.", **extra
	)


def build(voucher, parties=DEBTOR, **kwargs):
	return build_entry(voucher, MAPS, year=2026, period=3, unit=1, journal="20", parties=parties, **kwargs)


def lines_of(record):
	return [line.fields for line in record.objects["FiEntries"]]


def valid(record):
	body = build_body("FiEntries", record)
	errors = afas_oas.body_errors("FiEntries", body) if afas_oas.spec_dir() else []
	assert errors in ([], None), errors
	return body


def test_a_21_percent_invoice_is_a_debtor_line_revenue_and_vat_with_the_code():
	record, errors = build(
		sales_invoice(
			[
				debtor(debit=D("121.00")),
				GLLine("Sales - T", D(0), D("100.00"), cost_center="Main - T"),
				GLLine("VAT 21% - T", D(0), D("21.00")),
			],
			[
				InvoiceLine("Sales - T", "Main - T", D("60"), "1"),
				InvoiceLine("Sales - T", "Main - T", D("40"), "1"),
			],
		)
	)
	assert errors == []
	got = {(f["VaAs"], f["AcNr"]): f for f in lines_of(record)}
	assert got[("2", "10004")]["AmDe"] == 121.0 and got[("2", "10004")]["InId"] == "2026-00001"
	assert got[("2", "10004")]["DaEx"] == "2026-04-09" and "VaId" not in got[("2", "10004")]
	assert (got[("1", "8000")]["AmCr"], got[("1", "8000")]["VaId"]) == (100.0, "1")
	assert (got[("1", "1510")]["AmCr"], got[("1", "1510")]["VaId"]) == (21.0, "1")
	assert record.fields == {"Year": 2026, "Peri": 3, "UnId": 1, "JoCo": "20"}
	assert record.objects["FiEntries"][1].objects["FiDimEntries"].fields["DiC1"] == "WEST"
	assert {f["BpNr"] for f in got.values()} == {"ACC-SINV-2026-00001"}
	valid(record)


def test_21_and_9_percent_items_on_one_income_account_are_split_by_vat_code():
	record, errors = build(
		sales_invoice(
			[
				debtor(debit=D("139.00")),
				GLLine("Sales - T", D(0), D("120.00")),
				GLLine("VAT 21% - T", D(0), D("16.80")),
				GLLine("VAT 9% - T", D(0), D("3.60")),
				GLLine("Rounding - T", D("1.40"), D(0)),
			],
			[InvoiceLine("Sales - T", None, D("80"), "1"), InvoiceLine("Sales - T", None, D("40"), "2")],
		)
	)
	assert [e.message for e in errors] == ["account Rounding - T has no AFAS account in the mapping"]
	revenue = [(f["AmCr"], f["VaId"]) for f in lines_of(record) if f["AcNr"] == "8000"]
	assert sorted(revenue) == [(40.0, "2"), (80.0, "1")]
	vat = [(f["AmCr"], f["VaId"]) for f in lines_of(record) if f["AcNr"] == "1510"]
	assert sorted(vat) == [(3.6, "2"), (16.8, "1")], "one VAT account, one line per code"


def test_a_reverse_charge_invoice_carries_its_code_without_a_vat_line():
	code = item_vat_code({}, [("VAT RC - T", 0.0)], MAPS.vat_codes)
	assert code == "4"
	record, errors = build(
		sales_invoice(
			[debtor(debit=D("500.00")), GLLine("Sales - T", D(0), D("500.00"))],
			[InvoiceLine("Sales - T", None, D("500"), code)],
		)
	)
	assert errors == []
	assert [(f["AcNr"], f.get("VaId")) for f in lines_of(record)] == [("10004", None), ("8000", "4")]
	valid(record)


def test_an_item_s_own_template_wins_over_the_invoice_row():
	rows = [("VAT 21% - T", 21.0), ("VAT 9% - T", 9.0)]
	assert item_vat_code({"VAT 21% - T": 0.0, "VAT 9% - T": 9.0}, rows, MAPS.vat_codes) == "2"
	assert item_vat_code({"VAT 21% - T": 21.0, "VAT 9% - T": 0.0}, rows, MAPS.vat_codes) == "1"
	assert item_vat_code({}, rows, MAPS.vat_codes) == "1"
	assert item_vat_code({}, [("Freight - T", 5.0)], MAPS.vat_codes) is None


def test_a_foreign_currency_debtor_gets_currency_amounts_and_rate():
	record, errors = build(
		sales_invoice(
			[
				debtor(
					debit=D("92.00"),
					account_currency="USD",
					debit_in_account_currency=D("100.00"),
				),
				GLLine("Sales - T", D(0), D("92.00")),
			],
			[InvoiceLine("Sales - T", None, D("92"), None)],
		)
	)
	assert errors == []
	line = lines_of(record)[0]
	# AFAS's Rate: foreign units per unit of the administration's currency (92 × 1.086957 = 100)
	assert (line["CuId"], line["AmDc"], line["AmCc"], line["Rate"]) == ("USD", 100.0, 0.0, 1.086957)
	valid(record)


def test_a_credit_note_is_booked_as_the_negative_of_its_invoice():
	record, errors = build(
		sales_invoice(
			[
				debtor(credit=D("121.00")),
				GLLine("Sales - T", D("100.00"), D(0)),
				GLLine("VAT 21% - T", D("21.00"), D(0)),
			],
			[InvoiceLine("Sales - T", None, D("-100"), "1")],
			name="ACC-SINV-2026-00002",
		)
	)
	assert errors == []
	assert [(f["AcNr"], f["AmDe"], f["AmCr"]) for f in lines_of(record)] == [
		("10004", 0.0, 121.0),
		("8000", 100.0, 0.0),
		("1510", 21.0, 0.0),
	]


def test_what_is_missing_is_named_and_nothing_unbalanced_is_built():
	_record, errors = build(
		sales_invoice([debtor(debit=D("10")), GLLine("Sales - T", D(0), D("10"))], []), parties={}
	)
	assert [e.message for e in errors] == ["Customer Jansen B.V. is not in AFAS yet"]
	_record, errors = build(sales_invoice([debtor(debit=D("10")), GLLine("Sales - T", D(0), D("9"))], []))
	assert "does not balance" in errors[0].message


@pytest.mark.parametrize(
	"name,rule,expected",
	[
		("ACC-SINV-2026-00001", "Number at the End of the Name", ("2026-00001", None)),
		("SINV-00042", "Number at the End of the Name", ("00042", None)),
		("INV-7", "Document Name", ("INV-7", None)),
	],
)
def test_invoice_numbers_fit_afas(name, rule, expected):
	assert invoice_number(name, rule) == expected


def test_an_invoice_number_that_cannot_fit_is_refused_not_cut():
	number, why = invoice_number("ACC-SINV-2026-00001", "Document Name")
	assert number is None and "19 characters" in why and "at most 12" in why


def test_the_simulator_books_the_entry_and_refuses_a_blocked_period(sim, client):
	record, errors = build(
		sales_invoice(
			[
				debtor(debit=D("121.00")),
				GLLine("Sales - T", D(0), D("100.00")),
				GLLine("VAT 21% - T", D(0), D("21.00")),
			],
			[InvoiceLine("Sales - T", None, D("100"), "1")],
		),
		parties={("Customer", "Jansen B.V."): "10001"},  # a demo debtor the simulator knows
	)
	assert errors == []
	result = client.insert("FiEntries", record)
	number = result.key("EnNo")
	assert number
	booked = [r for r in sim.rows("Profit_Transactions") if str(r["EntryNo"]) == str(number)]
	assert len(booked) == 3 and {r["VoucherNo"] for r in booked} == {"ACC-SINV-2026-00001"}
	sim.block_period(2026, 3)
	try:
		from afas_connector.afas import AfasError

		with pytest.raises(AfasError) as info:
			client.insert("FiEntries", record)
		assert "blocked period" in str(info.value) or "geblokkeerde periode" in str(info.value)
		assert not info.value.retryable
	finally:
		sim.block_period(2026, 3, blocked=False)
