"""`deconflict token --dss` mints RS256 tokens that a served /dss/v1 accepts: the USS's
`sub`, the DSS scopes, the audience; signed with the local DSS development key (trusted
only while no authority is configured) or with `--key`."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from dss_helpers import Dss, intent, new_id, volume4d
from live_server import running_server, settings_for

OIR = "/dss/v1/operational_intent_references"
CR = "/dss/v1/constraint_references"


def _deconflict(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DECONFLICT_")}
    env["DECONFLICT_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [sys.executable, "-m", "deconflict.cli", "token", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _minted(*args: str, data_dir: Path) -> dict[str, str]:
    done = _deconflict(*args, data_dir=data_dir)
    assert done.returncode == 0, done.stderr
    return {"Authorization": f"Bearer {done.stdout.strip()}"}


@pytest.fixture
def bare_hub(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A served hub on SQLite with no DSS authority configured, and its data_dir."""
    data_dir = tmp_path / "data"
    settings = settings_for(f"sqlite:///{tmp_path / 'hub.db'}", str(data_dir))
    with running_server(settings, "sqlite") as running:
        yield running.url, data_dir


def test_the_development_key_signs_tokens_the_dss_accepts(bare_hub: tuple[str, Path]) -> None:
    url, data_dir = bare_hub
    planner = _minted("--dss", "--subject", "uss-cli", data_dir=data_dir)
    with httpx.Client(base_url=url, timeout=60) as client:
        made = client.put(f"{OIR}/{new_id()}", json=intent(), headers=planner)
        assert made.status_code == 201, made.text
        assert made.json()["operational_intent_reference"]["manager"] == "uss-cli"
        # The scopes are the token's: constraint management only may not plan intents.
        city = _minted(
            "--dss", "--subject", "city", "--scope", "utm.constraint_management", data_dir=data_dir
        )
        assert client.put(f"{OIR}/{new_id()}", json=intent(), headers=city).status_code == 403
        constraint = {"extents": [volume4d()], "uss_base_url": "https://city.test"}
        assert client.put(f"{CR}/{new_id()}", json=constraint, headers=city).status_code == 201
        # Another audience is not this hub's.
        elsewhere = _minted("--dss", "--audience", "dss.example.com", data_dir=data_dir)
        refused = client.put(f"{OIR}/{new_id()}", json=intent(), headers=elsewhere)
        assert refused.status_code == 401 and "message" in refused.json()
        # A native token is not a DSS token.
        native = _minted("--party", "blue", data_dir=data_dir)
        assert client.put(f"{OIR}/{new_id()}", json=intent(), headers=native).status_code == 401


def test_a_configured_authority_key_signs_and_the_dev_key_no_longer_does(
    dss: Dss, tmp_path: Path
) -> None:
    """`--key` signs with the authority's own key; a hub configured with that authority
    (the `dss` fixture) refuses the development key's tokens."""
    pem = tmp_path / "authority-private.pem"
    pem.write_bytes(
        dss.authority.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    data_dir = tmp_path / "data"
    signed = _minted(
        "--dss", "--subject", "uss7", "--key", str(pem), "--kid", "k1", data_dir=data_dir
    )
    dev = _minted("--dss", "--subject", "uss7", data_dir=data_dir)
    with httpx.Client(base_url=dss.url, timeout=60) as client:
        made = client.put(f"{OIR}/{new_id()}", json=intent(), headers=signed)
        assert made.status_code == 201, made.text
        assert client.put(f"{OIR}/{new_id()}", json=intent(), headers=dev).status_code == 401


@pytest.mark.parametrize(
    "args",
    [
        ("--dss", "--scope", "deconflict.read"),
        ("--scope", "utm.strategic_coordination"),
        ("--dss", "--party", "blue"),
        ("--dss", "--key", "no-such-key.pem"),
        ("--audience", "x"),
        ("--dss", "--hours", "nan"),
    ],
)
def test_bad_options_are_one_line(args: tuple[str, ...], tmp_path: Path) -> None:
    done = _deconflict(*args, data_dir=tmp_path)
    assert done.returncode == 2, done.stdout
    assert done.stdout == "" and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "Traceback" not in done.stderr
