"""The simulated App Connector's GetConnectors and UpdateConnectors (metainfo and round-trip field maps).

UpdateConnectors know every object and field AFAS's OpenAPI specs list for them (``spec_facts``), so AFAS's
own example bodies are read as AFAS reads them and anything else is refused; ``KnEmployee``, whose spec AFAS
publishes too large to keep, is hand-written. GetConnectors are an app's own ``ERP_*`` ones plus AFAS's
standard ``Profit_*`` ones for the ledger and the mapping templates (field ids and types from the specs). Labels exist in Dutch
(default) and English.
"""

from __future__ import annotations

from typing import Any

from afas_connector.simulator import hours, ledger, spec_facts
from afas_connector.simulator.store import (
	GetConnectorSpec,
	GetField,
	UpdateConnectorSpec,
	UpdateField,
	UpdateObject,
)

APP_NAME = "ERPNext koppeling"


def _g(
	id: str, data_type: str, nl: str, en: str, length: int = 0, field_id: str = "", decimals: int = 0
) -> GetField:
	control = {"string": 1, "int": 2, "decimal": 3, "boolean": 6, "date": 4}[data_type]
	if not length:
		length = {"string": 50, "int": 9, "decimal": 13, "boolean": 1, "date": 10}[data_type]
	return GetField(id, data_type, nl, en, length, decimals, field_id or id, control)


def _u(
	field_id: str, data_type: str, nl: str, en: str, mandatory: bool = False, key: bool = False, **kw: Any
) -> UpdateField:
	control = {"string": 1, "int": 2, "decimal": 3, "boolean": 6, "date": 4}[data_type]
	length = kw.pop("length", {"string": 50, "int": 9, "decimal": 13, "boolean": 1, "date": 10}[data_type])
	return UpdateField(field_id, data_type, nl, en, mandatory, key, length, control_type=control, **kw)


# --- GetConnectors -----------------------------------------------------------------------------------------

MODIFIED = _g("Modified", "date", "Datum gewijzigd", "Date modified", 20)

DEBTORS = GetConnectorSpec(
	"ERP_Debtors",
	"Debiteuren voor ERPNext",
	(
		_g("DebtorId", "string", "Debiteurnummer", "Debtor number", 16, "DbId"),
		_g("BcCo", "string", "Nummer organisatie", "Organisation code", 15, "BcCo"),
		_g("Name", "string", "Naam", "Name", 255, "Nm"),
		_g("SearchName", "string", "Zoeknaam", "Search name", 10, "SeNm"),
		_g("Email", "string", "E-mail werk", "Work email", 255, "EmAd"),
		_g("Phone", "string", "Telefoonnr. werk", "Work phone", 25, "TeNr"),
		_g("CountryId", "string", "Land", "Country", 3, "CoId"),
		_g("City", "string", "Woonplaats", "City", 50, "Rs"),
		_g("ZipCode", "string", "Postcode", "Zip code", 15, "ZpCd"),
		_g("Street", "string", "Straat", "Street", 100, "Ad"),
		_g("HouseNumber", "int", "Huisnummer", "House number", 9, "HmNr"),
		_g("VatNumber", "string", "Btw-identificatienummer", "VAT number", 20, "VaId"),
		_g("CocNumber", "string", "KvK-nummer", "Chamber of Commerce number", 30, "CcNr"),
		_g("Blocked", "boolean", "Geblokkeerd", "Blocked", 1, "Bl"),
		_g("CreditLimit", "decimal", "Kredietlimiet", "Credit limit", 13, "Krli", 2),
		_g("Currency", "string", "Valuta", "Currency", 3, "CuId"),
		MODIFIED,
	),
	key="DebtorId",
	modified="Modified",
	deletion_log="ERP_Debtors_Deleted",
)

DEBTORS_DELETED = GetConnectorSpec(
	"ERP_Debtors_Deleted",
	"Wijzigingen debiteuren (Profit): verwijderd",
	(
		_g("DebtorId", "string", "Debiteurnummer", "Debtor number", 16, "DbId"),
		_g("DeletedAt", "date", "Datum verwijderd", "Date deleted", 20),
	),
	modified="DeletedAt",
)

CREDITORS = GetConnectorSpec(
	"ERP_Creditors",
	"Crediteuren voor ERPNext",
	(
		_g("CreditorId", "string", "Crediteurnummer", "Creditor number", 16, "CrId"),
		_g("BcCo", "string", "Nummer organisatie", "Organisation code", 15, "BcCo"),
		_g("Name", "string", "Naam", "Name", 255, "Nm"),
		_g("SearchName", "string", "Zoeknaam", "Search name", 10, "SeNm"),
		_g("Email", "string", "E-mail werk", "Work email", 255, "EmAd"),
		_g("Phone", "string", "Telefoonnr. werk", "Work phone", 25, "TeNr"),
		_g("CountryId", "string", "Land", "Country", 3, "CoId"),
		_g("City", "string", "Woonplaats", "City", 50, "Rs"),
		_g("Iban", "string", "IBAN", "IBAN", 34, "Iban"),
		_g("VatNumber", "string", "Btw-identificatienummer", "VAT number", 20, "VaId"),
		_g("Blocked", "boolean", "Geblokkeerd", "Blocked", 1, "Bl"),
		_g("Currency", "string", "Valuta", "Currency", 3, "CuId"),
		MODIFIED,
	),
	key="CreditorId",
	modified="Modified",
)

