"""Issue 28 §1: the helpers that keep personal values out of logs and previews
(``sync/personal_data.py``): masking a message, redacting JSON text, the ERPNext fields personal AFAS
fields fill."""

from __future__ import annotations

import json

from afas_connector.sync.personal_data import (
	REDACTED,
	mask,
	personal_targets,
	personal_values,
	redact_text,
)


def test_personal_values_are_masked_in_a_message():
	row = {"EmployeeId": "1001", "BSN": "123456782", "Iban": "NL91ABNA0417164300", "Salary": 2975.0}
	values = personal_values(row)
	assert set(values) == {"123456782", "NL91ABNA0417164300", "2975.0"}
	assert mask("IBAN NL91ABNA0417164300 is not valid; 2975.0 not in map", values) == (
		f"IBAN {REDACTED} is not valid; {REDACTED} not in map"
	)
	assert mask("row 1001", values) == "row 1001", "keys stay"


def test_json_text_keeps_field_names_not_personal_values_even_when_cut():
	page = json.dumps(
		{"rows": [{"EmployeeId": "1001", "BSN": "123456782", "Salary": 2800, "Email": "a@b.nl"}]}
	)
	cut = page + ', {"Iban": "NL91ABNA04'
	text = redact_text(cut)
	assert "123456782" not in text and "2800" not in text and "NL91ABNA04" not in text
	assert '"BSN": "[personal data]"' in text and '"EmployeeId": "1001"' in text and "a@b.nl" in text
	assert redact_text(None) is None


def test_the_erpnext_fields_personal_fields_fill():
	rows = [
		{"afas_field": "Iban", "erpnext_field": "bank_ac_no"},
		{"afas_field": "KnPerson.SoSe", "erpnext_field": "custom_bsn"},
		{"afas_field": "FirstName", "erpnext_field": "first_name"},
	]
	assert personal_targets(rows) == {"bank_ac_no", "custom_bsn"}
