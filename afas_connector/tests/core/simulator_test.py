"""The AFAS simulator over real HTTP: auth, metainfo, every filter operator, paging, writes, faults, control."""

import base64
import json
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta

import pytest
import requests

from afas_connector.afas.filters import Condition, FilterSet, Operator
from afas_connector.simulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_TOKEN, AfasSimulator
from afas_connector.simulator.demo_data import (
	DEMO_FILE_GUID,
	DEMO_FILE_NAME,
	DEMO_IMAGE_ID,
	DEMO_REPORT_ID,
	DEMO_SUBJECT_FILE_ID,
	DEMO_SUBJECT_ID,
)

DEBTORS = "ERP_Debtors"
AUTH = {"Authorization": "AfasToken " + base64.b64encode(DEMO_TOKEN.encode()).decode()}


@pytest.fixture(scope="module")
def server():
	"""Read-mostly simulator shared by the module; write tests use their own (``rw``)."""
	with AfasSimulator(port=0) as sim:
		yield sim


@pytest.fixture
def sim(server):
	server.faults.clear()
	server.clear_requests()
	server.restore_token()
	yield server
	server.faults.clear()


@pytest.fixture
def rw():
	with AfasSimulator(port=0) as sim:
		yield sim


@pytest.fixture(scope="module")
def http():
	with requests.Session() as session:
		session.headers.update(AUTH)
		yield session


def url(sim, path):
	return sim.base_url + path


def rows(http, sim, connector=DEBTORS, **params):
	response = http.get(url(sim, f"/connectors/{connector}"), params={"take": -1, "skip": -1, **params})
	assert response.status_code == 200, response.text
	return response.json()["rows"]


def ids(found, key="DebtorId"):
	return {r[key] for r in found}


def external_message(response):
	assert response.status_code == 500, response.text
	body = response.json()
	assert set(body) == {"externalMessage", "errorNumber", "profitLogReference"}
	assert len(body["profitLogReference"]) == 32
	assert base64.b64decode(response.headers["X-Profit-Error"]).decode() == body["externalMessage"]
	return body["externalMessage"]


# --- auth --------------------------------------------------------------------------------------------------


def test_classic_token_accepted(sim, http):
	assert http.get(url(sim, "/ProfitVersion")).json()["version"].count(".") == 2


def test_plain_text_token_is_500(sim):
	response = requests.get(url(sim, "/ProfitVersion"), headers={"Authorization": "AfasToken " + DEMO_TOKEN})
	assert "Base64" in external_message(response)


@pytest.mark.parametrize(
	"header",
	[
		None,
		"AfasToken " + base64.b64encode(b"<token><version>1</version><data>nope</data></token>").decode(),
		"Basic x",
	],
)
def test_bad_or_missing_token_is_401(sim, header):
	response = requests.get(
		url(sim, "/connectors/ERP_Debtors"), headers={"Authorization": header} if header else {}
	)
	assert response.status_code == 401
	assert "message" in response.json()


def test_revoked_token_gets_401_until_restored(sim, http):
	sim.revoke_token()
	assert http.get(url(sim, "/metainfo")).status_code == 401
	sim.restore_token()
	assert http.get(url(sim, "/metainfo")).status_code == 200


def test_oauth_client_credentials_form_and_basic(sim):
	form = {
		"grant_type": "client_credentials",
		"client_id": DEMO_CLIENT_ID,
		"client_secret": DEMO_CLIENT_SECRET,
	}
	token = requests.post(url(sim, "/oauth/token"), data=form).json()
	assert token["token_type"] == "Bearer" and token["expires_in"] == 3600 and token["access_token"]
	bearer = {"Authorization": f"Bearer {token['access_token']}"}
	assert requests.get(url(sim, "/metainfo"), headers=bearer).status_code == 200
	basic = requests.post(
		url(sim, "/OAuth/Token"),
		data={"grant_type": "client_credentials"},
		auth=(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET),
	)
	assert basic.status_code == 200 and basic.json()["token_type"] == "Bearer"


def test_oauth_errors(sim):
	endpoint = url(sim, "/oauth/token")
	good = {
		"grant_type": "client_credentials",
		"client_id": DEMO_CLIENT_ID,
		"client_secret": DEMO_CLIENT_SECRET,
	}
	wrong = requests.post(endpoint, data={**good, "client_secret": "nope"})
	assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_client"
	assert "error_description" in wrong.json()
	basic = requests.post(endpoint, data={"grant_type": "client_credentials"}, auth=(DEMO_CLIENT_ID, "nope"))
	assert basic.status_code == 401 and basic.json()["error"] == "invalid_client"
	assert "WWW-Authenticate" in basic.headers
	grant = requests.post(endpoint, data={**good, "grant_type": "password"})
	assert grant.status_code == 400 and grant.json()["error"] == "unsupported_grant_type"
	assert requests.post(endpoint, json=good).json()["error"] == "invalid_request"
	assert requests.get(endpoint).status_code == 400
	missing = requests.post(endpoint, data={"client_id": DEMO_CLIENT_ID})
	assert missing.json()["error"] == "invalid_request"


def test_oauth_token_expires():
	with AfasSimulator(port=0, oauth_token_lifetime=0.3) as sim:
		form = {
			"grant_type": "client_credentials",
			"client_id": DEMO_CLIENT_ID,
			"client_secret": DEMO_CLIENT_SECRET,
		}
		token = requests.post(url(sim, "/oauth/token"), data=form).json()["access_token"]
		bearer = {"Authorization": f"Bearer {token}"}
		assert requests.get(url(sim, "/metainfo"), headers=bearer).status_code == 200
		time.sleep(0.4)
		expired = requests.get(url(sim, "/metainfo"), headers=bearer)
		assert expired.status_code == 401
		assert expired.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