ITEMS = GetConnectorSpec(
	"ERP_Items",
	"Artikelen voor ERPNext",
	(
		_g("ItemCode", "string", "Itemcode", "Item code", 40, "ItCd"),
		_g("Description", "string", "Omschrijving", "Description", 255, "Ds"),
		_g("ItemGroup", "string", "Artikelgroep", "Item group", 15, "Grp"),
		_g("Unit", "string", "Basiseenheid", "Base unit", 10, "BiUn"),
		_g("SalesPrice", "decimal", "Verkoopprijs", "Sales price", 13, "Upri", 2),
		_g("Blocked", "boolean", "Geblokkeerd", "Blocked", 1, "Bl"),
		MODIFIED,
	),
	key="ItemCode",
	modified="Modified",
)

#: The app's own GetConnector on AFAS's data collection "Actuele medewerkergegevens" (Current Employee
#: Data), as AFAS's how-to for employee synchronisation builds one (``howto-medewerker-ad.md``: "create a
#: GetConnector based on Current Employee Data"). AFAS also ships ``Profit_Employees`` (OASContent
#: ``OpenApiSpecs/endpointpaths.json``, ``howto-mobility.md``: "Make a copy of this endpoint"), but its row
#: fields are in "Medewerker en contract.json" (5.9 MB), which ``../shared/afas-oas`` leaves out and the
#: simulator cannot check against: so the column ids here are the app's own, and each column's
#: ``fieldId`` is the KnEmployee/KnPerson field it shows, as AFAS's own KnEmployee examples name them
#: (``OpenApiSpecs/profit/examples/KnEmployee/``: ``ViSe`` I/U on hire and termination, ``AfasContract``
#: ``DaBe``/``DaEe``, ``AfasOrgunitFunction`` ``DpId``/``FuId``/``CrId``, ``KnPerson`` ``SoSe`` (BSN),
#: ``AfasBankInfo`` ``Iban``, ``AfasSalary`` ``EmSa``). What AFAS's codes of ``ViSe`` and ``ViGe`` mean
#: beyond the examples is not in the specs read. The BSN, IBAN and salary columns are personal data
#: (``sync/personal_data.py``): a mapping reads them only when a row names them.
EMPLOYEES = GetConnectorSpec(
	"ERP_Employees",
	"Medewerkers voor ERPNext",
	(
		_g("EmployeeId", "string", "Medewerker", "Employee", 15, "EmId"),
		_g("FirstName", "string", "Voornaam", "First name", 50, "FiNm"),
		_g("Initials", "string", "Voorletters", "Initials", 15, "In"),
		_g("Prefix", "string", "Voorvoegsel", "Prefix", 15, "Is"),
		_g("LastName", "string", "Achternaam", "Last name", 80, "LaNm"),
		_g("Birthdate", "date", "Geboortedatum", "Date of birth", 10, "DaBi"),
		_g("Gender", "string", "Geslacht", "Gender", 1, "ViGe"),
		_g("Email", "string", "E-mail werk", "Work email", 255, "EmAd"),
		_g("Phone", "string", "Telefoonnr. werk", "Work phone", 25, "TeNr"),
		_g("Mobile", "string", "Mobiel werk", "Work mobile", 25, "MbNr"),
		_g("EmployerId", "string", "Werkgever", "Employer", 15, "CmId"),
		_g("Department", "string", "Afdeling", "Department", 50, "DpId"),
		_g("Function", "string", "Functie", "Job title", 50, "FuId"),
		_g("CostCentre", "string", "Kostenplaats", "Cost centre", 30, "CrId"),
		_g("StartDate", "date", "Datum in dienst", "Start date", 10, "DaBe"),
		_g("EndDate", "date", "Datum uit dienst", "End date", 10, "DaEe"),
		_g("Status", "string", "Status medewerker", "Employee status", 1, "ViSe"),
		_g("Blocked", "boolean", "Geblokkeerd", "Blocked", 1, "Bl"),
		_g("BSN", "string", "BSN", "Social security number (BSN)", 9, "SoSe"),
		_g("Iban", "string", "IBAN", "IBAN", 34, "Iban"),
		_g("Salary", "decimal", "Salaris", "Salary", 13, "EmSa", 2),
		MODIFIED,
	),
	key="EmployeeId",
	modified="Modified",
)

#: The app's own GetConnectors for HRMS's Department and Designation, on the fields of AFAS's
#: UpdateConnectors ``KnOrgUnit`` (root ``KnOrgunit``) and ``KnOrgEmrFun`` (Werkgever.json). AFAS ships
#: ``Profit_OrganizationChart`` and ``Profit_Functions`` (``endpointpaths.json``), whose row fields are in
#: the same absent module spec as ``Profit_Employees``.
ORG_UNITS = GetConnectorSpec(
	"ERP_OrgUnits",
	"Organisatorische eenheden voor ERPNext",
	(
		_g("OrgUnitId", "string", "Organisatorische eenheid", "Organisational unit", 10, "OuId"),
		_g("Description", "string", "Omschrijving", "Description", 50, "Ds"),
		_g("ReportsTo", "string", "Rapporteert aan", "Org. unit reporting", 10, "ReOu"),
		MODIFIED,
	),
	key="OrgUnitId",
	modified="Modified",
)

FUNCTIONS = GetConnectorSpec(
	"ERP_Functions",
	"Functies voor ERPNext",
	(
		_g("EmployerId", "string", "Werkgever", "Employer", 15, "CmId"),
		_g("FunctionId", "string", "Functie", "Job", 15, "FuId"),
		_g("Description", "string", "Omschrijving", "Description", 50, "Fu"),
		_g("Blocked", "boolean", "Geblokkeerd", "Blocked", 1, "Bl"),
		MODIFIED,
	),
	key="FunctionId",
	modified="Modified",
)

