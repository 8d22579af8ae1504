"""`make lint` keeps the architecture's boundaries with import-linter (the contracts in pyproject.toml): each
planted violation below, in a copy of the tree, makes lint-imports fail, and the real tree passes."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("chassis", "eventbus", "gateway", "services", "mobility")
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINT), "--no-cache"], cwd=tree, capture_output=True, text=True, timeout=300,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tree)})


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("tree")
    shutil.copy(ROOT / "pyproject.toml", copy)
    for package in PACKAGES:
        shutil.copytree(ROOT / package, copy / package, ignore=shutil.ignore_patterns(
            "__pycache__", "*.po", "*.mo", "*.pot", "static", "templates", "schemas"))
    return copy


def test_the_tree_keeps_every_contract(tree: Path) -> None:
    result = _lint(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" in result.stdout and "0 broken" in result.stdout


@pytest.mark.parametrize(("module", "planted", "contract"), [
    ("services/applications/planted.py", "import services.reviews.domain", "Services are independent"),
    ("eventbus/planted.py", "import chassis.settings", "eventbus imports no project package"),
    ("chassis/planted.py", "import gateway.identity", "chassis imports no service and not the gateway"),
    ("gateway/planted.py", "import services.applications.domain", "The gateway reaches services over HTTP only"),
])
def test_a_planted_violation_fails_the_lint(tree: Path, module: str, planted: str, contract: str) -> None:
    path = tree / module
    path.write_text(f'"""Planted by a test."""\n\n{planted}\n')
    try:
        result = _lint(tree)
    finally:
        path.unlink()
    assert result.returncode != 0
    assert f"{contract}" in result.stdout and "BROKEN" in result.stdout, result.stdout
