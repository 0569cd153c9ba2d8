"""Shared helpers for the command-line tests: GeoJSON builders and a CLI runner.

Kept out of conftest.py on purpose: these are plain functions the test modules import.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

START = "2026-11-25T06:00:00Z"
END = "2026-11-25T08:00:00Z"


def circle(
    ident: str,
    party: str,
    lon: float,
    lat: float,
    *,
    radius: Any = "5 km",
    kind: str = "operation",
    lower: Any = 0,
    upper: Any = "3000 ft",
    start: str = START,
    end: str = END,
    **extra: Any,
) -> dict[str, Any]:
    """A circular volume as a GeoJSON Point feature with a radius."""
    return {
        "type": "Feature",
        "id": ident,
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {
            "party": party,
            "kind": kind,
            "radius": radius,
            "altitude_lower": lower,
            "altitude_upper": upper,
            "start": start,
            "end": end,
            **extra,
        },
    }


def polygon(
    ident: str,
    party: str,
    ring: list[list[float]],
    *,
    kind: str = "zone",
    lower: Any = 0,
    upper: Any = "3000 ft",
    start: str = START,
    end: str = END,
    **extra: Any,
) -> dict[str, Any]:
    """A polygon volume (one ring, closed by the caller or here)."""
    if ring[0] != ring[-1]:
        ring = [*ring, ring[0]]
    return {
        "type": "Feature",
        "id": ident,
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "properties": {
            "party": party,
            "kind": kind,
            "altitude_lower": lower,
            "altitude_upper": upper,
            "start": start,
            "end": end,
            **extra,
        },
    }


def route(
    ident: str,
    party: str,
    positions: list[list[float]],
    times: list[str],
    *,
    half_width: Any = "1 km",
    vertical_half_width: Any = "100 m",
    **extra: Any,
) -> dict[str, Any]:
    """An operation drawn as a LineString with one time per waypoint."""
    return {
        "type": "Feature",
        "id": ident,
        "geometry": {"type": "LineString", "coordinates": positions},
        "properties": {
            "party": party,
            "kind": "operation",
            "times": times,
            "half_width": half_width,
            "vertical_half_width": vertical_half_width,
            **extra,
        },
    }


def collection(*features: dict[str, Any], **members: Any) -> dict[str, Any]:
    """A FeatureCollection of `features`, plus foreign members (e.g. ``deconflict``)."""
    return {"type": "FeatureCollection", "features": list(features), **members}


def write(path: Path, document: Any) -> Path:
    """Write `document` as JSON (or a str as-is) and return the path."""
    text = document if isinstance(document, str) else json.dumps(document)
    path.write_text(text, encoding="utf-8")
    return path


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str


def run_cli(*args: Any, columns: int | None = 200, timeout: float = 120.0) -> Run:
    """Run ``python -m deconflict.cli ARGS`` in a fresh process and capture its output.

    `columns` fixes the width rich lays tables out in (None: rich's default for a pipe).
    """
    return run_command([sys.executable, "-m", "deconflict.cli", *map(str, args)], columns, timeout)


def run_command(command: list[str], columns: int | None = 200, timeout: float = 120.0) -> Run:
    """Run `command` with output captured, in a predictable environment."""
    completed = subprocess.run(
        command,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
        env=_environment(columns),
        check=False,
    )
    return Run(completed.returncode, completed.stdout, completed.stderr)


def _environment(columns: int | None) -> dict[str, str]:
    """The current environment without colour forcing, with `columns` set or unset."""
    env = dict(os.environ)
    for name in ("FORCE_COLOR", "COLUMNS", "LINES", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        env.pop(name, None)
    if columns is not None:
        env["COLUMNS"] = str(columns)
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def line(
    ident: str,
    party: str,
    path: list[list[float]],
    *,
    buffer: Any = "500 m",
    lower: Any = 0,
    upper: Any = "3000 ft",
    start: str = START,
    end: str = END,
    **extra: Any,
) -> dict[str, Any]:
    """A deconfliction line: a LineString with a buffer each side."""
    return {
        "type": "Feature",
        "id": ident,
        "geometry": {"type": "LineString", "coordinates": path},
        "properties": {
            "party": party,
            "kind": "line",
            "buffer": buffer,
            "altitude_lower": lower,
            "altitude_upper": upper,
            "start": start,
            "end": end,
            **extra,
        },
    }


def destination(lon: float, lat: float, azimuth: float, metres: float) -> tuple[float, float]:
    """The point `metres` from (lon, lat) along `azimuth` degrees, on WGS84."""
    from pyproj import Geod

    to_lon, to_lat, _ = Geod(ellps="WGS84").fwd(lon, lat, azimuth, metres)
    return float(to_lon), float(to_lat)


def distance(lon_a: float, lat_a: float, lon_b: float, lat_b: float) -> float:
    """Geodesic distance in metres on WGS84."""
    from pyproj import Geod

    _, _, metres = Geod(ellps="WGS84").inv(lon_a, lat_a, lon_b, lat_b)
    return float(metres)


def geodesic_tolerance(metres: float) -> float:
    """What DESIGN.md allows: 0.1 % or 1 m, whichever is larger."""
    return max(1.0, 0.001 * abs(metres))
