"""The tasklist in Debian's chromium against a real ``inburgering serve`` with two processes.

The server runs as a subprocess (gunicorn, 2 worker processes, no INBURGERING_SECRET_KEY so the
session key is the one made once under var/), on a database prepared here: the shipped diagrams,
and status holders started ten days ago (deadlines within a week) and today. axe-core, installed
from npm, checks every page kind against WCAG 2.1 AA at 1280 and 390 px.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from werkzeug.security import generate_password_hash

from app.cli import bundled_documents, deploy_documents
from engine.clock import ManualClock
from storage.db import make_engine
from storage.migrate import upgrade
from storage.orgs import add_organisation, add_user
from storage.service import WorkflowService
from tests.timing import free_port, patience
from tests.ui.conftest import CHROMIUM, CHROMIUM_ARGS, PASSWORD

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
USERS = {
    "km.utrecht": ("GM0344", "klantmanager"),
    "km.amsterdam": ("GM0363", "klantmanager"),
    "cm.coa": ("COA", "casemanager"),
}


def _prepare(url: str) -> dict[str, str]:
    """Organisations, users and two Utrecht status holders: one linked ten days ago, one today."""
    engine = make_engine(url)
    now = datetime.now(UTC)
    try:
        upgrade(engine)
        with engine.begin() as conn:
            for code, name, kind in (
                ("COA", "Centraal Orgaan opvang asielzoekers", "coa"),
                ("GM0344", "Gemeente Utrecht", "gemeente"),
                ("GM0363", "Gemeente Amsterdam", "gemeente"),
                ("SYSTEEM", "TVS-koppeling", "systeem"),
            ):
                add_organisation(conn, code, name, kind, now)
            password_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
            for username, (org, role) in USERS.items():
                add_user(conn, username, org, role, password_hash, now)
        ids = {}
        for v_nummer, naam, days in (("V4000001", "Amal Haddad", 10), ("V4000002", "Omar Nasser", 0)):
            workflow = WorkflowService(engine, ManualClock(now - timedelta(days=days)))
            if not ids:
                assert deploy_documents(workflow, bundled_documents(), "test") == []
            koppeldatum = (now - timedelta(days=days)).date().isoformat()
            record = workflow.start(
                "doorlopende_lijn",
                business_key=v_nummer,
                gemeente="GM0344",
                variables={"gemeente": "GM0344", "azc": "AZC-ZWL", "koppeldatum": koppeldatum, "naam": naam},
                actor="systeem:test@SYSTEEM",
            )
            ids[v_nummer] = record.id
        return ids
    finally:
        engine.dispose()


class Served:
    def __init__(self, base: str, ids: dict[str, str], var: Path, url: str) -> None:
        self.base, self.ids, self.var, self.url = base, ids, var, url


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    if not (Path(CHROMIUM).exists() and shutil.which(CHROMIUM)):
        reason = f"{CHROMIUM} is missing: install Debian's chromium (`make chromium`)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("served")
    url = f"sqlite:///{folder / 'tasklist.db'}"
    ids = _prepare(url)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("INBURGERING_")}
    env.update(DATABASE_URL=url, INBURGERING_VAR_DIR=str(folder / "var"), PYTHONPATH=str(ROOT))
    command = [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--no-worker"]
    command += ["--workers", "2", "--threads", "4"]
    proc = subprocess.Popen(
        command, cwd=ROOT, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    serving = threading.Event()
    lines: list[str] = []

    def drain() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if "Booting worker" in line and sum("Booting worker" in x for x in lines) >= 2:
                serving.set()
        serving.set()

    threading.Thread(target=drain, daemon=True).start()
    try:
        assert serving.wait(patience(60)) and proc.poll() is None, "".join(lines)
        base = f"http://127.0.0.1:{port}"
        with urllib.request.urlopen(base + "/api/v1/health", timeout=patience(60)) as response:  # noqa: S310
            assert response.status == 200
        yield Served(base, ids, folder / "var", url)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=patience(20))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def browser(served: Served) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=patience(30) * 1000
        )
        try:
            yield chromium
        finally:
            chromium.close()


def new_page(browser: Any, width: int = 1280, **options: Any) -> Any:
    context = browser.new_context(locale="nl-NL", viewport={"width": width, "height": 900}, **options)
    page = context.new_page()
    page.set_default_timeout(patience(15) * 1000)
    return page


def log_in(page: Any, base: str, username: str, password: str = PASSWORD) -> Any:
    page.goto(base + "/tasklist/inloggen")
    page.get_by_label("Gebruikersnaam").fill(username)
    page.get_by_label("Wachtwoord").fill(password)
    with page.expect_response(
        lambda r: r.url.endswith("/tasklist/inloggen") and r.request.method == "POST"
    ) as info:
        page.get_by_role("button", name="Inloggen").click()
    return info.value


def test_twenty_logins_in_a_row_none_lost(served: Served, browser: Any) -> None:
    from playwright.sync_api import expect

    page = new_page(browser)
    for _ in range(20):  # each a new session: no cookie kept from the one before
        page.context.clear_cookies()
        response = log_in(page, served.base, "km.utrecht")
        assert response.status == 303
        expect(page.get_by_role("heading", name="Werklijst")).to_be_visible()
        expect(page.get_by_text("km.utrecht")).to_be_visible()
    page.context.close()
    assert [p.name for p in served.var.iterdir()] == ["tasklist-session.key"]  # one key for both


def test_a_klantmanager_finds_fills_and_completes_a_task(served: Served, browser: Any) -> None:
    from playwright.sync_api import expect

    page = new_page(browser)
    log_in(page, served.base, "km.utrecht")
    page.get_by_role("link", name="Verloopt binnen 7 dagen").click()
    expect(page.get_by_text("Amal Haddad").first).to_be_visible()
    expect(page.get_by_text("Omar Nasser")).to_have_count(0)  # linked today: two weeks left

    card = page.locator(".taakkaart", has_text="Scenario kiezen")
    with page.expect_response(lambda r: "/tasklist/taken/" in r.url) as opened:
        card.get_by_role("link", name="Scenario kiezen").click()
    traces = [opened.value.headers["traceresponse"].split("-")[1]]
    expect(page.get_by_role("heading", name="Scenario kiezen", level=1)).to_be_visible()
    header = page.locator(".kopgegevens")
    for shown in ("Amal Haddad", "V4000001", "AZC-ZWL", "Gemeente Utrecht"):
        expect(header).to_contain_text(shown)
    expect(page.get_by_role("heading", name="Werkinstructie")).to_be_visible()
    expect(page.get_by_text("De gemeente laat binnen 2 weken na de melding weten")).to_be_visible()
    expect(page.locator(".termijnen")).to_contain_text("scenario 3 geldt")

    page.get_by_label("Toelichting op de keuze").fill("Snelle start past niet; intake in het azc.")
    page.get_by_role("button", name="Oppakken en afronden").click()
    expect(page.locator("#foutoverzicht")).to_be_focused()
    expect(page.locator("#foutoverzicht")).to_contain_text("Scenario: Dit veld is verplicht.")
    expect(page.get_by_label("Toelichting op de keuze")).to_have_value(
        "Snelle start past niet; intake in het azc."
    )

    page.get_by_label("Scenario 2: brede intake en PIP tijdens verblijf in het azc").check()
    page.get_by_role("button", name="Oppakken en afronden").click()
    expect(page.get_by_text("De taak 'Scenario kiezen' is afgerond.")).to_be_visible()

    case_page = page.goto(f"{served.base}/tasklist/dossiers/{served.ids['V4000001']}")
    traces.append(case_page.headers["traceresponse"].split("-")[1])
    expect(page.locator(".diagram[data-getekend]")).to_have_count(1)  # scenario 2 starts in the main diagram
    next_task = page.locator('#diagram-1 [data-element-id="afspraken_casemanager"]')
    expect(next_task).to_have_class("djs-element djs-shape actief")
    done = page.locator('#diagram-1 [data-element-id="scenario_kiezen"]')
    expect(done).to_have_class("djs-element djs-shape afgerond")
    page.context.close()
    _reads_are_in_the_processing_log(served, traces)


def _reads_are_in_the_processing_log(served: Served, traces: list[str]) -> None:
    """Each page read above is a record under its request's trace id; the export is one person's."""
    from app.processing_log import keys
    from storage.processing_log import records_of, records_of_trace

    engine = make_engine(served.url)
    try:
        with engine.connect() as conn:
            for trace_id in traces:
                records = records_of_trace(conn, trace_id)
                assert [r.instance_id for r in records] == [served.ids["V4000001"]], trace_id
            current, previous = keys({})
            mine = records_of(conn, "V4000001", [current, *previous])
            theirs = records_of(conn, "V4000002", [current, *previous])
    finally:
        engine.dispose()
    assert {r.trace_id for r in mine} >= set(traces)
    assert {r.instance_id for r in mine} == {served.ids["V4000001"]}
    assert {r.instance_id for r in theirs} <= {served.ids["V4000002"]}


def test_another_gemeente_sees_none_of_it(served: Served, browser: Any) -> None:
    page = new_page(browser)
    log_in(page, served.base, "km.amsterdam")
    assert "Amal Haddad" not in page.content()
    response = page.goto(f"{served.base}/tasklist/dossiers/{served.ids['V4000001']}")
    assert response.status == 404 and "Amal Haddad" not in page.content()
    page.context.close()


def test_after_logout_the_old_cookie_opens_nothing(served: Served, browser: Any) -> None:
    page = new_page(browser)
    log_in(page, served.base, "cm.coa")
    cookies = page.context.cookies()
    page.get_by_role("button", name="Uitloggen").click()
    page.context.close()
    thief = new_page(browser)
    thief.context.add_cookies(cookies)
    thief.goto(served.base + "/tasklist")
    assert thief.url.startswith(served.base + "/tasklist/inloggen")
    thief.context.close()


def test_the_sixth_wrong_password_in_a_minute_is_delayed(served: Served, browser: Any) -> None:
    page = new_page(browser)
    statuses = [log_in(page, served.base, "km.amsterdam", f"fout-{n}").status for n in range(6)]
    assert statuses == [401, 401, 401, 401, 401, 429]
    assert "Te veel mislukte pogingen. Wacht" in page.content()
    page.context.close()


def test_keyboard_only_completion(served: Served, browser: Any) -> None:
    from playwright.sync_api import expect

    page = new_page(browser)
    log_in(page, served.base, "km.utrecht")
    target = "Bijzonderheden bespreken met COA (optioneel)"
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == target:
            break
    else:
        raise AssertionError("the task link is not reachable with Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=target, level=1)).to_be_visible()
    required = "el => el.labels && el.labels[0] && el.labels[0].textContent.includes('(verplicht)')"
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate(f"({required})(document.activeElement)"):
            page.keyboard.type("Geen bijzonderheden.")
        if page.evaluate("document.activeElement.textContent.trim()") == "Oppakken en afronden":
            break
    else:
        raise AssertionError("the complete button is not reachable with Tab")
    focus_ring = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert focus_ring == "solid"
    page.keyboard.press("Enter")
    expect(page.get_by_text(f"De taak '{target}' is afgerond.")).to_be_visible()
    page.context.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_axe_finds_no_wcag_21_aa_violations(served: Served, browser: Any, width: int) -> None:
    page = new_page(browser, width, bypass_csp=True)

    def check(name: str) -> None:
        page.add_script_tag(path=str(AXE))
        result = page.evaluate(
            "opts => axe.run(document, opts)", {"runOnly": {"type": "tag", "values": WCAG}}
        )
        problems = [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]]
        assert problems == [], f"{name} at {width} px: {problems}"
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= width, f"{name} is {wide} px wide at {width} px"

    page.goto(served.base + "/tasklist/inloggen")
    check("login")
    log_in(page, served.base, "km.utrecht")
    check("werklijst")
    page.locator(".taakkaart a").first.click()
    check("taak")
    page.get_by_role("button", name="Oppakken en afronden").click()  # empty form: errors shown
    check("taak met fouten")
    page.goto(f"{served.base}/tasklist/dossiers/{served.ids['V4000002']}")
    page.locator(".diagram[data-getekend]").first.wait_for()
    check("dossier")
    page.goto(served.base + "/tasklist/bestaat-niet")
    check("404")
    page.context.close()


def test_nothing_is_wider_than_320_px(served: Served, browser: Any) -> None:
    page = new_page(browser, 320)
    log_in(page, served.base, "km.utrecht")
    for path in ("/tasklist", f"/tasklist/dossiers/{served.ids['V4000002']}"):
        page.goto(served.base + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, path
    page.locator(".kop").wait_for()
    page.context.close()