#: The app's own GetConnector on actual costing ("Nacalculatie"), with the external key AFAS's
#: ``PtRealization`` takes (``XpRe``, "External key", 40) and answers with: AFAS's standard
#: ``Profit_Realization`` has no such column, and exactly once per time log needs it (``sync/hours.py``).
REALIZATION_KEYS = GetConnectorSpec(
	"ERP_Realization",
	"Nacalculatie met externe sleutel",
	(
		_g("Identity", "int", "Regelnummer", "Line number", 9, "Id"),
		_g("ExternalKey", "string", "Externe sleutel", "External key", 40, "XpRe"),
		_g("EmployeeId", "string", "Medewerker", "Employee", 15, "EmId"),
		_g("ProjectId", "string", "Project", "Project", 15, "PrId"),
		_g("Date", "date", "Datum", "Date", 10, "DaTi"),
		_g("Quantity", "decimal", "Aantal", "Number", 13, "Qu", 2),
		MODIFIED,
	),
	key="Identity",
	modified="Modified",
)

PERSONS = GetConnectorSpec(
	"ERP_Persons",
	"Personen voor ERPNext",
	(
		_g("BcCo", "string", "Nummer persoon", "Person code", 15, "BcCo"),
		_g("FirstName", "string", "Voornaam", "First name", 50, "FiNm"),
		_g("LastName", "string", "Achternaam", "Last name", 80, "LaNm"),
		_g("Email", "string", "E-mail werk", "Work email", 255, "EmAd"),
		MODIFIED,
	),
	key="BcCo",
	modified="Modified",
)

#: Fields of AFAS's standard GetConnectors that hold dates, though AFAS's specs type their rows' values as
#: text (the JSON they arrive in).
_PROFIT_DATES = frozenset(
	{
		"EntryDate",
		"VoucherDate",
		"Created",
		"Modified",
		"DateFrom",
		"DateTo",
		"NookPieceDate",
		"BookPieceDate",
		"ExpDate",
		"CreateDate",
		"ModifiedDate",
		"DateStart",
		"DateReady",
		"DateCreated",
		"StartDate",
		"EndDate",
		"Datum_afgehandeld",
		"DateTime",
		"DateModified",
		"SystemDate",
		"ReportDate",
		"ExEndDate",
		"ReportEndDate",
	}
)


def _profit(
	connector: str, description: str, key: str | None = None, modified: str | None = None
) -> GetConnectorSpec:
	"""One of AFAS's standard ``Profit_*`` GetConnectors, with the field ids and types of AFAS's spec."""
	fields = tuple(
		_g(
			field_id,
			"date" if field_id in _PROFIT_DATES else data_type,
			label,
			label,
			decimals=2 if data_type == "decimal" else 0,
		)
		for field_id, data_type, label in spec_facts.GET_CONNECTORS[connector]
	)
	return GetConnectorSpec(connector, description, fields, key=key, modified=modified)


PROFIT_ADMINISTRATIONS = _profit("Profit_Administrations", "Administraties", key="AdminId")
PROFIT_JOURNALS = _profit("Profit_Journals", "Dagboeken")
PROFIT_ACCOUNTS = _profit("Profit_Accounts", "Grootboekrekeningen", key="Account")
PROFIT_PERIODS = _profit("Profit_periods_per_administration", "Perioden per administratie")
#: Journal entry lines, one row per line: where a booked FiEntries can be looked up (by VoucherNo, EntryNo).
PROFIT_TRANSACTIONS = _profit("Profit_Transactions", "Financiële mutaties", modified="Modified")
#: Outstanding items, one row per open invoice; a booked entry's debtor and creditor lines open and settle them.
PROFIT_DEBTOR_INVOICES = _profit("Profit_Debtor_Invoices", "Openstaande posten debiteur")
PROFIT_CREDITOR_INVOICES = _profit("Profit_Creditor_Invoices", "Openstaande posten crediteur")
# AFAS's standard connectors for the mapping templates (``sync/templates.py``): the same debtors,
# creditors and articles as the app's own ERP_* ones, and what those have no ERP_* connector for.
PROFIT_DEBTOR = _profit("Profit_Debtor", "Debiteuren", key="DebtorId", modified="ModifiedDate")
PROFIT_CREDITOR = _profit("Profit_Creditor", "Crediteuren", key="CreditorId", modified="ModifiedDate")
PROFIT_ARTICLE = _profit("Profit_Article", "Artikelen", key="ItemCode", modified="ModifiedDate")
PROFIT_ARTICLE_IMAGE = _profit("Profit_Article_image", "Afbeeldingen artikelen", key="ItemCodeId")
PROFIT_CONTACTS = _profit("Profit_Contacts", "Contacten", key="ContactId", modified="ModifiedDate")
PROFIT_PROJECTS = _profit("Profit_Projects", "Projecten", key="ProjectId", modified="ModifiedDate")
PROFIT_COST_CENTRE = _profit(
	"Profit_CostCentre", "Werkgever / kostenplaatsen", key="CostCentre", modified="ModifiedDate"
)
PROFIT_VAT_CODE = _profit("Profit_VAT_code", "Btw-codes", key="VatCode")
PROFIT_SUBJECTS = _profit("Profit_Subjects", "Dossieritems", key="SubjectId")
PROFIT_SUBJECT_ATTACHMENTS = _profit(
	"Profit_Subject_Attachments", "Bijlagen bij dossieritems", key="attachment_id"
)

