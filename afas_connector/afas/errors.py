"""One small exception hierarchy for everything AFAS Profit can answer.

Every error carries what a user needs to act (HTTP status, AFAS's own ``externalMessage``, the
``profitLogReference`` to look up in the environment logbook) and whether a retry can help. None of
them ever holds a header, so the token cannot leak through ``str()``, ``repr()`` or a traceback.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from typing import Any

#: 500 messages that mean "held by someone else right now": only these are worth sending again.
#: AFAS says "blocked" both for a lock that passes and for a setting only a person can change, so a
#: bare word ("locked", "geblokkeerd") decides nothing: a lock is "… by another user" / "… door een
#: andere gebruiker". Sources (the messages themselves are tabulated, with their classification, in
#: ``tests/core/afas_messages_test.py``):
#: - AFASSoftware/OASContent ``markdownpages/profit/{en,nl}/troubleshooting.md``: FiEntries "the
#:   booking layout is blocked by another user at that time" / "de boekingslay-out op dat moment
#:   geblokkeerd is door een andere gebruiker" is the one 500 AFAS advises to retry; §10: parallel
#:   calls on the same rows fail on database row locks; AFAS's Dutch REST overview (the contract's seed
#:   003) says the same of "de boekingslayout … geblokkeerd … door een andere gebruiker";
#: - Microsoft SQL Server error 1205 (Profit runs on SQL Server): "… chosen as the deadlock victim.
#:   Rerun the transaction.";
#: - PracticalAfas ``Helper::isTemporaryError`` (rmuit/PracticalAfas): time-outs, out of memory and SQL
#:   Server space errors are passing conditions.
TRANSIENT_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
	re.compile(pattern, re.IGNORECASE)
	for pattern in (
		# a lock held by another user: "(is) locked/blocked/in use (at that time) by another user"
		r"\b(?:locked|blocked|in use|being (?:edited|used))\b[^|.;]{0,40}?\bby (?:an)?other user",
		r"\b(?:geblokkeerd|vergrendeld|in gebruik|bezet)\b[^|.;]{0,40}?\bdoor (?:een )?andere gebruiker",
		r"\bdeadlock",  # SQL Server 1205 "deadlocked … deadlock victim"
		r"\block request time ?out\b",  # SQL Server 1222
		r"\boperation timed out\b",
		r"\bconnection timeout\b",
		r"\bsystem\.outofmemoryexception\b",
		r"\bout of memory\b",
		r"\bout of string space\b",
		r"\btransport-level error\b",
		r"\bcould not allocate (?:a new page|space)\b",
	)
)
#: AFAS's own 900 s limit ("Command timeout expired." in troubleshooting.md; "De maximale tijdsduur
#: … is verstreken."): the work may still run on their side, so only safe to repeat a read.
TIMEOUT_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
	re.compile(pattern, re.IGNORECASE)
	for pattern in (r"\bmaximale tijdsduur\b", r"\bmaximum duration\b", r"\bcommand timeout expired\b")
)


def is_transient_message(message: str | None) -> bool:
	"""Whether an AFAS 500 message describes a passing condition (a lock, a deadlock, a time-out on
	AFAS's side) rather than a rule of the data (a blocked period, an unknown account)."""
	return bool(message) and any(p.search(message) for p in TRANSIENT_PATTERNS)


def is_timeout_message(message: str | None) -> bool:
	"""Whether an AFAS 500 message is AFAS's own request time-out (repeat reads only)."""
	return bool(message) and any(p.search(message) for p in TIMEOUT_PATTERNS)


#: How ``str(error)`` words an error: English here; the frappe layer sets its translator (``frappe._``)
#: with :func:`set_translator`, so a Dutch desk, log or job message reads Dutch. The pure layer never
#: imports frappe: it only keeps each message's English template and values apart.
_translate: Callable[[str], str] = str  # English: the template as it is


def set_translator(translate: Callable[[str], str]) -> None:
	"""Word every :class:`AfasError` through ``translate`` (English template → the reader's language)."""
	global _translate
	_translate = translate


class AfasError(Exception):
	"""Base class. ``retryable`` says whether sending the same request again can succeed.

	``message`` is an English template when ``values`` are given (``"Could not reach AFAS ({0}): {1}"``):
	``.message`` holds it filled in English (logs, ``to_dict``), ``str()`` in the reader's language
	(:func:`set_translator`)."""

	retryable = False

	def __init__(
		self,
		message: str,
		*,
		values: tuple[Any, ...] = (),
		status: int | None = None,
		method: str | None = None,
		path: str | None = None,
		external_message: str | None = None,
		error_number: int | None = None,
		profit_log_reference: str | None = None,
		body_excerpt: str | None = None,
	) -> None:
		self.template = message
		self.values = tuple(values)
		message = message.format(*values) if values else message
		self._english = message
		super().__init__(message)
		self.message = message
		self.status = status
		self.method = method
		self.path = path
		self.external_message = external_message
		self.error_number = error_number
		self.profit_log_reference = profit_log_reference
		self.body_excerpt = body_excerpt

	def worded(self) -> str:
		"""The message in the reader's language, when it is still the one it was made with (a message
		changed afterwards is shown as it is)."""
		if self.message != self._english:
			return self.message
		try:
			text = _translate(self.template)
			return text.format(*self.values) if self.values else text
		except (IndexError, KeyError, ValueError):
			return self.message

	def __str__(self) -> str:
		parts = [self.worded()]
		if self.profit_log_reference:
			parts.append(f"(AFAS log reference {self.profit_log_reference})")
		return " ".join(parts)

	def __repr__(self) -> str:
		return f"{type(self).__name__}(status={self.status!r}, message={self.message!r})"

	def to_dict(self) -> dict[str, Any]:
		"""A JSON-safe summary for a Sync Log (no headers, no token)."""
		return {
			"type": type(self).__name__,
			"status": self.status,
			"method": self.method,
			"path": self.path,
			"message": self.message,
			"external_message": self.external_message,
			"error_number": self.error_number,
			"profit_log_reference": self.profit_log_reference,
			"retryable": self.retryable,
		}


class AfasConfigError(AfasError, ValueError):
	"""The connection settings are incomplete or malformed; nothing was sent."""


class AfasBodyError(AfasError, ValueError):
	"""Refused before sending: the UpdateConnector body would not carry the data given (wrong root
	element, a shape AFAS would read as empty)."""


class AfasBadRequestError(AfasError):
	"""400: AFAS could not read the request (missing elements, wrong URL)."""


class AfasAuthError(AfasError):
	"""401: bad, expired or revoked token, or the App Connector lacks the connector."""


class AfasForbiddenError(AfasAuthError):
	"""403: IP restriction on the App Connector."""


class AfasNotFoundError(AfasError):
	"""404: wrong URL, unknown file, or a query string over AFAS's 2049-character limit."""


class QueryTooLongError(AfasNotFoundError):
	"""Raised before sending: the query string would exceed 2049 characters and cannot be split."""


class AfasPayloadTooLargeError(AfasError):
	"""413, or refused before sending: the body is over AFAS's 75 MB limit."""


class AfasValidationError(AfasError):
	"""500 functional error from AFAS's business rules: the same request will fail again."""


class AfasTemporaryError(AfasValidationError):
	"""500 that marks a passing condition (record or booking layout locked, out of memory)."""

	retryable = True


class AfasMaintenanceError(AfasError):
	"""503: AFAS is in maintenance; ``retry_after`` seconds is AFAS's own advice."""

	retryable = True

	def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
		super().__init__(message, **kwargs)
		self.retry_after = retry_after

	def to_dict(self) -> dict[str, Any]:
		return {**super().to_dict(), "retry_after": self.retry_after}


class AfasTransportError(AfasError):
	"""The request did not complete: connection refused or reset, DNS, TLS."""

	retryable = True


class AfasTimeoutError(AfasTransportError):
	"""No answer in time. AFAS may still process the request, so only reads are repeated."""


class AfasOutcomeUnknownError(AfasTransportError):
	"""A write reached AFAS but its answer was lost (timeout, reset): it may or may not have been saved.

	Never repeated automatically — sending an insert twice would create a duplicate in AFAS.
	"""

	retryable = False


class AfasResponseError(AfasError):
	"""AFAS answered 2xx with a body that is not the JSON it should be (malformed, truncated)."""

	retryable = True


class AfasForeignAnswerError(AfasResponseError):
	"""The answer is not AFAS's: not JSON where AFAS answers JSON, or JSON without AFAS's shape (another
	service behind the Base URL, a proxy's page). It is told by a one-line description (host, status,
	type, size) and its body is never repeated: an error message or a log would otherwise read back
	whatever the address answers. Asking the same address again gets the same answer."""

	retryable = False


class AfasRedirectError(AfasError):
	"""3xx: the server sends the request elsewhere. Never followed, because the credentials would go
	along to an address nobody entered them for; ``location`` is where it pointed (as text)."""

	def __init__(self, message: str, *, location: str | None = None, **kwargs: Any) -> None:
		super().__init__(message, **kwargs)
		self.location = location

	def to_dict(self) -> dict[str, Any]:
		return {**super().to_dict(), "location": self.location}


class AfasPagingError(AfasResponseError):
	"""A paging loop stopped because AFAS's pages do not move on (the same page again, a last key that
	does not advance): repeating the scan would loop the same way."""

	retryable = False


#: The fields of AFAS's error bodies: the 5xx functional error (``externalMessage``, ``errorNumber``,
#: ``profitLogReference``, sometimes ``internalMessage``), the ASP.NET ``{"message"}`` of 401/403/404/413,
#: 503 maintenance (``{"error": {"code", "message"}, "retry_after"}``) and the OAuth token endpoint's
#: ``{"error", "error_description"}`` (the contract, §1.2 and §1.7).
AFAS_ERROR_FIELDS = frozenset(
	{
		"externalMessage",
		"errorNumber",
		"profitLogReference",
		"internalMessage",
		"message",
		"Message",
		"MessageDetail",
		"error",
		"error_description",
		"error_uri",
		"retry_after",
	}
)


def is_afas_error_body(text: str) -> bool:
	"""Whether an error answer's body is AFAS's: empty, or a JSON object of AFAS's error fields only,
	each a plain value (``error`` may be ``{"code", "message"}``). Anything else is another service's
	body, and is described instead of repeated."""
	if not text or not text.strip():
		return True
	try:
		data = json.loads(text)
	except ValueError:
		return False
	if not isinstance(data, dict) or not data or not set(data) <= AFAS_ERROR_FIELDS:
		return False
	for name, value in data.items():
		if name == "error" and isinstance(value, dict):
			if not set(value) <= {"code", "message"} or not all(_plain(v) for v in value.values()):
				return False
		elif not _plain(value):
			return False
	return True


def _plain(value: Any) -> bool:
	return value is None or (isinstance(value, str | int | float) and not isinstance(value, bool))


def parse_error_body(
	text: str, headers: dict[str, str] | None = None
) -> tuple[str | None, int | None, str | None]:
	"""``(externalMessage, errorNumber, profitLogReference)`` from a 5xx body, else the base64 header."""
	external = number = reference = None
	try:
		data = json.loads(text) if text else None
	except ValueError:
		data = None
	if isinstance(data, dict):
		external = data.get("externalMessage") or data.get("message") or data.get("internalMessage")
		if not external and isinstance(data.get("error"), dict):
			external = data["error"].get("message")
		if not external and isinstance(data.get("error"), str):
			external = data.get("error_description") or data["error"]
		number = data.get("errorNumber")
		reference = data.get("profitLogReference")
	if not external and headers:
		encoded = _header(headers, "X-Profit-Error")
		if encoded:
			try:
				external = base64.b64decode(encoded).decode("utf-8", "replace")
			except ValueError:
				external = encoded
	return (external.strip() if isinstance(external, str) else external), number, reference


def error_for_status(
	status: int,
	text: str,
	headers: dict[str, str] | None,
	*,
	method: str,
	path: str,
	secrets: tuple[str, ...] = (),
	foreign: str | None = None,
) -> AfasError:
	"""Map an HTTP error answer to the matching :class:`AfasError` subclass.

	``foreign`` describes a body that is not AFAS's (see :func:`is_afas_error_body`): the body is then
	not read, and the description ends the message and stands in for the excerpt."""
	error = _error_for_status(status, "" if foreign else text, headers, method, path, secrets)
	return _described(error, foreign)


def _described(error: AfasError, foreign: str | None) -> AfasError:
	if foreign:
		template = error.template if error.values else error.template.replace("{", "{{").replace("}", "}}")
		error.template = f"{template}; {{{len(error.values)}}}"
		error.values = (*error.values, foreign)
		error.message = error._english = f"{error.message}; {foreign}"
		error.args = (error.message,)
		error.body_excerpt = foreign
	return error


def _error_for_status(
	status: int,
	text: str,
	headers: dict[str, str] | None,
	method: str,
	path: str,
	secrets: tuple[str, ...],
) -> AfasError:
	external, number, reference = parse_error_body(text, headers)
	if external:
		external = redact(external, secrets)
	excerpt = redact(text[:500], secrets) if text else None
	common = {
		"status": status,
		"method": method,
		"path": path,
		"external_message": external,
		"error_number": number,
		"profit_log_reference": reference,
		"body_excerpt": excerpt,
	}
	where = f"{method} {path}"
	if status == 400:
		return AfasBadRequestError(
			"AFAS rejected the request as malformed (400) at {0}: {1}",
			values=(where, external or "no details"),
			**common,
		)
	if status == 401:
		return AfasAuthError(
			"AFAS refused the credentials (401) at {0}: check the token or OAuth client, "
			"and that the App Connector includes this connector",
			values=(where,),
			**common,
		)
	if status == 403:
		return AfasForbiddenError(
			"AFAS denied access (403) at {0}: check the App Connector's IP restrictions",
			values=(where,),
			**common,
		)
	if status == 404:
		return AfasNotFoundError(
			"AFAS found nothing at {0} (404): wrong connector id or URL, no rights, or a query string over 2049 characters",
			values=(where,),
			**common,
		)
	if status == 413:
		return AfasPayloadTooLargeError(
			"AFAS refused the request body as too large (413) at {0}", values=(where,), **common
		)
	if status == 503:
		retry_after = _retry_after(text, headers)
		return AfasMaintenanceError(
			"AFAS is in maintenance (503) at {0}; retry after {1} s"
			if retry_after
			else "AFAS is in maintenance (503) at {0}",
			values=(where, f"{retry_after:g}") if retry_after else (where,),
			retry_after=retry_after,
			**common,
		)
	if status >= 500:
		return _functional_error(external or "An unexpected error has occurred.", method, common)
	return AfasError(
		"AFAS answered HTTP {0} at {1}: {2}", values=(status, where, external or "no details"), **common
	)


def error_for_profit_header(
	status: int,
	text: str,
	headers: dict[str, str] | None,
	*,
	method: str,
	path: str,
	secrets: tuple[str, ...] = (),
	foreign: str | None = None,
) -> AfasError | None:
	"""The functional error an ``X-Profit-Error`` header carries, whatever the status code, else None.

	AFAS puts its functional message in this (deprecated, base64) header (troubleshooting.md); an
	answer that has one did not succeed, even when its status says so. ``foreign`` as for
	:func:`error_for_status`.
	"""
	encoded = _header(headers or {}, "X-Profit-Error")
	if not encoded or not encoded.strip():
		return None
	external, number, reference = parse_error_body("", {"X-Profit-Error": encoded})
	external = redact(external or "", secrets) or "An unexpected error has occurred."
	common = {
		"status": status,
		"method": method,
		"path": path,
		"external_message": external,
		"error_number": number,
		"profit_log_reference": reference,
		"body_excerpt": redact(text[:500], secrets) if text and not foreign else None,
	}
	return _described(_functional_error(external, method, common), foreign)


def _functional_error(message: str, method: str, common: dict[str, Any]) -> AfasError:
	"""AFAS's functional error: temporary when it names a passing condition, else a validation error."""
	if is_transient_message(message) or (method == "GET" and is_timeout_message(message)):
		return AfasTemporaryError("AFAS reported a temporary error: {0}", values=(message,), **common)
	return AfasValidationError("AFAS rejected the request: {0}", values=(message,), **common)


def _retry_after(text: str, headers: dict[str, str] | None) -> float | None:
	try:
		data = json.loads(text) if text else None
	except ValueError:
		data = None
	value = data.get("retry_after") if isinstance(data, dict) else None
	if value is None and headers:
		value = _header(headers, "Retry-After")
	try:
		return float(value) if value is not None else None
	except (TypeError, ValueError):
		return None


def _header(headers: dict[str, str], name: str) -> str | None:
	lowered = name.lower()
	for key, value in headers.items():
		if key.lower() == lowered:
			return value
	return None


_AUTH_HEADER = re.compile(r"(AfasToken|Bearer|Basic)\s+[A-Za-z0-9+/=._\-]+", re.IGNORECASE)
_TOKEN_XML = re.compile(r"<token>.*?</token>", re.IGNORECASE | re.DOTALL)


def redact(text: str, secrets: tuple[str, ...] | list[str] = ()) -> str:
	"""Remove credentials from text bound for a log: given secrets, auth header values, token XML."""
	if not text:
		return text
	for secret in secrets:
		if secret and len(secret) >= 4:
			text = text.replace(secret, "***")
	text = _TOKEN_XML.sub("<token>***</token>", text)
	return _AUTH_HEADER.sub(lambda m: f"{m.group(1)} ***", text)
