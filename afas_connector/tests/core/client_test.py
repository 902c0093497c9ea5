"""The AFAS client against the simulator over real HTTP: paging, filters, URL limit, writes, errors."""

import base64
import logging
import math
import socket

import pytest

from afas_connector.afas import (
	AfasAuthError,
	AfasClient,
	AfasConfig,
	AfasError,
	AfasMaintenanceError,
	AfasNotFoundError,
	AfasPayloadTooLargeError,
	AfasResponseError,
	AfasTemporaryError,
	AfasTimeoutError,
	AfasTransportError,
	AfasValidationError,
	FilterSet,
	Operator,
	QueryTooLongError,
	Record,
	RetryPolicy,
	take_for_columns,
)
from afas_connector.afas.client import MAX_QUERY_LENGTH
from afas_connector.simulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_TOKEN

DEBTORS = "ERP_Debtors"


def gets(sim, connector=DEBTORS):
	return [r for r in sim.requests if r.method == "GET" and r.connector == connector]


def test_metainfo_and_version(client):
	meta = client.metainfo()
	assert DEBTORS in {c["id"] for c in meta["getConnectors"]}
	assert "KnSalesRelationOrg" in {c["id"] for c in meta["updateConnectors"]}
	fields = client.metainfo_get(DEBTORS)["fields"]
	assert {"DebtorId", "Name", "Modified"} <= {f["id"] for f in fields}
	assert client.metainfo_update("KnSalesRelationOrg")["fields"]
	assert client.profit_version().count(".") >= 1


def test_headers_sent(sim, make_client):
	client = make_client(language="en-us", integration_id="12345_1")
	client.get_page(DEBTORS, take=1, order_by="DebtorId")
	headers = {k.lower(): v for k, v in sim.requests[-1].headers.items()}
	assert headers["authorization"] == "AfasToken " + base64.b64encode(DEMO_TOKEN.encode()).decode()
	assert headers["accept-language"] == "en-us"
	assert headers["integrationid"] == "12345_1"
	assert headers.get("connection", "").lower() != "close"


def test_iter_rows_returns_every_row_once_in_order(sim, client):
	sim.generate_rows(DEBTORS, n=1000, seed=3)
	rows = list(client.iter_rows(DEBTORS, order_by="DebtorId", take=37))
	ids = [r["DebtorId"] for r in rows]
	expected = sorted(r["DebtorId"] for r in sim.rows(DEBTORS))
	assert ids == expected and len(set(ids)) == 1000
	assert len(gets(sim)) == math.ceil(1000 / 37)
	assert all(r.query["orderbyfieldids"] == "DebtorId" for r in gets(sim))


def test_exact_multiple_needs_one_empty_page(sim, client):
	sim.generate_rows(DEBTORS, n=100, seed=4)
	assert len(list(client.iter_rows(DEBTORS, order_by="DebtorId", take=25))) == 100
	assert len(gets(sim)) == 5


