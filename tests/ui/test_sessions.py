"""Tasklist sessions: one key for every process, logout on the server, throttling, Secure cookies."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from app import create_app
from app.tasklist.sessions import session_key, stored_key
from engine.clock import ManualClock
from tests.api.conftest import Api
from tests.ui.conftest import PASSWORD, add_users, csrf_of, login


def test_the_session_key_is_derived_from_the_secret_key_and_the_same_everywhere(tmp_path: Path) -> None:
    one = session_key({"SECRET_KEY": "geheim", "VAR_DIR": str(tmp_path / "a")})
    assert one == session_key({"SECRET_KEY": "geheim", "VAR_DIR": str(tmp_path / "b")})
    assert one != session_key({"SECRET_KEY": "anders"})
    assert one != b"geheim" and len(one) == 32
    assert not (tmp_path / "a").exists()  # nothing written when a secret key is set


def test_without_a_secret_key_one_key_is_made_once_and_kept(tmp_path: Path) -> None:
    config = {"SECRET_KEY": None, "VAR_DIR": str(tmp_path / "var")}
    first = session_key(config)
    assert session_key(config) == first
    key_file = tmp_path / "var" / "tasklist-session.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert stored_key(key_file) == first
    assert [p.name for p in (tmp_path / "var").iterdir()] == ["tasklist-session.key"]


def test_a_cookie_made_by_one_process_is_valid_in_another(ui: Api, tmp_path: Path) -> None:
    other = create_app(
        {"DB_ENGINE": ui.db, "CLOCK": ui.clock, "TESTING": True, "DATABASE_URL": str(ui.db.url)}
    )
    assert other.secret_key == ui.app.secret_key
    assert login(ui, "km.utrecht").status_code == 303
    cookie = ui.client.get_cookie("session")
    assert cookie is not None
    client = other.test_client()
    client.set_cookie("session", cookie.value)
    page = client.get("/tasklist")
    assert page.status_code == 200 and "km.utrecht" in page.text


def test_logout_ends_the_session_on_the_server(ui: Api) -> None:
    login(ui, "km.utrecht")
    cookie = ui.client.get_cookie("session")
    assert cookie is not None
    page = ui.client.get("/tasklist")
    assert ui.client.post("/tasklist/uitloggen", data={"csrf_token": csrf_of(page.text)}).status_code == 303
    thief = ui.app.test_client()
    thief.set_cookie("session", cookie.value)  # the cookie from before the logout
    assert thief.get("/tasklist").status_code == 302
    assert login(ui, "km.utrecht").status_code == 303  # logging in again works
    assert ui.client.get("/tasklist").status_code == 200


def test_the_sixth_wrong_password_in_a_minute_waits(ui: Api, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="app.tasklist.login")
    for attempt in range(1, 6):
        response = login(ui, "km.utrecht", f"fout-{attempt}")
        assert response.status_code == 401
        ui.clock.advance(timedelta(seconds=5))
    assert "U kunt het over 15 seconden opnieuw proberen." in response.text
    response = login(ui, "km.utrecht", PASSWORD)  # the sixth attempt, 5 s later: even right, it waits
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "10"
    assert "Te veel mislukte pogingen. Wacht 10 seconden" in response.text
    ui.clock.advance(timedelta(seconds=10))
    assert login(ui, "km.utrecht", "nog-fout").status_code == 401  # the wait doubles now
    assert login(ui, "km.utrecht", PASSWORD).headers["Retry-After"] == "30"
    ui.clock.advance(timedelta(seconds=30))
    assert login(ui, "km.utrecht", PASSWORD).status_code == 303
    text = caplog.text
    assert "tasklist login failed for km.utrecht" in text
    assert "fout-1" not in text and PASSWORD not in text


def test_throttling_is_per_user_and_failures_log_no_typed_secret(
    ui: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="app.tasklist.login")
    for _ in range(5):
        login(ui, "V1234567890", "geheim-typed")  # a V-nummer typed as the user name
    assert login(ui, "V1234567890", "x").status_code == 429
    assert login(ui, "km.amsterdam").status_code == 303  # another user from the same address logs in
    assert "V1234567890" not in caplog.text and "geheim-typed" not in caplog.text
    assert "an unknown user name" in caplog.text


def test_the_cookie_is_secure_behind_https(sqlite_db: Engine, clock: ManualClock) -> None:
    from tests.api.conftest import make_api  # noqa: I001

    api = make_api(sqlite_db, clock)
    add_users(api)
    page = api.client.get("/tasklist/inloggen", base_url="https://tasklist.example")
    assert "Secure" in page.headers["Set-Cookie"]
    plain = api.app.test_client().get("/tasklist/inloggen")
    assert "Secure" not in plain.headers["Set-Cookie"]
    app = create_app(
        {
            "DB_ENGINE": sqlite_db,
            "CLOCK": clock,
            "TESTING": True,
            "DATABASE_URL": str(sqlite_db.url),
            "TRUSTED_PROXIES": 1,
        }
    )
    proxied = app.test_client().get("/tasklist/inloggen", headers={"X-Forwarded-Proto": "https"})
    assert "Secure" in proxied.headers["Set-Cookie"]


def test_pages_under_tasklist_answer_404_and_405_in_dutch_html(ui: Api) -> None:
    missing = ui.client.get("/tasklist/bestaat-niet")
    assert missing.status_code == 404 and missing.mimetype == "text/html"
    assert "Niet gevonden" in missing.text and 'lang="nl"' in missing.text
    wrong = ui.client.put("/tasklist/inloggen")
    assert wrong.status_code == 405 and wrong.mimetype == "text/html"
    assert "Niet toegestaan" in wrong.text and "GET" in wrong.headers["Allow"]
    api = ui.client.get("/api/v1/bestaat-niet")
    assert api.status_code == 404 and api.mimetype == "application/problem+json"


def test_a_session_survives_a_key_rotation(ui: Api) -> None:
    login(ui, "km.utrecht")
    cookie = ui.client.get_cookie("session")
    assert cookie is not None
    rotated = create_app(
        {
            "DB_ENGINE": ui.db,
            "CLOCK": ui.clock,
            "TESTING": True,
            "DATABASE_URL": str(ui.db.url),
            "SECRET_KEY": "de-nieuwe-sleutel",
            "SECRET_KEY_PREVIOUS": (),
        }
    )
    client = rotated.test_client()
    client.set_cookie("session", cookie.value)
    assert client.get("/tasklist").status_code == 302  # not valid under an unrelated key
    old_secret = "oude-sleutel"
    old = create_app({"DB_ENGINE": ui.db, "CLOCK": ui.clock, "TESTING": True, "SECRET_KEY": old_secret})
    old_client = old.test_client()
    page = old_client.get("/tasklist/inloggen")
    old_client.post(
        "/tasklist/inloggen",
        data={"gebruikersnaam": "km.utrecht", "wachtwoord": PASSWORD, "csrf_token": csrf_of(page.text)},
    )
    old_cookie = old_client.get_cookie("session")
    assert old_cookie is not None
    new = create_app(
        {
            "DB_ENGINE": ui.db,
            "CLOCK": ui.clock,
            "TESTING": True,
            "SECRET_KEY": "de-nieuwe-sleutel",
            "SECRET_KEY_PREVIOUS": (old_secret,),
        }
    )
    client = new.test_client()
    client.set_cookie("session", old_cookie.value)
    assert client.get("/tasklist").status_code == 200
