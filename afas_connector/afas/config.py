"""Connection settings for one AFAS Profit environment, validated before anything is sent."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from afas_connector.afas.errors import AfasConfigError

#: Environment type → host part, as in ``https://12345.resttest.afas.online``.
ENVIRONMENT_HOSTS = {"production": "rest", "test": "resttest", "accept": "restaccept"}
LANGUAGES = ("nl-nl", "nl-be", "fr-fr", "de-de", "en-us")
AUTH_METHODS = ("token", "oauth2")
_ENV_ID = re.compile(r"^[0-9]{4,8}$")
_INTEGRATION_ID = re.compile(r"^[0-9]+_[0-9]+$")


def is_loopback(host: str | None) -> bool:
	"""This machine: ``localhost``, 127.0.0.0/8 or ``::1``. Only here may a Base URL be plain http://,
	since nothing between the connector and the listener can read the token off the wire."""
	if not host:
		return False
	if host.lower().rstrip(".") == "localhost":
		return True
	try:
		return ipaddress.ip_address(host).is_loopback
	except ValueError:
		return False


def base_url_problems(url: str) -> list[str]:
	"""What is wrong with a Base URL: https:// (http:// only to this machine), a host, a valid port,
	and no user, password, query or fragment (each would change where or how the token goes)."""
	parts = urlsplit(url)
	if parts.scheme not in ("http", "https") or not parts.hostname:
		return [f"Base URL {url!r} must start with https:// (or http:// for a simulator on this machine)"]
	try:
		parts.port  # noqa: B018 (raises for a port that is not a number from 0 to 65535)
	except ValueError:
		return [f"Base URL {url!r} has a port that is not a number from 1 to 65535"]
	if parts.username is not None or parts.password is not None or parts.query or parts.fragment:
		return ["Base URL must be only https://host[:port]/path, without a user, password, query or fragment"]
	if parts.scheme == "http" and not is_loopback(parts.hostname):
		return [
			"Base URL must use https://; plain http:// is only for this machine "
			"(localhost, 127.0.0.0/8 or ::1), e.g. a local simulator"
		]
	return []


def backoff(attempt: int, base: float, cap: float) -> float:
	"""Exponential back-off before try ``attempt + 1``: ``base × 2^(attempt-1)``, at most ``cap``
	(seconds). The one formula for retries within a call and for push rounds between calls."""
	return min(cap, base * (2 ** max(0, attempt - 1)))


#: The letter AFAS puts before an environment's number in metainfo's ``info.envid``
#: (``A123456AC``: an Accept environment), by environment type.
ENVID_TYPES = {"O": "production", "T": "test", "A": "accept"}
_ENVID = re.compile(r"^(?P<type>[OTA])?(?P<number>[0-9]+)(?P<suffix>[A-Z]*)$", re.I)


def reported_environment(envid: str | None) -> tuple[str, str | None] | None:
	"""The environment number and type (``production``/``test``/``accept``, None when the answer does
	not say) in the ``envid`` AFAS reports in metainfo's ``info``: ``A123456AC`` (AFAS's form: type
	letter, number, letters) → ``("123456", "accept")``; ``12345`` (the number alone) →
	``("12345", None)``. None for an empty or unrecognised ``envid``."""
	found = _ENVID.match((envid or "").strip())
	if not found:
		return None
	letter = (found.group("type") or "").upper()
	return found.group("number").lstrip("0") or "0", ENVID_TYPES.get(letter)


def same_environment(environment_id: str, environment_type: str, envid: str | None) -> bool | None:
	"""Whether the environment AFAS reports (metainfo's ``info.envid``) is the configured one: its
	number, and its type where ``envid`` names one. None when AFAS does not say (an empty or
	unrecognised ``envid``). Record Links, watermarks and keys are kept per environment: talking to
	another environment under this one's name mixes their data."""
	reported = reported_environment(envid)
	if reported is None:
		return None
	number, kind = reported
	configured_id = (environment_id or "").strip().lstrip("0") or "0"
	configured_type = (environment_type or "production").strip().lower()
	return number == configured_id and (kind is None or kind == configured_type)


@dataclass
class RetryPolicy:
	"""Exponential back-off with full jitter: delay ≤ min(max_delay, base_delay × 2^(attempt-1))."""

	max_attempts: int = 4
	base_delay: float = 0.5
	max_delay: float = 30.0
	#: A 503 whose ``retry_after`` is longer than this is not waited out in-process: the caller
	#: (scheduler, outbox) reschedules instead of holding a worker for hours.
	max_retry_after: float = 120.0

	def delay(self, attempt: int, rand: float) -> float:
		"""Back-off before attempt ``attempt + 1``; ``rand`` in [0, 1) makes it jittered."""
		return backoff(attempt, self.base_delay, self.max_delay) * (0.5 + rand / 2)


@dataclass
class AfasConfig:
	"""Everything the client needs. Secrets are kept out of ``repr`` so they never reach a log."""

	environment_id: str = ""
	environment_type: str = "production"
	token: str = field(default="", repr=False)
	auth_method: str = "token"
	client_id: str = ""
	client_secret: str = field(default="", repr=False)
	base_url: str | None = None
	language: str = "nl-nl"
	integration_id: str | None = None
	timeout: float = 30.0
	connect_timeout: float = 10.0
	retry: RetryPolicy = field(default_factory=RetryPolicy)

	def __post_init__(self) -> None:
		self.environment_type = (self.environment_type or "production").strip().lower()
		self.auth_method = (self.auth_method or "token").strip().lower()
		self.language = (self.language or "nl-nl").strip().lower()
		self.environment_id = (self.environment_id or "").strip()
		if self.base_url:
			self.base_url = self.base_url.strip().rstrip("/")

	def validate(self) -> None:
		"""Raise :class:`AfasConfigError` naming the first field that is wrong, in the user's terms."""
		for message in self.problems():
			raise AfasConfigError(message)

	def problems(self) -> list[str]:
		"""All configuration problems, each a sentence naming the field and what was expected."""
		found: list[str] = []
		if self.base_url:
			found += base_url_problems(self.base_url)
		else:
			if not self.environment_id:
				found.append("Environment ID is required (the number in https://<id>.rest.afas.online)")
			elif not _ENV_ID.match(self.environment_id):
				found.append(f"Environment ID {self.environment_id!r} must be 4 to 8 digits, e.g. 12345")
			if self.environment_type not in ENVIRONMENT_HOSTS:
				found.append(
					f"Environment type {self.environment_type!r} must be one of Production, Test, Accept"
				)
		if self.auth_method not in AUTH_METHODS:
			found.append(f"Authentication method {self.auth_method!r} must be 'token' or 'oauth2'")
		elif self.auth_method == "token" and not self.token:
			found.append("Token is required for AfasToken authentication")
		elif self.auth_method == "oauth2" and not (self.client_id and self.client_secret):
			found.append("Client ID and Client Secret are required for OAuth2 authentication")
		if self.language not in LANGUAGES:
			found.append(f"Accept-Language {self.language!r} must be one of {', '.join(LANGUAGES)}")
		if self.integration_id and not _INTEGRATION_ID.match(self.integration_id.strip()):
			found.append(
				f"IntegrationId {self.integration_id!r} must look like <subscription number>_<project number>, e.g. 12345_1"
			)
		if not (1 <= float(self.timeout) <= 900):
			found.append(f"Timeout {self.timeout} must be between 1 and 900 seconds (AFAS stops at 900)")
		if not (1 <= int(self.retry.max_attempts) <= 10):
			found.append(f"Max attempts {self.retry.max_attempts} must be between 1 and 10")
		if not (0 <= float(self.retry.base_delay) <= 60):
			found.append(f"Retry base delay {self.retry.base_delay} must be between 0 and 60 seconds")
		return found

	@property
	def destination(self) -> str:
		"""Where requests, and so the credentials, go: the root URL (scheme and host in lower case) and
		the AFAS environment it stands for; ``""`` when the settings name no address yet. The OAuth token
		endpoint is ``{root}/oauth/token``, so it moves with it."""
		if not self.base_url and not self.environment_id:
			return ""
		if self.base_url:
			parts = urlsplit(self.base_url)
			root = urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path, parts.query, ""))
		else:
			host = ENVIRONMENT_HOSTS.get(self.environment_type, self.environment_type)
			root = f"https://{self.environment_id}.{host}.afas.online/ProfitRestServices"
		return f"{root} ({self.environment_id or '?'} {self.environment_type})"

	@property
	def root_url(self) -> str:
		"""``…/ProfitRestServices`` for this environment (or the override)."""
		if self.base_url:
			return self.base_url
		return f"https://{self.environment_id}.{ENVIRONMENT_HOSTS[self.environment_type]}.afas.online/ProfitRestServices"
