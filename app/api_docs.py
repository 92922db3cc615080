"""The API's documentation page, offline: Swagger UI served by us, operation ids and examples.

``/api/v1/docs`` is APIFlask's Swagger UI page with every asset it loads taken from our own
``/static/vendor/swagger-ui/`` (copies of the npm package ``swagger-ui-dist``; ``make assets``
copies them, a test checks they equal the installed package): it renders on a municipal network
without internet.

Every operation gets an ``operationId`` (its view's name in camelCase: ``listTasks``) and an
example for each JSON body it takes or answers, written from the schemas' own ``example``
metadata and, where a field has none, from its type and format.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from flask import Flask

STATIC = Path(__file__).with_name("static") / "vendor" / "swagger-ui"
ASSET_URL = "/static/vendor/swagger-ui"
#: file in static/vendor/swagger-ui -> file in node_modules/swagger-ui-dist
VENDORED = {
    "swagger-ui.css": "swagger-ui.css",
    "swagger-ui-bundle.js": "swagger-ui-bundle.js",
    "swagger-ui-standalone-preset.js": "swagger-ui-standalone-preset.js",
    "favicon-32x32.png": "favicon-32x32.png",
    "LICENSE": "LICENSE",
    "NOTICE": "NOTICE",
}
_EXAMPLE_ID = "3f2b8c1e-6d4a-4b7e-9c2f-1a5e8d7b6c40"
#: Examples for string fields without one of their own, by field name.
_BY_NAME = {
    "elementId": "scenario_kiezen",
    "processKey": "doorlopende_lijn",
    "key": "doorlopende_lijn",
    "name": "Scenario kiezen",
    "lane": "Gemeente",
    "gemeente": "GM0344",
    "assignee": "km utrecht",
    "status": "active",
    "actor": "klantmanager:km utrecht@GM0344",
}
_FORMATS = {
    "date-time": "2027-01-04T09:00:00Z",
    "date": "2027-01-04",
    "uri": "https://gemeente.example/webhooks",
    "url": "https://gemeente.example/webhooks",
    "email": "klantmanager@gemeente.example",
}


def copy_assets(node_modules: Path) -> list[Path]:
    """Copy the Swagger UI files from ``node_modules``; returns the files written."""
    STATIC.mkdir(parents=True, exist_ok=True)
    written = []
    for target, source in VENDORED.items():
        shutil.copyfile(node_modules / "swagger-ui-dist" / source, STATIC / target)
        written.append(STATIC / target)
    return written


def configure(app: Flask) -> None:
    """Point the docs page at our own copies of Swagger UI's files."""
    app.config.update(
        SWAGGER_UI_CSS=f"{ASSET_URL}/swagger-ui.css",
        SWAGGER_UI_BUNDLE_JS=f"{ASSET_URL}/swagger-ui-bundle.js",
        SWAGGER_UI_STANDALONE_PRESET_JS=f"{ASSET_URL}/swagger-ui-standalone-preset.js",
        DOCS_FAVICON=f"{ASSET_URL}/favicon-32x32.png",
        SWAGGER_UI_CONFIG={"tryItOutEnabled": False, "displayOperationId": True},
    )


# -- operation ids --------------------------------------------------------------------------------
def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _operation_ids(app: Flask) -> dict[tuple[str, str], str]:
    """(OpenAPI path, method) -> the view's name in camelCase."""
    out: dict[tuple[str, str], str] = {}
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in rule.methods or ():
            out[(path, method.lower())] = _camel(rule.endpoint.rsplit(".", 1)[-1])
    return out


# -- examples -------------------------------------------------------------------------------------
def _resolve(schema: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
        resolved = spec.get("components", {}).get("schemas", {}).get(ref.rsplit("/", 1)[-1], {})
        return resolved if isinstance(resolved, dict) else {}
    return schema


def example_of(schema: dict[str, Any], spec: dict[str, Any], depth: int = 0, name: str = "") -> Any:
    """An example value for ``schema``: its own ``example``, else one built from its type."""
    schema = _resolve(schema, spec)
    if "example" in schema:
        return schema["example"]
    if depth > 8:
        return None
    for combined in ("allOf", "oneOf", "anyOf"):
        if schema.get(combined):
            return example_of(schema[combined][0], spec, depth + 1)
    if schema.get("enum"):
        return schema["enum"][0]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind == "object" or "properties" in schema:
        props = schema.get("properties") or {}
        if props:
            return {key: example_of(prop, spec, depth + 1, key) for key, prop in props.items()}
        extra = schema.get("additionalProperties")
        return {"key": example_of(extra, spec, depth + 1)} if isinstance(extra, dict) and extra else {}
    if kind == "array":
        return [example_of(schema.get("items") or {}, spec, depth + 1)]
    if kind == "integer":
        return max(1, int(schema.get("minimum", 1)))
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return True
    if kind == "string":
        fmt = schema.get("format")
        if fmt in _FORMATS:
            return _FORMATS[fmt]
        if name in _BY_NAME:
            return _BY_NAME[name]
        if fmt == "uuid" or name == "id" or name.endswith("Id"):
            return _EXAMPLE_ID
        return "string"
    return None


def _with_example(content: dict[str, Any], spec: dict[str, Any]) -> None:
    for media in content.values():
        if (
            isinstance(media, dict)
            and "schema" in media
            and "example" not in media
            and "examples" not in media
        ):
            media["example"] = example_of(media["schema"], spec)


def complete_spec(spec: dict[str, Any], app: Flask) -> dict[str, Any]:
    """Give every operation an ``operationId`` and every JSON body and path parameter an example."""
    ids = _operation_ids(app)
    for path, item in spec.get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            operation.setdefault("operationId", ids.get((path, method), _camel(f"{method}_{path}")))
            body = operation.get("requestBody", {}).get("content")
            if isinstance(body, dict):
                _with_example(body, spec)
            for status, response in operation["responses"].items():
                if str(status).startswith("2") and isinstance(response.get("content"), dict):
                    _with_example(response["content"], spec)
            for parameter in [*item.get("parameters", []), *operation.get("parameters", [])]:
                if isinstance(parameter, dict) and parameter.get("in") == "path":
                    parameter.setdefault(
                        "example", _EXAMPLE_ID if parameter["name"] != "key" else "doorlopende_lijn"
                    )
    return spec


if __name__ == "__main__":  # pragma: no cover - ``make assets``
    import sys

    for written in copy_assets(Path(sys.argv[1] if len(sys.argv) > 1 else "node_modules")):
        print(written)
