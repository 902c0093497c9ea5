"""Issue 23 §3, the token goes only to AFAS: the client against a listener that is not AFAS.

A real ``http.server`` on 127.0.0.1 (``tests/listener.py``) plays the listener (a redirect, another service's page, JSON of
another shape); the project's simulator plays AFAS. Nothing is mocked: every request crosses a socket.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import pytest

from afas_connector.afas import (
	AfasAuthError,
	AfasClient,
	AfasConfig,
	AfasError,
	AfasOutcomeUnknownError,
	AfasResponseError,
	AfasValidationError,
	Exchange,
	Record,
	RetryPolicy,
)
from afas_connector.afas.config import is_loopback
from afas_connector.afas.errors import AfasForeignAnswerError, AfasRedirectError
from afas_connector.simulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_TOKEN
from afas_connector.tests.listener import Listener

#: What an internal service answers; it must never come back through the connector.
INTERNAL = "INTERNAL-SERVICE-BODY db_password=hunter2"
HTML = f"<!doctype html><html><body><h1>Admin</h1><p>{INTERNAL}</p>{'x' * 5000}</body></html>"
SECRETS = (DEMO_TOKEN, base64.b64encode(DEMO_TOKEN.encode()).decode(), DEMO_CLIENT_SECRET)


@pytest.fixture
def listener() -> Iterator[Listener]:
	with Listener() as started:
		yield started


def client_for(url: str, exchanges: list[Exchange] | None = None, **config: object) -> AfasClient:
	values = {"base_url": url, "token": DEMO_TOKEN, "retry": RetryPolicy(max_attempts=2, base_delay=0)}
	return AfasClient(
		AfasConfig(**{**values, **config}),
		sleep=lambda s: None,
		on_exchange=exchanges.append if exchanges is not None else None,
	)


def everything_said(error: AfasError, exchanges: list[Exchange]) -> str:
	"""All an error and the exchanges could put in an API answer or a Sync Log."""
	parts = [str(error), repr(error), json.dumps(error.to_dict(), default=str), error.body_excerpt or ""]
	parts += [json.dumps(vars(e), default=str) for e in exchanges]
	return "\n".join(parts)


# ---------------------------------------------------------------- redirects


def test_a_redirect_is_not_followed_and_names_its_target(listener):
	"""Today's requests follows a redirect on the same host with the Authorization header on."""
	target = f"http://127.0.0.1:{listener.port}/steal?from=afas"
	listener.routes["/ProfitRestServices/metainfo"] = (302, {"Location": target}, b"")
	exchanges: list[Exchange] = []
	with client_for(listener.base_url, exchanges) as client, pytest.raises(AfasRedirectError) as info:
		client.metainfo()
	assert listener.received("/steal") == [], "the redirect target got a request"
	assert target in str(info.value) and info.value.location == target
	assert info.value.status == 302 and not info.value.retryable
	assert len(listener.seen) == 1, "a redirect is not asked again"
	assert exchanges[-1].response_excerpt and target in exchanges[-1].response_excerpt


@pytest.mark.parametrize("status", [301, 303, 307, 308])
def test_a_write_answered_with_a_redirect_is_not_sent_on(listener, status):
	target = f"http://127.0.0.1:{listener.port}/elsewhere/connectors/KnSubject"
	listener.routes["/ProfitRestServices/connectors/KnSubject"] = (status, {"Location": target}, b"")
	with client_for(listener.base_url) as client, pytest.raises(AfasRedirectError, match=target):
		client.insert("KnSubject", Record(fields={"Ds": "once"}))
	assert listener.received("/elsewhere") == []


