"""The conflict engine: pure, vectorised, no I/O.

`Airspace` holds declarations behind an incremental 4D index and answers which stored
declarations a new one conflicts with, and how to move it out of conflict. `check` is
the one-call form for library users::

    from deconflict.engine import check
    report = check(new_operation, stored_declarations, policy)
"""

from deconflict.engine.airspace import Airspace, check
from deconflict.engine.conflict import Conflict, Encounter, Report
from deconflict.engine.resolution import Suggestion

__all__ = ["Airspace", "Conflict", "Encounter", "Report", "Suggestion", "check"]
