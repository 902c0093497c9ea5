"""The payroll journal back, pure: AFAS financial entries of chosen journals (AFAS Payroll's first)
→ one ERPNext Journal Entry per AFAS entry, the mirror of the Ledger mapping (``sync/ledger.py``).

**Source.** ``Profit_Transactions_Allocated`` (Mutaties.json): one row per line, with ``UnitId``,
``EntryNo``, ``SeqNo``, ``JournalId``, ``AccountNo``, ``AmtDebit``/``AmtCredit``, ``EntryDate``,
``VoucherNo``, ``Description`` and the dimension codes ``DimAx1``…``DimAx5`` (``Profit_Transactions`` is
the same without dimensions). AFAS numbers entries per administration, so an entry is
``(administration, journal, entry number)`` and its key ``administration/entry number``
(:func:`afas_connector.sync.ledger.entry_key`), exactly once by that key. AFAS tells integrations to
read changed entries through "Gewijzigde boekingsdagen" (``Profit_Fin_ChangedEntrydate``) rather than
pulling many entries (``app-connector-auditor-partner.md``): the caller filters on the journals and on
``Modified``; an entry's rows may arrive over two pages, so the caller plans an entry only once all its
rows are read (rows are sorted by ``UnitId, EntryNo, SeqNo``).

**Maps, in reverse.** The Ledger mapping's account map and cost-centre map go ERPNext → AFAS; here they
are used AFAS → ERPNext (:func:`reverse_map`). Two ERPNext accounts mapped onto one AFAS account cannot be
told apart: a configuration error naming both, unless the payroll mapping names the one to use. The
cost centre is the dimension on axis ``cost_centre_axis`` (1 by default); a line without one gets none
(ERPNext asks a profit-and-loss line for one: the caller fills the company's default).

**Refusals.** An entry with an unmapped account or cost centre, an administration without a company,
or debit ≠ credit is a row error naming it (a Failed row that Retry books after the fix); a closed
ERPNext period is the frappe layer's refusal.

**Reversals.** AFAS's financial entries carry no reversal marker (no field in the spec says one entry
reverses another): a reversal in AFAS is an entry of its own whose lines negate an earlier one, or the
entry is deleted (a hard delete, visible only in AFAS's deleted-entries data collection). An entry that
exactly negates one already booked (``booked``) or earlier in the same batch is planned with
``reverses`` set, and becomes a *new* Journal Entry (not a cancel of the first): it has its own AFAS date
and number, and ERPNext's rules allow it where a cancel is refused (the first entry's period closed).

**Direction guard.** Entries the app itself booked into AFAS (the Ledger mapping's FiEntries) are never
read back: rows of a journal the Ledger mapping books into (``own_journals``; the mapping's save should
refuse such a journal outright: :func:`guard_conflicts`) and entries whose key a Ledger mapping's Record
Link holds (``own_keys``) are skipped and counted. The journal guard also covers an entry whose answer
was lost (no Record Link yet).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from afas_connector.sync.ledger import BookedEntry, entry_key, pair_reversals
from afas_connector.sync.mapping_errors import MappingConfigError, RecordError

SOURCE = "Profit_Transactions_Allocated"
#: The mapping kind (Mapping Type) that books AFAS's entries as Journal Entries.
JOURNAL_ENTRIES = "Journal Entries (AFAS → ERPNext)"
CENT = Decimal("0.01")


@dataclass(frozen=True)
class PlannedLine:
	account: str  # ERPNext account
	debit: Decimal
	credit: Decimal
	cost_center: str | None
	description: str
	afas_account: str


@dataclass
class PlannedEntry:
	"""One ERPNext Journal Entry to book for one AFAS entry."""

	key: str
	unit: int
	journal: str
	entry_no: str
	company: str
	posting_date: str
	voucher_no: str | None
	lines: list[PlannedLine]
	reverses: str | None = None

	@property
	def remark(self) -> str:
		"""The Journal Entry's user remark: where it comes from in AFAS."""
		text = f"AFAS {self.key}, journal {self.journal}" + (
			f", voucher {self.voucher_no}" if self.voucher_no else ""
		)
		return text + (f"; reverses AFAS {self.reverses}" if self.reverses else "")


@dataclass
class JournalPlan:
	entries: list[PlannedEntry] = field(default_factory=list)
	errors: list[RecordError] = field(default_factory=list)
	skipped_own: list[str] = field(default_factory=list)
	skipped_journal: int = 0


def reverse_map(
	forward: Mapping[str, str], what: str, prefer: Mapping[str, str] | None = None
) -> dict[str, str]:
	"""``{AFAS code: ERPNext name}`` from the Ledger mapping's ``{ERPNext name: AFAS code}``. Raises
	:class:`MappingConfigError` naming the ERPNext names that share an AFAS code, unless ``prefer``
	(``{AFAS code: ERPNext name}``) picks one."""
	prefer = prefer or {}
	found: dict[str, list[str]] = {}
	for erpnext, afas in forward.items():
		if afas not in (None, ""):
			found.setdefault(str(afas), []).append(erpnext)
	clashes = {code: names for code, names in found.items() if len(names) > 1 and code not in prefer}
	if clashes:
		code, names = sorted(clashes.items())[0]
		raise MappingConfigError(
			f"AFAS {what} {code} is mapped from {', '.join(sorted(names))}: name the one AFAS's entries book on"
		)
	return {code: prefer.get(code) or names[0] for code, names in found.items()}