def test_the_oauth_token_request_is_not_redirected(listener):
	"""The client secret goes in the form body of ``/oauth/token``: a redirect must not carry it."""
	target = f"http://127.0.0.1:{listener.port}/collect"
	listener.routes["/ProfitRestServices/oauth/token"] = (307, {"Location": target}, b"")
	config = {"auth_method": "oauth2", "client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET}
	with client_for(listener.base_url, **config) as client, pytest.raises(AfasRedirectError) as info:
		client.metainfo()
	assert listener.received("/collect") == []
	assert target in str(info.value)
	assert DEMO_CLIENT_SECRET not in str(info.value)


def test_a_location_is_quoted_as_one_line_of_text(listener):
	location = "https://evil.example/a\r\nb <script>" + "y" * 500
	listener.routes["/ProfitRestServices/metainfo"] = (
		302,
		{"Location": location.replace("\r\n", "%0D%0A")},
		b"",
	)
	with client_for(listener.base_url) as client, pytest.raises(AfasRedirectError) as info:
		client.metainfo()
	assert "\n" not in str(info.value) and len(info.value.location) <= 300
	assert info.value.location.startswith("https://evil.example/a")


# ---------------------------------------------------------------- answers that are not AFAS's


def test_an_html_page_is_described_not_repeated(listener):
	listener.answer = (200, {"Content-Type": "text/html; charset=utf-8"}, HTML.encode())
	exchanges: list[Exchange] = []
	with client_for(listener.base_url, exchanges) as client, pytest.raises(AfasForeignAnswerError) as info:
		client.metainfo()
	said = everything_said(info.value, exchanges)
	assert INTERNAL not in said and "<html" not in said
	assert f"Not an AFAS answer from 127.0.0.1:{listener.port}: HTTP 200 text/html, 5 kB" in str(info.value)
	assert exchanges[-1].response_excerpt == info.value.body_excerpt
	assert len(listener.seen) == 1, "another service's page is not asked for again"


@pytest.mark.parametrize(
	"call,path,payload,why",
	[
		("metainfo", "/metainfo", {"status": "ok", "secret": INTERNAL}, "getConnectors"),
		("page", "/connectors/ERP_Debtors", {"items": [INTERNAL]}, "rows"),
		("version", "/ProfitVersion", {"build": INTERNAL}, "version"),
		("fields", "/metainfo/get/ERP_Debtors", {"columns": [INTERNAL]}, "fields"),
		("file", "/fileconnector/1/a.txt", {"content": INTERNAL}, "filedata"),
	],
)
def test_json_without_afas_shape_is_not_afas(listener, call, path, payload, why):
	listener.routes["/ProfitRestServices" + path] = (
		200,
		{"Content-Type": "application/json"},
		json.dumps(payload).encode(),
	)
	exchanges: list[Exchange] = []
	calls = {
		"metainfo": lambda c: c.metainfo(),
		"page": lambda c: c.get_page("ERP_Debtors", order_by="DebtorId"),
		"version": lambda c: c.profit_version(),
		"fields": lambda c: c.metainfo_get("ERP_Debtors"),
		"file": lambda c: c.file("1", "a.txt"),
	}
	with client_for(listener.base_url, exchanges) as client, pytest.raises(AfasForeignAnswerError) as info:
		calls[call](client)
	assert "Not an AFAS answer" in str(info.value) and why in str(info.value)
	assert INTERNAL not in everything_said(info.value, exchanges)


@pytest.mark.parametrize(
	"status,cls",
	[(401, AfasAuthError), (404, AfasError), (500, AfasValidationError), (502, AfasValidationError)],
)
def test_an_error_page_that_is_not_afas_is_not_repeated(listener, status, cls):
	listener.answer = (status, {"Content-Type": "text/html"}, HTML.encode())
	listener.routes["/ProfitRestServices/ProfitVersion"] = (
		status,
		{"Content-Type": "application/json"},
		json.dumps({"message": "x", "detail": INTERNAL, "trace": ["a"]}).encode(),
	)
	for call in ("metainfo", "profit_version"):
		exchanges: list[Exchange] = []
		with client_for(listener.base_url, exchanges) as client, pytest.raises(cls) as info:
			getattr(client, call)()
		said = everything_said(info.value, exchanges)
		assert INTERNAL not in said and "<html" not in said, call
		assert f"Not an AFAS answer from 127.0.0.1:{listener.port}: HTTP {status}" in str(info.value)
		assert info.value.external_message is None


def test_a_write_answered_by_another_service_is_outcome_unknown(listener):
	listener.answer = (200, {"Content-Type": "text/plain"}, INTERNAL.encode())
	exchanges: list[Exchange] = []
	with client_for(listener.base_url, exchanges) as client, pytest.raises(AfasOutcomeUnknownError) as info:
		client.insert("KnSubject", Record(fields={"Ds": "x"}))
	assert INTERNAL not in everything_said(info.value, exchanges)
	assert "Not an AFAS answer" in str(info.value) and "check AFAS" in str(info.value)
	assert len(listener.seen) == 1


def test_the_oauth_endpoint_of_another_service_is_not_repeated(listener):
	listener.answer = (400, {"Content-Type": "text/html"}, HTML.encode())
	config = {"auth_method": "oauth2", "client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET}
	with client_for(listener.base_url, **config) as client, pytest.raises(AfasAuthError) as info:
		client.metainfo()
	assert INTERNAL not in str(info.value) + str(info.value.to_dict()) + (info.value.body_excerpt or "")
	assert "Not an AFAS answer" in str(info.value)
	listener.answer = (200, {"Content-Type": "application/json"}, json.dumps({"note": INTERNAL}).encode())
	with client_for(listener.base_url, **config) as client, pytest.raises(AfasForeignAnswerError) as info:
		client.metainfo()
	assert INTERNAL not in str(info.value) and "access_token" in str(info.value)


def test_a_garbled_json_answer_is_read_again_and_not_repeated(listener):
	"""Sent as JSON but cut off: AFAS's own answer damaged on the way, so a read is asked again; its
	text still stays out of the message."""
	listener.answer = (200, {"Content-Type": "application/json"}, b'{"rows": ["' + INTERNAL.encode())
	exchanges: list[Exchange] = []
	with client_for(listener.base_url, exchanges) as client, pytest.raises(AfasResponseError) as info:
		client.get_page("ERP_Debtors", order_by="DebtorId")
	assert "not valid JSON" in str(info.value) and len(listener.seen) == 2
	assert INTERNAL not in everything_said(info.value, exchanges)


def test_a_listener_repeating_the_token_gets_it_redacted_or_not_repeated(listener):
	"""A listener that repeats the header it got: in AFAS's error shape the redaction holds; with a
	field AFAS never sends the body is not repeated at all."""
	encoded = base64.b64encode(DEMO_TOKEN.encode()).decode()
	afas_shaped = {"externalMessage": f"got AfasToken {encoded}", "profitLogReference": "ABC"}
	for body, shaped in ((afas_shaped, True), ({**afas_shaped, "debug": INTERNAL}, False)):
		listener.answer = (500, {"Content-Type": "application/json"}, json.dumps(body).encode())
		exchanges: list[Exchange] = []
		with client_for(listener.base_url, exchanges) as client, pytest.raises(AfasValidationError) as info:
			client.metainfo()
		said = everything_said(info.value, exchanges)
		assert all(secret not in said for secret in SECRETS) and INTERNAL not in said
		assert (info.value.external_message or "").startswith("got ***") is shaped


def test_only_afas_answers_are_kept_and_bounded(sim, listener):
	"""The excerpts a Sync Log shows: AFAS's page and AFAS's error (at most 2,000 characters), but
	of another service only what it was."""
	exchanges: list[Exchange] = []
	sim.generate_rows("ERP_Debtors", n=80, seed=3)
	with client_for(sim.base_url, exchanges) as client:
		page = client.get_page("ERP_Debtors", order_by="DebtorId", take=80)
		assert page.rows[0]["DebtorId"] in exchanges[-1].response_excerpt
		assert len(exchanges[-1].response_excerpt) == 2000
		sim.faults.add(connector="ERP_Debtors", kind="validation", times=1, message="Periode is geblokkeerd")
		with pytest.raises(AfasValidationError) as info:
			client.get_page("ERP_Debtors", order_by="DebtorId")
		assert info.value.external_message == "Periode is geblokkeerd"
		assert "Periode is geblokkeerd" in exchanges[-1].response_excerpt
	listener.answer = (200, {"Content-Type": "text/html"}, HTML.encode())
	with client_for(listener.base_url, exchanges) as client, pytest.raises(AfasForeignAnswerError):
		client.get_page("ERP_Debtors", order_by="DebtorId")
	assert exchanges[-1].response_excerpt.startswith("Not an AFAS answer from 127.0.0.1")
	assert "\n" not in exchanges[-1].response_excerpt and INTERNAL not in exchanges[-1].response_excerpt


# ---------------------------------------------------------------- where the token may go


#: Base URLs and whether they are accepted: plain http:// only to this machine.
BASE_URLS = [
	("http://127.0.0.1:8899/ProfitRestServices", True),
	("http://127.0.0.2:8899/ProfitRestServices", True),
	("http://127.255.0.9/ProfitRestServices", True),
	("http://localhost:8899/ProfitRestServices", True),
	("http://[::1]:8899/ProfitRestServices", True),
	("https://afas.example.com/ProfitRestServices", True),
	("http://10.0.0.5/ProfitRestServices", False),
	("http://afas.example.com/ProfitRestServices", False),
	("http://128.0.0.1/ProfitRestServices", False),
	("http://localhost.example.com/ProfitRestServices", False),
	("https://user:pw@afas.example.com/ProfitRestServices", False),
	("https://afas.example.com/ProfitRestServices?x=1", False),
	("https://afas.example.com:99999/ProfitRestServices", False),
]


def test_plain_http_is_for_this_machine_only():
	for url, ok in BASE_URLS:
		problems = AfasConfig(base_url=url, token="x").problems()
		assert (problems == []) is ok, (url, problems)


def test_loopback():
	assert is_loopback("127.8.9.10") and is_loopback("::1") and is_loopback("LOCALHOST")
	assert not is_loopback("0.0.0.0") and not is_loopback("example.com") and not is_loopback(None)


def test_every_part_of_the_address_is_part_of_the_destination():
	base = {"environment_id": "12345", "environment_type": "production"}
	reference = AfasConfig(**base, base_url="https://afas.example.com/ProfitRestServices").destination
	for changed in (
		{"base_url": "http://afas.example.com/ProfitRestServices"},
		{"base_url": "https://afas.example.org/ProfitRestServices"},
		{"base_url": "https://afas.example.com:8443/ProfitRestServices"},
		{"base_url": "https://afas.example.com/other"},
		{"base_url": None},
		{"environment_id": "12346"},
		{"environment_type": "test"},
	):
		values = {**base, "base_url": "https://afas.example.com/ProfitRestServices", **changed}
		assert AfasConfig(**values).destination != reference, changed
	same = AfasConfig(**base, base_url="HTTPS://AFAS.example.com/ProfitRestServices/").destination
	assert same == reference
	assert AfasConfig().destination == ""
	online = AfasConfig(environment_id="12345", environment_type="test").destination
	assert online.startswith("https://12345.resttest.afas.online/ProfitRestServices")
