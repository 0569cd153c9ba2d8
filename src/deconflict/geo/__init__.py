"""Geometry of airspace: units, volumes, routes, local geodesy and GeoJSON I/O.

The innermost layer: it knows nothing of parties' rules, storage or HTTP. Everything
inside is metres, seconds (POSIX, UTC) and WGS84 degrees; other units exist only at
the edges (`units`, `geojson`).
"""
