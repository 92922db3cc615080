"""Fixtures and helpers of the tasklist tests: users of every role and logging in."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import Engine
from werkzeug.security import generate_password_hash

from app.cli import bundled_documents, deploy_documents
from engine.clock import ManualClock
from storage.orgs import add_user
from tests.api.conftest import Api, make_api
from tests.conftest import T0

PASSWORD = "geheim-wachtwoord"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
USERS = {
    "km.utrecht": ("GM0344", "klantmanager"),
    "km.amsterdam": ("GM0363", "klantmanager"),
    "cm.coa": ("COA", "casemanager"),
    "po.coa": ("COA", "procesontwerper"),
    "bh.coa": ("COA", "beheerder"),
}


def add_users(api: Api) -> None:
    password_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    with api.db.begin() as conn:
        for username, (org, role) in USERS.items():
            add_user(conn, username, org, role, password_hash, T0)


@pytest.fixture
def ui(sqlite_db: Engine, clock: ManualClock) -> Api:
    api = make_api(sqlite_db, clock)
    add_users(api)
    return api


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def login(api: Api, username: str, password: str = PASSWORD) -> Any:
    page = api.client.get("/tasklist/inloggen")
    return api.client.post(
        "/tasklist/inloggen",
        data={"gebruikersnaam": username, "wachtwoord": password, "csrf_token": csrf_of(page.text)},
    )


@pytest.fixture
def lijn(sqlite_db: Engine, clock: ManualClock) -> Api:
    api = make_api(sqlite_db, clock)
    add_users(api)
    assert deploy_documents(api.app.extensions["inburgering"].workflow, bundled_documents(), "test") == []
    return api


def start(
    api: Api, v_nummer: str, naam: str, gemeente: str = "GM0344", koppeldatum: str = "2027-01-04"
) -> Any:
    response = api.post(
        "/process-instances",
        "sys",
        json={
            "processKey": "doorlopende_lijn",
            "businessKey": v_nummer,
            "gemeente": gemeente,
            "variables": {"azc": "AZC-ZWL", "koppeldatum": koppeldatum, "naam": naam},
        },
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()
