"""deconflict: a multi-party airspace deconfliction service.

Parties that share airspace without a common command declare zones, notify planned
operations and have every conflict found before take-off. The layers are drawn in
DESIGN.md; `deconflict.engine.check` is the entry point for library use.
"""

__version__ = "0.1.0"