# --- metainfo ----------------------------------------------------------------------------------------------


def test_metainfo_lists_connectors(sim, http):
	body = http.get(url(sim, "/metainfo")).json()
	assert {
		"ERP_Debtors",
		"ERP_Creditors",
		"ERP_Items",
		"ERP_Employees",
		"ERP_Persons",
		"ERP_Debtors_Deleted",
	} <= {c["id"] for c in body["getConnectors"]}
	assert {"KnSalesRelationOrg", "KnEmployee", "KnSubject", "FbItemArticle"} <= {
		c["id"] for c in body["updateConnectors"]
	}
	assert (
		set(body["info"]) == {"envid", "appName", "group", "tokenExpiry"} and body["info"]["envid"] == "12345"
	)


def test_metainfo_get_shape_and_language(sim, http):
	dutch = http.get(url(sim, "/metainfo/get/ERP_Debtors")).json()
	english = http.get(url(sim, "/MetaInfo/Get/ERP_Debtors"), headers={"Accept-Language": "en-us"}).json()
	assert set(dutch) == {"name", "description", "fields"}
	keys = {"id", "fieldId", "dataType", "label", "length", "controlType", "decimals", "decimalsFieldId"}
	assert all(set(f) == keys for f in dutch["fields"])
	types = {f["id"]: f["dataType"] for f in dutch["fields"]}
	assert types["Blocked"] == "boolean" and types["CreditLimit"] == "decimal" and types["Modified"] == "date"
	assert types["HouseNumber"] == "int" and types["Name"] == "string"
	labels = {f["id"]: f["label"] for f in dutch["fields"]}, {f["id"]: f["label"] for f in english["fields"]}
	assert labels[0]["City"] == "Woonplaats" and labels[1]["City"] == "City"


def test_metainfo_update_nested_objects(sim, http):
	body = http.get(url(sim, "/metainfo/update/KnSalesRelationOrg")).json()
	assert set(body) == {"name", "description", "fields", "objects"}
	keys = {"fieldId", "primaryKey", "dataType", "label", "mandatory", "length", "decimals", "decimalFieldId"}
	assert all(keys | {"notzero", "controlType", "values"} == set(f) for f in body["fields"])
	assert next(f for f in body["fields"] if f["fieldId"] == "DbId")["primaryKey"] is True
	organisation = next(o for o in body["objects"] if o["name"] == "KnOrganisation")
	assert next(f for f in organisation["fields"] if f["fieldId"] == "Nm")["mandatory"] is True
	address = next(o for o in organisation["objects"] if o["name"] == "KnBasicAddressAdr")
	country = next(f for f in address["fields"] if f["fieldId"] == "CoId")
	assert country["mandatory"] is True and country["length"] == 3  # AFAS's own country codes: NL, B, D, USA
	# a field with a code table lists its codes, as AFAS's spec gives them
	match = next(f for f in organisation["fields"] if f["fieldId"] == "MatchOga")
	assert {"id": "6", "description": "Altijd nieuw toevoegen"} in match["values"]
	employee = http.get(url(sim, "/metainfo/update/KnEmployee")).json()
	assert {"KnPerson", "AfasContract", "AfasOrgunitFunction"} <= {o["name"] for o in employee["objects"]}


def test_unknown_connector_and_url(sim, http):
	assert "bestaat niet" in external_message(http.get(url(sim, "/connectors/Nope")))
	assert "bestaat niet" in external_message(http.get(url(sim, "/metainfo/get/Nope")))
	assert http.get(url(sim, "/nothing/here")).status_code == 404
	assert http.get(sim.base_url.replace("/ProfitRestServices", "/other")).status_code == 404


def test_paths_are_case_insensitive(sim, http):
	assert (
		http.get(sim.base_url.upper().replace("HTTP", "http") + "/CONNECTORS/erp_debtors?take=1").status_code
		== 200
	)


# --- filters -----------------------------------------------------------------------------------------------

OPERATOR_CASES = [
	(1, "CountryId", "BE", {"10013", "10029"}),
	(1, "Blocked", "1", {"10011", "10024"}),
	(2, "CreditLimit", "40000", {"10005", "10007", "10015", "10027"}),
	(3, "CreditLimit", "1000", {"10006", "10011", "10024"}),
	(4, "HouseNumber", "150", {"10014", "10015", "10028"}),
	(5, "Modified", "2024-02-01T00:00:00", {"10001", "10002", "10003"}),
	(6, "Name", "%bouw%", {"10005", "10015"}),
	(7, "CountryId", "NL", {"10013", "10017", "10027", "10029"}),
	(8, "Email", "", {"10006", "10016", "10030"}),
	(10, "Name", "van", {"10002", "10018", "10027"}),
	(13, "Name", "N.V.", {"10007"}),
	(15, "City", "DAM", {"10003", "10010"}),
]


@pytest.mark.parametrize("operator, field, value, expected", OPERATOR_CASES)
def test_positive_operators(sim, http, operator, field, value, expected):
	found = rows(http, sim, filterfieldids=field, filtervalues=value, operatortypes=str(operator))
	assert ids(found) == expected


