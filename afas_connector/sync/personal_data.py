"""Personal data from AFAS: which fields are, so that they are read only when a mapping row names them,
and kept out of Sync Logs, previews and alerts (keys and field names, never the values).

The rule: a BSN, a salary, a bank account or an identity document is *personal data* (Dutch AVG/GDPR
"bijzondere" and financial data an HR integration touches). An AFAS GetConnector answers every column
it has (the REST API has no column selection), so "never read unless named" means: the App
Connector's GetConnector should leave them out, and whatever arrives anyway is dropped from each row
(:func:`scrub_row`) right after the page is read, before it is hashed, stored, logged or previewed,
unless a mapping row names the field. Anything written to a log goes through :func:`redact`.

The field ids are AFAS's own (OpenAPI specs, OASContent ``OpenApiSpecs/profit/en``, and the KnEmployee
examples in ``OpenApiSpecs/profit/examples/KnEmployee/``):

* BSN: ``SoSe`` ("'BSN'", KnPerson in Overige.json's employee objects, HrCreateApplicant "BSN number"),
  ``BSN`` (``Profit_Leaves``, ``Profit_Illness``, ``Profit_OrgPer``: "Social security number ('BSN')");
* salary: the ``AfasSalary`` object (``EmSa`` "Salary", ``NtSa`` "Net salary", ``SaYe``, ``SaPe``),
  and the app's ``ERP_Employees.Salary``;
* bank account: the ``AfasBankInfo`` object (``Iban``, ``@AcId``, ``BkTp``), ``KnBankAccount``,
  ``Iban``/``IBAN`` ("IBAN number"), ``BaAc`` ("Bank account"), ``Profit_BankAccounts``;
* identity documents: the ``AfasIdentityDocument`` object and its attachment (``@Nr``, ``ViTy``…),
  ``PaId`` ("Partena identity card").

AFAS's spec for the module "Medewerker en contract" is not among the specs read (too large): a field of
that module with another id is not known here; a mapping can name more with ``extra``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

BSN, SALARY, BANK_ACCOUNT, IDENTITY_DOCUMENT = "BSN", "salary", "bank account", "identity document"
#: A field id (the last part of a path) → what it is.
PERSONAL_FIELDS: dict[str, str] = {
	"sose": BSN,
	"bsn": BSN,
	"emsa": SALARY,
	"ntsa": SALARY,
	"saye": SALARY,
	"salary": SALARY,
	"iban": BANK_ACCOUNT,
	"baac": BANK_ACCOUNT,
	"acid": BANK_ACCOUNT,
	"paid": IDENTITY_DOCUMENT,
}
#: Objects every field of which is personal.
PERSONAL_OBJECTS: dict[str, str] = {
	"afassalary": SALARY,
	"afasbankinfo": BANK_ACCOUNT,
	"knbankaccount": BANK_ACCOUNT,
	"afasidentitydocument": IDENTITY_DOCUMENT,
	"afasidentitydocumentattachment": IDENTITY_DOCUMENT,
}
REDACTED = "[personal data]"


def personal_kind(field: str, extra: Iterable[str] = ()) -> str | None:
	"""What personal data ``field`` (``"BSN"``, ``"KnPerson.SoSe"``, ``"AfasSalary.EmSa"``, ``"@AcId"``)
	holds, or ``None``."""
	parts = [p.lstrip("@").lower() for p in str(field or "").split(".") if p]
	if not parts:
		return None
	if str(field) in set(extra) or parts[-1] in {e.lower() for e in extra}:
		return "personal"
	for part in parts[:-1]:
		if part in PERSONAL_OBJECTS:
			return PERSONAL_OBJECTS[part]
	return PERSONAL_FIELDS.get(parts[-1]) or PERSONAL_OBJECTS.get(parts[-1])


def named_fields(rows: Iterable[Mapping[str, Any]]) -> set[str]:
	"""The AFAS fields a mapping's rows name (``afas_field``)."""
	return {str(row.get("afas_field")) for row in rows if row.get("afas_field")}


