"""Core-tier fixtures: a real AFAS simulator over HTTP on 127.0.0.1, and clients pointed at it."""

import pytest

from afas_connector.afas import AfasClient, AfasConfig, RetryPolicy
from afas_connector.simulator import DEMO_TOKEN, AfasSimulator
from afas_connector.tests.core import afas_oas


@pytest.fixture(scope="module")
def simulator():
	with AfasSimulator(port=0, demo_data=True) as sim:
		yield sim


@pytest.fixture
def sim(simulator):
	"""The module's simulator with a clean request log and no faults left over."""
	simulator.faults.clear()
	simulator.clear_requests()
	simulator.restore_token()
	yield simulator
	simulator.faults.clear()


@pytest.fixture
def make_client(sim):
	"""Build a client for the simulator; sleeps are recorded, not slept, so retry tests are instant."""
	made = []

	def factory(**overrides):
		sleeps = overrides.pop("sleeps", [])
		retry = overrides.pop("retry", RetryPolicy(max_attempts=4, base_delay=0.01, max_delay=0.05))
		config = AfasConfig(**{"base_url": sim.base_url, "token": DEMO_TOKEN, "retry": retry, **overrides})
		client = AfasClient(config, sleep=sleeps.append)
		client.sleeps = sleeps
		made.append(client)
		return client

	yield factory
	for client in made:
		client.close()


@pytest.fixture
def client(make_client):
	return make_client()


def pytest_configure(config):
	config.addinivalue_line(
		"markers", "afas_schema_exempt(reason): the test builds a body AFAS's schema refuses on purpose"
	)


@pytest.fixture(autouse=True)
def client_bodies_follow_afas_schemas(request, monkeypatch):
	"""Every UpdateConnector body a test's client builds validates against AFAS's schema for its connector
	(where AFAS's specs are here and describe it): checked after the test, counted for the summary. A test
	that builds a body AFAS refuses on purpose says so with ``@pytest.mark.afas_schema_exempt(reason)``."""
	from afas_connector.afas import client as client_module

	if request.node.get_closest_marker("afas_schema_exempt"):
		yield
		return

	built: list[tuple[str, dict]] = []
	original = client_module.build_body

	def recording(connector, records, root=None):
		body = original(connector, records, root)
		built.append((connector, body))
		return body

	monkeypatch.setattr(client_module, "build_body", recording)
	yield
	if not built or afas_oas.spec_dir() is None:
		return
	problems = []
	for connector, body in built:
		errors = afas_oas.body_errors(connector, body)
		if errors is None:
			continue
		afas_oas.COUNTS["client bodies validated (every test's)"] += 1
		problems += [f"{connector}: {error[:300]}" for error in errors]
	assert not problems, "bodies AFAS's schema refuses:\n" + "\n".join(problems)


def pytest_terminal_summary(terminalreporter):
	"""The spec conformance counts, so they can be quoted."""
	if afas_oas.COUNTS:
		terminalreporter.section("AFAS OpenAPI conformance")
		for what, count in sorted(afas_oas.COUNTS.items()):
			terminalreporter.write_line(f"{count:6d}  {what}")
	elif afas_oas.spec_dir() is None:
		terminalreporter.write_line(
			"AFAS OpenAPI conformance: skipped, AFAS's specs are not here (see afas_oas.py)"
		)