@pytest.mark.parametrize(
	"operator, field, value, excluded",
	[
		(9, "Email", '""', {"10006", "10016", "10030"}),
		(11, "Name", "%B.V.%", {"10001", "10002", "10005"}),
		(12, "Name", "B", {"10004", "10009", "10011", "10013", "10015"}),
		(14, "Name", "B.V.", {"10001", "10005", "10010", "10028"}),
	],
)
def test_negative_operators(sim, http, operator, field, value, excluded):
	everything = ids(rows(http, sim))
	found = ids(rows(http, sim, filterfieldids=field, filtervalues=value, operatortypes=str(operator)))
	assert found and not (found & excluded) and excluded <= everything
	assert found == everything - {
		r["DebtorId"] for r in sim.rows(DEBTORS) if _excluded(operator, r[field], value)
	}


def _excluded(operator, cell, value):
	text = (cell or "").lower()
	return {
		9: not text,
		11: "b.v." in text,
		12: text.startswith(value.lower()),
		14: text.endswith(value.lower()),
	}[operator]


def test_contains_needs_wildcards_like_afas(sim, http):
	assert rows(http, sim, filterfieldids="Name", filtervalues="bouw", operatortypes="6") == []
	assert ids(rows(http, sim, filterfieldids="Name", filtervalues="%tulp%", operatortypes="7")) == ids(
		rows(http, sim, filterfieldids="Name", filtervalues="%tulp%", operatortypes="11")
	)


def test_typed_comparisons_are_numeric_and_dated(sim, http):
	# As text "9000" > "10000"; numerically it is not.
	found = rows(http, sim, filterfieldids="CreditLimit", filtervalues="9000", operatortypes="5")
	assert all(r["CreditLimit"] < 9000 for r in found) and "10006" in ids(found)
	with_date = rows(http, sim, filterfieldids="Modified", filtervalues="2024-07-01", operatortypes="2")
	assert with_date and all(r["Modified"] >= "2024-07-01" for r in with_date)
	assert "Ongeldige waarde" in external_message(
		http.get(
			url(sim, "/connectors/ERP_Debtors"),
			params={"filterfieldids": "HouseNumber", "filtervalues": "x", "operatortypes": "1"},
		)
	)


def test_sub_second_modified_makes_date_filters_imprecise(sim, http):
	first = next(r for r in sim.rows(DEBTORS) if r["DebtorId"] == "10001")
	shown = first["Modified"].rstrip("Z")
	assert first["Modified"] == "2024-01-15T09:00:00Z"
	assert "10001" not in ids(
		rows(http, sim, filterfieldids="Modified", filtervalues=shown, operatortypes="1")
	)
	assert "10001" in ids(rows(http, sim, filterfieldids="Modified", filtervalues=shown, operatortypes="4"))


@pytest.mark.parametrize(
	"value", ["2024-07-01T00:00:00Z", "2024-07-01T00:00:00+02:00", "2024-07-01T00:00:00-0100"]
)
def test_date_filter_with_zone_is_refused_like_afas(sim, http, value):
	"""AFAS compares dates in Amsterdam wall-clock time and refuses a Z or an offset in a filter value."""
	for params in (
		{"filterfieldids": "Modified", "filtervalues": value, "operatortypes": "2"},
		{
			"filterjson": FilterSet(
				[[Condition("Modified", Operator.GREATER_OR_EQUAL, value)]]
			).to_filterjson()
		},
	):
		response = http.get(url(sim, "/connectors/ERP_Debtors"), params=params)
		assert value in external_message(response)
	# a text field may hold anything, a Z included
	assert rows(http, sim, filterfieldids="Name", filtervalues="x Z", operatortypes="1") == []


def test_and_or_combinations(sim, http):
	both = rows(http, sim, filterfieldids="CountryId,Blocked", filtervalues="NL,1", operatortypes="1,1")
	assert ids(both) == {"10011", "10024"}
	either = rows(http, sim, filterfieldids="CountryId;CountryId", filtervalues="BE;DE", operatortypes="1;1")
	assert ids(either) == {"10013", "10017", "10029"}
	mixed = rows(
		http,
		sim,
		filterfieldids="CountryId,CreditLimit;Name",
		filtervalues="BE,10000;%tulp%",
		operatortypes="1,2;6",
	)
	assert ids(mixed) == {"10013", "10004"}


def test_filterjson_matches_simple_form(sim, http):
	filters = (
		FilterSet()
		.where("CountryId", 1, "NL")
		.where("CreditLimit", ">=", 20000)
		.or_where("City", 15, "antwerp")
	)
	simple = rows(http, sim, **filters.to_simple_params())
	as_json = rows(http, sim, filterjson=filters.to_filterjson())
	assert simple == as_json and len(simple) >= 5 and "10029" in ids(simple)


def test_unknown_filter_or_sort_field_is_500_naming_it(sim, http):
	endpoint = url(sim, "/connectors/ERP_Debtors")
	params = {"filterfieldids": "Nope", "filtervalues": "1", "operatortypes": "1"}
	assert "'Nope'" in external_message(http.get(endpoint, params=params))
	assert "'Missing'" in external_message(http.get(endpoint, params={"orderbyfieldids": "-Missing"}))
	assert "filter" in external_message(http.get(endpoint, params={"filterjson": "{not json"})).lower()


# --- sorting and paging ------------------------------------------------------------------------------------


