"""Where the tests find the standard's OpenAPI definition, which the project does not ship.

The definition ("UTM API", ASTM F3548-21, from the astm-utm/Protocol repository) states
no licence, and that repository has none: it is ASTM's text, so the project refers to it
instead of carrying a copy (InterUSS's projects do the same, through a git submodule).
The tests look for it at `$DECONFLICT_ASTM_DEFINITION`, else at
`../shared/specs/astm-f3548-21-utm.yaml` beside the repository (where CI has it); without
it, the tests that read it are skipped, saying where to put it. What the `uas-standards`
package (Apache-2.0, a dependency) carries of it (paths, verbs, response codes) is
checked without it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

REPOSITORY = Path(__file__).resolve().parents[2]
VARIABLE = "DECONFLICT_ASTM_DEFINITION"
BESIDE = REPOSITORY.parent / "shared" / "specs" / "astm-f3548-21-utm.yaml"


def definition_path() -> Path:
    """The definition's file, or a skip of the calling test saying how to provide it."""
    path = Path(os.environ.get(VARIABLE) or BESIDE)
    if not path.is_file():
        pytest.skip(
            f"the ASTM F3548-21 OpenAPI definition is not at {path}: set {VARIABLE} to the "
            "astm-utm/Protocol utm.yaml (v1.0.0) to run this test"
        )
    return path


def definition() -> dict[str, Any]:
    return yaml.safe_load(definition_path().read_text(encoding="utf-8"))