def guard_conflicts(journals: Iterable[str], ledger_journals: Iterable[str]) -> list[str]:
	"""The journals a payroll-journal mapping would read that a Ledger mapping books into (refuse at save)."""
	own = {str(j) for j in ledger_journals}
	return sorted({str(j) for j in journals} & own)


def group_rows(rows: Iterable[Mapping[str, Any]]) -> dict[tuple[int, str, str], list[Mapping[str, Any]]]:
	"""Rows by entry: ``{(administration, journal, entry number): rows by SeqNo}``."""
	groups: dict[tuple[int, str, str], list[Mapping[str, Any]]] = {}
	for row in rows:
		unit = int(row.get("UnitId") or 1)
		groups.setdefault((unit, str(row.get("JournalId") or ""), str(row.get("EntryNo"))), []).append(row)
	for lines in groups.values():
		lines.sort(key=lambda r: int(r.get("SeqNo") or 0))
	return groups


def plan_entries(
	rows: Iterable[Mapping[str, Any]],
	*,
	journals: Iterable[str],
	accounts: Mapping[str, str],
	cost_centres: Mapping[str, str],
	companies: Mapping[int, str],
	own_journals: Iterable[str] = (),
	own_keys: Iterable[str] = (),
	booked: Iterable[BookedEntry] = (),
	cost_centre_axis: int = 1,
) -> JournalPlan:
	"""The Journal Entries to book for AFAS ``rows`` (see the module docstring). ``accounts`` and
	``cost_centres`` are AFAS → ERPNext (:func:`reverse_map`), ``companies`` administration → company;
	``booked`` the entries already booked (for reversals)."""
	plan = JournalPlan()
	wanted = {str(j) for j in journals}
	own_j = {str(j) for j in own_journals}
	own_k = set(own_keys)
	candidates: list[tuple[PlannedEntry, BookedEntry]] = []
	groups = sorted(
		group_rows(rows).items(), key=lambda g: (g[0][0], int(g[0][2]) if g[0][2].isdigit() else 0)
	)
	for (unit, journal, number), lines in groups:
		key = entry_key(unit, number)
		if journal in own_j or key in own_k:
			plan.skipped_own.append(key)
			continue
		if journal not in wanted:
			plan.skipped_journal += 1
			continue
		entry, error = _entry(
			unit, journal, number, lines, accounts, cost_centres, companies, cost_centre_axis
		)
		if error:
			plan.errors.append(error)
			continue
		nets: dict[str, Decimal] = {}
		for line in lines:
			account = str(line.get("AccountNo"))
			nets[account] = (
				nets.get(account, Decimal(0)) + _amount(line.get("AmtDebit")) - _amount(line.get("AmtCredit"))
			)
		candidates.append((entry, BookedEntry(unit, number, entry.posting_date, nets)))
	history = list(booked)
	pairs = pair_reversals([*history, *(b for _, b in candidates)])
	earlier = {b.key for b in history}
	for entry, mine in candidates:
		partner = pairs.get(mine.key)
		if partner and _before(partner, mine.key, earlier):
			entry.reverses = partner
		plan.entries.append(entry)
	return plan


def _before(partner: str, key: str, earlier: set[str]) -> bool:
	if partner in earlier:
		return True
	unit_a, number_a = partner.split("/")
	unit_b, number_b = key.split("/")
	return unit_a == unit_b and int(number_a) < int(number_b)


def _entry(
	unit: int,
	journal: str,
	number: str,
	lines: list[Mapping[str, Any]],
	accounts: Mapping[str, str],
	cost_centres: Mapping[str, str],
	companies: Mapping[int, str],
	axis: int,
) -> tuple[PlannedEntry, None] | tuple[None, RecordError]:
	key = entry_key(unit, number)
	company = companies.get(unit)
	if not company:
		return None, RecordError(
			key, "UnitId", f"AFAS administration {unit} has no ERPNext company in the mapping"
		)
	planned = []
	for line in lines:
		afas_account = str(line.get("AccountNo") or "")
		account = accounts.get(afas_account)
		if not account:
			return None, RecordError(
				key,
				"AccountNo",
				f"AFAS account {afas_account} (entry {key}, journal {journal}) has no ERPNext account in the "
				"Ledger mapping's account map",
			)
		dimension = line.get(f"DimAx{axis}")
		cost_center = None
		if dimension not in (None, ""):
			cost_center = cost_centres.get(str(dimension))
			if not cost_center:
				return None, RecordError(
					key,
					f"DimAx{axis}",
					f"AFAS cost centre {dimension} (entry {key}) has no ERPNext cost center in the Ledger "
					"mapping's cost-centre map",
				)
		planned.append(
			PlannedLine(
				account,
				_amount(line.get("AmtDebit")),
				_amount(line.get("AmtCredit")),
				cost_center,
				str(line.get("Description") or line.get("Omschrijving") or "")[:140],
				afas_account,
			)
		)
	debit = sum((p.debit for p in planned), Decimal(0))
	credit = sum((p.credit for p in planned), Decimal(0))
	if debit != credit:
		return None, RecordError(
			key, None, f"AFAS entry {key} does not balance: debit {debit:.2f}, credit {credit:.2f}"
		)
	first = lines[0]
	day = str(first.get("EntryDate") or first.get("VoucherDate") or "")[:10]
	return PlannedEntry(
		key, unit, journal, number, company, day, first.get("VoucherNo") or None, planned
	), None


def _amount(value: Any) -> Decimal:
	try:
		return Decimal(str(value)).quantize(CENT) if value not in (None, "") else Decimal(0)
	except Exception:
		return Decimal(0)