def test_sort_ascending_descending_and_stable(sim, http):
	ascending = rows(http, sim, orderbyfieldids="Name")
	assert [r["Name"] for r in ascending] == sorted((r["Name"] for r in ascending), key=str.casefold)
	descending = rows(http, sim, orderbyfieldids="-CreditLimit")
	assert [r["CreditLimit"] for r in descending] == sorted(
		(r["CreditLimit"] for r in descending), reverse=True
	)
	multi = rows(http, sim, orderbyfieldids="CountryId,-CreditLimit")
	inserted = sim.rows(DEBTORS)
	expected = sorted(sorted(inserted, key=lambda r: -r["CreditLimit"]), key=lambda r: r["CountryId"])
	assert [r["DebtorId"] for r in multi] == [r["DebtorId"] for r in expected]
	ties = rows(http, sim, orderbyfieldids="Currency")
	assert [r["DebtorId"] for r in ties if r["Currency"] == "EUR"] == [
		r["DebtorId"] for r in inserted if r["Currency"] == "EUR"
	]


def test_paging_defaults_and_no_row_lost(sim, http):
	first = http.get(url(sim, "/connectors/ERP_Debtors")).json()
	assert (first["skip"], first["take"]) == (0, 100) and len(first["rows"]) == 30
	seen = []
	for skip in range(0, 35, 7):
		page = http.get(
			url(sim, "/connectors/ERP_Debtors"),
			params={"skip": skip, "take": 7, "orderbyfieldids": "DebtorId"},
		)
		assert page.json()["skip"] == skip and page.json()["take"] == 7
		seen += [r["DebtorId"] for r in page.json()["rows"]]
	assert seen == sorted(ids(rows(http, sim))) and len(seen) == 30
	everything = http.get(url(sim, "/connectors/ERP_Debtors"), params={"skip": -1, "take": -1}).json()
	assert (everything["skip"], everything["take"], len(everything["rows"])) == (-1, -1, 30)


@pytest.mark.parametrize("skip, take", [("abc", "10"), ("0", "x"), ("-5", "10"), ("-1", "10"), ("0", "-2")])
def test_invalid_skip_take_is_unexpected_error(sim, http, skip, take):
	response = http.get(url(sim, "/connectors/ERP_Debtors"), params={"skip": skip, "take": take})
	assert external_message(response) == "An unexpected error has occurred."


def test_query_string_limit_2049(sim, http):
	base = url(sim, "/connectors/ERP_Debtors")
	prefix = "?take=1&orderbyfieldids=DebtorId&pad="
	at_limit = prefix + "a" * (2049 - len(prefix))
	assert len(at_limit) == 2049
	assert http.get(base + at_limit).status_code == 200
	assert http.get(base + at_limit + "a").status_code == 404
	assert sim.requests[-1].status == 404


def test_view_cache_sees_changes(rw, http):
	params = {
		"filterfieldids": "City",
		"filtervalues": "Utrecht",
		"operatortypes": "1",
		"orderbyfieldids": "Name",
	}
	assert ids(rows(http, rw, **params)) == {"10001"}
	rw.update_row(DEBTORS, "10002", {"City": "Utrecht"})
	assert ids(rows(http, rw, **params)) == {"10001", "10002"}
	updated = next(r for r in rw.rows(DEBTORS) if r["DebtorId"] == "10002")
	assert updated["Modified"] >= (datetime.now() - timedelta(days=1)).strftime("%Y-%m-%d")
	rw.add_rows(DEBTORS, [{"DebtorId": "50001", "Name": "Aardappelhandel Utrecht", "City": "Utrecht"}])
	assert [r["DebtorId"] for r in rows(http, rw, **params)] == ["50001", "10001", "10002"]
	rw.delete_row(DEBTORS, "50001")
	assert "50001" not in ids(rows(http, rw, **params))
	assert "50001" in ids(rows(http, rw, "ERP_Debtors_Deleted"))


# --- UpdateConnectors --------------------------------------------------------------------------------------

NEW_DEBTOR = {
	"KnSalesRelationOrg": {
		"Element": {
			"Fields": {"VaId": "NL001234567B01", "CuId": "EUR", "InPv": "E", "Krli": 7500},
			"Objects": [
				{
					"KnOrganisation": {
						"Element": {
							"Fields": {
								"MatchOga": "6",
								"AutoNum": True,
								"Nm": "Zuiderzee Visgroothandel B.V.",
								"SeNm": "ZUIDERZEE",
							},
							"Objects": [
								{
									"KnBasicAddressAdr": {
										"Element": {
											"Fields": {
												"CoId": "NL",
												"Ad": "Havenweg",
												"HmNr": "4",
												"ZpCd": "8321AB",
												"Rs": "Urk",
											}
										}
									}
								}
							],
						}
					}
				}
			],
		}
	}
}


