"""AFAS's own OpenAPI specs as the reference: the app's bodies validate against AFAS's schemas, AFAS's own
example bodies are accepted by the simulator (and stored as sent), and the simulator's metainfo and rows
match the specs' field ids and types. Skipped, with a message, where the specs are absent (see
``afas_oas.py``); the counts are printed at the end of the run."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

import pytest
import requests

from afas_connector.afas.connector_facts import RESULT_KEYS, ROOT_ELEMENTS
from afas_connector.afas.update import Record, build_body, root_element
from afas_connector.devtools.sample_mappings import CUSTOMER_TO_DEBTOR, OUTBOUND, sales_order_mapping
from afas_connector.simulator import DEMO_TOKEN, AfasSimulator
from afas_connector.sync.mapping import FieldMap
from afas_connector.sync.transforms import typed_literal
from afas_connector.tests.core import afas_oas
from afas_connector.tests.core.afas_oas import COUNTS

AUTH = {"Authorization": "AfasToken " + __import__("base64").b64encode(DEMO_TOKEN.encode()).decode()}
#: AFAS's (metainfo) data type → the JSON type its specs give the value.
JSON_TYPES = {
	"string": "string",
	"date": "string",
	"int": "integer",
	"decimal": "number",
	"boolean": "boolean",
}
#: A refusal that is about the environment's data, not the body: a record AFAS's example assumes that this
#: environment does not have (a debtor, an order, an organisation to update), or already has.
REFERENCE_DATA = re.compile(
	r"niet gevonden|bestaat al|does not exist|De ingevoerde waarde voor '[^']+' bestaat niet"
	r"|bestaat niet in (?:KnSalesRelationOrg|KnPurchaseRelationOrg|Fb\w+)"
)
#: AFAS's examples that break AFAS's own schema, and so are refused by a simulator that keeps to the schema.
EXAMPLE_SCHEMA_DISAGREEMENTS = {
	# FiNr (fiscal number, RSIN) is at most 9 characters in the schema; the example sends a VAT number
	("KnSalesRelationOrg", "POST", "EDA"): "FiNr",
	# a field "id" for a workflow id, which KnSubject's schema does not list
	("KnSubject", "POST", "Employee with Workflow Id"): "id",
	# a personal phone number TeN2 on the relation, where the schema lists it on its person (KnPerson)
	("KnSalesRelationPer", "PUT", "AfleveradresToevoegen"): "TeN2",
	# a carrier TrPt, which FbDirectInvoice's schema does not list
	("FbDirectInvoice", "POST", "vervoerder"): "TrPt",
	# a unit price UnPri on a line, where the schema lists Upri
	("FbDirectInvoice", "PUT", "Regel Guid"): "UnPri",
	# start times as a time of day ("10:00:00"), where the schema types StTi as a date-time
	("PtRealization", "POST", "2 hour rows"): "StTi",
	("PtRealization", "POST", "gespecificeerde tijden"): "StTi",
	("PtRealization", "POST", "laatstedagvanperiode inclTijd"): "StTi",
}

#: AFAS's examples that AFAS's own booking rules, as the simulator applies them, refuse: (the cause, what
#: the refusal names).
EXAMPLES_THE_BOOKING_RULES_REFUSE = {
	# a dimension on 0100 (Gebouwen), a balance-sheet account without a dimension axis: a strict
	# administration refuses it (AFAS's other examples put dimensions on revenue lines only)
	("FiEntries", "POST", "Journalentry with dimentions"): "rekening 0100",
	# GBP 8,700 for 12,100 at Rate 0.87: 12,100 × 0.87 is 10,527. The example's currency amount is
	# 10,000 × 0.87 (its amount without VAT); "Purchase with Currency" (10,000 × 7.5 = NOK 75,000) is
	# consistent and accepted.
	("FiEntries", "POST", "Sales Currency"): "de koers 0.87",
}


@pytest.fixture(scope="module")
def sim():
	afas_oas.require_specs()
	with AfasSimulator(port=0) as simulator:
		yield simulator


@pytest.fixture(scope="module")
def http():
	with requests.Session() as session:
		session.headers.update(AUTH)
		yield session


def implemented(sim) -> list[str]:
	"""The UpdateConnectors the simulator implements that AFAS's specs describe."""
	return sorted(s.id for s in sim.store.update_specs.values() if s.id in afas_oas.update_connectors())


# ---------------------------------------------------------------- the client's tables are AFAS's facts


