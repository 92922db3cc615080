"""The first run: the demo's output names the werklijst and only users who can log in there."""

from __future__ import annotations

from pathlib import Path

from app import build_services
from app.auth import task_lane_for
from app.cli import bundled_documents, deploy_documents
from app.config import load_config
from app.demo import CALLERS, seed
from engine.clock import ManualClock
from storage import listing
from storage.migrate import upgrade
from storage.orgs import Principal
from tests.conftest import T0


def test_the_demo_prints_the_werklijst_and_gives_every_caseworker_open_tasks(tmp_path: Path) -> None:
    services = build_services(
        load_config({"DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}"}), clock=ManualClock(T0)
    )
    lines: list[str] = []
    try:
        upgrade(services.db)
        assert deploy_documents(services.workflow, bundled_documents(), actor="test") == []
        seed(services, out=lines.append)
        text = "\n".join(lines)
        assert "Werklijst (tasklist): http://127.0.0.1:8000/tasklist" in text
        for _org, role, username in CALLERS:
            shown = f"    {username} " in text.split("Werklijst")[1].split("Bearer")[0]
            assert shown == (role in ("klantmanager", "casemanager", "beheerder")), username
        with services.db.connect() as conn:
            for org, kind, role in (("GM0344", "gemeente", "klantmanager"), ("COA", "coa", "casemanager")):
                user = Principal(org_code=org, org_kind=kind, role=role, name="demo")
                page = listing.list_tasks(conn, scope=user.gemeente, lane=task_lane_for(user))
                assert page.total >= 2, role
    finally:
        services.db.dispose()