#: The people side (issue 28): AFAS's standard connectors for hours, leave and the payroll journal.
#: Financial entries with their dimensions (``DimAx1``…``DimAx5``): where an entry's cost centre is read.
PROFIT_TRANSACTIONS_ALLOCATED = _profit(
	"Profit_Transactions_Allocated", "Financiële mutaties met verbijzondering", modified="Modified"
)
PROFIT_HOURTYPE = _profit("Profit_Hourtype", "Uursoorten", key="TimeCode", modified="ModifiedDate")
PROFIT_WORKTYPE = _profit("Profit_Worktype", "Werksoorten", key="ItemCode", modified="ModifiedDate")
PROFIT_REALIZATION = _profit("Profit_Realization", "Nacalculatie", key="Identity", modified="DateModified")
PROFIT_LEAVES = _profit("Profit_Leaves", "Verlof", key="LeaveId", modified="ModifiedDate")
#: Sick leave: one row per absence entry line; AFAS's spec gives each a ``GUID``.
PROFIT_ILLNESS = _profit("Profit_Illness", "Verzuim", key="GUID", modified="ModifiedDate")

GET_CONNECTORS = (
	DEBTORS,
	DEBTORS_DELETED,
	CREDITORS,
	ITEMS,
	EMPLOYEES,
	ORG_UNITS,
	FUNCTIONS,
	REALIZATION_KEYS,
	PERSONS,
	PROFIT_ADMINISTRATIONS,
	PROFIT_JOURNALS,
	PROFIT_ACCOUNTS,
	PROFIT_PERIODS,
	PROFIT_TRANSACTIONS,
	PROFIT_DEBTOR_INVOICES,
	PROFIT_CREDITOR_INVOICES,
	PROFIT_DEBTOR,
	PROFIT_CREDITOR,
	PROFIT_ARTICLE,
	PROFIT_ARTICLE_IMAGE,
	PROFIT_CONTACTS,
	PROFIT_PROJECTS,
	PROFIT_COST_CENTRE,
	PROFIT_VAT_CODE,
	PROFIT_SUBJECTS,
	PROFIT_SUBJECT_ATTACHMENTS,
	PROFIT_TRANSACTIONS_ALLOCATED,
	PROFIT_HOURTYPE,
	PROFIT_WORKTYPE,
	PROFIT_REALIZATION,
	PROFIT_LEAVES,
	PROFIT_ILLNESS,
)

#: How a debtor written through KnSalesRelationOrg shows in ``Profit_Debtor``.
_PROFIT_DEBTOR_ORG = {
	"DbId": "DebtorId",
	"KnOrganisation.Nm": "DebtorName",
	"KnOrganisation.BcCo": "BcCo",
	"KnOrganisation.SeNm": "SearchName",
	"KnOrganisation.TeNr": "TelNr",
	"KnOrganisation.EmAd": "Email",
	"KnOrganisation.CcNr": "ChOfCommNr",
	"VaId": "VatNr",
	"CuId": "CurrencyId",
	"Bl": "Blocked",
	"Krli": "CreditLimit",
}

# --- UpdateConnectors --------------------------------------------------------------------------------------

# --- UpdateConnectors -----------------------------------------------------------------------------------------
#
# Every object and field AFAS's specs list for a connector comes from ``spec_facts`` (ids, types, lengths,
# codes); the overlays below add what the specs do not say and the simulator decides: Dutch labels,
# mandatory fields (AFAS's schemas mark auto-numbered keys required, its own examples omit them), primary
# keys and decimals. An overlay naming a field the specs do not list is an error when the module loads.


def _address(name: str) -> UpdateObject:
	return UpdateObject(
		name,
		(
			_u("CoId", "string", "Land", "Country", mandatory=True),
			_u("PbAd", "boolean", "Postbusadres", "PO box address"),
			_u("Ad", "string", "Straat", "Street"),
			_u("HmNr", "int", "Huisnummer", "House number"),
			_u("HmAd", "string", "Toevoeging aan huisnr.", "House number addition"),
			_u("ZpCd", "string", "Postcode", "Zip code"),
			_u("Rs", "string", "Woonplaats", "City"),
			_u("ResZip", "boolean", "Adres controleren", "Look up address from zip code"),
		),
	)


ORGANISATION = UpdateObject(
	"KnOrganisation",
	(
		_u("BcCo", "string", "Nummer", "Code", key=True),
		_u("PadAdr", "boolean", "Postadres is adres", "Postal address is address"),
		_u("AutoNum", "boolean", "Autonummering", "Auto numbering"),
		_u("MatchOga", "string", "Organisatie vergelijken op", "Match organisation on"),
		_u("SeNm", "string", "Zoeknaam", "Search name"),
		_u("Nm", "string", "Naam", "Name", mandatory=True),
		_u("CcNr", "string", "KvK-nummer", "Chamber of Commerce number"),
		_u("EmAd", "string", "E-mail werk", "Work email"),
		_u("TeNr", "string", "Telefoonnr. werk", "Work phone"),
		_u("HoPa", "string", "Homepage", "Homepage"),
	),
	(_address("KnBasicAddressAdr"), _address("KnBasicAddressPad")),
)

PERSON = UpdateObject(
	"KnPerson",
	(
		_u("BcCo", "string", "Nummer", "Code", key=True, length=15),
		_u("MatchPer", "string", "Persoon vergelijken op", "Match person on"),
		_u("AutoNum", "boolean", "Autonummering", "Auto numbering"),
		_u("PadAdr", "boolean", "Postadres is adres", "Postal address is address"),
		_u("SeNm", "string", "Zoeknaam", "Search name", length=10),
		_u("FiNm", "string", "Voornaam", "First name"),
		_u("In", "string", "Voorletters", "Initials", length=15),
		_u("Is", "string", "Voorvoegsel", "Prefix", length=15),
		_u("LaNm", "string", "Achternaam", "Last name", mandatory=True, length=80),
		_u("ViGe", "string", "Geslacht", "Gender", length=1),
		_u("DaBi", "date", "Geboortedatum", "Date of birth"),
		_u("EmAd", "string", "E-mail werk", "Work email", length=255),
		_u("MbNr", "string", "Mobiel werk", "Work mobile", length=25),
		_u("TeNr", "string", "Telefoonnr. werk", "Work phone", length=25),
	),
	(_address("KnBasicAddressAdr"),),
)

