"""How a scenario check is shown: a rich table for people, JSON and GeoJSON for machines.

The GeoJSON output has one Polygon feature per encounter (where the two come within
the horizontal minimum of each other), so QGIS or any GIS opens the conflicts directly.
"""

from __future__ import annotations

from typing import Any

import shapely
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from deconflict.engine.scenario import ScenarioResult
from deconflict.geo.units import FOOT, NAUTICAL_MILE, format_time


def _distance(metres: float) -> str:
    if metres <= 0:
        return "overlap"
    if metres >= 1000:
        return f"{metres / 1000:.1f} km ({metres / NAUTICAL_MILE:.1f} NM)"
    return f"{metres:.0f} m"


def _height(metres: float) -> str:
    return "overlap" if metres <= 0 else f"{metres:.0f} m ({metres / FOOT:.0f} ft)"


def _clock(posix: float) -> str:
    return format_time(posix)[11:16] + "Z"


def render_table(result: ScenarioResult, out: Console, *, suggested: bool = True) -> None:
    """Conflicts, then suggestions, then a one-line summary."""
    operations = sum(1 for d in result.declarations if d.kind == "operation")
    table = Table(title="Conflicts", header_style="bold", show_lines=True)
    for column in ("Operation", "Conflicts with", "When (UTC)", "Where", "Closest", "Minima"):
        table.add_column(column)
    suggestions = Table(title="Suggestions (each verified by a re-check)", header_style="bold")
    suggestions.add_column("Operation")
    suggestions.add_column("Change")
    for report in result.reports:
        for conflict in report.conflicts:
            first, worst = conflict.first, conflict.worst
            minima = conflict.minima
            table.add_row(
                f"{escape(report.declaration)}\n[dim]{escape(report.party)}[/]",
                f"{escape(conflict.other)}\n[dim]{escape(conflict.other_party)} "
                f"{conflict.other_kind}[/]",
                f"{format_time(first.start)[:10]} {_clock(first.start)}–{_clock(first.end)}",
                f"first {first.lat:.4f}, {first.lon:.4f}\nworst {worst.lat:.4f}, {worst.lon:.4f}",
                f"H {_distance(conflict.min_horizontal_gap)}\n"
                f"V {_height(conflict.min_vertical_gap)}",
                f"{_distance(minima.horizontal) if minima.horizontal else '0'} / "
                f"{_height(minima.vertical) if minima.vertical else '0'} / {minima.time:.0f} s",
            )
        if suggested and report.conflicts and not report.suggestions:
            suggestions.add_row(
                escape(report.declaration),
                "[red]none found (delay ≤ 24 h, altitude, offset ≤ 50 km)[/]",
            )
        for suggestion in report.suggestions:
            suggestions.add_row(escape(report.declaration), escape(suggestion.description))
    count = result.conflict_count
    if count:
        out.print(table)
        if suggested:
            out.print(suggestions)
        affected = sum(1 for r in result.reports if r.conflicts)
        out.print(
            f"[bold red]{count} conflict{'s' if count != 1 else ''}[/] in {affected} of "
            f"{operations} operations."
        )
    else:
        out.print(f"[bold green]Clear:[/] {operations} operations, no conflict.")


def render_json(result: ScenarioResult) -> dict[str, Any]:
    """Every report (conflicts and suggestions) as plain JSON values."""
    return {
        "conflicts": result.conflict_count,
        "operations": sum(1 for d in result.declarations if d.kind == "operation"),
        "reports": [r.as_dict() for r in result.reports if r.conflicts],
    }


def render_geojson(result: ScenarioResult) -> dict[str, Any]:
    """A FeatureCollection with one polygon per encounter (requires areas in the check)."""
    features = []
    for report in result.reports:
        for conflict in report.conflicts:
            for number, encounter in enumerate(conflict.encounters):
                area = encounter.area
                if area is None:
                    area = shapely.Point(encounter.lon, encounter.lat)
                features.append(
                    {
                        "type": "Feature",
                        "id": f"{report.declaration}~{conflict.other}~{number}",
                        "geometry": shapely.geometry.mapping(area),
                        "properties": {
                            "declaration": report.declaration,
                            "party": report.party,
                            "other": conflict.other,
                            "other_party": conflict.other_party,
                            "other_kind": str(conflict.other_kind),
                            **encounter.as_dict(),
                            "first": encounter is conflict.first,
                            "worst": encounter is conflict.worst,
                        },
                    }
                )
    return {"type": "FeatureCollection", "features": features}
