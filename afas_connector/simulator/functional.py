"""AFAS's functional errors: what an UpdateConnector or GetConnector refuses with HTTP 500 and an
``externalMessage`` (afas-profit-api.md §1.6). Their own module, below the store and the connectors'
booking rules (``ledger``, ``hours``), which all raise them."""


class FunctionalError(Exception):
	"""An AFAS 500 functional/validation error; the message becomes ``externalMessage``."""


class UnknownConnector(FunctionalError):
	"""The connector does not exist or is not in the App Connector (AFAS answers 500, not 404)."""