def allowed_personal(rows: Iterable[Mapping[str, Any]]) -> set[str]:
	"""The personal fields a mapping may read: those its rows name."""
	return {name for name in named_fields(rows) if personal_kind(name)}


def unrequested(columns: Iterable[str], rows: Iterable[Mapping[str, Any]]) -> list[str]:
	"""Personal columns of a GetConnector that no row names: what the App Connector's GetConnector should
	leave out (the binding layer warns at save; :func:`scrub_row` drops them meanwhile)."""
	allowed = allowed_personal(rows)
	return [c for c in columns if personal_kind(c) and c not in allowed]


def scrub_row(row: Mapping[str, Any], allowed: set[str] | frozenset[str]) -> dict[str, Any]:
	"""``row`` without the personal fields not in ``allowed`` (keys dropped, not blanked: an absent
	column cannot reach a hash, a log or a preview)."""
	return {k: v for k, v in row.items() if k in allowed or not personal_kind(k)}


def redact(value: Any, extra: Iterable[str] = ()) -> Any:
	"""A copy of ``value`` (rows, AFAS bodies, previews, error details) fit for a log: every personal
	field keeps its name, its value becomes :data:`REDACTED`; an object all of whose fields are personal
	(``AfasBankInfo``) is redacted whole. Keys and field names stay, so a log still says what was sent."""
	extra = tuple(extra)
	return _redact(value, False, extra)


def _redact(value: Any, inside: bool, extra: tuple[str, ...]) -> Any:
	if isinstance(value, Mapping):
		out: dict[str, Any] = {}
		for key, item in value.items():
			name = str(key)
			if name.lower() in PERSONAL_OBJECTS:
				out[key] = _redact(item, True, extra)
			elif isinstance(item, (Mapping, list, tuple)):
				out[key] = _redact(item, inside, extra)
			elif item not in (None, "") and (
				inside and name not in ("Fields", "Element", "Objects") or personal_kind(name, extra)
			):
				out[key] = REDACTED
			else:
				out[key] = item
		return out
	if isinstance(value, (list, tuple)):
		return [_redact(v, inside, extra) for v in value]
	return value


def personal_targets(rows: Iterable[Mapping[str, Any]]) -> set[str]:
	"""The ERPNext fields a mapping's rows fill from personal AFAS fields (``Iban`` → ``iban``): a
	document's values under these names are personal too (:func:`redact` them with ``extra``)."""
	return {
		str(row.get("erpnext_field"))
		for row in rows
		if row.get("erpnext_field") and personal_kind(str(row.get("afas_field") or ""))
	}


def personal_values(row: Mapping[str, Any]) -> list[str]:
	"""The personal values of an AFAS row (as text, longest first), to be masked in any message made
	from it (:func:`mask`): an ERPNext validation error may quote the value it refused."""
	found = {str(v).strip() for k, v in row.items() if v not in (None, "") and personal_kind(k)}
	return sorted((v for v in found if len(v) >= 3), key=len, reverse=True)


def mask(text: str, values: Iterable[str]) -> str:
	"""``text`` with every one of ``values`` (:func:`personal_values`) replaced by :data:`REDACTED`."""
	for value in values:
		if value and value in text:
			text = text.replace(value, REDACTED)
	return text


#: ``"Field": value`` in JSON text (an excerpt may be cut anywhere, so it is not parsed).
_JSON_PAIR = re.compile(r'"(?P<key>[^"\\]{1,80})"\s*:\s*(?P<value>"(?:[^"\\]|\\.)*"?|-?[0-9][0-9.eE+-]*)')


def redact_text(text: str | None, extra: Iterable[str] = ()) -> str | None:
	""":func:`redact` for JSON as text (an HTTP exchange's excerpt, an error's AFAS answer): the value of
	every personal ``"Field": …`` becomes :data:`REDACTED`, the field's name stays."""
	if not text:
		return text
	extra = tuple(extra)

	def one(match: re.Match) -> str:
		if not personal_kind(match.group("key"), extra) or match.group("value") in ('""', "null"):
			return match.group(0)
		return f'"{match.group("key")}": "{REDACTED}"'

	return _JSON_PAIR.sub(one, text)
