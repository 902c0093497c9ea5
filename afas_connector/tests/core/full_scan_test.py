"""Full scans that see every live row, and paging loops that end whatever AFAS answers.

A full reconcile must not call a live AFAS record "missing" because AFAS deleted another one while the
scan ran: with skip/take every later row shifts one place down and one is never read (PracticalAfas
warns of exactly this). Keyset paging (``key > last key``) cannot lose a row that way.
"""

from typing import Any

import pytest

from afas_connector.afas import AfasClient, AfasConfig, AfasPagingError, Page, RetryPolicy
from afas_connector.simulator import DEMO_TOKEN, AfasSimulator
from afas_connector.sync.inbound_plan import InboundSpec, InboundState, run_inbound

DEBTORS = "ERP_Debtors"


@pytest.fixture
def own_sim():
	"""A simulator of our own: these tests delete rows."""
	with AfasSimulator(port=0) as sim:
		yield sim


def client_for(sim, cls=AfasClient):
	config = AfasConfig(base_url=sim.base_url, token=DEMO_TOKEN, retry=RetryPolicy(max_attempts=1))
	return cls(config, sleep=lambda _: None)


def keyset(client):
	return client.iter_keyset_pages(DEBTORS, "DebtorId", take=5)


def skip_take(client):
	return client.iter_pages(DEBTORS, order_by="DebtorId", take=5)


@pytest.mark.parametrize(
	"scan",
	[
		keyset,
		pytest.param(
			skip_take,
			marks=pytest.mark.xfail(
				strict=True,
				reason="skip/take loses a live row when AFAS deletes one mid-scan: why full scans use keys",
			),
		),
	],
)
def test_full_scan_misses_no_survivor_when_afas_deletes_mid_scan(own_sim, scan):
	"""30 debtors, page size 5, one debtor of page 1 deleted after page 1 is read."""
	all_ids = [r["DebtorId"] for r in own_sim.rows(DEBTORS)]
	assert len(all_ids) == 30
	seen: list[str] = []
	with client_for(own_sim) as client:
		for number, page in enumerate(scan(client), start=1):
			seen += [r["DebtorId"] for r in page.rows]
			if number == 1:
				own_sim.delete_row(DEBTORS, page.rows[2]["DebtorId"])
	survivors = {r["DebtorId"] for r in own_sim.rows(DEBTORS)}
	assert len(survivors) == 29 and survivors <= set(seen)
	assert len(seen) == len(set(seen))


def test_keyset_scan_asks_key_after_key_with_skip_0(own_sim):
	with client_for(own_sim) as client:
		pages = list(
			client.iter_keyset_pages(DEBTORS, "DebtorId", filters=[["CountryId", "=", "NL"]], take=10)
		)
	gets = [r.query for r in own_sim.requests if r.connector == DEBTORS]
	nl = sorted(r["DebtorId"] for r in own_sim.rows(DEBTORS) if r["CountryId"] == "NL")
	assert [r["DebtorId"] for p in pages for r in p.rows] == nl
	assert len(gets) == len(nl) // 10 + 1
	assert all(q["skip"] == "0" and q["take"] == "10" and q["orderbyfieldids"] == "DebtorId" for q in gets)
	assert gets[0]["filterfieldids"] == "CountryId"
	assert gets[1]["filterfieldids"] == "CountryId,DebtorId" and gets[1]["operatortypes"] == "1,4"
	assert gets[1]["filtervalues"] == "NL," + nl[9]


def test_exact_multiple_ends_on_one_empty_page(own_sim):
	with client_for(own_sim) as client:
		pages = list(client.iter_keyset_pages(DEBTORS, "DebtorId", take=10))
	assert [len(p.rows) for p in pages] == [10, 10, 10, 0]


@pytest.mark.parametrize(
	"kwargs,match",
	[
		({"take": 0}, "take"),
		({"take": -1}, "take"),
		({"take": True}, "take"),
		({"take": 2.5}, "take"),
		({"start_skip": -3, "take": 5}, "skip"),
	],
)
def test_skip_take_loop_parameters_are_checked_before_sending(own_sim, kwargs, match):
	with client_for(own_sim) as client, pytest.raises(ValueError, match=match):
		next(client.iter_pages(DEBTORS, order_by="DebtorId", **kwargs))
	assert not own_sim.requests


@pytest.mark.parametrize(
	"key,take,match", [("DebtorId", 0, "take"), ("", 5, "key"), ("-DebtorId", 5, "key"), (None, 5, "key")]
)
def test_keyset_loop_parameters_are_checked_before_sending(own_sim, key, take, match):
	with client_for(own_sim) as client, pytest.raises(ValueError, match=match):
		next(client.iter_keyset_pages(DEBTORS, key, take=take))
	spec = InboundSpec(connector=DEBTORS, key_field=key)
	with client_for(own_sim) as client, pytest.raises(ValueError, match=match):
		run_inbound(client, spec, InboundState(), take=take, commit_page=lambda page, state: None)
	assert not own_sim.requests


class StuckAfas(AfasClient):
	"""AFAS answering every page request with the same full page (a key filter it ignores, a key
	that is not unique): the HTTP call is real, the rows it answers are always the first page."""

	def get_page(self, connector: str, **kwargs: Any) -> Page:
		kwargs.update(skip=0, filters=None)
		return super().get_page(connector, **kwargs)


class EmptyKeys(AfasClient):
	"""AFAS answering full pages whose rows lack the key field (a GetConnector without it)."""

	def get_page(self, connector: str, **kwargs: Any) -> Page:
		page = super().get_page(connector, **kwargs)
		return Page(
			[{k: v for k, v in r.items() if k != "DebtorId"} for r in page.rows], page.skip, page.take
		)


@pytest.mark.parametrize("cls", [StuckAfas, EmptyKeys])
def test_every_paging_loop_ends_whatever_afas_answers(own_sim, cls):
	with client_for(own_sim, cls) as client:
		with pytest.raises(AfasPagingError, match="paging forever"):
			list(client.iter_keyset_pages(DEBTORS, "DebtorId", take=5))
		if cls is StuckAfas:
			with pytest.raises(AfasPagingError, match="same page"):
				list(client.iter_pages(DEBTORS, order_by="DebtorId", take=5))
		spec = InboundSpec(connector=DEBTORS, key_field="DebtorId")
		with pytest.raises(AfasPagingError, match="paging forever"):
			run_inbound(client, spec, InboundState(), take=5, commit_page=lambda page, state: None)
	assert len(own_sim.requests) <= 3 + 2 + 2