def test_update_round_trip_post_put_delete(rw, http):
	created = http.post(url(rw, "/connectors/KnSalesRelationOrg"), json=NEW_DEBTOR)
	assert created.status_code == 201, created.text
	keys = created.json()["results"]["KnSalesRelationOrg"]
	assert keys["DbId"] == "10031" and keys["BcCo"].isdigit()
	(row,) = rows(http, rw, filterfieldids="DebtorId", filtervalues="10031", operatortypes="1")
	assert (row["Name"], row["City"], row["HouseNumber"], row["CreditLimit"], row["BcCo"]) == (
		"Zuiderzee Visgroothandel B.V.",
		"Urk",
		4,
		7500.0,
		keys["BcCo"],
	)
	assert row["Modified"][:4] == str(datetime.now().year)
	assert rw.records("KnSalesRelationOrg")["10031"]["KnOrganisation"]["KnBasicAddressAdr"]["Rs"] == "Urk"

	change = {
		"KnSalesRelationOrg": {
			"Element": {
				"@DbId": "10031",
				"Objects": {"KnOrganisation": {"Element": {"Fields": {"Nm": "Zuiderzee Vis"}}}},
			}
		}
	}
	updated = http.put(url(rw, "/connectors/KnSalesRelationOrg"), json=change)
	assert updated.status_code == 200 and updated.content == b""
	(row,) = rows(http, rw, filterfieldids="DebtorId", filtervalues="10031", operatortypes="1")
	assert row["Name"] == "Zuiderzee Vis" and row["City"] == "Urk"

	demo = {"KnSalesRelationOrg": {"Element": {"@DbId": "10001", "Fields": {"Bl": True}}}}
	assert http.put(url(rw, "/connectors/KnSalesRelationOrg"), json=demo).status_code == 200
	assert (
		rows(http, rw, filterfieldids="DebtorId", filtervalues="10001", operatortypes="1")[0]["Blocked"]
		is True
	)

	deleted = http.delete(url(rw, "/connectors/KnSalesRelationOrg/KnSalesRelationOrg/@DbId/10031"))
	assert deleted.status_code == 200
	assert "10031" not in ids(rows(http, rw)) and "10031" not in rw.records("KnSalesRelationOrg")
	assert "10031" in ids(rows(http, rw, "ERP_Debtors_Deleted"))
	again = http.delete(url(rw, "/connectors/KnSalesRelationOrg/KnSalesRelationOrg/DbId/10031"))
	assert "niet gevonden" in external_message(again)


def test_body_root_must_be_the_connectors_root_element(rw, http):
	"""KnEmployee takes root AfasEmployee; its id as root is refused, as a DELETE on it is."""
	as_id = {"KnEmployee": {"Element": {"Fields": {"LwRs": "Utrecht"}}}}
	assert "AfasEmployee" in external_message(http.post(url(rw, "/connectors/KnEmployee"), json=as_id))
	other = {"KnPerson": {"Element": {"Fields": {"LaNm": "x"}}}}
	assert "KnSalesRelationOrg" in external_message(
		http.post(url(rw, "/connectors/KnSalesRelationOrg"), json=other)
	)
	assert "AfasEmployee" in external_message(
		http.delete(url(rw, "/connectors/KnEmployee/KnEmployee/@EmId/1001"))
	)


def test_values_their_field_cannot_hold_are_refused_or_rounded(rw, http):
	"""Types, lengths and codes from AFAS's spec: a 500 naming the field; too many decimals for a field
	with stated decimals are stored rounded, silently — what the app's outbound check prevents."""
	endpoint = url(rw, "/connectors/KnSalesRelationOrg")

	def debtor(**organisation):
		fields = {"MatchOga": "6", "Nm": "Zuiderzee Vis", **organisation}
		return {
			"KnSalesRelationOrg": {
				"Element": {
					"Fields": {"CuId": "EUR"},
					"Objects": {"KnOrganisation": {"Element": {"Fields": fields}}},
				}
			}
		}

	assert "(Nm)" in external_message(http.post(endpoint, json=debtor(Nm="N" * 256)))
	assert "(MatchOga)" in external_message(http.post(endpoint, json=debtor(MatchOga="8")))
	assert "(AutoNum)" in external_message(http.post(endpoint, json=debtor(AutoNum="soms")))
	assert http.post(endpoint, json=debtor(Nm="N" * 255, AutoNum="1")).status_code == 201
	order = {
		"FbSales": {
			"Element": {
				"Fields": {"DbId": "10001"},
				"Objects": [
					{
						"FbSalesLines": {
							"Element": [
								{"Fields": {"VaIt": "2", "ItCd": "ART-1001", "QuUn": 1, "Upri": 0.0025}}
							]
						}
					}
				],
			}
		}
	}
	created = http.post(url(rw, "/connectors/FbSales"), json=order)
	assert created.status_code == 201
	number = created.json()["results"]["FbSales"]["OrNu"]
	assert rw.records("FbSales")[number]["FbSalesLines"]["Upri"] == 0.0
	order["FbSales"]["Element"]["Objects"][0]["FbSalesLines"]["Element"][0]["Fields"]["QuUn"] = "twee"
	assert "(QuUn)" in external_message(http.post(url(rw, "/connectors/FbSales"), json=order))


def test_update_validation_errors(rw, http):
	endpoint = url(rw, "/connectors/KnSalesRelationOrg")
	duplicate = {"KnSalesRelationOrg": {"Element": {"@DbId": "10001", "Fields": {"CuId": "EUR"}}}}
	assert "bestaat al" in external_message(http.post(endpoint, json=duplicate))
	unknown = {"KnSalesRelationOrg": {"Element": {"@DbId": "99999", "Fields": {"CuId": "EUR"}}}}
	assert "niet gevonden" in external_message(http.put(endpoint, json=unknown))
	nameless = json.loads(json.dumps(NEW_DEBTOR))
	del nameless["KnSalesRelationOrg"]["Element"]["Objects"][0]["KnOrganisation"]["Element"]["Fields"]["Nm"]
	assert "(Nm)" in external_message(http.post(endpoint, json=nameless))
	typo = {"KnSalesRelationOrg": {"Element": {"Fields": {"Naam": "x"}}}}
	assert "'Naam'" in external_message(http.post(endpoint, json=typo))
	assert (
		http.post(endpoint, data=b"not json", headers={"Content-Type": "application/json"}).status_code == 400
	)
	assert len(rw.records("KnSalesRelationOrg")) == 0