def test_known_roots_table_matches_afas_specs():
	connectors = afas_oas.update_connectors()
	wrong = {}
	for connector, entry in connectors.items():
		schema = entry["schemas"].get("post") or entry["schemas"].get("put")
		if root_element(connector) != afas_oas.root_of(schema):
			wrong[connector] = (root_element(connector), afas_oas.root_of(schema))
	assert not wrong, wrong
	assert set(ROOT_ELEMENTS) - set(connectors) == {"KnEmployee"}  # its module is too large to store
	COUNTS["UpdateConnector roots checked"] = len(connectors)


def test_result_keys_table_matches_afas_specs():
	seen = {}
	for connector, entry in afas_oas.update_connectors().items():
		for example in entry["results"]:
			payload = example.get("results", example) if isinstance(example, dict) else None
			if not isinstance(payload, dict):
				continue
			for value in payload.values():
				value = value[0] if isinstance(value, list) and value else value
				if isinstance(value, dict):
					seen[connector] = tuple(value)
	assert seen == RESULT_KEYS


# ---------------------------------------------------------------- the app's bodies against AFAS's schemas


def demo_bodies() -> list[tuple[str, str, dict[str, Any]]]:
	"""(connector, what, body) for every body the demo mappings make, built purely."""
	customer = {"customer_name": "Zuiderzee Vis B.V.", "customer_type": "Company", "tax_id": "NL001234567B01"}
	debtor, _ = FieldMap.from_rows(CUSTOMER_TO_DEBTOR, outbound=True).to_afas(customer)
	updated = Record(
		fields=dict(debtor.fields), keys={OUTBOUND["afas_key_field"]: "10031"}, objects=debtor.objects
	)
	deactivate = Record(fields={"Bl": typed_literal("true")}, keys={"DbId": "10031"})
	mapping = sales_order_mapping("Customer → AFAS Debtor")
	order = {
		"customer": "Zuiderzee Vis B.V.",
		"transaction_date": "2026-05-01",
		"delivery_date": "2026-05-08",
		"po_no": "PO-2026-17",
		"currency": "EUR",
		"items": [
			{"item_code": "ART-1001", "item_name": "Volkoren brood 800g", "qty": 12, "rate": 2.95},
			{"item_code": "ART-2003", "item_name": "Schroeven RVS 4x40 (200)", "qty": 2, "rate": 12.75},
		],
	}
	sales, errors = FieldMap.from_rows(mapping["field_mappings"], outbound=True).to_afas(
		order, lookups={"afas_key": lambda m, n: "10031"}
	)
	assert not errors
	sales_put = Record(fields=dict(sales.fields), keys={"OrNu": "SO-1"}, objects=sales.objects)
	lines = [
		Record(
			fields={"VaAs": "1", "AcNr": "4000", "EnDa": "2026-02-03", "BpDa": "2026-02-03", "AmDe": 121.0}
		),
		Record(
			fields={"VaAs": "1", "AcNr": "1100", "EnDa": "2026-02-03", "BpDa": "2026-02-03", "AmCr": 121.0}
		),
	]
	journal = Record(fields={"Year": 2026, "Peri": 2, "UnId": 1, "JoCo": "90"}, objects={"FiEntries": lines})
	return [
		("KnSalesRelationOrg", "Customer → debtor (POST)", build_body("KnSalesRelationOrg", debtor)),
		("KnSalesRelationOrg", "Customer → debtor (PUT)", build_body("KnSalesRelationOrg", updated)),
		("KnSalesRelationOrg", "deactivate debtor (PUT)", build_body("KnSalesRelationOrg", deactivate)),
		("FbSales", "Sales Order → order (POST)", build_body("FbSales", sales)),
		("FbSales", "Sales Order → order (PUT)", build_body("FbSales", sales_put)),
		("FiEntries", "journal entry (POST)", build_body("FiEntries", journal)),
	]


@pytest.mark.parametrize("connector,what,body", demo_bodies(), ids=[b[1] for b in demo_bodies()])
def test_demo_mapping_bodies_validate_against_afas_schema(connector, what, body):
	assert afas_oas.body_errors(connector, body) == []
	COUNTS["app bodies validated (demo mappings)"] += 1


