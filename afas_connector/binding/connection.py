"""The connection to AFAS: AFAS Settings → a configured :class:`AfasClient`, the connection test,
and AFAS metainfo cached for the desk. The only place that reads the stored secrets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import frappe
from frappe import _

from afas_connector.afas import AfasAuthError, AfasClient, AfasConfig, AfasError, RetryPolicy
from afas_connector.afas.client import Exchange
from afas_connector.afas.config import same_environment
from afas_connector.binding import facts
from afas_connector.binding.constants import SETTINGS
from afas_connector.binding.usage import ClientUsage
from afas_connector.sync.metainfo import field_paths

#: Metainfo is cached this long, so saving a mapping does not wait on AFAS every time.
METAINFO_CACHE_SECONDS = 600
AUTH_METHODS = {"AfasToken": "token", "OAuth2 Client Credentials": "oauth2"}


def get_settings() -> Any:
	return frappe.get_cached_doc(SETTINGS)


def environment(settings: Any | None = None) -> str:
	"""The AFAS environment the settings point at, ``12345 Production`` (environment id and type), as
	Record Links, Sync Logs and a mapping's watermark, cursor and failed rows record it: keys, links and
	watermarks of one environment are never used against another (a test environment's debtor 10001
	is not production's). A Base URL Override (a proxy, the simulator) does not change the
	environment: give a simulator standing in for another environment its own id or type."""
	settings = settings or get_settings()
	return f"{(settings.environment_id or '').strip() or '?'} {settings.environment_type or 'Production'}"


def is_enabled() -> bool:
	"""The master switch on AFAS Settings: scheduled runs, pushes and the pusher all stop when off."""
	return bool(frappe.db.get_single_value(SETTINGS, "enabled"))


def config_from_settings(settings: Any | None = None) -> AfasConfig:
	"""Build the client configuration, decrypting the token or client secret only here."""
	settings = settings or frappe.get_doc(SETTINGS)
	auth = AUTH_METHODS.get(settings.auth_method or "AfasToken", "token")
	return AfasConfig(
		environment_id=(settings.environment_id or "").strip(),
		environment_type=(settings.environment_type or "Production").lower(),
		token=(settings.get_password("token", raise_exception=False) or "") if auth == "token" else "",
		auth_method=auth,
		client_id=settings.client_id or "",
		client_secret=(settings.get_password("client_secret", raise_exception=False) or "")
		if auth == "oauth2"
		else "",
		base_url=(settings.base_url or "").strip() or None,
		language=settings.language or "nl-nl",
		integration_id=(settings.integration_id or "").strip() or None,
		timeout=float(settings.timeout or 30),
		retry=RetryPolicy(
			max_attempts=int(settings.max_attempts or 4), base_delay=float(settings.base_delay or 0)
		),
	)


#: A call the desk waits for (Test Connection, Fetch Fields, Preview, saving a mapping) gets at most
#: this long per request and no retries: a dead AFAS answers the user in seconds, well inside the
#: web server's own timeout, instead of holding the request for Max Attempts × Timeout.
INTERACTIVE_TIMEOUT = 10.0
INTERACTIVE_CONNECT_TIMEOUT = 5.0


def get_client(
	settings: Any | None = None,
	on_exchange: Callable[[Exchange], None] | None = None,
	*,
	interactive: bool = False,
) -> AfasClient:
	"""A client for the configured environment; raises a readable ``frappe.ValidationError`` when
	misconfigured. ``interactive``: for a call a user waits for in the desk (short deadline, one
	attempt); background runs and pushes keep the settings' timeout and retries.

	Every client counts its calls, rows and bytes (``on_exchange`` is wrapped) and writes them to AFAS
	Usage when it is closed (``close()`` or leaving ``with``): see :mod:`afas_connector.binding.usage`."""
	config = config_from_settings(settings)
	if interactive:
		config.timeout = min(config.timeout, INTERACTIVE_TIMEOUT)
		config.connect_timeout = min(config.connect_timeout, INTERACTIVE_CONNECT_TIMEOUT)
		config.retry = RetryPolicy(max_attempts=1, base_delay=0)
	problems = config.problems()
	if problems:
		frappe.throw(
			_("AFAS Settings are incomplete: {0}").format("; ".join(problems)), title=_("AFAS Settings")
		)
	usage = ClientUsage(environment(settings))
	if on_exchange is None:
		counted = usage.count
	else:

		def counted(exchange: Exchange) -> None:
			usage.count(exchange)
			on_exchange(exchange)

	return AfasClient(config, on_exchange=counted, on_close=usage.flush)


def test_connection(settings: Any | None = None) -> dict[str, Any]:
	"""Ask metainfo and ProfitVersion; store the outcome on the settings; never raise for AFAS errors."""
	settings = settings or frappe.get_doc(SETTINGS)
	result: dict[str, Any] = {"ok": False}
	try:
		with get_client(settings, interactive=True) as client:
			meta = client.metainfo()
			info = meta.get("info") or {}
			try:
				version = client.profit_version()
			except AfasError as exc:  # the version connector is optional on an App Connector
				version = _("unknown ({0})").format(exc.status or exc.message)
			result = {
				"ok": True,
				"profit_version": version,
				"environment": info.get("envid") or "",
				"token_expiry": info.get("tokenExpiry") or "",
				"get_connectors": len(meta.get("getConnectors") or []),
				"update_connectors": len(meta.get("updateConnectors") or []),
				"get_connector_ids": [c.get("id") for c in meta.get("getConnectors") or []],
				"update_connector_ids": [c.get("id") for c in meta.get("updateConnectors") or []],
			}
			result["message"] = _(
				"Connected to AFAS environment {0} (Profit {1}): {2} GetConnectors, {3} UpdateConnectors"
			).format(
				result["environment"] or "?", version, result["get_connectors"], result["update_connectors"]
			)
			if (
				same_environment(settings.environment_id, settings.environment_type, result["environment"])
				is False
			):
				result["environment_mismatch"] = True
				result["message"] = (
					environment_mismatch_message(result["environment"], settings) + " " + result["message"]
				)
	except AfasError as exc:
		result = {"ok": False, "message": str(exc), "status": exc.status}
		refused = exc
	else:
		refused = None
	settings.db_set(
		{
			"last_connection_test": frappe.utils.now_datetime(),
			# AFAS answered, but as another environment: not a connection to use (see the message)
			"connection_ok": 1 if result["ok"] and not result.get("environment_mismatch") else 0,
			"connection_message": result["message"][:1000],
			"profit_version": result.get("profit_version") or settings.profit_version,
			"token_expiry": result.get("token_expiry") or settings.token_expiry,
			"afas_environment": result.get("environment") or settings.afas_environment,
		},
		update_modified=False,
	)
	if isinstance(refused, AfasAuthError):
		facts.tell(facts.CREDENTIALS_REFUSED, exc=refused, during=_("Test Connection"))
	elif result["ok"]:
		facts.tell(facts.CREDENTIALS_ACCEPTED)
	return result


def environment_mismatch_message(reported: str, settings: Any | None = None) -> str:
	"""What Test Connection says when AFAS answers as another environment than AFAS Settings name."""
	return _(
		"Wrong AFAS environment: AFAS answered as environment {0}, but AFAS Settings are set to {1}. "
		"Record Links, keys and watermarks are kept per environment, so syncing now would mix the data "
		"of two environments. Correct the Environment ID and Type (or enter this environment's token), "
		"then test again."
	).format(reported, environment(settings))


def connector_fields(
	connector: str, kind: str, *, use_cache: bool = True, interactive: bool = True
) -> dict[str, dict[str, Any]]:
	"""``{field path: metainfo field}`` of a GetConnector (``kind="get"``) or UpdateConnector
	(``"update"``), cached for ``METAINFO_CACHE_SECONDS``. Raises :class:`AfasError` when AFAS does
	not answer, ``frappe.ValidationError`` for another ``kind``."""
	if kind not in ("get", "update"):
		frappe.throw(_("kind must be 'get' or 'update'"))
	key = f"afas_metainfo::{kind}::{connector}"
	if use_cache:
		cached = frappe.cache.get_value(key)
		if cached:
			return cached
	with get_client(interactive=interactive) as client:
		meta = client.metainfo_get(connector) if kind == "get" else client.metainfo_update(connector)
	paths = field_paths(meta)
	frappe.cache.set_value(key, paths, expires_in_sec=METAINFO_CACHE_SECONDS)
	return paths


def metainfo_kind(direction: str) -> str:
	"""Inbound mappings read a GetConnector (``get``), outbound ones write an UpdateConnector."""
	return "get" if direction == "Inbound" else "update"
