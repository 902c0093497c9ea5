"""Inbound child rows: ``child_row`` (a value becomes a row of a child table, e.g. a Contact's e-mail)
and ``link_rows`` (links to the documents an AFAS value identifies); several rows may fill one table."""

from __future__ import annotations

import pytest

from afas_connector.sync.mapping import FieldMap
from afas_connector.sync.mapping_errors import MappingConfigError, TransformConfigError
from afas_connector.sync.transforms import compile_transform, link_sources

CONTACT = [
	{
		"afas_field": "MailWork",
		"erpnext_field": "email_ids",
		"transform": "child_row",
		"transform_options": '{"email_id": "{value}", "is_primary": 1}',
	},
	{
		"afas_field": "TelWork",
		"erpnext_field": "phone_nos",
		"transform": "child_row",
		"transform_options": '{"phone": "{value}", "is_primary_phone": 1}',
	},
	{
		"afas_field": "MobWork",
		"erpnext_field": "phone_nos",
		"transform": "child_row",
		"transform_options": '{"phone": "{value}", "is_primary_mobile_no": 1}',
	},
	{
		"afas_field": "OrgNumber",
		"erpnext_field": "links",
		"transform": "link_rows",
		"transform_options": '[{"doctype": "Customer", "field": "afas_organisation_code"}]',
	},
]


def test_values_become_rows_and_several_rows_fill_one_table():
	found = {"1000001": [("Customer", "Bakkerij B.V.")]}
	lookups = {"find_documents": lambda source, value: found.get(value, [])}
	values, errors = FieldMap.from_rows(CONTACT).to_erpnext(
		{"MailWork": "a@b.nl", "TelWork": "030 1", "MobWork": "06 2", "OrgNumber": "1000001"}, lookups=lookups
	)
	assert errors == []
	assert values["email_ids"] == [{"email_id": "a@b.nl", "is_primary": 1}]
	assert values["phone_nos"] == [
		{"phone": "030 1", "is_primary_phone": 1},
		{"phone": "06 2", "is_primary_mobile_no": 1},
	]
	assert values["links"] == [{"link_doctype": "Customer", "link_name": "Bakkerij B.V."}]
	assert FieldMap.from_rows(CONTACT).child_tables == {
		"email_ids": "replace",
		"phone_nos": "replace",
		"links": "add",
	}


def test_an_empty_value_makes_no_row_and_an_unknown_party_is_an_error_of_the_row():
	lookups = {"find_documents": lambda source, value: []}
	values, errors = FieldMap.from_rows(CONTACT).to_erpnext(
		{"MailWork": None, "OrgNumber": "999"}, key="3001", lookups=lookups
	)
	assert values["email_ids"] == [] and values["phone_nos"] == []
	assert [(e.key, e.field) for e in errors] == [("3001", "OrgNumber")]
	assert "999" in errors[0].message and "Customer" in errors[0].message


def test_a_plain_field_is_still_written_once():
	rows = [
		{"afas_field": "Name", "erpnext_field": "first_name"},
		{
			"afas_field": "MailWork",
			"erpnext_field": "first_name",
			"transform": "child_row",
			"transform_options": '{"x": "{value}"}',
		},
	]
	with pytest.raises(MappingConfigError, match="already mapped"):
		FieldMap.from_rows(rows)


@pytest.mark.parametrize(
	"name,options",
	[
		("child_row", "email_id"),
		("child_row", '{"email_id": "x"}'),
		("link_rows", "[]"),
		("link_rows", '[{"doctype": "Customer"}]'),
		("link_rows", '{"mapping": "x"}'),
	],
)
def test_bad_options_are_refused_when_the_mapping_is_saved(name, options):
	with pytest.raises(TransformConfigError):
		compile_transform(name, options)


def test_child_rows_are_inbound_only():
	from afas_connector.sync.mapping_errors import TransformValueError

	for name, options in (("child_row", '{"a": "{value}"}'), ("link_rows", '[{"mapping": "M"}]')):
		with pytest.raises(TransformValueError, match="inbound"):
			compile_transform(name, options).outbound("x", {})
	assert link_sources('[{"mapping": "M"}]') == [{"mapping": "M"}]