def test_take_follows_the_150000_cell_rule(sim, client):
	sim.generate_rows(DEBTORS, n=50, seed=5)
	columns = len(client.metainfo_get(DEBTORS)["fields"])
	sim.clear_requests()
	list(client.iter_rows(DEBTORS, order_by="DebtorId"))
	list(client.iter_rows(DEBTORS, order_by="DebtorId"))
	assert take_for_columns(columns) == 150_000 // columns
	assert [int(r.query["take"]) for r in gets(sim)] == [150_000 // columns] * 2
	assert not [r for r in sim.requests if "metainfo" in r.path.lower()], "metainfo is asked once per client"


def test_descending_order_and_start_skip(sim, client):
	sim.generate_rows(DEBTORS, n=60, seed=6)
	ids = [r["DebtorId"] for r in client.iter_rows(DEBTORS, order_by="-DebtorId", take=7, start_skip=10)]
	assert ids == sorted((r["DebtorId"] for r in sim.rows(DEBTORS)), reverse=True)[10:]


def test_order_by_is_required_for_paging(client):
	with pytest.raises(ValueError, match="order_by"):
		list(client.iter_rows(DEBTORS, order_by=""))


@pytest.mark.parametrize(
	"op,value,check",
	[
		(Operator.EQUAL, "Utrecht", lambda v: v == "Utrecht"),
		(Operator.NOT_EQUAL, "Utrecht", lambda v: v != "Utrecht"),
		(Operator.STARTS_WITH, "A", lambda v: str(v).startswith("A")),
		(Operator.CONTAINS, "ch", lambda v: "ch" in str(v)),
	],
)
def test_filters_select_the_right_rows(sim, client, op, value, check):
	sim.generate_rows(DEBTORS, n=200, seed=7)
	rows = list(client.iter_rows(DEBTORS, order_by="DebtorId", filters=[["City", op, value]], take=500))
	expected = [r for r in sim.rows(DEBTORS) if check(r["City"])]
	assert rows and len(rows) == len(expected) < 200
	assert all(check(r["City"]) for r in rows)


def test_or_groups_and_filterjson_switch(sim, client):
	sim.generate_rows(DEBTORS, n=200, seed=8)
	some = sim.rows(DEBTORS)[:3]
	sim.update_row(DEBTORS, some[0]["DebtorId"], {"Name": "Jansen, Bakker & Co"})
	fs = FilterSet().where("Name", "=", "Jansen, Bakker & Co").or_where("DebtorId", "=", some[1]["DebtorId"])
	rows = list(client.iter_rows(DEBTORS, order_by="DebtorId", filters=fs, take=50))
	assert {r["DebtorId"] for r in rows} == {some[0]["DebtorId"], some[1]["DebtorId"]}
	assert "filterjson" in gets(sim)[-1].query


def test_long_or_filter_is_split_never_over_2049(sim, client):
	sim.generate_rows(DEBTORS, n=600, seed=9)
	wanted = [r["DebtorId"] for r in sim.rows(DEBTORS)][::2]  # 300 ids: far over one URL
	fs = FilterSet()
	for value in wanted:
		fs.or_where("DebtorId", "=", value)
	rows = list(client.iter_rows(DEBTORS, order_by="DebtorId", filters=fs, take=100))
	assert sorted(r["DebtorId"] for r in rows) == sorted(wanted)
	requests_made = gets(sim)
	assert len(requests_made) > 1
	assert all(len("?" + r.raw_query) <= MAX_QUERY_LENGTH for r in requests_made)


def test_impossible_filter_is_refused_before_sending(sim, client):
	fs = FilterSet().where("Name", "=", "x" * 2100)
	with pytest.raises(QueryTooLongError, match="2049"):
		list(client.iter_rows(DEBTORS, order_by="DebtorId", filters=fs, take=10))
	with pytest.raises(QueryTooLongError):
		client.get_page(DEBTORS, filters=fs, order_by="DebtorId")
	assert gets(sim) == []


def test_simulator_404s_a_query_over_the_limit(sim, client):
	"""The guard matters: the server side really refuses 2050 characters."""
	with pytest.raises(AfasNotFoundError):
		client._send("GET", f"/connectors/{DEBTORS}", query="x=" + "a" * (MAX_QUERY_LENGTH - 2))


# ---------------------------------------------------------------- UpdateConnector round trip


def test_insert_update_delete_round_trip(sim, client):
	record = Record(
		fields={"CuId": "EUR"},
		objects={
			"KnOrganisation": Record(
				fields={"MatchOga": "6", "Nm": "Zeeuwse Café B.V.", "EmAd": "info@zc.nl"}
			)
		},
	)
	result = client.insert("KnSalesRelationOrg", record)
	assert result.status == 201 and result.keys.get("DbId")
	debtor_id = result.keys["DbId"]
	post = [r for r in sim.requests if r.method == "POST"][-1]
	assert post.body["KnSalesRelationOrg"]["Element"]["Objects"][0]["KnOrganisation"]["Element"]["Fields"][
		"Nm"
	] == ("Zeeuwse Café B.V.")
	found = list(
		client.iter_rows(DEBTORS, order_by="DebtorId", filters=[["DebtorId", "=", debtor_id]], take=10)
	)
	assert [r["Name"] for r in found] == ["Zeeuwse Café B.V."]

	client.update(
		"KnSalesRelationOrg",
		Record(keys={"DbId": debtor_id}, objects={"KnOrganisation": Record(fields={"Nm": "Zeeuws Café"})}),
	)
	found = list(
		client.iter_rows(DEBTORS, order_by="DebtorId", filters=[["DebtorId", "=", debtor_id]], take=10)
	)
	assert [r["Name"] for r in found] == ["Zeeuws Café"]

	client.delete("KnSalesRelationOrg", "KnSalesRelationOrg", {"DbId": debtor_id})
	assert (
		list(client.iter_rows(DEBTORS, order_by="DebtorId", filters=[["DebtorId", "=", debtor_id]], take=10))
		== []
	)


def test_sales_order_with_lines_needs_a_known_debtor(sim, client):
	lines = [
		Record(fields={"VaIt": "2", "ItCd": "BOUT-M8", "QuUn": 100.0, "Upri": 0.12}),
		Record(fields={"VaIt": "2", "ItCd": "MOER-M8", "QuUn": 50.0, "Upri": 0.08}),
	]
	order = Record(fields={"DbId": "99999999", "OrDa": "2026-11-23"}, objects={"FbSalesLines": lines})
	with pytest.raises(AfasValidationError, match="DbId"):
		client.insert("FbSales", order)
	debtor = client.insert(
		"KnSalesRelationOrg",
		Record(objects={"KnOrganisation": Record(fields={"MatchOga": "6", "Nm": "Orders B.V."})}),
	)
	order.fields["DbId"] = debtor.keys["DbId"]
	result = client.insert("FbSales", order)
	number = result.keys["OrNu"]
	stored = sim.records("FbSales")[number]
	assert stored["DbId"] == debtor.keys["DbId"]
	assert [line["ItCd"] for line in stored["FbSalesLines"]] == ["BOUT-M8", "MOER-M8"]
	assert client.insert("FbSales", order).keys["OrNu"] == str(int(number) + 1), "numbered upwards"


def test_functional_500_fails_at_once_with_afas_message(sim, client):
	with pytest.raises(AfasValidationError) as info:
		client.update("KnSalesRelationOrg", Record(keys={"DbId": "does-not-exist"}, fields={"CuId": "EUR"}))
	assert info.value.external_message and info.value.profit_log_reference
	assert len([r for r in sim.requests if r.method == "PUT"]) == 1


@pytest.mark.afas_schema_exempt("a 75 MB description is far over KnSubject.Ds's 255 characters, on purpose")
def test_body_over_75mb_is_refused_before_sending(sim, client):
	with pytest.raises(AfasPayloadTooLargeError, match="75 MB"):
		client.insert("KnSubject", Record(fields={"Ds": "x" * (75 * 1024 * 1024 + 10)}))
	assert not [r for r in sim.requests if r.method == "POST"]


# ---------------------------------------------------------------- faults and retry rules


def test_lock_errors_retry_then_succeed(sim, client):
	sim.faults.add(connector="KnSalesRelationOrg", kind="lock", times=2, method="POST")
	result = client.insert(
		"KnSalesRelationOrg",
		Record(objects={"KnOrganisation": Record(fields={"MatchOga": "6", "Nm": "Retry BV"})}),
	)
	assert result.keys.get("DbId")
	assert len([r for r in sim.requests if r.method == "POST"]) == 3
	assert len(client.sleeps) == 2


def test_lock_errors_give_up_after_max_attempts(sim, make_client):
	client = make_client(retry=RetryPolicy(max_attempts=3, base_delay=0.01))
	sim.faults.add(connector=DEBTORS, kind="lock", times=None)
	with pytest.raises(AfasTemporaryError):
		client.get_page(DEBTORS, order_by="DebtorId")
	assert len(gets(sim)) == 3


@pytest.mark.parametrize(
	"message",
	[
		"Date '3-2-2026' belongs to a blocked period | For this administration, period 2 of the year 2026 is blocked.",
		"Datum '3-2-2026' valt in een geblokkeerde periode | Voor deze administratie is periode 2 van het jaar 2026 geblokkeerd.",
		"There is no assignment for cost center '100' with account '4000' or the assignment is blocked.",
	],
)
def test_blocked_is_not_locked_the_post_is_sent_once(sim, client, message):
	"""A blocked period or assignment is a setting in AFAS, not a passing lock: no retry."""
	sim.faults.add(connector="KnSubject", kind="validation", times=None, method="POST", message=message)
	with pytest.raises(AfasValidationError) as info:
		client.insert("KnSubject", Record(fields={"StId": 1, "Ds": "x"}))
	assert not info.value.retryable and info.value.external_message == message
	assert len([r for r in sim.requests if r.method == "POST"]) == 1 and client.sleeps == []


def test_x_profit_error_header_is_an_error_whatever_the_status(sim, client):
	"""AFAS's deprecated X-Profit-Error header carries a functional error; a 2xx with it is no success."""
	message = "Het veld 'Land' (CoId) bevat een ongeldige waarde."
	sim.faults.add(connector="KnSubject", kind="header_error", times=1, method="POST", message=message)
	with pytest.raises(AfasValidationError) as info:
		client.insert("KnSubject", Record(fields={"StId": 1, "Ds": "x"}))
	assert info.value.status == 200 and info.value.external_message == message
	assert len([r for r in sim.requests if r.method == "POST"]) == 1
	sim.faults.add(connector=DEBTORS, kind="header_error", times=1, message="Time-out: operation timed out")
	assert client.get_page(DEBTORS, order_by="DebtorId", take=2).rows  # transient: read again
	assert len(gets(sim)) == 2


def test_new_key_from_a_bare_answer_is_recorded(sim, client):
	"""A POST answered with a bare key (201 "12345" or {"results": {"KnSubject": "12345"}}) records it."""
	for shape in ("bare", "scalar"):
		sim.answer_shape = shape
		try:
			result = client.insert("KnSubject", Record(fields={"StId": 1, "Ds": f"shape {shape}"}))
		finally:
			sim.answer_shape = "keys"
		assert result.status == 201 and result.key("SbId") and result.key("SbId") in sim.records("KnSubject")


def test_maintenance_honours_retry_after(sim, client):
	sim.faults.add(connector=DEBTORS, kind="maintenance", times=1, retry_after=3)
	client.get_page(DEBTORS, order_by="DebtorId", take=1)
	assert client.sleeps == [3]


def test_long_maintenance_is_not_waited_out(sim, client):
	sim.faults.add(connector=DEBTORS, kind="maintenance", times=1, retry_after=7200)
	with pytest.raises(AfasMaintenanceError) as info:
		client.get_page(DEBTORS, order_by="DebtorId", take=1)
	assert info.value.retry_after == 7200 and len(gets(sim)) == 1 and client.sleeps == []


@pytest.mark.parametrize(
	"kind,cls",
	[
		("unauthorized", AfasAuthError),
		("forbidden", AfasAuthError),
		("not_found", AfasNotFoundError),
		("validation", AfasValidationError),
	],
)
def test_non_retryable_errors_are_sent_once(sim, client, kind, cls):
	sim.faults.add(connector=DEBTORS, kind=kind, times=1)
	with pytest.raises(cls):
		client.get_page(DEBTORS, order_by="DebtorId")
	assert len(gets(sim)) == 1


def test_413_from_server(sim, client):
	sim.faults.add(connector="KnSubject", kind="too_large", times=1)
	with pytest.raises(AfasPayloadTooLargeError):
		client.insert("KnSubject", Record(fields={"Ds": "x"}))


@pytest.mark.parametrize("kind", ["malformed", "truncated", "drop", "timeout500"])
def test_broken_reads_are_retried(sim, client, kind):
	sim.faults.add(connector=DEBTORS, kind=kind, times=1)
	page = client.get_page(DEBTORS, order_by="DebtorId", take=3)
	assert len(page.rows) == 3
	assert len(gets(sim)) == 2


def test_broken_read_reports_clearly_when_it_persists(sim, make_client):
	client = make_client(retry=RetryPolicy(max_attempts=2, base_delay=0.01))
	sim.faults.add(connector=DEBTORS, kind="malformed", times=None)
	with pytest.raises(AfasResponseError, match="not valid JSON"):
		client.get_page(DEBTORS, order_by="DebtorId")


def test_dropped_write_is_not_repeated(sim, client):
	"""AFAS may have processed a write whose answer was lost: never send it twice."""
	sim.faults.add(connector="KnSubject", kind="drop", times=1, method="POST")
	with pytest.raises(AfasTransportError):
		client.insert("KnSubject", Record(fields={"Ds": "once"}))
	assert len([r for r in sim.requests if r.method == "POST" and r.connector == "KnSubject"]) == 1


def test_slow_answer_times_out_and_names_the_url(sim, make_client):
	client = make_client(timeout=1, retry=RetryPolicy(max_attempts=2, base_delay=0.01))
	sim.faults.add(connector=DEBTORS, kind="latency", delay=1.6, times=None)
	with pytest.raises(AfasTimeoutError) as info:
		client.get_page(DEBTORS, order_by="DebtorId", take=1)
	assert sim.base_url in str(info.value)


def test_connection_refused_is_retried_even_for_writes(make_client):
	with socket.socket() as s:
		s.bind(("127.0.0.1", 0))
		port = s.getsockname()[1]
	sleeps = []
	config = AfasConfig(
		base_url=f"http://127.0.0.1:{port}/ProfitRestServices",
		token=DEMO_TOKEN,
		retry=RetryPolicy(max_attempts=3, base_delay=0.01),
	)
	client = AfasClient(config, sleep=sleeps.append)
	with pytest.raises(AfasTransportError, match=f"127.0.0.1:{port}"):
		client.insert("KnSubject", Record(fields={"Ds": "x"}))
	assert len(sleeps) == 2 and client.request_count == 3


# ---------------------------------------------------------------- auth and secrets


def test_bad_token_is_refused_without_retry(sim, make_client):
	client = make_client(token="<token><version>1</version><data>WRONG</data></token>")
	with pytest.raises(AfasAuthError):
		client.metainfo()
	assert len(sim.requests) == 1


def test_revoked_token_mid_run(sim, client):
	sim.generate_rows(DEBTORS, n=30, seed=10)
	pages = client.iter_pages(DEBTORS, order_by="DebtorId", take=10)
	next(pages)
	sim.revoke_token()
	with pytest.raises(AfasAuthError):
		next(pages)
	assert len(gets(sim)) == 2


def test_oauth_client_credentials_and_expiry(sim):
	sim.oauth_token_lifetime = 1
	config = AfasConfig(
		base_url=sim.base_url,
		auth_method="oauth2",
		client_id=DEMO_CLIENT_ID,
		client_secret=DEMO_CLIENT_SECRET,
	)
	with AfasClient(config) as client:
		assert client.metainfo()["getConnectors"]
		assert client.profit_version()
	token_calls = [r for r in sim.requests if r.path.lower().endswith("/oauth/token")]
	assert len(token_calls) >= 1
	bearer = [r for r in sim.requests if r.headers.get("Authorization", "").startswith("Bearer ")]
	assert len(bearer) == 2


def test_oauth_bad_secret_message_hides_secret(sim):
	config = AfasConfig(
		base_url=sim.base_url,
		auth_method="oauth2",
		client_id=DEMO_CLIENT_ID,
		client_secret="wrong-secret-123",
	)
	with AfasClient(config) as client, pytest.raises(AfasAuthError) as info:
		client.metainfo()
	assert "wrong-secret-123" not in str(info.value) + repr(info.value)


def test_token_never_in_errors_logs_or_exchanges(sim, caplog):
	caplog.set_level(logging.DEBUG)
	exchanges = []
	config = AfasConfig(
		base_url=sim.base_url, token=DEMO_TOKEN, retry=RetryPolicy(max_attempts=2, base_delay=0.001)
	)
	client = AfasClient(config, sleep=lambda s: None, on_exchange=exchanges.append)
	encoded = base64.b64encode(DEMO_TOKEN.encode()).decode()
	data_part = DEMO_TOKEN.split("<data>")[1].split("</data>")[0]
	captured = [repr(client), repr(config)]
	for kind in ("unauthorized", "validation", "lock", "maintenance", "malformed", "drop"):
		sim.faults.add(connector=DEBTORS, kind=kind, times=None, retry_after=1)
		try:
			client.get_page(DEBTORS, order_by="DebtorId")
		except AfasError as exc:
			captured += [str(exc), repr(exc), str(exc.to_dict())]
		sim.faults.clear()
	captured += [str(vars(e)) for e in exchanges] + [caplog.text]
	blob = "\n".join(captured)
	assert exchanges and len(captured) > 10
	for secret in (DEMO_TOKEN, encoded, data_part):
		assert secret not in blob


# ---------------------------------------------------------------- data connectors


def test_data_connectors(sim, client):
	info = sim.demo_files
	file = client.file(info["file_id"], info["file_name"])
	assert file.data and file.mimetype
	assert client.image(info["image_id"], 1).data
	assert client.subject_attachment(info["subject_id"], info["subject_file_id"]).data
	report = client.report(info["report_id"])
	assert report.mimetype == "application/pdf" and report.data.startswith(b"%PDF")
	with pytest.raises(AfasNotFoundError):
		client.file("00000000-0000-0000-0000-000000000000", "nope.txt")


def test_writes_handed_to_the_network_are_counted_before_any_answer(sim, client):
	"""Issue 24 §4: a caller interrupted during a write (a job timeout while AFAS works) can tell that
	the write left: it is counted before the request goes out, reads are not."""
	list(client.iter_rows(DEBTORS, order_by="DebtorId", take=5))
	assert client.writes_started == 0
	sim.faults.add(connector="KnSalesRelationOrg", kind="drop", times=1, method="POST")
	record = Record(fields={"CuId": "EUR"}, objects={"KnOrganisation": Record(fields={"Nm": "Teller B.V."})})
	with pytest.raises(AfasTransportError):
		client.insert("KnSalesRelationOrg", record)
	assert client.writes_started == 1
	client.insert("KnSalesRelationOrg", record)
	assert client.writes_started == 2
