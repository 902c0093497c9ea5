"""Core-tier fixtures: a real AFAS simulator over HTTP on 127.0.0.1, and clients pointed at it."""

import pytest

from afas_connector.afas import AfasClient, AfasConfig, RetryPolicy
from afas_connector.simulator import DEMO_TOKEN, AfasSimulator


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