def test_a_body_afas_does_not_know_fails_validation():
	"""The check can fail: a field AFAS's schema does not list, a value of the wrong type, too long."""
	assert afas_oas.body_errors(
		"KnSalesRelationOrg", {"KnSalesRelationOrg": {"Element": {"Fields": {"CrLm": 1}}}}
	)
	bad_type = {
		"FbSales": {
			"Element": {
				"Fields": {"DbId": "1"},
				"Objects": [{"FbSalesLines": {"Element": {"Fields": {"QuUn": "x"}}}}],
			}
		}
	}
	assert afas_oas.body_errors("FbSales", bad_type)
	long_name = {"KnOrganisation": {"Element": {"Fields": {"Nm": "N" * 256}}}}
	assert afas_oas.body_errors("KnOrganisation", long_name)
	assert afas_oas.body_errors("FiEntries", {"FiEntries": {"Element": {"Fields": {}}}})  # wrong root


# ---------------------------------------------------------------- the simulator knows what AFAS's schemas list


def schema_fields(node: dict[str, Any], prefix: str = "") -> dict[str, tuple[str, int]]:
	"""``{path: (JSON type, maxLength)}`` for every field of a body schema node (``Obj.Sub.Field``)."""
	element = node["properties"]["Element"]
	element = element.get("items", element)
	parts = element.get("properties", {})
	found = {}
	for name, field in ((parts.get("Fields") or {}).get("properties") or {}).items():
		found[prefix + name] = (field["type"], field.get("maxLength", 0))
	for name, sub in ((parts.get("Objects") or {}).get("items", {}).get("properties") or {}).items():
		found.update(schema_fields(sub, f"{prefix}{name}."))
	return found


def meta_fields(meta: dict[str, Any], prefix: str = "") -> dict[str, tuple[str, int]]:
	found = {prefix + f["fieldId"]: (JSON_TYPES[f["dataType"]], f["length"]) for f in meta.get("fields", [])}
	for obj in meta.get("objects", []):
		found.update(meta_fields(obj, f"{prefix}{obj['name']}."))
	return found


def test_simulator_knows_every_field_and_object_afas_lists(sim, http):
	checked = 0
	for connector in implemented(sim):
		schema = afas_oas.body_schema(connector)
		spec = schema_fields(schema["properties"][afas_oas.root_of(schema)])
		meta = meta_fields(http.get(sim.base_url + f"/metainfo/update/{connector}").json())
		assert set(meta) == set(spec), (connector, sorted(set(spec) ^ set(meta))[:10])
		for path, (json_type, length) in spec.items():
			assert meta[path][0] == json_type, (connector, path, meta[path], json_type)
			if json_type == "string":
				assert meta[path][1] == length, (connector, path, meta[path], length)
		checked += len(spec)
	assert checked > 1000
	COUNTS["UpdateConnectors whose every field the simulator knows"] = len(implemented(sim))
	COUNTS["UpdateConnector fields checked (id, type, length)"] = checked


# ---------------------------------------------------------------- AFAS's own examples against the simulator


def examples() -> list[tuple[str, str, str, Any]]:
	"""(connector, method, name, body) for AFAS's examples of every UpdateConnector the simulator implements."""
	if afas_oas.spec_dir() is None:
		return []
	with AfasSimulator(port=0) as probe:
		ours = set(implemented(probe))
	found = []
	for connector in sorted(ours):
		for method, items in afas_oas.update_connectors()[connector]["examples"].items():
			for name, example in items:
				found.append((connector, method.upper(), name, example.get("value")))
	return found


EXAMPLES = examples()
_NO_SPECS = "AFAS's OpenAPI specs are not here (see afas_oas.py): no examples to send"


@pytest.mark.parametrize(
	"connector,method,name,body",
	[pytest.param(*e, id=f"{e[0]} {e[1]} {e[2]}") for e in EXAMPLES]
	or [pytest.param(None, None, None, None, marks=pytest.mark.skip(reason=_NO_SPECS))],
)
def test_afas_example_is_accepted_and_stored_as_sent(sim, http, connector, method, name, body):
	afas_oas.require_specs()
	sim.reset_data()
	if connector == "FiEntries":
		_add_relations(sim, body)
	if method == "PUT":
		_add_records_to_update(sim, connector, body)
	response = http.request(method, sim.base_url + f"/connectors/{connector}", json=body)
	COUNTS[f"AFAS examples sent ({method})"] += 1
	if response.status_code == 500:
		message = response.json()["externalMessage"]
		disagreement = EXAMPLE_SCHEMA_DISAGREEMENTS.get((connector, method, name))
		if disagreement:
			assert f"({disagreement})" in message or f"'{disagreement}'" in message, message
			COUNTS["AFAS examples refused where they break AFAS's own schema"] += 1
			return
		refused = EXAMPLES_THE_BOOKING_RULES_REFUSE.get((connector, method, name))
		if refused:
			assert refused in message, message
			COUNTS["AFAS examples refused by AFAS's booking rules (rate, dimension)"] += 1
			return
		assert REFERENCE_DATA.search(message), message
		COUNTS["AFAS examples refused for reference data this environment lacks"] += 1
		return
	assert response.status_code == (201 if method == "POST" else 200), response.text
	stored = sim.records(connector)
	elements = _elements(body)
	if method == "POST":
		keys = response.json()["results"][connector]
		keys = keys if isinstance(keys, list) else [keys]
		spec = sim.store.update_spec(connector)
		records = [stored[spec.stored_key(k)] for k in keys]
	else:
		spec = sim.store.update_spec(connector)
		records = [stored[str(_key(element, spec.key))] for element in elements]
	for element, record in zip(elements, records, strict=True):
		_assert_stored(element, record, connector)
	COUNTS["AFAS examples accepted and stored as sent"] += 1


