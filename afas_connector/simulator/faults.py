"""Injected failures, so clients can be tested against every way AFAS (or the network) lets them down.

A fault matches a request by connector label (a connector id, ``"metainfo"``, ``"ProfitVersion"``, ``"oauth"``,
a data connector such as ``"ImageConnector"``, or ``"*"`` for all; case-insensitive) and optionally by HTTP
method. ``times=N`` fails the first N matching requests, ``times=None`` fails them all. Faults are checked
before authentication and before any write, so a failed POST stored nothing (except ``truncated``, which
answers a request that *was* processed, like a real connection dying on the way back).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

KINDS = frozenset(
	{
		"lock",
		"validation",
		"maintenance",
		"unauthorized",
		"forbidden",
		"not_found",
		"too_large",
		"unexpected",
		"timeout500",
		"malformed",
		"header_error",
		"truncated",
		"drop",
		"latency",
	}
)

DEFAULT_MESSAGES = {
	# troubleshooting.md (nl/en): "de boekingslay-out … geblokkeerd … door een andere gebruiker" /
	# "the booking layout is blocked by another user at that time"
	"lock": (
		"De boekingslay-out is op dit moment geblokkeerd door een andere gebruiker. "
		"(The booking layout is blocked by another user at this time.)"
	),
	"validation": "Validatiefout: het veld 'Land' (CoId) bevat een ongeldige waarde. (Validation failed.)",
	"maintenance": "AFAS Profit is in onderhoud. Probeer het later opnieuw.",
	"unauthorized": "Authorization has been denied for this request.",
	"forbidden": "Toegang geweigerd: het IP-adres is niet toegestaan. (Forbidden.)",
	"not_found": "Not Found",
	"too_large": "Request Entity Too Large",
	"unexpected": "An unexpected error has occurred.",
	"header_error": "De invoer is niet geldig. (Validation failed.)",
	"timeout500": "De maximale tijdsduur van 900 seconden voor het uitvoeren van dit verzoek is verstreken.",
}


@dataclass
class Fault:
	"""One planned failure."""

	connector: str
	kind: str
	times: int | None = 1
	method: str | None = None
	delay: float = 0.0
	retry_after: int = 5
	message: str | None = None
	hits: int = 0

	@property
	def text(self) -> str:
		return self.message or DEFAULT_MESSAGES.get(self.kind, self.kind)

	def matches(self, connector: str | None, method: str) -> bool:
		if self.method and self.method.upper() != method.upper():
			return False
		if self.connector == "*":
			return True
		return connector is not None and self.connector.lower() == connector.lower()


class FaultPlan:
	"""Thread-safe list of :class:`Fault` objects; ``take`` consumes one matching fault per request."""

	def __init__(self) -> None:
		self._faults: list[Fault] = []
		self._lock = threading.Lock()

	def add(
		self,
		connector: str = "*",
		kind: str = "unexpected",
		times: int | None = 1,
		method: str | None = None,
		delay: float = 0.0,
		retry_after: int = 5,
		message: str | None = None,
	) -> Fault:
		"""Plan a fault; see the module docstring for matching rules."""
		if kind not in KINDS:
			raise ValueError(f"Unknown fault kind {kind!r}; expected one of {sorted(KINDS)}")
		if times is not None and times < 1:
			raise ValueError("times must be >= 1 or None (forever)")
		fault = Fault(
			connector,
			kind,
			times,
			method.upper() if method else None,
			float(delay),
			int(retry_after),
			message,
		)
		with self._lock:
			self._faults.append(fault)
		return fault

	def clear(self) -> None:
		with self._lock:
			self._faults.clear()

	def list(self) -> list[Fault]:
		with self._lock:
			return list(self._faults)

	def take(self, connector: str | None, method: str) -> Fault | None:
		"""The first matching fault, counted as used (and removed once its ``times`` are spent)."""
		with self._lock:
			for fault in self._faults:
				if fault.matches(connector, method):
					fault.hits += 1
					if fault.times is not None and fault.hits >= fault.times:
						self._faults.remove(fault)
					return fault
		return None
