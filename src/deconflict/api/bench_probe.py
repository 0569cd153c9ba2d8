"""A bare write endpoint for benchmarks: token check plus one insert, nothing else.

Served only when `bench_endpoints` is set; it shows the ceiling the HTTP stack and the
database allow, against which the real submit path is measured.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from deconflict.api.deps import CallerDep, HubDep
from deconflict.store import idempotency

router = APIRouter(prefix="/v1/_bench", tags=["benchmark"], include_in_schema=False)


@router.post("/insert", status_code=201)
def insert(hub: HubDep, caller: CallerDep) -> dict[str, str]:
    key = uuid.uuid4().hex
    with hub.database.write() as connection:
        idempotency.remember(
            connection, caller.party or "-", f"bench-{key}", "", 201, {}, hub.clock()
        )
    return {"key": key}
