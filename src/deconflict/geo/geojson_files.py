"""GeoJSON files in: read several, and merge their declarations and minima into one.

Why apart from `geojson`: that module reads one parsed FeatureCollection (what the
service receives); this one is for the command line and the demo, which read files from
disk, name features without ids by file, refuse an id used twice across files, and
decide whose minima win when files disagree.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from deconflict.geo.declaration import Declaration
from deconflict.geo.errors import InputError
from deconflict.geo.geojson import Scenario, read_collection
from deconflict.geo.separation import SeparationPolicy


def read_files(paths: Iterable[Path]) -> Scenario:
    """Read and merge several files; for minima, the first file that states them wins."""
    declarations: list[Declaration] = []
    policy: SeparationPolicy | None = None
    default_stated = False
    seen: dict[str, Path] = {}
    for path in paths:
        try:
            document = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as error:
            raise InputError(f"cannot read {path}: {error.strerror}") from None
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise InputError(f"{path} is not valid JSON: {error}") from None
        except RecursionError:
            raise InputError(f"{path} is nested too deeply to be GeoJSON") from None
        try:
            scenario = read_collection(document)
        except InputError as error:
            raise InputError(f"{path}: {error}") from None
        for declaration in scenario.declarations:
            if declaration.id.startswith("#"):  # no id in the file: name it by file and place
                declaration = replace(declaration, id=f"{Path(path).name}{declaration.id}")
            if declaration.id in seen:
                where = InputError(
                    f"the id is also used in {seen[declaration.id]}",
                    feature=declaration.id,
                    field="id",
                )
                raise InputError(f"{path}: {where}") from None
            seen[declaration.id] = path
            declarations.append(declaration)
        if policy is None:
            policy = scenario.policy
        else:
            take_default = scenario.default_stated and not default_stated
            policy = merge_policies(policy, scenario.policy, take_default)
        default_stated = default_stated or scenario.default_stated
    return Scenario(tuple(declarations), policy or SeparationPolicy(), default_stated)


def merge_policies(
    first: SeparationPolicy, second: SeparationPolicy, second_default: bool
) -> SeparationPolicy:
    """Pairs: the first file that names a pair wins; default: the first file that states one."""
    pairs = {**second.pairs, **first.pairs}
    default = second.default if second_default else first.default
    return SeparationPolicy(default, pairs, first.self_checking | second.self_checking)
