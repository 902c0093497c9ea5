"""Values AFAS cannot hold are caught before sending: rounded where the mapping row says so, else a
clear error naming the field, what it holds and what AFAS's field takes."""

import pytest

from afas_connector.afas.update import Record
from afas_connector.devtools.sample_mappings import CUSTOMER_TO_DEBTOR, sales_order_mapping
from afas_connector.sync.mapping import FieldMap
from afas_connector.sync.metainfo import field_paths
from afas_connector.sync.outbound_checks import check_record, rounding_from_rows


def info(data_type, length=0, decimals=0, label="", values=()):
	return {
		"fieldId": "X",
		"dataType": data_type,
		"length": length,
		"decimals": decimals,
		"label": label,
		"values": [{"id": v, "description": v} for v in values],
	}


FIELDS = {
	"Nm": info("string", 255, label="Name"),
	"Cd": info("string", 3, label="Code"),
	"Qty": info("int", 9, label="Quantity"),
	"Amt": info("decimal", 13, 2, label="Amount"),
	"Rate": info("decimal", 13, 0, label="Rate"),  # decimals not stated: not checked
	"Bl": info("boolean", label="Blocked"),
	"Da": info("date", label="Date"),
	"Gen": info("string", 1, values=("M", "V", "O")),
	"Memo": info("string", 0, label="Notes"),  # length 0: no limit
	"Lines.Upri": info("decimal", 13, 2, label="Unit price"),
}


@pytest.mark.parametrize(
	"fields",
	[
		{
			"Nm": "x" * 255,
			"Cd": "EUR",
			"Qty": 12,
			"Amt": 10.25,
			"Rate": 1.123456,
			"Bl": True,
			"Da": "2026-05-01",
		},
		{
			"Qty": "2013",
			"Amt": "-0.5",
			"Bl": "1",
			"Da": "2026-05-01T10:00:00",
			"Gen": "V",
			"Memo": "y" * 9000,
		},
		{"Amt": 10.0, "Qty": 3.0, "Bl": 0, "Nm": "", "Da": None},
	],
)
def test_values_that_fit_pass_unchanged(fields):
	record = Record(fields=dict(fields))
	checked, errors = check_record(record, FIELDS)
	assert errors == [] and checked.fields == fields


@pytest.mark.parametrize(
	"field,value,says",
	[
		("Nm", "x" * 256, ["Nm", "256 characters", "at most 255"]),
		("Cd", "EURO", ["Cd", "'EURO'", "at most 3"]),
		("Amt", 0.0025, ["Amt", "0.0025", "4 decimals", "at most 2"]),
		("Amt", "12,50", ["Amt", "'12,50'", "number"]),
		("Amt", 12345678901234.0, ["Amt", "at most 11 digits before"]),
		("Qty", 1.5, ["Qty", "1.5", "whole number"]),
		("Qty", 1234567890, ["Qty", "at most 9 digits"]),
		("Bl", "ja", ["Bl", "'ja'", "true or false"]),
		("Da", "01-05-2026", ["Da", "'01-05-2026'", "YYYY-MM-DD"]),
		("Da", "2026-05-01T10:00:00Z", ["Da", "Z", "Amsterdam"]),
		("Gen", "X", ["Gen", "'X'", "M, V, O"]),
		("Nope", "x", ["Nope", "no field"]),
	],
)
def test_values_that_do_not_fit_are_errors_naming_the_field(field, value, says):
	checked, errors = check_record(Record(fields={field: value}), FIELDS, key="SO-1")
	assert len(errors) == 1, errors
	error = errors[0]
	assert error.key == "SO-1" and error.field == field
	for text in says:
		assert text in error.message, error.message


def test_rounding_where_the_row_says_so():
	record = Record(
		fields={"Amt": 0.125},
		objects={"Lines": [Record(fields={"Upri": 0.0025}), Record(fields={"Upri": 2.5})]},
	)
	_, errors = check_record(record, FIELDS)
	assert [e.field for e in errors] == ["Amt", "Lines[1].Upri"]
	checked, errors = check_record(record, FIELDS, rounding={"Amt": "half_up", "Lines.Upri": "half_even"})
	assert errors == []
	assert checked.fields["Amt"] == 0.13 and [r.fields["Upri"] for r in checked.objects["Lines"]] == [
		0.0,
		2.5,
	]
	assert record.fields["Amt"] == 0.125  # the input is not changed
	half_even, _ = check_record(Record(fields={"Amt": "0.125"}), FIELDS, rounding={"Amt": "half_even"})
	assert half_even.fields["Amt"] == "0.12"
	with pytest.raises(ValueError, match="rounding"):
		check_record(record, FIELDS, rounding={"Amt": "sideways"})


def test_rounding_option_per_mapping_row():
	rows = [
		{"afas_field": "FbSalesLines.Upri", "erpnext_field": "items.rate", "afas_rounding": "Round half up"},
		{"afas_field": "DbId", "erpnext_field": "customer", "afas_rounding": ""},
	]
	assert rounding_from_rows(rows) == {"FbSalesLines.Upri": "half_up"}


def test_sales_order_priced_0_0025_is_stopped_before_sending(client):
	"""The sample Sales Order mapping against the simulator's FbSales metainfo (Upri: 2 decimals)."""
	fields = field_paths(client.metainfo_update("FbSales"))
	mapping = sales_order_mapping("Customer → AFAS Debtor")
	order = {
		"customer": "CUST-1",
		"transaction_date": "2026-05-01",
		"delivery_date": "2026-05-08",
		"currency": "EUR",
		"items": [
			{"item_code": "ART-1001", "item_name": "Brood", "qty": 2, "rate": 2.95},
			{"item_code": "ART-1002", "item_name": "Wit brood", "qty": 1, "rate": 0.0025},
		],
	}
	field_map = FieldMap.from_rows(mapping["field_mappings"], outbound=True)
	record, errors = field_map.to_afas(order, key="SO-1", lookups={"afas_key": lambda m, n: "10001"})
	assert errors == [] and record.objects["FbSalesLines"][1].fields["Upri"] == 0.0025
	_, errors = check_record(record, fields, key="SO-1")
	assert [(e.field, "0.0025" in e.message) for e in errors] == [("FbSalesLines[2].Upri", True)]
	rows = [
		dict(r, afas_rounding="Round half up") if r["afas_field"] == "FbSalesLines.Upri" else r
		for r in mapping["field_mappings"]
	]
	checked, errors = check_record(record, fields, rounding=rounding_from_rows(rows))
	assert errors == [] and checked.objects["FbSalesLines"][1].fields["Upri"] == 0.0


def test_organisation_name_over_255_is_stopped_before_sending(client):
	fields = field_paths(client.metainfo_update("KnSalesRelationOrg"))
	record, _ = FieldMap.from_rows(CUSTOMER_TO_DEBTOR, outbound=True).to_afas({"customer_name": "N" * 256})
	_, errors = check_record(record, fields, key="CUST-1")
	assert [e.field for e in errors] == ["KnOrganisation.Nm"] and "at most 255" in errors[0].message