def _add_records_to_update(sim, connector: str, body: dict[str, Any]) -> None:
	"""The records AFAS's PUT example changes (by its key), as reference data: a row in the connector's
	GetConnector where it has one, else a stored record."""
	spec = sim.store.update_spec(connector)
	for element in _elements(body):
		key = _key(element, spec.key)
		if key in (None, "") or sim.store._exists(spec, str(key)):
			continue
		if spec.get_connector:
			table = sim.store.table(spec.get_connector).spec
			sim.add_rows(spec.get_connector, [{table.key: str(key)}])
		else:
			sim.store.records_by_connector[spec.id][str(key)] = {spec.key: key}


def _add_relations(sim, body: dict[str, Any]) -> None:
	"""The debtors (VaAs 2) and creditors (VaAs 3) AFAS's journal entry example books on, as reference data."""
	for element in _elements(body):
		objects = element.get("Objects") or {}
		objects = {k: v for o in objects for k, v in o.items()} if isinstance(objects, list) else objects
		lines = _elements({"FiEntries": objects["FiEntries"]})
		for line in lines:
			kind, number = str(_fields(line).get("VaAs")), str(_fields(line).get("AcNr"))
			connector, key = {"2": ("ERP_Debtors", "DebtorId"), "3": ("ERP_Creditors", "CreditorId")}.get(
				kind, (None, None)
			)
			if connector and not sim.store.has_row(connector, number):
				sim.add_rows(connector, [{key: number, "Name": f"Relatie {number}"}])


def _elements(body: dict[str, Any]) -> list[dict[str, Any]]:
	(payload,) = body.values()
	element = payload["Element"]
	return element if isinstance(element, list) else [element]


def _key(element: dict[str, Any], key: str) -> Any:
	fields = _fields(element)
	return element.get(f"@{key}", fields.get(key))


def _fields(element: dict[str, Any]) -> dict[str, Any]:
	fields = element.get("Fields") or {}
	return fields[0] if isinstance(fields, list) else fields


def _assert_stored(element: dict[str, Any], record: dict[str, Any], where: str) -> None:
	attributes = {k[1:]: v for k, v in element.items() if k.startswith("@") and k.lower() != "@action"}
	sent = {**attributes, **{k: v for k, v in _fields(element).items() if k.lower() != "@action"}}
	action = next((v for k, v in {**element, **_fields(element)}.items() if k.lower() == "@action"), None)
	assert action is None or record.get("@Action") == action, (where, action)
	numbered = str(sent.get("AutoNum", "")).lower() in ("true", "1")
	for name, value in sent.items():
		if value in ("", None) or (numbered and name in ("BcCo", "BcId")):
			continue  # empty, or AutoNum: AFAS numbers the code itself
		assert _same(record.get(name), value), (where, name, value, record.get(name))
	objects = element.get("Objects") or []
	objects = [{k: v} for k, v in objects.items()] if isinstance(objects, dict) else objects
	for item in objects:
		for sub, payload in item.items():
			subs = payload["Element"] if isinstance(payload["Element"], list) else [payload["Element"]]
			kept = record.get(sub)
			kept = kept if isinstance(kept, list) else [kept]
			assert len(kept) == len(subs), (where, sub)
			for one, stored in zip(subs, kept, strict=True):
				_assert_stored(one, stored, f"{where}.{sub}")


def _same(stored: Any, sent: Any) -> bool:
	if stored == sent:
		return True
	try:
		return Decimal(str(stored)) == Decimal(str(sent))
	except InvalidOperation:
		return False


