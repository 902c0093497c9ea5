"""PtRealization, actual costing ("Nacalculatie", module "Projecten en nacalculatie"): AFAS's rules for an
hours line, and where a booked line shows (``Profit_Realization``, and the app's ``ERP_Realization`` with
its external key).

What AFAS's OpenAPI spec says (``Projecten en nacalculatie.json``, ``/connectors/PtRealization``):

* POST inserts lines; ``Element`` may be a list ("2 hour rows"); the mandatory fields are ``DaTi``,
  ``VaIt`` and ``ItCd`` (schema ``required``); the answer is ``{"XpRe", "Id", "Sessieguid"}``: the
  external key the caller sent, the line number AFAS gave, a session id;
* PUT changes a booked line by its line number ``Id`` (examples "quantity", "description", "amount",
  "disaprove row", "verlof goedkeuren"): a booked line can be corrected or rejected (``DiAp``);
* a credit is a line of its own with a negative quantity (example "Credit": ``Qu`` ``-10``);
* DELETE is listed, but "de parameters om een item te verwijderen [zijn] nog niet gedocumenteerd": the
  simulator refuses DELETE, and the app never deletes a booked line (``sync/hours.py``).

What it does not say, and the simulator decides (inference, marked so): an employee (``EmId``) must be
one AFAS knows, a project (``PrId``), hour type (``StId``) and, for item type 1 (work type), the work type
(``ItCd``) likewise, refused with AFAS's usual "does not exist" wording; ``XpRe`` is stored as sent and
is *not* checked for uniqueness (the spec does not say AFAS refuses a second line with the same external
key), so a client that resends after a lost answer books twice unless it looks first.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from afas_connector.simulator.functional import FunctionalError

if TYPE_CHECKING:
	from afas_connector.simulator.store import Store

EMPLOYEES = "ERP_Employees"
PROJECTS = "Profit_Projects"
HOUR_TYPES = "Profit_Hourtype"
WORK_TYPES = "Profit_Worktype"
WORK_TYPE_ITEM = "1"


def _missing(english: bool, nl: str, en: str) -> str:
	if english:
		return f"The entered value for '{en}' does not exist | Enter a value for '{en}'."
	return f"De ingevoerde waarde voor '{nl}' bestaat niet | Vul een waarde in voor '{nl}'."


def check_line(store: Store, record: dict[str, Any], english: bool) -> None:
	"""Refuse an hours line whose employee, project, hour type or work type AFAS does not know."""
	employee = record.get("EmId")
	if employee not in (None, "") and not _known_employee(store, str(employee)):
		raise FunctionalError(_missing(english, "Medewerker", "Employee"))
	project = record.get("PrId")
	if project not in (None, "") and not store.has_row(PROJECTS, str(project)):
		raise FunctionalError(_missing(english, "Project", "Project"))
	hour_type = record.get("StId")
	if hour_type not in (None, "") and not store.has_row(HOUR_TYPES, str(hour_type)):
		raise FunctionalError(_missing(english, "Uursoort", "Hour type"))
	if str(record.get("VaIt") or "") == WORK_TYPE_ITEM and not store.has_row(
		WORK_TYPES, str(record.get("ItCd") or "")
	):
		raise FunctionalError(_missing(english, "Itemcode", "Item code"))


def _known_employee(store: Store, employee: str) -> bool:
	if store.has_row(EMPLOYEES, employee):
		return True
	return employee in store.records_by_connector.get("KnEmployee", {})


def after_insert(store: Store, record: dict[str, Any]) -> None:
	"""The session id AFAS answers with (one per line here; the spec does not say more)."""
	record["Sessieguid"] = str(uuid.uuid4()).upper()
