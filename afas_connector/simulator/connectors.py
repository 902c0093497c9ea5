"""The simulated App Connector's GetConnectors and UpdateConnectors (metainfo and round-trip field maps).

Field ids follow AFAS (``DbId``, ``BcCo``, ``Nm``, ``KnBasicAddressAdr`` …); GetConnector column names are the
ones an app would give its own ``ERP_*`` GetConnectors. Labels exist in Dutch (default) and English.
"""

from __future__ import annotations

from typing import Any

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
		_g("CreditLimit", "decimal", "Kredietlimiet", "Credit limit", 13, "CrLm", 2),
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
		_g("ItemGroup", "string", "Artikelgroep", "Item group", 15, "ArGp"),
		_g("Unit", "string", "Basiseenheid", "Base unit", 10, "BiUn"),
		_g("SalesPrice", "decimal", "Verkoopprijs", "Sales price", 13, "Upri", 2),
		_g("Blocked", "boolean", "Geblokkeerd", "Blocked", 1, "Bl"),
		MODIFIED,
	),
	key="ItemCode",
	modified="Modified",
)

EMPLOYEES = GetConnectorSpec(
	"ERP_Employees",
	"Medewerkers voor ERPNext",
	(
		_g("EmployeeId", "string", "Medewerker", "Employee", 15, "EmId"),
		_g("FirstName", "string", "Voornaam", "First name", 50, "FiNm"),
		_g("LastName", "string", "Achternaam", "Last name", 80, "LaNm"),
		_g("Birthdate", "date", "Geboortedatum", "Date of birth", 10, "DaBi"),
		_g("Email", "string", "E-mail werk", "Work email", 255, "EmAd"),
		_g("Department", "string", "Afdeling", "Department", 50, "DpId"),
		_g("Function", "string", "Functie", "Job title", 50, "FuId"),
		_g("StartDate", "date", "Datum in dienst", "Start date", 10, "DaBe"),
		MODIFIED,
	),
	key="EmployeeId",
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

GET_CONNECTORS = (DEBTORS, DEBTORS_DELETED, CREDITORS, ITEMS, EMPLOYEES, PERSONS)

# --- UpdateConnectors --------------------------------------------------------------------------------------

COUNTRIES = (
	("NL", "Nederland"),
	("BE", "België"),
	("DE", "Duitsland"),
	("FR", "Frankrijk"),
	("GB", "Verenigd Koninkrijk"),
)
MATCH_OGA = (
	("0", "Zoek op BcCo"),
	("1", "KvK-nummer"),
	("2", "Fiscaal nummer"),
	("3", "Naam"),
	("4", "Adres"),
	("5", "Postadres"),
	("6", "Altijd nieuw toevoegen"),
	("9", "Gebruik entiteit van parent"),
)
MATCH_PER = tuple(
	(str(i), d) for i, d in enumerate(("Zoek op BcCo", "Burgerservicenummer", "Naam", "Naam + e-mail werk"))
)
GENDERS = (("M", "Man"), ("V", "Vrouw"), ("O", "Onbekend"), ("X", "Non-binair"))


def _address(name: str) -> UpdateObject:
	return UpdateObject(
		name,
		(
			_u("CoId", "string", "Land", "Country", mandatory=True, length=3, values=COUNTRIES),
			_u("PbAd", "boolean", "Postbusadres", "PO box address"),
			_u("Ad", "string", "Straat", "Street", length=100),
			_u("HmNr", "int", "Huisnummer", "House number"),
			_u("HmAd", "string", "Toevoeging aan huisnr.", "House number addition", length=30),
			_u("ZpCd", "string", "Postcode", "Zip code", length=15),
			_u("Rs", "string", "Woonplaats", "City"),
			_u("ResZip", "boolean", "Adres controleren", "Look up address from zip code"),
		),
	)


ORGANISATION = UpdateObject(
	"KnOrganisation",
	(
		_u("BcCo", "string", "Nummer", "Code", key=True, length=15),
		_u("PadAdr", "boolean", "Postadres is adres", "Postal address is address"),
		_u("AutoNum", "boolean", "Autonummering", "Auto numbering"),
		_u("MatchOga", "string", "Organisatie vergelijken op", "Match organisation on", values=MATCH_OGA),
		_u("SeNm", "string", "Zoeknaam", "Search name", length=10),
		_u("Nm", "string", "Naam", "Name", mandatory=True, length=255),
		_u("CcNr", "string", "KvK-nummer", "Chamber of Commerce number", length=30),
		_u("EmAd", "string", "E-mail werk", "Work email", length=255),
		_u("TeNr", "string", "Telefoonnr. werk", "Work phone", length=25),
		_u("HoPa", "string", "Homepage", "Homepage", length=255),
	),
	(_address("KnBasicAddressAdr"), _address("KnBasicAddressPad")),
)

PERSON = UpdateObject(
	"KnPerson",
	(
		_u("BcCo", "string", "Nummer", "Code", key=True, length=15),
		_u("MatchPer", "string", "Persoon vergelijken op", "Match person on", values=MATCH_PER),
		_u("AutoNum", "boolean", "Autonummering", "Auto numbering"),
		_u("PadAdr", "boolean", "Postadres is adres", "Postal address is address"),
		_u("SeNm", "string", "Zoeknaam", "Search name", length=10),
		_u("FiNm", "string", "Voornaam", "First name"),
		_u("In", "string", "Voorletters", "Initials", length=15),
		_u("Is", "string", "Voorvoegsel", "Prefix", length=15),
		_u("LaNm", "string", "Achternaam", "Last name", mandatory=True, length=80),
		_u("ViGe", "string", "Geslacht", "Gender", length=1, values=GENDERS),
		_u("DaBi", "date", "Geboortedatum", "Date of birth"),
		_u("EmAd", "string", "E-mail werk", "Work email", length=255),
		_u("MbNr", "string", "Mobiel werk", "Work mobile", length=25),
		_u("TeNr", "string", "Telefoonnr. werk", "Work phone", length=25),
	),
	(_address("KnBasicAddressAdr"),),
)

_RELATION_FIELDS = (
	_u("VaId", "string", "Btw-identificatienummer", "VAT number", length=20),
	_u("CuId", "string", "Valuta", "Currency", length=3),
	_u(
		"InPv",
		"string",
		"Factuurverzending",
		"Invoice delivery",
		length=1,
		values=(("E", "E-mail"), ("P", "Post")),
	),
	_u("Bl", "boolean", "Geblokkeerd", "Blocked"),
	_u("PaCd", "string", "Betalingsvoorwaarde", "Payment terms", length=5),
)

UPDATE_CONNECTORS = (
	UpdateConnectorSpec(
		"KnSalesRelationOrg",
		"Debiteur (organisatie)",
		UpdateObject(
			"KnSalesRelationOrg",
			(
				_u("DbId", "string", "Debiteurnummer", "Debtor number", key=True, length=16),
				*_RELATION_FIELDS,
				_u("CrLm", "decimal", "Kredietlimiet", "Credit limit", decimals=2),
			),
			(ORGANISATION,),
		),
		key="DbId",
		result_keys=("DbId", "BcCo"),
		get_connector="ERP_Debtors",
		field_map={
			"DbId": "DebtorId",
			"VaId": "VatNumber",
			"CuId": "Currency",
			"Bl": "Blocked",
			"CrLm": "CreditLimit",
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
	),
	UpdateConnectorSpec(
		"KnPurchaseRelationOrg",
		"Crediteur (organisatie)",
		UpdateObject(
			"KnPurchaseRelationOrg",
			(
				_u("CrId", "string", "Crediteurnummer", "Creditor number", key=True, length=16),
				*_RELATION_FIELDS,
			),
			(ORGANISATION,),
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
	),
	UpdateConnectorSpec(
		"KnOrganisation",
		"Organisatie",
		ORGANISATION,
		key="BcCo",
		result_keys=("BcCo", "BcId"),
		autonumber={"BcCo": "BcCo", "BcId": "BcId"},
	),
	UpdateConnectorSpec(
		"KnPerson",
		"Persoon",
		PERSON,
		key="BcCo",
		result_keys=("BcCo", "BcId"),
		get_connector="ERP_Persons",
		field_map={"BcCo": "BcCo", "FiNm": "FirstName", "LaNm": "LastName", "EmAd": "Email"},
		autonumber={"BcCo": "BcCo", "BcId": "BcId"},
	),
	UpdateConnectorSpec(
		"FbItemArticle",
		"Artikel",
		UpdateObject(
			"FbItemArticle",
			(
				_u(
					"VaIt", "string", "Type item", "Item type", key=True, length=2, values=(("2", "Artikel"),)
				),
				_u("ItCd", "string", "Itemcode", "Item code", mandatory=True, key=True, length=40),
				_u("Ds", "string", "Omschrijving", "Description", mandatory=True, length=255),
				_u("ArGp", "string", "Artikelgroep", "Item group", length=15),
				_u("BiUn", "string", "Basiseenheid", "Base unit", length=10),
				_u("Upri", "decimal", "Verkoopprijs", "Sales price", decimals=2),
				_u("Bl", "boolean", "Geblokkeerd", "Blocked"),
			),
		),
		key="ItCd",
		result_keys=("ItCd",),
		get_connector="ERP_Items",
		field_map={
			"ItCd": "ItemCode",
			"Ds": "Description",
			"ArGp": "ItemGroup",
			"BiUn": "Unit",
			"Upri": "SalesPrice",
			"Bl": "Blocked",
		},
	),
	UpdateConnectorSpec(
		"FbSales",
		"Verkooporder",
		UpdateObject(
			"FbSales",
			(
				_u("OrNu", "string", "Nummer", "Order number", key=True, length=15),
				_u("DbId", "string", "Verkooprelatie", "Sales relation", mandatory=True, length=16),
				_u("OrDa", "date", "Orderdatum", "Order date"),
				_u("DaDe", "date", "Leverdatum", "Delivery date"),
				_u("RfCs", "string", "Referentie klant", "Customer reference", length=50),
				_u("CuId", "string", "Valuta", "Currency", length=3),
				_u("Unit", "int", "Administratie", "Administration"),
				_u("Re", "string", "Opmerking", "Remark", length=0),
			),
			(
				UpdateObject(
					"FbSalesLines",
					(
						_u(
							"VaIt",
							"string",
							"Type item",
							"Item type",
							mandatory=True,
							length=2,
							values=(("1", "Grootboekrekening"), ("2", "Artikel"), ("4", "Tekst")),
						),
						_u("ItCd", "string", "Itemcode", "Item code", mandatory=True, length=40),
						_u("Ds", "string", "Omschrijving", "Description", length=255),
						_u("BiUn", "string", "Eenheid", "Unit", length=10),
						_u("QuUn", "decimal", "Aantal eenheden", "Quantity", mandatory=True, decimals=4),
						_u("Upri", "decimal", "Prijs per eenheid", "Unit price", decimals=2),
						_u("DaDe", "date", "Leverdatum", "Delivery date"),
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
			),
			(
				PERSON,
				UpdateObject(
					"AfasContract",
					(
						_u("DaBe", "date", "Begindatum contract", "Contract start date", mandatory=True),
						_u("DaEn", "date", "Einddatum contract", "Contract end date"),
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
			"AfasOrgunitFunction.DpId": "Department",
			"AfasOrgunitFunction.FuId": "Function",
		},
		autonumber={"EmId": "key"},
	),
	UpdateConnectorSpec(
		"KnSubject",
		"Dossieritem",
		UpdateObject(
			"KnSubject",
			(
				_u("SbId", "int", "Nummer", "Number", key=True),
				_u("StId", "int", "Type dossieritem", "Subject type", mandatory=True),
				_u("Ds", "string", "Onderwerp", "Subject", mandatory=True, length=255),
				_u("Da", "date", "Datum", "Date"),
				_u("SbTx", "string", "Toelichting", "Notes", length=0),
			),
			(
				UpdateObject(
					"KnSubjectLink",
					(
						_u("DoCRM", "boolean", "Dossieritem is CRM", "Subject is CRM"),
						_u("ToSR", "boolean", "Naar verkooprelatie", "To sales relation"),
						_u("SfTp", "int", "Type bestemming", "Destination type"),
						_u("SfId", "string", "Bestemming", "Destination"),
					),
				),
				UpdateObject(
					"KnSubjectAttachment",
					(
						_u("FileName", "string", "Bestandsnaam", "File name", mandatory=True, length=255),
						_u(
							"FileStream",
							"string",
							"Bestand (base64)",
							"File (base64)",
							mandatory=True,
							length=0,
						),
					),
				),
			),
		),
		key="SbId",
		result_keys=("SbId",),
		autonumber={"SbId": "SbId"},
	),
)
