"""Error mapping, redaction, token encoding and configuration validation (no network)."""

import base64

import pytest

from afas_connector.afas import AfasConfig, RetryPolicy
from afas_connector.afas.auth import OAuthTokenCache, encode_token
from afas_connector.afas.errors import (
	AfasAuthError,
	AfasConfigError,
	AfasForbiddenError,
	AfasMaintenanceError,
	AfasNotFoundError,
	AfasPayloadTooLargeError,
	AfasTemporaryError,
	AfasValidationError,
	error_for_status,
	redact,
)

XML = "<token><version>1</version><data>ABCDEF0123456789</data></token>"
B64 = base64.b64encode(XML.encode()).decode()


@pytest.mark.parametrize(
	"given",
	[
		XML,
		B64,
		"ABCDEF0123456789",
		XML + "\r\n",
		"AfasToken " + B64,
		XML.replace("<", "&lt;").replace(">", "&gt;"),
	],
)
def test_token_in_any_form_encodes_to_the_same_header(given):
	assert encode_token(given) == B64


@pytest.mark.parametrize("bad", ["", "<foo/>", "not a token!"])
def test_bad_token_is_a_config_error(bad):
	with pytest.raises(AfasConfigError):
		encode_token(bad)


@pytest.mark.parametrize(
	"status,body,cls",
	[
		(401, "", AfasAuthError),
		(403, "", AfasForbiddenError),
		(404, "", AfasNotFoundError),
		(413, "", AfasPayloadTooLargeError),
		(503, '{"error":{"code":"m","message":"onderhoud"},"retry_after":7200}', AfasMaintenanceError),
		(
			500,
			'{"externalMessage":"Debiteur bestaat al","errorNumber":-1,"profitLogReference":"AB12"}',
			AfasValidationError,
		),
		(
			500,
			'{"externalMessage":"De boekingslay-out is geblokkeerd door een andere gebruiker"}',
			AfasTemporaryError,
		),
	],
)
def test_status_maps_to_error_class(status, body, cls):
	error = error_for_status(status, body, {}, method="POST", path="/connectors/X")
	assert type(error) is cls
	assert error.retryable == (cls in (AfasMaintenanceError, AfasTemporaryError))


def test_validation_error_carries_afas_message_and_reference():
	body = (
		'{"externalMessage":"Veld Nm is verplicht","errorNumber":-2147220469,"profitLogReference":"B8213AF1"}'
	)
	error = error_for_status(500, body, {}, method="POST", path="/connectors/KnOrganisation")
	assert error.external_message == "Veld Nm is verplicht"
	assert error.error_number == -2147220469
	assert "B8213AF1" in str(error) and "Veld Nm is verplicht" in str(error)


def test_x_profit_error_header_is_the_fallback():
	header = base64.b64encode(b"Om een afspraak aan te maken dienen er genodigden te zijn.").decode()
	error = error_for_status(
		500, "", {"X-Profit-Error": header}, method="POST", path="/connectors/KnAppointment"
	)
	assert "genodigden" in error.external_message


def test_maintenance_retry_after_from_body_or_header():
	assert error_for_status(503, '{"retry_after": 12}', {}, method="GET", path="/x").retry_after == 12
	assert error_for_status(503, "", {"Retry-After": "7"}, method="GET", path="/x").retry_after == 7


def test_afas_timeout_500_is_temporary_for_reads_only():
	body = '{"externalMessage":"De maximale tijdsduur van 900 seconden is verstreken."}'
	assert type(error_for_status(500, body, {}, method="GET", path="/x")) is AfasTemporaryError
	assert type(error_for_status(500, body, {}, method="POST", path="/x")) is AfasValidationError


def test_redact_removes_secrets_headers_and_token_xml():
	text = f"Authorization: AfasToken {B64} and {XML} and secret s3cr3t-value"
	out = redact(text, ("s3cr3t-value",))
	assert B64 not in out and "ABCDEF0123456789" not in out and "s3cr3t-value" not in out


def test_config_repr_hides_secrets_and_problems_name_fields():
	config = AfasConfig(environment_id="12345", token=XML, client_secret="topsecret")
	assert "ABCDEF" not in repr(config) and "topsecret" not in repr(config)
	assert config.root_url == "https://12345.rest.afas.online/ProfitRestServices"
	assert AfasConfig(environment_id="12345", environment_type="Accept", token="x").root_url.startswith(
		"https://12345.restaccept.afas.online"
	)
	bad = AfasConfig(environment_id="12a", token="", language="xx", timeout=0, integration_id="abc")
	text = " | ".join(bad.problems())
	for word in ("Environment ID", "Token", "Accept-Language", "Timeout", "IntegrationId"):
		assert word in text
	with pytest.raises(AfasConfigError, match="Base URL"):
		AfasConfig(base_url="ftp://example.com", token="x").validate()
	with pytest.raises(AfasConfigError, match="https"):
		AfasConfig(base_url="http://example.com/ProfitRestServices", token="x").validate()


def test_retry_delay_grows_and_is_capped():
	policy = RetryPolicy(base_delay=1, max_delay=5)
	assert [policy.delay(a, 0.999999) for a in (1, 2, 3, 4)] == pytest.approx([1, 2, 4, 5], rel=1e-3)
	assert policy.delay(1, 0.0) == 0.5


def test_oauth_cache_refetches_after_expiry_and_invalidate():
	now = [0.0]
	calls = []

	def fetch():
		calls.append(now[0])
		return {"access_token": f"t{len(calls)}", "expires_in": 100}

	cache = OAuthTokenCache(fetch, clock=lambda: now[0])
	assert cache.bearer() == "t1" and cache.bearer() == "t1"
	now[0] = 75.0
	assert cache.bearer() == "t2"
	cache.invalidate()
	assert cache.bearer() == "t3"
	assert "t3" not in repr(cache)


def test_an_error_is_worded_in_the_readers_language_and_logged_in_english():
	"""Issue 26 §5: the frappe layer sets a translator; str() of an AFAS error reads in it, while
	``.message`` and ``to_dict()`` (logs, alerts' facts) keep the English."""
	from afas_connector.afas import errors

	error = errors.error_for_status(401, "", None, method="GET", path="/connectors/X")
	dutch = {error.template: "AFAS weigerde de inloggegevens (401) bij {0}"}
	errors.set_translator(lambda text: dutch.get(text, text))
	try:
		assert str(error) == "AFAS weigerde de inloggegevens (401) bij GET /connectors/X"
		assert error.message.startswith("AFAS refused the credentials (401) at GET /connectors/X")
		assert error.to_dict()["message"] == error.message
		foreign = errors.error_for_status(
			502, "<html>{x}</html>", None, method="GET", path="/p", foreign="Not an AFAS answer {y}"
		)
		assert str(foreign).endswith("; Not an AFAS answer {y}")  # braces in the values stay text
	finally:
		errors.set_translator(str)
	assert str(error).startswith("AFAS refused the credentials (401)")
