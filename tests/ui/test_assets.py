"""The front-end files the tasklist serves are the installed npm packages' own, and served by us."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.tasklist.assets import STATIC, VENDORED
from tests.api.conftest import Api

NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules"


def test_vendored_files_equal_the_installed_packages() -> None:
    if not NODE_MODULES.is_dir():
        if os.environ.get("CI"):
            pytest.fail("node_modules is missing: run `make node_modules/.installed`")
        pytest.skip("node_modules is missing")
    for target, source in VENDORED.items():
        assert (STATIC / target).read_bytes() == (NODE_MODULES / source).read_bytes(), (
            f"{target} differs from {source}: run `make assets`"
        )


def test_pages_load_only_our_own_assets(ui: Api) -> None:
    html = ui.client.get("/tasklist/inloggen").text
    assert "http://" not in html and "https://" not in html and "//cdn" not in html
    for name in VENDORED:
        response = ui.client.get(f"/tasklist/static/vendor/{name}")
        assert response.status_code == 200 and len(response.data) > 1000
