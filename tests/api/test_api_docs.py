"""The API docs work without internet: our own Swagger UI files, an operationId and example everywhere."""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from app.api_docs import ASSET_URL, STATIC, VENDORED
from tests.api.conftest import Api
from tests.timing import patience
from tests.ui.conftest import CHROMIUM, CHROMIUM_ARGS

NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules"


def _operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "responses" in operation:
                yield path, method, operation


def test_every_operation_has_an_operation_id_and_examples(api: Api) -> None:
    spec = api.get("/openapi.json").get_json()
    ids = [op.get("operationId") for _, _, op in _operations(spec)]
    assert all(ids) and len(ids) == len(set(ids)), ids
    assert {"listTasks", "getTask", "completeTask", "exportRecords", "addTaskComment"} <= set(ids)
    for path, method, op in _operations(spec):
        bodies = [
            media
            for status, response in op["responses"].items()
            if status.startswith("2")
            for media in response.get("content", {}).values()
        ]
        bodies += list(op.get("requestBody", {}).get("content", {}).values())
        for media in bodies:
            assert "example" in media or "examples" in media, (method, path)
        params = [p for p in [*spec["paths"][path].get("parameters", []), *op.get("parameters", [])]]
        has_example = bodies or any("example" in p for p in params)
        assert has_example, (method, path)
    task = spec["paths"]["/api/v1/tasks/{task_id}"]["get"]["responses"]["200"]["content"]["application/json"]
    assert task["example"]["case"]["gemeenteNaam"] == "Utrecht"
    assert task["example"]["dueAt"] == "2027-01-04T09:00:00Z"


def test_the_docs_page_loads_only_our_own_files(api: Api) -> None:
    html = api.get("/docs").get_data(as_text=True)
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls and all(u.startswith(ASSET_URL) for u in urls), urls
    assert "cdn" not in html.lower()
    for name in ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js"):
        response = api.client.get(f"{ASSET_URL}/{name}")
        assert response.status_code == 200 and response.data == (STATIC / name).read_bytes()


def test_vendored_files_equal_the_installed_package() -> None:
    if not NODE_MODULES.is_dir():
        if os.environ.get("CI"):
            pytest.fail("node_modules is missing: run `make node_modules/.installed`")
        pytest.skip("node_modules is missing")
    for target, source in VENDORED.items():
        installed = NODE_MODULES / "swagger-ui-dist" / source
        assert (STATIC / target).read_bytes() == installed.read_bytes(), f"{target}: run `make assets`"


@pytest.fixture
def live(api: Api) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, api.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(patience(10))


def test_swagger_ui_renders_in_chromium_with_no_internet(live: str) -> None:
    if not (Path(CHROMIUM).exists() and shutil.which(CHROMIUM)):
        reason = f"{CHROMIUM} is missing: install Debian's chromium (`make chromium`)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    outside: list[str] = []

    def only_local(route: Any) -> None:
        if route.request.url.startswith(live):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=patience(30) * 1000)
        try:
            page = browser.new_page()
            page.set_default_timeout(patience(20) * 1000)
            page.route("**/*", only_local)
            page.goto(f"{live}/api/v1/docs")
            page.wait_for_selector(".opblock-tag-section")
            assert page.locator(".opblock").count() >= 30
            assert page.get_by_text("listTasks").count() >= 1  # operation ids are shown
        finally:
            browser.close()
    assert outside == []
