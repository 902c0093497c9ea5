"""The two ways AFAS accepts credentials: the classic AfasToken header and OAuth2 client credentials."""

from __future__ import annotations

import base64
import binascii
import html
import threading
import time
from collections.abc import Callable

from afas_connector.afas.errors import AfasAuthError, AfasConfigError


def encode_token(token: str) -> str:
	"""Return the base64 header value for a token given as XML, as its base64, or as the bare data part.

	AFAS wants ``AfasToken base64(<token><version>1</version><data>…</data></token>)``. Users paste
	whichever form they have; an OTP validation answer even ends in ``\\r\\n``.
	"""
	# Frappe stores Password fields HTML-escaped (&lt;token&gt;…); users paste from web pages too.
	text = html.unescape(token or "").strip()
	if not text:
		raise AfasConfigError("Token is empty")
	if text.lower().startswith("afastoken "):
		text = text[len("afastoken ") :].strip()
	if text.startswith("<"):
		if not (text.lower().startswith("<token>") and text.lower().endswith("</token>")):
			raise AfasConfigError("Token looks like XML but is not <token>…</token>")
		return base64.b64encode(text.encode("utf-8")).decode("ascii")
	decoded = _b64decode(text)
	if decoded is not None and decoded.strip().lower().startswith("<token>"):
		return base64.b64encode(decoded.strip().encode("utf-8")).decode("ascii")
	if all(ch.isalnum() for ch in text):
		xml = f"<token><version>1</version><data>{text}</data></token>"
		return base64.b64encode(xml.encode("utf-8")).decode("ascii")
	raise AfasConfigError(
		"Token must be the <token>…</token> XML, its base64 form, or the data part of the token"
	)


def _b64decode(text: str) -> str | None:
	try:
		return base64.b64decode(text, validate=True).decode("utf-8")
	except (binascii.Error, ValueError, UnicodeDecodeError):
		return None


class OAuthTokenCache:
	"""Fetches and caches a client-credentials access token; AFAS gives no refresh token, so re-ask."""

	#: Renew this many seconds before AFAS says the token expires.
	MARGIN = 30.0

	def __init__(self, fetch: Callable[[], dict], clock: Callable[[], float] = time.monotonic) -> None:
		self._fetch = fetch
		self._clock = clock
		self._lock = threading.Lock()
		self._token: str | None = None
		self._expires_at = 0.0

	def __repr__(self) -> str:
		return f"OAuthTokenCache(valid={self._token is not None and self._clock() < self._expires_at})"

	def bearer(self) -> str:
		"""A valid access token, fetching a new one when none is held or it is about to expire."""
		with self._lock:
			if self._token is None or self._clock() >= self._expires_at:
				data = self._fetch()
				token = data.get("access_token") if isinstance(data, dict) else None
				if not token:
					raise AfasAuthError(
						"AFAS's OAuth token endpoint answered without an access_token", status=None
					)
				lifetime = float(data.get("expires_in") or 3600)
				self._token = token
				self._expires_at = self._clock() + max(1.0, lifetime - min(self.MARGIN, lifetime / 2))
			return self._token

	def invalidate(self) -> None:
		"""Forget the token (after a 401), so the next call fetches a fresh one."""
		with self._lock:
			self._token = None
			self._expires_at = 0.0
