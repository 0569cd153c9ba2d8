"""Errors raised for bad geometric input.

    ValueError
     └── InputError            one bad value: names the feature and the field
          └── UnitError         a value whose unit is unknown or malformed

Every check in `geo` raises `InputError` so that a caller (the CLI, later the API) can
turn it into a one-line message naming *which* feature and *which* field is wrong,
without ever showing a traceback to a duty officer.
"""

from __future__ import annotations


class InputError(ValueError):
    """A value in an input document is wrong; `feature` and `field` locate it."""

    def __init__(self, message: str, *, feature: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.feature = feature
        self.field = field

    def located(self, *, feature: str | None = None, field: str | None = None) -> InputError:
        """Fill in the location when an outer reader knows it and the raiser did not."""
        if self.feature is None:
            self.feature = feature
        if self.field is None:
            self.field = field
        return self

    def __str__(self) -> str:
        where = []
        if self.feature is not None:
            where.append(f"feature {self.feature!r}")
        if self.field is not None:
            where.append(f"field {self.field!r}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class UnitError(InputError):
    """A quantity with an unknown or malformed unit (e.g. ``"12 furlongs"``)."""