def test_update_element_list_and_other_connectors(rw, http):
	items = {
		"FbItemArticle": {
			"Element": [
				{"@ItCd": "ART-8001", "Fields": {"Ds": "Haring 1 stuk", "Grp": "VIS", "BiUn": "stk"}},
				{"@ItCd": "ART-8002", "Fields": {"Ds": "Kibbeling 500 g", "Grp": "VIS", "BiUn": "bak"}},
			]
		}
	}
	created = http.post(url(rw, "/connectors/FbItemArticle"), json=items)
	assert created.status_code == 201
	assert created.json()["results"]["FbItemArticle"] == [{"ItCd": "ART-8001"}, {"ItCd": "ART-8002"}]
	item = rows(http, rw, "ERP_Items", filterfieldids="ItemCode", filtervalues="ART-8001", operatortypes="1")[
		0
	]
	assert (item["Description"], item["ItemGroup"]) == ("Haring 1 stuk", "VIS")
	gone = http.delete(url(rw, "/connectors/FbItemArticle/FbItemArticle/@ItCd/ART-8002"))
	assert gone.status_code == 200 and "ART-8002" not in ids(rw.rows("ERP_Items"), "ItemCode")

	employee = {
		"AfasEmployee": {
			"Element": {
				"Objects": [
					{
						"KnPerson": {
							"Element": {
								"Fields": {"FiNm": "Anouk", "LaNm": "Willemsen", "DaBi": "1990-06-01"}
							}
						}
					},
					{"AfasContract": {"Element": {"Fields": {"DaBe": "2025-01-01"}}}},
					{
						"AfasOrgunitFunction": {
							"Element": {"Fields": {"DaBe": "2025-01-01", "DpId": "ICT", "FuId": "Developer"}}
						}
					},
				]
			}
		}
	}
	created = http.post(url(rw, "/connectors/KnEmployee"), json=employee)
	assert created.json() == {"results": {"KnEmployee": {"EmId": "1021"}}}
	row = next(r for r in rw.rows("ERP_Employees") if r["EmployeeId"] == "1021")
	assert (row["LastName"], row["Birthdate"], row["StartDate"], row["Department"]) == (
		"Willemsen",
		"1990-06-01T00:00:00Z",
		"2025-01-01T00:00:00Z",
		"ICT",
	)
	contract = {
		"AfasEmployee": {
			"Element": {
				"@EmId": "1021",
				"Objects": [{"AfasContract": {"Element": {"Fields": {"DaBe": "2025-02-01"}}}}],
			}
		}
	}
	assert http.post(url(rw, "/connectors/KnEmployee/AfasContract"), json=contract).status_code == 201
	assert (
		next(r for r in rw.rows("ERP_Employees") if r["EmployeeId"] == "1021")["StartDate"]
		== "2025-02-01T00:00:00Z"
	)

	subject = {
		"KnSubject": {
			"Element": {
				"Fields": {"StId": 1, "Ds": "Getekende offerte"},
				"Objects": [
					{"KnSubjectLink": {"Element": {"Fields": {"ToSR": True, "SfTp": 2, "SfId": "10001"}}}},
					{
						"KnSubjectAttachment": {
							"Element": {
								"Fields": {
									"FileName": "offerte.pdf",
									"FileStream": base64.b64encode(b"%PDF-1.4 x").decode(),
								}
							}
						}
					},
				],
			}
		}
	}
	created = http.post(url(rw, "/connectors/KnSubject"), json=subject).json()["results"]["KnSubject"]
	record = rw.records("KnSubject")[created["SbId"]]
	file_id = record["KnSubjectAttachment"]["FileId"]
	attachment = http.get(url(rw, f"/SubjectConnector/{created['SbId']}/{file_id}")).json()
	assert (
		base64.b64decode(attachment["filedata"]) == b"%PDF-1.4 x"
		and attachment["mimetype"] == "application/pdf"
	)


def test_chunked_body_match_oga_6_and_plain_objects_dict(rw, http):
	body = json.loads(json.dumps(NEW_DEBTOR))
	organisation = body["KnSalesRelationOrg"]["Element"]["Objects"][0]["KnOrganisation"]["Element"]
	organisation["Fields"]["BcCo"] = "1000001"
	body["KnSalesRelationOrg"]["Element"]["Objects"] = {"KnOrganisation": {"Element": organisation}}
	chunks = (part for part in (json.dumps(body).encode()[:50], json.dumps(body).encode()[50:]))
	created = http.post(url(rw, "/connectors/KnSalesRelationOrg"), data=chunks)
	assert created.status_code == 201, created.text
	assert rw.requests[-1].headers.get("Transfer-Encoding") == "chunked"
	assert created.json()["results"]["KnSalesRelationOrg"]["BcCo"] != "1000001"


def test_generate_other_connectors_is_deterministic(rw):
	assert rw.generate_rows("ERP_Items", n=1000, seed=7) == 1000
	items = rw.rows("ERP_Items")
	assert len({r["ItemCode"] for r in items}) == 1000
	rw.generate_rows("ERP_Items", n=1000, seed=7)
	assert rw.rows("ERP_Items") == items


def test_body_over_limit_is_413_and_connection_survives():
	with AfasSimulator(port=0, max_body_bytes=1024) as sim, requests.Session() as session:
		session.headers.update(AUTH)
		big = {"KnSubject": {"Element": {"Fields": {"StId": 1, "Ds": "x" * 4000}}}}
		assert session.post(url(sim, "/connectors/KnSubject"), json=big).status_code == 413
		assert session.get(url(sim, "/ProfitVersion")).status_code == 200
		assert [r.status for r in sim.requests] == [413, 200]