_RELATION_FIELDS = (
	_u("VaId", "string", "Btw-identificatienummer", "VAT number"),
	_u("CuId", "string", "Valuta", "Currency"),
	_u("InPv", "string", "Factuurverzending", "Invoice delivery"),
	_u("Bl", "boolean", "Geblokkeerd", "Blocked"),
	_u("PaCd", "string", "Betalingsvoorwaarde", "Payment terms"),
)

_AMOUNT = {"decimals": 2}

FI_ENTRY_PAR = UpdateObject(
	"FiEntryPar",
	(
		_u("Year", "int", "Boekjaar", "Financial year", mandatory=True),
		_u("Peri", "int", "Periode", "Period", mandatory=True),
		_u("UnId", "int", "Administratie", "Administration"),
		_u("JoCo", "string", "Dagboek", "Journal", mandatory=True),
		_u("AuNu", "boolean", "Autonummering factuur", "Auto-number invoice"),
	),
	(
		UpdateObject(
			"FiEntries",
			(
				_u("VaAs", "string", "Kenmerk rekening", "Account feature", mandatory=True),
				_u("AcNr", "string", "Rekeningnummer", "Account number", mandatory=True),
				_u("EnDa", "date", "Datum boeking", "Date entry", mandatory=True),
				_u("BpDa", "date", "Boekstukdatum", "Voucher date", mandatory=True),
				_u("BpNr", "string", "Boekstuknummer", "Voucher number"),
				_u("InId", "string", "Factuurnummer", "Invoice number"),
				_u("Ds", "string", "Omschrijving boeking", "Description entry"),
				_u("AmDe", "decimal", "Bedrag debet", "Amount debit", **_AMOUNT),
				_u("AmCr", "decimal", "Bedrag credit", "Amount credit", **_AMOUNT),
				_u("AmDc", "decimal", "Valutabedrag debet", "Debit currency amount", **_AMOUNT),
				_u("AmCc", "decimal", "Valutabedrag credit", "Credit currency amount", **_AMOUNT),
				_u("Rate", "decimal", "Koers", "Exchange rate", decimals=6),
			),
		),
	),
)

#: Objects AFAS takes one line of per call, although its schemas type every sub-object as a list:
#: FiEntryPar, FiDimEntries, FiTransEntries ("Meerdere records mogelijk: nee", endpoint/nl/fientries-post.md);
#: every sub-object of the KnOrganisation and KnPerson UpdateConnectors ("None of the sub-objects of this
#: UpdateConnector support supplying multiple lines", endpoint/en/knorganisation-post.md; nested in a
#: relation AFAS's own example "gRekening" sends two bank accounts); and (inference) the one organisation or
#: person of a relation.
ONE_LINE_OBJECTS = frozenset({"FiEntryPar", "FiDimEntries", "FiTransEntries"})
ONE_LINE_ROOT_CHILDREN = frozenset({"KnOrganisation", "KnPerson"})
ONE_LINE_PARENTS = frozenset({"KnSalesRelationOrg", "KnPurchaseRelationOrg"})
_CONTROL = {"string": 1, "int": 2, "decimal": 3, "boolean": 6, "date": 4}
#: AFAS's item types come two ways: internal numbers (most schemas' ``VaIt`` codes) and external codes (the
#: others', e.g. PtCostPriceComponent): "Numerieke waarde wordt als interne itemtypewaarde verwerkt;
#: niet-numerieke waarde als externe waarde" (endpoint/nl/fientries-post.md, FiPrjEntries.VaIt). AFAS's own
#: FbSales examples send ``wst``. Pairs by the two enums' shared order and their descriptions.
ITEM_TYPES_EXTERNAL = {
	"1": "Wst",
	"10": "Pid",
	"11": "Deg",
	"14": "Dim",
	"2": "Art",
	"3": "Txt",
	"4": "Sub",
	"5": "Tsl",
	"6": "Kst",
	"7": "Sam",
	"8": "Crs",
}


def _from_facts(
	key: str, overlay: UpdateObject | None = None, parent: str = "", root: bool = True
) -> UpdateObject:
	"""The object ``key`` of ``spec_facts.OBJECTS`` with everything AFAS's spec lists, plus the overlay."""
	name, facts, subs = spec_facts.OBJECTS[key]
	known = {fact[0] for fact in facts}
	sub_names = {spec_facts.OBJECTS[s][0] for s in subs}
	if overlay is not None:
		stray = [f.field_id for f in overlay.fields if f.field_id not in known]
		stray += [o.name for o in overlay.objects if o.name not in sub_names]
		if stray:
			raise ValueError(f"AFAS's spec for {name} has no {', '.join(stray)}")
	fields = []
	for field_id, data_type, length, label, codes in facts:
		hand = overlay.field(field_id) if overlay is not None else None
		fields.append(
			UpdateField(
				field_id,
				data_type,
				hand.label_nl if hand else label,
				label or (hand.label_en if hand else field_id),
				mandatory=bool(hand and hand.mandatory),
				primary_key=bool(hand and hand.primary_key),
				length=length,
				decimals=hand.decimals if hand else 0,
				values=codes,
				control_type=_CONTROL[data_type],
				aliases=tuple(ITEM_TYPES_EXTERNAL[c] for c, _ in codes if c in ITEM_TYPES_EXTERNAL)
				if {c for c, _ in codes} == set(ITEM_TYPES_EXTERNAL)
				else (),
			)
		)
	root_children_single = root and name in ONE_LINE_ROOT_CHILDREN
	objects = tuple(
		_from_facts(
			s,
			overlay.object(spec_facts.OBJECTS[s][0]) if overlay is not None else None,
			"(one line)" if root_children_single else name,
			root=False,
		)
		for s in subs
	)
	one_line = name in ONE_LINE_OBJECTS or parent in ONE_LINE_PARENTS or parent == "(one line)"
	free = r"KnS\d{2}" if name == "KnSubject" else ""
	return UpdateObject(name, tuple(fields), objects, multiple=not one_line, free_objects=free)


