"""UpdateConnector bodies and defensive parsing of what AFAS answers."""

import pytest

from afas_connector.afas.update import Record, build_body, delete_path, encode_body, parse_update_result


def test_nested_body_matches_afas_example_shape():
	record = Record(
		fields={"VaId": "111234567B01", "CuId": "EUR"},
		objects={
			"KnOrganisation": Record(
				fields={"MatchOga": "6", "Nm": "Jansen"},
				objects={"KnBasicAddressAdr": Record(fields={"CoId": "NL", "Rs": "Leusden"})},
			)
		},
	)
	body = build_body("KnSalesRelationOrg", record)
	org = body["KnSalesRelationOrg"]["Element"]["Objects"][0]["KnOrganisation"]["Element"]
	assert org["Fields"]["Nm"] == "Jansen"
	assert org["Objects"][0]["KnBasicAddressAdr"]["Element"]["Fields"]["Rs"] == "Leusden"


def test_keys_action_and_lists():
	body = build_body(
		"KnSubject",
		[Record(keys={"SbId": 5}, fields={"Ds": ""}, action="update"), Record(fields={"Ds": "x"})],
	)
	elements = body["KnSubject"]["Element"]
	assert elements[0]["@SbId"] == 5 and elements[0]["Fields"]["@Action"] == "update" and len(elements) == 2
	assert (
		build_body("KnSubject", {"fields": {"Ds": "y"}, "keys": {"SbId": 1}})["KnSubject"]["Element"]["@SbId"]
		== 1
	)


def test_body_is_utf8_not_ascii_escaped():
	assert "Café Zeeuw".encode() in encode_body(
		build_body("KnOrganisation", Record(fields={"Nm": "Café Zeeuw"}))
	)


def test_delete_path_composite_keys_are_encoded():
	path = delete_path("KnEmployee", "AfasEmployee", {"EmId": "Floor A", "ViSe": "U/1"})
	assert path == "/connectors/KnEmployee/AfasEmployee/@EmId,@ViSe/Floor%20A,U%2F1"
	with pytest.raises(ValueError):
		delete_path("X", "Y", {})


@pytest.mark.parametrize(
	"text,keys",
	[
		('{"results":{"KnSalesRelationOrg":{"DbId":"10001","BcCo":"77"}}}', {"DbId": "10001", "BcCo": "77"}),
		('{"results":{"KnSalesRelationOrg":[{"DbId":"1"}]}}', {"DbId": "1"}),
		('{"FiEntryPar":{"UnId":1,"EnNo":"5"}}', {"UnId": 1, "EnNo": "5"}),
		("", {}),
		("null", {}),
		("<html>oops</html>", {}),
	],
)
def test_update_result_shapes(text, keys):
	assert parse_update_result("KnSalesRelationOrg", 201, text).keys == keys