# --- faults ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
	"kind, status, text",
	[
		("lock", 500, "geblokkeerd"),
		("validation", 500, "Validatiefout"),
		("unexpected", 500, "An unexpected error has occurred."),
		("timeout500", 500, "De maximale tijdsduur"),
		("unauthorized", 401, None),
		("forbidden", 403, None),
		("not_found", 404, None),
		("too_large", 413, None),
	],
)
def test_error_faults_then_recovery(sim, http, kind, status, text):
	sim.faults.add(connector=DEBTORS, kind=kind)
	failed = http.get(url(sim, "/connectors/ERP_Debtors"))
	assert failed.status_code == status
	if text:
		assert text in external_message(failed)
	assert http.get(url(sim, "/connectors/ERP_Debtors")).status_code == 200
	assert [r.status for r in sim.requests] == [status, 200]


def test_maintenance_fault(sim, http):
	sim.faults.add(connector="*", kind="maintenance", retry_after=7)
	response = http.get(url(sim, "/ProfitVersion"))
	assert response.status_code == 503 and response.headers["Retry-After"] == "7"
	assert response.json()["error"]["code"] == "maintenance" and response.json()["retry_after"] == 7


def test_transport_faults(sim, http):
	sim.faults.add(connector=DEBTORS, kind="malformed")
	malformed = http.get(url(sim, "/connectors/ERP_Debtors"))
	assert malformed.status_code == 200
	with pytest.raises(ValueError):
		malformed.json()
	sim.faults.add(connector=DEBTORS, kind="truncated")
	with pytest.raises(requests.exceptions.RequestException):
		http.get(url(sim, "/connectors/ERP_Debtors"))
	sim.faults.add(connector=DEBTORS, kind="drop")
	with pytest.raises(requests.exceptions.ConnectionError):
		http.get(url(sim, "/connectors/ERP_Debtors"))
	sim.faults.add(connector=DEBTORS, kind="latency", delay=0.2)
	started = time.perf_counter()
	assert http.get(url(sim, "/connectors/ERP_Debtors")).status_code == 200
	assert time.perf_counter() - started >= 0.2
	assert http.get(url(sim, "/connectors/ERP_Debtors")).status_code == 200
	assert [r.status for r in sim.requests] == [200, 200, 0, 200, 200]


def test_fault_matching_by_method_times_and_forever(sim, http):
	sim.faults.add(connector="KnSalesRelationOrg", kind="lock", times=2, method="POST")
	assert http.get(url(sim, "/connectors/ERP_Debtors")).status_code == 200
	post = url(sim, "/connectors/KnSalesRelationOrg")
	body = {"KnSalesRelationOrg": {"Element": {"@DbId": "10001"}}}
	assert "geblokkeerd" in external_message(http.post(post, json=body))
	assert "geblokkeerd" in external_message(http.post(post, json=body))
	assert "bestaat al" in external_message(http.post(post, json=body))
	sim.faults.add(connector="metainfo", kind="unexpected", times=None, message="Kapot")
	for _ in range(3):
		assert external_message(http.get(url(sim, "/metainfo/get/ERP_Items"))) == "Kapot"
	sim.faults.clear()
	assert http.get(url(sim, "/metainfo")).status_code == 200
	with pytest.raises(ValueError):
		sim.faults.add(kind="explode")


# --- request log, control endpoints, data connectors -------------------------------------------------------


def test_request_log_records_everything(sim, http):
	http.get(url(sim, "/connectors/ERP_Items"), params={"take": 2, "orderbyfieldids": "ItemCode"})
	http.put(
		url(sim, "/connectors/KnSalesRelationOrg"), json={"KnSalesRelationOrg": {"Element": {"@DbId": "0"}}}
	)
	get, put = sim.requests
	assert (get.method, get.path, get.connector, get.status) == (
		"GET",
		"/ProfitRestServices/connectors/ERP_Items",
		"ERP_Items",
		200,
	)
	assert (
		get.query == {"take": "2", "orderbyfieldids": "ItemCode"}
		and get.headers["Authorization"] == AUTH["Authorization"]
	)
	assert (put.method, put.status, put.connector) == ("PUT", 500, "KnSalesRelationOrg")
	assert put.body == {"KnSalesRelationOrg": {"Element": {"@DbId": "0"}}} and put.raw_body.startswith(b"{")
	sim.clear_requests()
	assert sim.requests == []


def test_keep_alive_reuses_one_connection(sim):
	with requests.Session() as session:
		session.headers.update(AUTH)
		for _ in range(10):
			assert session.get(url(sim, "/connectors/ERP_Items"), params={"take": 5}).status_code == 200
		assert len(sim._server.connections) >= 1
		assert len([c for c in sim._server.connections]) <= 2