def test_every_example_of_every_implemented_connector_was_tried():
	afas_oas.require_specs()
	assert len(EXAMPLES) > 100


# ---------------------------------------------------------------- Profit_* GetConnectors: metainfo and rows


def test_profit_getconnectors_match_afas_specs(sim, http):
	sim.reset_data()
	entry = {
		"FiEntryPar": {
			"Element": {
				"Fields": {"Year": 2026, "Peri": 3, "UnId": 1, "JoCo": "90"},
				"Objects": [
					{
						"FiEntries": {
							"Element": [
								{
									"Fields": {
										"VaAs": "1",
										"AcNr": "4000",
										"EnDa": "2026-03-02",
										"BpDa": "2026-03-02",
										"BpNr": "JV-1",
										"AmDe": 10.5,
									}
								},
								{
									"Fields": {
										"VaAs": "2",
										"AcNr": "10001",
										"EnDa": "2026-03-02",
										"BpDa": "2026-03-02",
										"InId": "V-1",
										"AmCr": 10.5,
									}
								},
							]
						}
					}
				],
			}
		}
	}
	assert http.post(sim.base_url + "/connectors/FiEntries", json=entry).status_code == 201
	# and a purchase invoice of a new creditor: an outstanding creditor item
	creditor = http.post(
		sim.base_url + "/connectors/KnPurchaseRelationOrg",
		json={
			"KnPurchaseRelationOrg": {
				"Element": {
					"Fields": {},
					"Objects": [
						{"KnOrganisation": {"Element": {"Fields": {"Nm": "Spec B.V.", "MatchOga": "6"}}}}
					],
				}
			}
		},
	)
	assert creditor.status_code == 201, creditor.text
	number = next(
		str(v) for k, v in creditor.json()["results"]["KnPurchaseRelationOrg"].items() if k.lower() == "crid"
	)
	purchase = {"Year": 2026, "Peri": 3, "UnId": 1, "JoCo": "90"}
	lines = [
		{"VaAs": "1", "AcNr": "4000", "EnDa": "2026-03-02", "BpDa": "2026-03-02", "BpNr": "PI-1", "AmDe": 20},
		{"VaAs": "3", "AcNr": number, "EnDa": "2026-03-02", "BpDa": "2026-03-02", "InId": "F-1", "AmCr": 20},
	]
	body = {
		"FiEntryPar": {
			"Element": {
				"Fields": purchase,
				"Objects": [{"FiEntries": {"Element": [{"Fields": line} for line in lines]}}],
			}
		}
	}
	assert http.post(sim.base_url + "/connectors/FiEntries", json=body).status_code == 201
	# and an hours line: a row of actual costing
	hours = {
		"DaTi": "2026-03-02",
		"VaIt": "1",
		"ItCd": "300",
		"Qu": 4,
		"EmId": "1001",
		"PrId": "P24-001",
		"StId": "1",
	}
	line = http.post(
		sim.base_url + "/connectors/PtRealization", json={"PtRealization": {"Element": {"Fields": hours}}}
	)
	assert line.status_code == 201, line.text
	served = [
		c["id"]
		for c in http.get(sim.base_url + "/metainfo").json()["getConnectors"]
		if c["id"].startswith("Profit_")
	]
	assert {"Profit_Transactions", "Profit_Accounts", "Profit_periods_per_administration"} <= set(served)
	rows_checked = 0
	for connector in served:
		spec = afas_oas.get_connectors()[connector]
		meta = http.get(sim.base_url + f"/metainfo/get/{connector}").json()["fields"]
		assert [f["id"] for f in meta] == list(spec), connector
		for field in meta:
			assert JSON_TYPES[field["dataType"]] == spec[field["id"]]["type"], (connector, field)
		rows = http.get(sim.base_url + f"/connectors/{connector}", params={"skip": 0, "take": 50}).json()[
			"rows"
		]
		assert rows, connector
		for row in rows:
			assert list(row) == list(spec), connector
			for name, value in row.items():
				assert value is None or _json_type(value) == spec[name]["type"], (connector, name, value)
		rows_checked += len(rows)
	COUNTS["Profit_* GetConnectors checked (metainfo and rows)"] = len(served)
	COUNTS["Profit_* rows checked"] = rows_checked


def _json_type(value: Any) -> str:
	if isinstance(value, bool):
		return "boolean"
	if isinstance(value, int):
		return "integer"
	if isinstance(value, float):
		return "number"
	return "string"
