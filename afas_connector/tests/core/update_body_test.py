"""UpdateConnector bodies and defensive parsing of what AFAS answers."""

import pytest

from afas_connector.afas.errors import AfasBodyError
from afas_connector.afas.update import (
	Record,
	build_body,
	delete_path,
	encode_body,
	parse_update_result,
	root_element,
)


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


@pytest.mark.parametrize(
	"connector,text,field,key",
	[
		# the new key as a bare value, under the connector or as the whole body
		("KnSubject", '{"results":{"KnSubject":"12345"}}', "SbId", "12345"),
		("KnSubject", '"12345"', "SbId", "12345"),
		("KnSubject", "12345", "SbId", 12345),
		("FbSales", '{"results":{"FbSales":"ORD-7"}}', "OrNu", "ORD-7"),
		# a connector with two result keys, or one AFAS's specs do not list: the caller names its key
		("KnSalesRelationOrg", '"10031"', "DbId", "10031"),
		("KnCustomThing", '{"results":{"KnCustomThing":"77"}}', "SqNo", "77"),
		# keys without the connector wrapper, or under the root element
		("KnSubject", '{"results":{"SbId":"999"}}', "SbId", "999"),
		("KnSubject", '{"SbId":"999"}', "SbId", "999"),
		("FiEntries", '{"FiEntryPar":{"UnId":"1","EnNo":"48227","InId":"V008001"}}', "EnNo", "48227"),
		("HrIllnessProgressInSite", '{"HrAbsIllnessProgress":{"ApSn":"51"}}', "ApSn", "51"),
		(
			"KnSalesRelationOrg",
			'{"results":{"KnSalesRelationOrg":{"DbId":"10001","BcCo":"77"}}}',
			"DbId",
			"10001",
		),
	],
)
def test_new_key_is_recorded_whatever_shape_it_comes_in(connector, text, field, key):
	result = parse_update_result(connector, 201, text)
	assert result.key(field) == key
	assert key in result.keys.values()


def test_a_named_key_is_never_mistaken_for_another():
	result = parse_update_result(
		"KnSalesRelationOrg", 201, '{"results":{"KnSalesRelationOrg":{"BcCo":"77"}}}'
	)
	assert result.key("DbId") is None and result.key("BcCo") == "77"
	assert parse_update_result("KnSubject", 200, "").key("SbId") is None
	assert (
		parse_update_result("KnSubject", 201, '{"results":{"KnSubject":[{"SbId":"1"},{"SbId":"2"}]}}').key(
			"SbId"
		)
		is None
	)


# ---------------------------------------------------------------- the body's root element

TWO_LINES = {
	"Element": {
		"Fields": {"Year": 2026, "Peri": 2, "UnId": 1, "JoCo": "90"},
		"Objects": [
			{
				"FiEntries": {
					"Element": [
						{
							"Fields": {
								"VaAs": "1",
								"AcNr": "4000",
								"EnDa": "2026-02-03",
								"BpDa": "2026-02-03",
								"AmDe": 10.0,
							}
						},
						{
							"Fields": {
								"VaAs": "1",
								"AcNr": "1100",
								"EnDa": "2026-02-03",
								"BpDa": "2026-02-03",
								"AmCr": 10.0,
							}
						},
					]
				}
			}
		],
	}
}


@pytest.mark.parametrize(
	"connector,root",
	[("FiEntries", "FiEntryPar"), ("KnEmployee", "AfasEmployee"), ("KnSubject", "KnSubject")],
)
def test_root_element_is_the_connectors_not_always_its_id(connector, root):
	"""AFAS's specs: FiEntries takes FiEntryPar; KnEmployee takes AfasEmployee (update-connector.md)."""
	assert root_element(connector) == root
	assert list(build_body(connector, Record(fields={"X": 1}))) == [root]
	assert list(build_body(connector, [Record(fields={"X": 1})])) == [root]
	assert list(build_body("KnCustomThing", Record(fields={"X": 1}), root="AfasCustom")) == ["AfasCustom"]


def test_a_ready_body_under_the_root_is_sent_as_given():
	body = {"FiEntryPar": TWO_LINES}
	assert build_body("FiEntries", body) is body
	assert build_body("FiEntries", body, root="FiEntryPar") is body


@pytest.mark.parametrize(
	"given,match",
	[
		({"FiEntries": TWO_LINES}, "root element FiEntryPar"),  # the connector id is not FiEntries' root
		({"FiEntryPar": {"Fields": {"Year": 2026}}}, "Element"),  # no Element: nothing would be sent
		({"FiEntryPar": TWO_LINES, "Extra": {}}, "one root element"),
		({"Year": 2026, "Peri": 2}, "Year"),  # plain fields are not a record
		({"fields": {"Year": 2026}, "lines": []}, "lines"),
		({"fields": {"Year": 2026}, "objects": {"FiEntries": "two lines"}}, "FiEntries"),
	],
)
def test_a_body_that_would_lose_data_raises_before_sending(given, match):
	with pytest.raises(AfasBodyError, match=match):
		build_body("FiEntries", given)


def test_record_dicts_still_build():
	body = build_body(
		"FiEntries", {"fields": {"Year": 2026}, "objects": {"FiEntries": [{"fields": {"AcNr": "4000"}}]}}
	)
	element = body["FiEntryPar"]["Element"]
	assert element["Fields"] == {"Year": 2026}
	assert element["Objects"][0]["FiEntries"]["Element"][0]["Fields"] == {"AcNr": "4000"}
