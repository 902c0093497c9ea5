"""Usage counting: what each Exchange says it cost (connector, rows, bytes) against the simulator over
real HTTP, and the meter that adds exchanges up per day and connector."""

import base64
import datetime as dt
import threading

import pytest
import requests

from afas_connector.afas import AfasClient, AfasConfig, AfasTemporaryError, Record, RetryPolicy
from afas_connector.afas.client import Exchange, connector_of
from afas_connector.afas.usage import Usage, UsageMeter
from afas_connector.simulator import DEMO_TOKEN

DEBTORS = "ERP_Debtors"


@pytest.fixture
def counted(sim):
	"""A client whose exchanges are kept, and which counts its closes."""
	exchanges, closes = [], []
	config = AfasConfig(
		base_url=sim.base_url, token=DEMO_TOKEN, retry=RetryPolicy(max_attempts=3, base_delay=0.001)
	)
	client = AfasClient(
		config, sleep=lambda s: None, on_exchange=exchanges.append, on_close=lambda: closes.append(1)
	)
	client.exchanges, client.closes = exchanges, closes
	yield client
	client.close()


def raw_get(sim, path_and_query):
	"""The same GET by hand, for the bytes AFAS answers."""
	token = "AfasToken " + base64.b64encode(DEMO_TOKEN.encode()).decode()
	return requests.get(sim.base_url + path_and_query, headers={"Authorization": token}, timeout=10)


def test_a_getconnector_page_counts_its_rows_and_bytes(sim, counted):
	sim.generate_rows(DEBTORS, n=30, seed=11)
	page = counted.get_page(DEBTORS, take=20, order_by="DebtorId")
	(exchange,) = counted.exchanges
	assert (exchange.connector, exchange.rows, exchange.status) == (DEBTORS, 20, 200)
	assert len(page.rows) == 20
	assert exchange.bytes == len(raw_get(sim, exchange.path).content) > 0


def test_the_last_short_page_counts_what_it_held(sim, counted):
	sim.generate_rows(DEBTORS, n=30, seed=12)
	list(counted.iter_rows(DEBTORS, order_by="DebtorId", take=20))
	assert [e.rows for e in counted.exchanges] == [20, 10]
	assert sum(e.rows for e in counted.exchanges) == 30


def test_metainfo_and_version_count_as_services_without_rows(counted):
	counted.metainfo()
	counted.metainfo_get(DEBTORS)
	counted.profit_version()
	assert [(e.connector, e.rows) for e in counted.exchanges] == [
		("metainfo", 0),
		("metainfo", 0),
		("ProfitVersion", 0),
	]
	assert all(e.bytes > 0 for e in counted.exchanges)


def test_an_update_counts_the_body_sent_and_the_answer(sim, counted):
	counted.insert(
		"KnSalesRelationOrg",
		Record(objects={"KnOrganisation": Record(fields={"MatchOga": "6", "Nm": "Telling BV"})}),
	)
	(exchange,) = counted.exchanges
	post = [r for r in sim.requests if r.method == "POST"][-1]
	assert (exchange.connector, exchange.rows, exchange.method) == ("KnSalesRelationOrg", 0, "POST")
	assert (
		exchange.bytes
		== len(post.raw_body) + len(exchange.response_excerpt.encode())
		> len(post.raw_body)
		> 0
	)


def test_every_attempt_counts_failed_ones_too(sim, counted):
	sim.faults.add(connector=DEBTORS, kind="lock", times=2)
	counted.get_page(DEBTORS, take=5, order_by="DebtorId")
	assert [e.connector for e in counted.exchanges] == [DEBTORS] * 3
	assert [e.rows for e in counted.exchanges][:2] == [0, 0]
	assert all(e.bytes > 0 for e in counted.exchanges)  # the error answers cost bytes too


def test_a_call_that_gives_up_still_counts(sim, counted):
	sim.faults.add(connector=DEBTORS, kind="lock", times=None)
	with pytest.raises(AfasTemporaryError):
		counted.get_page(DEBTORS, take=5, order_by="DebtorId")
	assert len(counted.exchanges) == 3 and not any(e.rows for e in counted.exchanges)


def test_close_calls_on_close_each_time(counted):
	counted.close()
	with counted:
		pass
	assert counted.closes == [1, 1]


@pytest.mark.parametrize(
	("path", "connector"),
	[
		("/connectors/Profit_Debtors?skip=0&take=10", "Profit_Debtors"),
		("/connectors/KnSalesRelationOrg", "KnSalesRelationOrg"),
		("/connectors/KnSubject/KnSubjectAttachment/@SbId,FileId/1,2", "KnSubject"),
		("/connectors/My%20Connector", "My Connector"),
		("/metainfo", "metainfo"),
		("/metainfo/get/Profit_Debtors", "metainfo"),
		("/ProfitVersion", "ProfitVersion"),
		("/fileconnector/ABC/a.pdf", "FileConnector"),
		("/ImageConnector/12?format=1", "ImageConnector"),
		("/SubjectConnector/1/2", "SubjectConnector"),
		("/ReportConnector/R1?filterfieldids=x", "ReportConnector"),
	],
)
def test_connector_of_a_path(path, connector):
	assert connector_of(path) == connector


# ------------------------------------------------------------------ the meter


def exchange(connector, rows=0, size=100):
	return Exchange("GET", "/x", 200, 0.01, 1, connector=connector, rows=rows, bytes=size)


def test_the_meter_adds_up_per_day_and_connector_and_starts_again():
	days = iter([dt.date(2026, 5, 1)] * 3 + [dt.date(2026, 5, 2)])
	meter = UsageMeter(today=lambda: next(days))
	meter.count(exchange("A", 10, 1000))
	meter.count(exchange("A", 5, 500))
	meter.count(exchange("metainfo", 0, 50))
	meter.count(exchange("A", 1, 1))  # after midnight
	assert meter.pending() == Usage(4, 16, 1551)
	assert meter.take() == {
		(dt.date(2026, 5, 1), "A"): Usage(2, 15, 1500),
		(dt.date(2026, 5, 1), "metainfo"): Usage(1, 0, 50),
		(dt.date(2026, 5, 2), "A"): Usage(1, 1, 1),
	}
	assert meter.take() == {} and meter.pending() == Usage()


def test_what_is_given_back_is_taken_again_with_what_came_since():
	meter = UsageMeter(today=lambda: dt.date(2026, 5, 1))
	meter.count(exchange("A", 2, 20))
	taken = meter.take()
	meter.count(exchange("A", 3, 30))
	meter.give_back(taken)
	assert meter.take() == {(dt.date(2026, 5, 1), "A"): Usage(2, 5, 50)}


def test_the_meter_counts_every_exchange_from_many_threads():
	meter = UsageMeter(today=lambda: dt.date(2026, 5, 1))
	taken: list = []

	def feed():
		for _ in range(2000):
			meter.count(exchange("A", 1, 3))

	def drain():
		for _ in range(200):
			taken.append(meter.take())

	threads = [threading.Thread(target=feed) for _ in range(4)] + [threading.Thread(target=drain)]
	for thread in threads:
		thread.start()
	for thread in threads:
		thread.join()
	taken.append(meter.take())
	total = Usage()
	for counts in taken:
		for usage in counts.values():
			total.add(usage)
	assert total == Usage(8000, 8000, 24000)
