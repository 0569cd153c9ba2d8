"""Render `deconflict check` on the example scenario as docs/check.svg (for the README)."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from deconflict.engine.scenario import check_scenario
from deconflict.geo.geojson_files import read_files
from deconflict.render import render_table

ROOT = Path(__file__).resolve().parent.parent

scenario = read_files([ROOT / "scenarios" / "syria.geojson"])
console = Console(record=True, width=118, file=open("/dev/null", "w"))  # noqa: SIM115
render_table(check_scenario(scenario.declarations, scenario.policy), console)
console.save_svg(str(ROOT / "docs" / "check.svg"), title="deconflict check scenarios/syria.geojson")