def test_control_endpoints():
	with AfasSimulator(port=0) as sim:
		root = f"http://127.0.0.1:{sim.port}/__simulator"
		fault = {"connector": "ERP_Items", "kind": "maintenance", "times": 1, "retry_after": 3}
		assert requests.post(root + "/faults", json=fault).status_code == 201
		assert requests.get(url(sim, "/connectors/ERP_Items"), headers=AUTH).status_code == 503
		log = requests.get(root + "/requests").json()
		assert log[-1]["status"] == 503 and log[-1]["connector"] == "ERP_Items"
		generated = requests.post(root + "/generate", json={"connector": DEBTORS, "n": 500, "seed": 2}).json()
		assert generated == {"connector": DEBTORS, "rows": 500} and len(sim.rows(DEBTORS)) == 500
		requests.post(
			root + "/update_row", json={"connector": DEBTORS, "key": "100001", "changes": {"City": "Urk"}}
		)
		assert requests.get(root + "/rows", params={"connector": DEBTORS}).json()[0]["City"] == "Urk"
		sim.faults.add(connector="*", kind="drop", times=None)
		assert requests.post(root + "/reset").status_code == 200
		assert sim.requests == [] and sim.faults.list() == []
		assert requests.post(root + "/faults", json={"kind": "bogus"}).status_code == 400
		assert requests.post(f"{sim.base_url}/__simulator/revoke_token").status_code == 200
		assert requests.get(url(sim, "/metainfo"), headers=AUTH).status_code == 401
		# the ledger's switches, for a simulator in another process
		assert requests.post(root + "/block_period", json={"year": 2026, "period": 2}).status_code == 200
		periods = sim.rows("Profit_periods_per_administration")
		assert [p["Blocked"] for p in periods if (p["Year"], p["Period"]) == (2026, 2)] == [True]
		locked = requests.post(root + "/lock_booking_layout", json={"times": 2}).json()
		assert (locked["connector"], locked["kind"], locked["times"]) == ("FiEntries", "lock", 2)
		assert requests.post(root + "/reset_data").status_code == 200 and len(sim.rows(DEBTORS)) == 30


def test_data_connectors(sim, http):
	file = http.get(
		url(sim, f"/fileconnector/{DEMO_FILE_GUID}/{requests.utils.quote(DEMO_FILE_NAME)}")
	).json()
	assert file["filename"] == DEMO_FILE_NAME and file["mimetype"] == "application/pdf"
	assert base64.b64decode(file["filedata"]).startswith(b"%PDF")
	assert http.get(url(sim, f"/fileconnector/{DEMO_FILE_GUID}/other.pdf")).status_code == 404
	image = http.get(url(sim, f"/ImageConnector/{DEMO_IMAGE_ID}"), params={"format": 1}).json()
	assert set(image) == {"filedata", "mimetype"} and base64.b64decode(image["filedata"]).startswith(
		b"\x89PNG"
	)
	subject = http.get(url(sim, f"/SubjectConnector/{DEMO_SUBJECT_ID}/{DEMO_SUBJECT_FILE_ID}")).json()
	assert subject["filename"] == "offerte.txt" and b"Offerte" in base64.b64decode(subject["filedata"])
	report = http.get(url(sim, f"/ReportConnector/{DEMO_REPORT_ID}")).json()
	assert report["mimetype"] == "application/pdf" and base64.b64decode(report["filedata"]).startswith(
		b"%PDF"
	)
	binary = http.get(url(sim, f"/ReportConnector/{DEMO_REPORT_ID}"), headers={"SendFileAsBinary": "1"})
	assert binary.headers["Content-Type"] == "application/pdf" and binary.content.startswith(b"%PDF")


# --- generator and CLI -------------------------------------------------------------------------------------


def test_generate_100k_rows_and_page_through():
	"""How fast is the client benchmark's business (benchmark_client.py); timed tests fail on busy machines."""
	with AfasSimulator(port=0) as sim, requests.Session() as session:
		session.headers.update(AUTH)
		sim.generate_rows(DEBTORS, n=100_000, seed=1)
		take, skip, seen = 150_000 // 17, 0, set()
		while True:
			page = session.get(
				url(sim, "/connectors/ERP_Debtors"),
				params={"skip": skip, "take": take, "orderbyfieldids": "DebtorId"},
			)
			batch = page.json()["rows"]
			seen.update(r["DebtorId"] for r in batch)
			if len(batch) < take:
				break
			skip += take
		assert len(seen) == 100_000
		stamps = {r["Modified"][:7] for r in sim.rows(DEBTORS)[:2000]}
		assert len(stamps) > 12
		again = AfasSimulator(port=0)
		again.generate_rows(DEBTORS, n=100_000, seed=1)
		assert again.rows(DEBTORS)[-3:] == sim.rows(DEBTORS)[-3:]


def _free_port():
	with socket.socket() as s:
		s.bind(("127.0.0.1", 0))
		return s.getsockname()[1]


def test_cli_serves_and_refuses_remote_hosts():
	port = _free_port()
	process = subprocess.Popen(
		[sys.executable, "-m", "afas_connector.simulator", "--port", str(port), "--rows", "50"],
		stdout=subprocess.PIPE,
		text=True,
	)
	try:
		line = process.stdout.readline()
		assert f"http://127.0.0.1:{port}/ProfitRestServices" in line and DEMO_TOKEN in line
		header = process.stdout.readline().strip()
		response = requests.get(
			f"http://127.0.0.1:{port}/ProfitRestServices/connectors/ERP_Debtors",
			headers={"Authorization": header.split(": ", 1)[1]},
		)
		assert response.status_code == 200 and len(response.json()["rows"]) == 50
	finally:
		process.terminate()
		process.wait(timeout=5)
	refused = subprocess.run(
		[sys.executable, "-m", "afas_connector.simulator", "--host", "0.0.0.0", "--port", str(port)],
		capture_output=True,
		text=True,
		timeout=10,
	)
	assert refused.returncode != 0 and "allow-remote" in refused.stderr
