"""One client process of the race test: pairs of threads (one per party) race for slots.

Run as ``python race_client.py SPEC.json``. The spec names the server, a token per party,
this process's number, how many thread pairs it runs and how many slots each pair walks.
The two threads of a pair submit their party's operation for the same slot at the same
moment (a barrier lines them up), so that every slot is a race between two parties;
slots are drawn at random from a small shared grid, so pairs of different processes
race for the same airspace too. Every submission carries an Idempotency-Key and is
retried with it after a transport error, so that each is answered exactly once.

Prints one JSON object: answers by status, the accepted ids, unexpected answers.
"""

from __future__ import annotations

import json
import random
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import httpx

PARTIES = ("red", "blue")
RETRIES = 8


def iso(instant: float) -> str:
    return datetime.fromtimestamp(instant, UTC).isoformat().replace("+00:00", "Z")


def slot_feature(spec: dict[str, Any], slot: int, party: str, ident: str, rng: random.Random):
    """A circle for `slot` (grid cell, hour, level), jittered so neighbours may meet."""
    grid, hours, levels = spec["grid"], spec["hours"], spec["levels"]
    cell, rest = slot % (grid * grid), slot // (grid * grid)
    hour, level = rest % hours, rest // hours % levels
    lon0, lat0 = spec["origin"]
    step = spec["step_deg"]
    lon = lon0 + (cell % grid) * step + rng.uniform(-1, 1) * spec["jitter_deg"]
    lat = lat0 + (cell // grid) * step + rng.uniform(-1, 1) * spec["jitter_deg"]
    start = spec["base_time"] + hour * 3600 + rng.randrange(0, 600)
    lower = level * 1000 + rng.randrange(0, 100)
    return {
        "type": "Feature",
        "id": ident,
        "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
        "properties": {
            "party": party,
            "kind": "operation",
            "radius": spec["radius_m"],
            "altitude_lower": lower,
            "altitude_upper": lower + 500,
            "start": iso(start),
            "end": iso(start + rng.randrange(50 * 60, 65 * 60)),
            "callsign": f"{party.upper()} {slot}",
        },
    }


def submit(client: httpx.Client, body: dict[str, Any], key: str) -> tuple[int, dict[str, Any]]:
    for attempt in range(RETRIES):
        try:
            answer = client.post("/v1/operations", json=body, headers={"Idempotency-Key": key})
        except httpx.TransportError:
            time.sleep(0.05 * (attempt + 1))
            continue
        try:
            return answer.status_code, answer.json()
        except ValueError:
            return answer.status_code, {"text": answer.text[:300]}
    return -1, {"detail": "transport errors on every attempt"}


def main() -> None:
    with open(sys.argv[1]) as handle:
        spec = json.load(handle)
    number = spec["process"]
    slots_total = spec["grid"] ** 2 * spec["hours"] * spec["levels"]
    statuses: Counter[str] = Counter()
    accepted: list[str] = []
    unexpected: list[Any] = []
    lock = threading.Lock()

    def walk_slots(pair: int, party: str, barrier: threading.Barrier) -> None:
        order = random.Random(f"{spec['seed']}-{number}-{pair}")
        cells = spec["grid"] ** 2
        hot = cells * spec["hot_hours"]  # the first hours' slots: every pair meets there
        slots = [
            order.randrange(hot)
            if order.random() < spec["hot_share"]
            else order.randrange(slots_total)
            for _ in range(spec["slots_per_pair"])
        ]
        rng = random.Random(f"{spec['seed']}-{number}-{pair}-{party}")
        headers = {"Authorization": f"Bearer {spec['tokens'][party]}"}
        with httpx.Client(base_url=spec["url"], headers=headers, timeout=120.0) as client:
            for i, slot in enumerate(slots):
                ident = f"race-{number}-{pair}-{i}-{party}"
                body = {
                    "type": "FeatureCollection",
                    "features": [slot_feature(spec, slot, party, ident, rng)],
                }
                barrier.wait(timeout=600)
                status, answer = submit(client, body, f"key-{ident}")
                with lock:
                    replayed = status == 200 and answer.get("replayed") is True
                    statuses["replayed" if replayed else str(status)] += 1
                    if status in (200, 201):
                        accepted.append(answer["id"])
                    elif status == 409 and answer.get("conflicts"):
                        pass
                    elif len(unexpected) < 20:
                        unexpected.append({"id": ident, "status": status, "body": answer})

    def walk(pair: int, party: str, barrier: threading.Barrier) -> None:
        try:
            walk_slots(pair, party, barrier)
        except Exception as error:  # counted as unexpected; never leave the partner waiting
            barrier.abort()
            with lock:
                unexpected.append({"thread": f"{pair}-{party}", "error": repr(error)})

    started = time.monotonic()
    threads = []
    for pair in range(spec["pairs"]):
        barrier = threading.Barrier(2)
        for party in PARTIES:
            threads.append(threading.Thread(target=walk, args=(pair, party, barrier)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    json.dump(
        {
            "process": number,
            "submitted": sum(statuses.values()),
            "statuses": dict(statuses),
            "accepted": accepted,
            "unexpected": unexpected,
            "seconds": time.monotonic() - started,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
