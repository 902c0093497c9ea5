"""Issue 26 §4: the environment AFAS reports in metainfo (``info.envid``) against the configured one."""

from __future__ import annotations

import pytest

from afas_connector.afas.config import reported_environment, same_environment


@pytest.mark.parametrize(
	("envid", "reported"),
	[
		("A123456AC", ("123456", "accept")),  # AFAS's own example (the OpenAPI specification)
		("O12345AA", ("12345", "production")),
		("t99999aa", ("99999", "test")),
		("12345", ("12345", None)),  # the number alone: the type is not said
		(" 012345 ", ("12345", None)),
		("", None),
		(None, None),
		("Profit test", None),
	],
)
def test_reported_environment(envid, reported):
	assert reported_environment(envid) == reported


@pytest.mark.parametrize(
	("environment_id", "environment_type", "envid", "same"),
	[
		("12345", "Production", "12345", True),
		("99999", "Test", "12345", False),  # the issue: Test Connection said "Connected" to 12345
		("99999", "Test", "T99999AA", True),
		("99999", "Production", "T99999AA", False),  # the same number, another type
		("123456", "accept", "A123456AC", True),
		("99999", "Test", "", None),  # AFAS did not say: nothing to compare
	],
)
def test_same_environment(environment_id, environment_type, envid, same):
	assert same_environment(environment_id, environment_type, envid) is same
