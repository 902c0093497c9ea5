"""HTTP responses in AFAS's shapes: the 500 functional error, 503 maintenance, and small JSON bodies.

Decision: 401/403/404/413 bodies are ``{"message": "…"}`` (the ASP.NET Web API shape IIS-hosted Profit uses);
AFAS documents no schema for them.
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

JSON = "application/json; charset=utf-8"
GENERIC_ERROR_NUMBER = -2147220469


@dataclass
class Response:
	"""A complete response; ``close`` ends the keep-alive connection after sending."""

	status: int
	body: bytes = b""
	content_type: str = JSON
	headers: dict[str, str] = field(default_factory=dict)
	close: bool = False


class HttpError(Exception):
	"""Raised anywhere in request handling to answer with ``response``."""

	def __init__(self, response: Response) -> None:
		super().__init__(response.status)
		self.response = response


def dumps(payload: Any) -> bytes:
	"""One compact ``json.dumps`` (AFAS answers on a single line since Profit 7)."""
	return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
	return Response(status, dumps(payload), headers=dict(headers or {}))


def functional_error(message: str, status: int = 500) -> Response:
	"""AFAS's 5xx body plus the deprecated base64 ``X-Profit-Error`` header."""
	body = {
		"externalMessage": message,
		"errorNumber": GENERIC_ERROR_NUMBER,
		"profitLogReference": uuid.uuid4().hex.upper(),
	}
	header = base64.b64encode(message.encode("utf-8")).decode("ascii")
	return json_response(status, body, {"X-Profit-Error": header})


def unexpected_error() -> Response:
	return functional_error("An unexpected error has occurred.")


def message_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
	return json_response(status, {"message": message}, headers)


def not_found(message: str = "Not Found") -> Response:
	return message_response(404, message)


def maintenance(message: str, retry_after: int) -> Response:
	body = {"error": {"code": "maintenance", "message": message}, "retry_after": retry_after}
	return json_response(503, body, {"Retry-After": str(retry_after)})
