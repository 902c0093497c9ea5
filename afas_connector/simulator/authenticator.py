"""Authentication as AFAS does it: the classic ``AfasToken`` header and OAuth2 client credentials.

Decisions: a plain-text (non-base64) classic token gets 500, as Profit 6+ announces; anything else wrong gets
401. Only ``client_credentials`` is offered by the simulator, so every other ``grant_type`` (including
``authorization_code``) is ``unsupported_grant_type``. ``revoke_token`` affects the classic token only.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import threading
import time
from dataclasses import dataclass
from urllib.parse import parse_qs

DEMO_TOKEN = (
	"<token><version>1</version><data>"
	"5F6E3C1A9B8D4E2F7A0C6B5D4E3F2A1B0C9D8E7F6A5B4C3D2E1F0A9B8C7D6E5F"
	"</data></token>"
)
DEMO_CLIENT_ID = "demo-client"
DEMO_CLIENT_SECRET = "demo-secret"


def token_header(token: str) -> str:
	"""The ``Authorization`` header value for a classic token."""
	return "AfasToken " + base64.b64encode(token.encode("utf-8")).decode("ascii")


@dataclass
class AuthFailure(Exception):
	"""Why a request is refused: HTTP status, message and extra headers."""

	status: int
	message: str
	headers: dict[str, str]


@dataclass
class OAuthFailure(Exception):
	"""A token-endpoint error: ``{"error", "error_description"}``."""

	status: int
	error: str
	description: str
	headers: dict[str, str]

	def body(self) -> dict[str, str]:
		return {"error": self.error, "error_description": self.description}


class Authenticator:
	"""Checks ``Authorization`` headers and issues OAuth2 access tokens with a configurable lifetime."""

	def __init__(self, token: str, client_id: str, client_secret: str, token_lifetime: float) -> None:
		self.token = token
		self.client_id = client_id
		self.client_secret = client_secret
		self.token_lifetime = token_lifetime
		self.revoked = False
		self._access_tokens: dict[str, float] = {}
		self._lock = threading.Lock()

	def check(self, header: str | None) -> str:
		"""Return ``"token"`` or ``"oauth"``; raise :class:`AuthFailure` otherwise."""
		if not header:
			raise AuthFailure(401, "Authorization has been denied for this request.", {})
		scheme, _, credential = header.strip().partition(" ")
		credential = credential.strip()
		if scheme.lower() == "afastoken":
			return self._check_classic(credential)
		if scheme.lower() == "bearer":
			with self._lock:
				expires = self._access_tokens.get(credential)
			if expires is None or expires < time.monotonic():
				raise AuthFailure(
					401,
					"The access token is invalid or has expired.",
					{"WWW-Authenticate": 'Bearer error="invalid_token"'},
				)
			return "oauth"
		raise AuthFailure(401, "Authorization has been denied for this request.", {})

	def _check_classic(self, credential: str) -> str:
		if credential.lstrip().startswith("<token>"):
			raise AuthFailure(500, "Het token moet Base64-gecodeerd worden meegestuurd (Profit 6+).", {})
		try:
			decoded = base64.b64decode(credential, validate=True).decode("utf-8")
		except (binascii.Error, ValueError):
			raise AuthFailure(401, "Authorization has been denied for this request.", {}) from None
		if self.revoked or decoded.strip() != self.token.strip():
			raise AuthFailure(401, "Authorization has been denied for this request.", {})
		return "token"

	def issue(self, method: str, content_type: str, body: bytes, authorization: str | None) -> dict:
		"""``POST /oauth/token`` with client credentials; raise :class:`OAuthFailure` per RFC 6749."""
		if method != "POST":
			raise OAuthFailure(400, "invalid_request", "The token endpoint only accepts POST.", {})
		if "application/x-www-form-urlencoded" not in content_type.lower():
			raise OAuthFailure(
				400, "invalid_request", "The body must be application/x-www-form-urlencoded.", {}
			)
		try:
			form = {k: v[-1] for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True).items()}
		except UnicodeDecodeError:
			raise OAuthFailure(400, "invalid_request", "The body is not UTF-8.", {}) from None
		basic = False
		client_id, client_secret = form.get("client_id"), form.get("client_secret")
		if authorization and authorization.lower().startswith("basic "):
			basic = True
			try:
				decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
			except (binascii.Error, ValueError):
				raise OAuthFailure(
					401,
					"invalid_client",
					"Malformed Basic credentials.",
					{"WWW-Authenticate": 'Basic realm="AFAS"'},
				) from None
			client_id, _, client_secret = decoded.partition(":")
		grant_type = form.get("grant_type")
		if not grant_type:
			raise OAuthFailure(400, "invalid_request", "grant_type is missing.", {})
		if grant_type != "client_credentials":
			raise OAuthFailure(
				400, "unsupported_grant_type", f"grant_type '{grant_type}' is not supported.", {}
			)
		if not client_id or client_id != self.client_id or client_secret != self.client_secret:
			headers = {"WWW-Authenticate": 'Basic realm="AFAS"'} if basic else {}
			raise OAuthFailure(
				401 if basic else 400, "invalid_client", "Client authentication failed.", headers
			)
		access_token = secrets.token_urlsafe(32)
		with self._lock:
			now = time.monotonic()
			self._access_tokens = {t: e for t, e in self._access_tokens.items() if e > now}
			self._access_tokens[access_token] = now + self.token_lifetime
		return {
			"access_token": access_token,
			"token_type": "Bearer",
			"expires_in": max(1, round(self.token_lifetime)),
		}
