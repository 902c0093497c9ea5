"""Pure-Python AFAS Profit REST client (no frappe import): the only place that knows AFAS's wire format."""

from afas_connector.afas.client import AfasClient, Exchange, FileResult, Page, take_for_columns
from afas_connector.afas.config import AfasConfig, RetryPolicy
from afas_connector.afas.errors import (
	AfasAuthError,
	AfasBadRequestError,
	AfasBodyError,
	AfasConfigError,
	AfasError,
	AfasForbiddenError,
	AfasMaintenanceError,
	AfasNotFoundError,
	AfasOutcomeUnknownError,
	AfasPagingError,
	AfasPayloadTooLargeError,
	AfasResponseError,
	AfasTemporaryError,
	AfasTimeoutError,
	AfasTransportError,
	AfasValidationError,
	QueryTooLongError,
	redact,
)
from afas_connector.afas.filters import Condition, FilterSet, Operator
from afas_connector.afas.update import Record, UpdateResult

__all__ = [
	"AfasAuthError",
	"AfasBadRequestError",
	"AfasBodyError",
	"AfasClient",
	"AfasConfig",
	"AfasConfigError",
	"AfasError",
	"AfasForbiddenError",
	"AfasMaintenanceError",
	"AfasNotFoundError",
	"AfasOutcomeUnknownError",
	"AfasPagingError",
	"AfasPayloadTooLargeError",
	"AfasResponseError",
	"AfasTemporaryError",
	"AfasTimeoutError",
	"AfasTransportError",
	"AfasValidationError",
	"Condition",
	"Exchange",
	"FileResult",
	"FilterSet",
	"Operator",
	"Page",
	"QueryTooLongError",
	"Record",
	"RetryPolicy",
	"UpdateResult",
	"redact",
	"take_for_columns",
]
