"""What can go wrong with a mapping: its configuration (caught when it is saved) or one record's
values (recorded against that record; the run goes on)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class TransformConfigError(ValueError):
	"""A field mapping's transform is configured wrongly (caught at save time)."""


class TransformValueError(ValueError):
	"""One value could not be converted (a per-record error, the run goes on)."""


class MappingConfigError(ValueError):
	"""A mapping is configured wrongly; ``row`` is the 1-based field-mapping row when it is about one."""

	def __init__(self, message: str, row: int | None = None, field: str | None = None) -> None:
		super().__init__(message)
		self.row = row
		self.field = field


@dataclass
class RecordError:
	"""One record that could not be mapped or written: which record, which field, why."""

	key: str | None
	field: str | None
	message: str

	def to_dict(self) -> dict[str, Any]:
		return {"key": self.key, "field": self.field, "message": self.message}
