"""One client process of the DSS race (run by test_dss_race.py): pairs of threads, one
per USS, each with its own token, create intersecting intents for the same slot at the
same moment with stale (empty) keys. Prints every answer's status per slot as JSON."""

from __future__ import annotations

import json
import sys
import threading
import uuid
from datetime import UTC, datetime

import httpx


def _time(posix: float) -> dict[str, str]:
    return {
        "value": datetime.fromtimestamp(posix, UTC).isoformat().replace("+00:00", "Z"),
        "format": "RFC3339",
    }


def _body(lng: float, lat: float, start: float) -> dict:
    h = 0.004
    return {
        "extents": [
            {
                "volume": {
                    "outline_polygon": {
                        "vertices": [
                            {"lng": lng - h, "lat": lat - h},
                            {"lng": lng + h, "lat": lat - h},
                            {"lng": lng + h, "lat": lat + h},
                            {"lng": lng - h, "lat": lat + h},
                        ]
                    },
                    "altitude_lower": {"value": 0, "reference": "W84", "units": "M"},
                    "altitude_upper": {"value": 120, "reference": "W84", "units": "M"},
                },
                "time_start": _time(start),
                "time_end": _time(start + 1800),
            }
        ],
        "key": [],
        "state": "Accepted",
        "uss_base_url": "https://race.test",
    }


def main() -> None:
    with open(sys.argv[1]) as handle:
        spec = json.load(handle)
    results: dict[str, list[int]] = {}
    lock = threading.Lock()

    def walk(uss: str, token: str, barrier: threading.Barrier) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=spec["url"], headers=headers, timeout=120) as client:
            for slot in range(spec["slots"]):
                number = spec["process"] * spec["slots"] + slot
                lng = spec["origin"][0] + 0.02 * (number % 40)
                lat = spec["origin"][1] + 0.02 * (number // 40)
                start = spec["base_time"] + 600 * (number % 3)
                barrier.wait()
                answer = client.put(
                    f"/dss/v1/operational_intent_references/{uuid.uuid4()}",
                    json=_body(lng, lat, start),
                )
                with lock:
                    results.setdefault(str(number), []).append(answer.status_code)

    barrier = threading.Barrier(len(spec["tokens"]))
    threads = [
        threading.Thread(target=walk, args=(uss, token, barrier))
        for uss, token in spec["tokens"].items()
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
