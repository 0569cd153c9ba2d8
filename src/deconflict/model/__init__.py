"""The domain: parties, their agreements, operations and zones, and the rules on them.

Plain dataclasses and enums, no storage and no HTTP: `store/` persists them,
`application/` runs the use cases, `api/` speaks HTTP. Geometry comes from `geo/`.
"""
