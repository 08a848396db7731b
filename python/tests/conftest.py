"""Fixtures: a local directory as the object store, the shardy CLI beside the build."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """The root of a local-directory object store (one per test)."""
    root = tmp_path / "store"
    root.mkdir()
    return root


@pytest.fixture
def local_root(tmp_path: Path) -> str:
    return str(tmp_path / "local")


def files_under(path: Path) -> list[str]:
    if not path.exists():
        return []
    return sorted(str(p.relative_to(path)) for p in path.rglob("*") if p.is_file())


def shardy(*args: str) -> dict:
    """Runs the shardy CLI (SHARDY_CLI, set by ctest) and parses its one JSON line."""
    cli = os.environ.get("SHARDY_CLI")
    if not cli:
        pytest.fail("SHARDY_CLI must name the shardy binary (ctest sets it; by hand: "
                    "SHARDY_CLI=build/release/shardy)")
    out = subprocess.run([cli, *args], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])