def _facts_root(connector: str, overlay: UpdateObject | None = None) -> UpdateObject:
	return _from_facts(spec_facts.UPDATE_CONNECTORS[connector], overlay)


UPDATE_CONNECTORS = (
	UpdateConnectorSpec(
		"KnSalesRelationOrg",
		"Debiteur (organisatie)",
		_facts_root(
			"KnSalesRelationOrg",
			UpdateObject(
				"KnSalesRelationOrg",
				(
					_u("DbId", "string", "Debiteurnummer", "Debtor number", key=True),
					*_RELATION_FIELDS,
					_u("Krli", "decimal", "Kredietlimiet", "Credit limit", decimals=2),
				),
				(ORGANISATION,),
			),
		),
		key="DbId",
		result_keys=("DbId", "BcCo"),
		get_connector="ERP_Debtors",
		field_map={
			"DbId": "DebtorId",
			"VaId": "VatNumber",
			"CuId": "Currency",
			"Bl": "Blocked",
			"Krli": "CreditLimit",
			"KnOrganisation.BcCo": "BcCo",
			"KnOrganisation.Nm": "Name",
			"KnOrganisation.SeNm": "SearchName",
			"KnOrganisation.EmAd": "Email",
			"KnOrganisation.TeNr": "Phone",
			"KnOrganisation.CcNr": "CocNumber",
			"KnOrganisation.KnBasicAddressAdr.CoId": "CountryId",
			"KnOrganisation.KnBasicAddressAdr.Rs": "City",
			"KnOrganisation.KnBasicAddressAdr.ZpCd": "ZipCode",
			"KnOrganisation.KnBasicAddressAdr.Ad": "Street",
			"KnOrganisation.KnBasicAddressAdr.HmNr": "HouseNumber",
		},
		autonumber={"DbId": "key", "KnOrganisation.BcCo": "BcCo"},
		surfaces=(("Profit_Debtor", _PROFIT_DEBTOR_ORG),),
		shares_keys_with=("KnSalesRelationPer",),
	),
	UpdateConnectorSpec(
		"KnSalesRelationPer",
		"Debiteur (persoon)",
		_facts_root(
			"KnSalesRelationPer",
			UpdateObject(
				"KnSalesRelationPer",
				(
					_u("DbId", "string", "Debiteurnummer", "Debtor number", key=True),
					*_RELATION_FIELDS,
				),
				(
					UpdateObject(
						"KnPerson",
						(
							_u("BcCo", "string", "Nummer", "Code", key=True),
							_u("LaNm", "string", "Achternaam", "Last name", mandatory=True),
						),
					),
				),
			),
		),
		key="DbId",
		result_keys=("DbId", "BcCo"),
		get_connector="Profit_Debtor",
		field_map={
			"DbId": "DebtorId",
			"KnPerson.LaNm": "DebtorName",
			"KnPerson.BcCo": "BcCo",
			"KnPerson.SeNm": "SearchName",
			"KnPerson.TeNr": "TelNr",
			"KnPerson.EmAd": "Email",
			"VaId": "VatNr",
			"CuId": "CurrencyId",
			"Bl": "Blocked",
		},
		autonumber={"DbId": "key", "KnPerson.BcCo": "BcCo"},
		shares_keys_with=("KnSalesRelationOrg",),
	),
	UpdateConnectorSpec(
		"KnPurchaseRelationOrg",
		"Crediteur (organisatie)",
		_facts_root(
			"KnPurchaseRelationOrg",
			UpdateObject(
				"KnPurchaseRelationOrg",
				(_u("CrId", "string", "Crediteurnummer", "Creditor number", key=True), *_RELATION_FIELDS),
				(ORGANISATION,),
			),
		),
		key="CrId",
		result_keys=("CrId", "BcCo"),
		get_connector="ERP_Creditors",
		field_map={
			"CrId": "CreditorId",
			"VaId": "VatNumber",
			"CuId": "Currency",
			"Bl": "Blocked",
			"KnOrganisation.BcCo": "BcCo",
			"KnOrganisation.Nm": "Name",
			"KnOrganisation.SeNm": "SearchName",
			"KnOrganisation.EmAd": "Email",
			"KnOrganisation.TeNr": "Phone",
			"KnOrganisation.KnBasicAddressAdr.CoId": "CountryId",
			"KnOrganisation.KnBasicAddressAdr.Rs": "City",
		},
		autonumber={"CrId": "key", "KnOrganisation.BcCo": "BcCo"},
		surfaces=(
			(
				"Profit_Creditor",
				{
					"CrId": "CreditorId",
					"KnOrganisation.Nm": "CreditorName",
					"KnOrganisation.BcCo": "BcCo",
					"KnOrganisation.SeNm": "SearchName",
					"KnOrganisation.TeNr": "TelNr",
					"KnOrganisation.EmAd": "Email",
					"VaId": "Btw-nummer",
					"Bl": "Blocked",
				},
			),
		),
	),
	UpdateConnectorSpec(
		"KnOrganisation",
		"Organisatie",
		_facts_root("KnOrganisation", ORGANISATION),
		key="BcCo",
		result_keys=("BcCo", "BcId"),
		autonumber={"BcCo": "BcCo", "BcId": "BcId"},
	),
	UpdateConnectorSpec(
		"KnPerson",
		"Persoon",
		_facts_root("KnPerson", PERSON),
		key="BcCo",
		result_keys=("BcCo", "BcId"),
		get_connector="ERP_Persons",
		field_map={"BcCo": "BcCo", "FiNm": "FirstName", "LaNm": "LastName", "EmAd": "Email"},
		autonumber={"BcCo": "BcCo", "BcId": "BcId"},
	),
	UpdateConnectorSpec(
		"FbItemArticle",
		"Artikel",
		_facts_root(
			"FbItemArticle",
			UpdateObject(
				"FbItemArticle",
				(
					_u("ItCd", "string", "Itemcode", "Item code", mandatory=True, key=True),
					_u("Ds", "string", "Omschrijving", "Description"),
					_u("Grp", "string", "Artikelgroep", "Item group", mandatory=True),
					_u("BiUn", "string", "Basiseenheid", "Base unit", mandatory=True),
					_u("Bl", "boolean", "Geblokkeerd", "Blocked"),
				),
			),
		),
		key="ItCd",
		result_keys=("ItCd",),
		get_connector="ERP_Items",
		field_map={
			"ItCd": "ItemCode",
			"Ds": "Description",
			"Grp": "ItemGroup",
			"BiUn": "Unit",
			"Bl": "Blocked",
		},
		surfaces=(
			(
				"Profit_Article",
				{
					"ItCd": "ItemCode",
					"Ds": "Description",
					"Grp": "ArtGroup",
					"BiUn": "UnitId",
					"Bl": "Blocked",
				},
			),
		),
	),
	UpdateConnectorSpec(
		"FbSales",
		"Verkooporder",
		_facts_root(
			"FbSales",
			UpdateObject(
				"FbSales",
				(
					_u("OrNu", "string", "Nummer", "Order number", key=True),
					_u("DbId", "string", "Verkooprelatie", "Sales relation", mandatory=True),
					_u("OrDa", "date", "Orderdatum", "Order date"),
					_u("DaDe", "date", "Leverdatum", "Delivery date"),
					_u("RfCs", "string", "Referentie klant", "Customer reference"),
					_u("CuId", "string", "Valuta", "Currency"),
					_u("Unit", "int", "Administratie", "Administration"),
					_u("Re", "string", "Opmerking", "Remark"),
				),
				(
					UpdateObject(
						"FbSalesLines",
						(
							_u("VaIt", "string", "Type item", "Item type", mandatory=True),
							_u("ItCd", "string", "Itemcode", "Item code", mandatory=True),
							_u("Ds", "string", "Omschrijving", "Description"),
							_u("BiUn", "string", "Eenheid", "Unit"),
							_u("QuUn", "decimal", "Aantal eenheden", "Quantity", mandatory=True, decimals=4),
							_u("Upri", "decimal", "Prijs per eenheid", "Unit price", decimals=2),
						),
					),
				),
			),
		),
		key="OrNu",
		result_keys=("OrNu",),
		autonumber={"OrNu": "OrNu"},
		references={"DbId": "KnSalesRelationOrg"},
	),
	UpdateConnectorSpec(
		"KnEmployee",
		"Medewerker",
		UpdateObject(
			"AfasEmployee",
			(
				_u("EmId", "string", "Medewerker", "Employee", key=True, length=15),
				_u("LwRs", "string", "Woonplaats", "City of residence"),
				# AFAS's examples "Terminate contract" (U) and "Rehire employee" (I)
				_u("ViSe", "string", "Status medewerker", "Employee status", length=1),
				_u("Bl", "boolean", "Geblokkeerd", "Blocked"),
			),
			(
				PERSON,
				UpdateObject(
					"AfasContract",
					(
						_u("DaBe", "date", "Begindatum contract", "Contract start date", mandatory=True),
						_u("DaEn", "date", "Einddatum contract", "Contract end date"),
						_u("DaEe", "date", "Datum uit dienst", "Date out of service"),
						_u("CmId", "string", "Werkgever", "Employer"),
						_u("ClId", "string", "Cao", "Collective agreement"),
						_u("EmMt", "string", "Type medewerker", "Employee type"),
					),
				),
				UpdateObject(
					"AfasOrgunitFunction",
					(
						_u("DaBe", "date", "Begindatum functie", "Start date job", mandatory=True),
						_u("DpId", "string", "Organisatorische eenheid", "Organisational unit"),
						_u("FuId", "string", "Functie", "Job title"),
						_u("CrId", "string", "Kostenplaats", "Cost centre"),
					),
				),
			),
		),
		key="EmId",
		result_keys=("EmId",),
		get_connector="ERP_Employees",
		field_map={
			"EmId": "EmployeeId",
			"KnPerson.FiNm": "FirstName",
			"KnPerson.LaNm": "LastName",
			"KnPerson.DaBi": "Birthdate",
			"KnPerson.EmAd": "Email",
			"AfasContract.DaBe": "StartDate",
			"AfasContract.DaEe": "EndDate",
			"AfasContract.CmId": "EmployerId",
			"AfasOrgunitFunction.DpId": "Department",
			"AfasOrgunitFunction.FuId": "Function",
			"AfasOrgunitFunction.CrId": "CostCentre",
			"ViSe": "Status",
			"Bl": "Blocked",
		},
		autonumber={"EmId": "key"},
	),
	UpdateConnectorSpec(
		"KnSubject",
		"Dossieritem",
		_facts_root(
			"KnSubject",
			UpdateObject(
				"KnSubject",
				(
					_u("SbId", "int", "Nummer", "Number", key=True),
					_u("StId", "int", "Type dossieritem", "Subject type", mandatory=True),
					_u("Ds", "string", "Onderwerp", "Subject", mandatory=True),
					_u("Da", "date", "Datum", "Date"),
					_u("SbTx", "string", "Toelichting", "Notes"),
				),
				(
					UpdateObject(
						"KnSubjectLink",
						(
							_u("DoCRM", "boolean", "Dossieritem is CRM", "Subject is CRM"),
							_u("ToSR", "boolean", "Naar verkooprelatie", "To sales relation"),
							_u("SfTp", "string", "Type bestemming", "Destination type"),
							_u("SfId", "string", "Bestemming", "Destination"),
						),
					),
					UpdateObject(
						"KnSubjectAttachment",
						(
							_u("FileName", "string", "Bestandsnaam", "File name", mandatory=True),
							_u("FileStream", "string", "Bestand (base64)", "File (base64)", mandatory=True),
						),
					),
				),
			),
		),
		key="SbId",
		result_keys=("SbId",),
		autonumber={"SbId": "SbId"},
		# a dossier item is listed in Profit_Subjects (its files in Profit_Subject_Attachments, see the
		# store), with the project or organisation/person it belongs to
		surfaces=(
			(
				"Profit_Subjects",
				{
					"SbId": "SubjectId",
					"StId": "TypeId",
					"Ds": "Subject",
					"SbTx": "Comment",
					"Da": "DateCreated",
					"KnSubjectLink.PjId": "Project",
					"KnSubjectLink.BcId": "OrgPersId",
					"KnSubjectLink.ToSR": "ToDebtor",
				},
			),
		),
		appends=("KnSubjectAttachment",),
	),
	UpdateConnectorSpec(
		"FiEntries",
		"Financiële mutatie",
		_facts_root("FiEntries", FI_ENTRY_PAR),
		key="EnNo",
		result_keys=("EnNo", "UnId", "InID"),
		autonumber={"EnNo": "EnNo"},
		# AFAS numbers journal entries per administration: EnNo is answered with its UnId
		numbered_per=("UnId", 1),
		methods=("POST", "DELETE"),
		check=ledger.check_entry,
		after_insert=ledger.book_entry,
	),
	UpdateConnectorSpec(
		"PtRealization",
		"Nacalculatie",
		_facts_root(
			"PtRealization",
			UpdateObject(
				"PtRealization",
				(
					_u("Id", "int", "Regelnummer", "Line number", key=True),
					_u("DaTi", "date", "Datum", "Date", mandatory=True),
					_u("VaIt", "string", "Type item", "Item type", mandatory=True),
					_u("ItCd", "string", "Itemcode", "Item code", mandatory=True),
					_u("Qu", "decimal", "Aantal", "Number", decimals=2),
				),
			),
		),
		key="Id",
		result_keys=("XpRe", "Id", "Sessieguid"),
		get_connector="Profit_Realization",
		field_map={
			"Id": "Identity",
			"DaTi": "DateTime",
			"EmId": "EmployeeId",
			"PrId": "ProjectId",
			"Ds": "Description",
			"VaIt": "ItemType",
			"ItCd": "ItemCodeId",
			"UnId": "InitId",
			"Qu": "QuantityUnit",
			"Ch": "Chargeable",
			"Ap": "Approved",
			"Pr": "Prepared",
		},
		autonumber={"Id": "key"},
		# AFAS's spec documents no DELETE parameters for a booked line (module docstring of hours.py)
		methods=("POST", "PUT"),
		check=hours.check_line,
		after_insert=hours.after_insert,
		surfaces=(
			(
				"ERP_Realization",
				{
					"Id": "Identity",
					"XpRe": "ExternalKey",
					"EmId": "EmployeeId",
					"PrId": "ProjectId",
					"DaTi": "Date",
					"Qu": "Quantity",
				},
			),
		),
	),
	UpdateConnectorSpec(
		"FbDirectInvoice",
		"Balie-/directfactuur",
		_facts_root(
			"FbDirectInvoice",
			UpdateObject(
				"FbDirectInvoice",
				(
					_u("OrNu", "string", "Nummer", "Number", key=True),
					_u("DbId", "string", "Verkooprelatie", "Sales relation", mandatory=True),
				),
				(
					UpdateObject(
						"FbDirectInvoiceLines",
						(
							_u("VaIt", "string", "Type item", "Item type", mandatory=True),
							_u("ItCd", "string", "Itemcode", "Item code", mandatory=True),
							_u("BiUn", "string", "Eenheid", "Unit", mandatory=True),
							_u("QuUn", "decimal", "Aantal eenheden", "Quantity", mandatory=True, decimals=4),
							_u("Upri", "decimal", "Prijs per eenheid", "Unit price", decimals=2),
						),
					),
				),
			),
		),
		key="OrNu",
		# AFAS answers {"OrNu", "Liln"} (spec's 201 example); what Liln holds it does not say
		result_keys=("OrNu",),
		autonumber={"OrNu": "OrNu"},
		references={"DbId": "KnSalesRelationOrg"},
	),
)
