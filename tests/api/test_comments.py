"""Comments on a case or a task: in its history, visible to whoever may see the case, and to no one else."""

from __future__ import annotations

from tests.api.conftest import Api
from tests.api.test_endpoints import assert_problem


def test_comments_on_case_and_task_show_in_lists_and_history(any_db_api: Api) -> None:
    api = any_db_api
    inst = api.start("1234567890")
    task = api.open_task(inst)
    on_case = api.post(
        f"/process-instances/{inst['id']}/comments", "km", json={"text": " Belt terug.\nDinsdag. "}
    )
    assert on_case.status_code == 201, on_case.get_json()
    body = on_case.get_json()
    assert (body["text"], body["taskId"], body["author"]) == (
        "Belt terug.\nDinsdag.",
        None,
        "klantmanager:km-token@GM0344",
    )
    assert on_case.headers["Location"].endswith(f"/process-instances/{inst['id']}/comments")
    on_task = api.post(f"/tasks/{task['id']}/comments", "cm", json={"text": "Intake gepland."})
    assert on_task.status_code == 201
    assert (on_task.get_json()["taskId"], on_task.get_json()["elementId"]) == (task["id"], task["elementId"])

    listed = api.get(f"/process-instances/{inst['id']}/comments", "bh").get_json()
    assert [c["text"] for c in listed["items"]] == ["Belt terug.\nDinsdag.", "Intake gepland."]
    assert listed["total"] == 2
    only_task = api.get(f"/tasks/{task['id']}/comments", "km").get_json()
    assert [c["text"] for c in only_task["items"]] == ["Intake gepland."]
    history = api.get(f"/process-instances/{inst['id']}/history", "km").get_json()["items"]
    comments = [h for h in history if h["action"] == "comment"]
    assert [c["detail"]["text"] for c in comments] == ["Belt terug.\nDinsdag.", "Intake gepland."]
    assert comments[1]["elementId"] == task["elementId"]
    second_page = api.get(f"/process-instances/{inst['id']}/comments?page=2&pageSize=1", "km").get_json()
    assert [c["text"] for c in second_page["items"]] == ["Intake gepland."]


def test_another_gemeente_gets_404_and_changes_nothing(api: Api) -> None:
    inst = api.start("1234567890")
    task = api.open_task(inst)
    api.post(f"/process-instances/{inst['id']}/comments", "km", json={"text": "Alleen voor Utrecht."})
    for path in (f"/process-instances/{inst['id']}/comments", f"/tasks/{task['id']}/comments"):
        assert_problem(api.get(path, "km_foreign"), 404)
        assert_problem(api.post(path, "km_foreign", json={"text": "x"}), 404)
        assert_problem(api.get(path, "sys"), 403)
        assert_problem(api.post(path, "po", json={"text": "x"}), 403)
    assert api.get(f"/process-instances/{inst['id']}/comments", "km").get_json()["total"] == 1
    missing = "00000000-0000-4000-8000-000000000001"
    assert api.get(f"/process-instances/{missing}/comments", "km_foreign").get_json() == (
        api.get(f"/process-instances/{inst['id']}/comments", "km_foreign").get_json()
    )


def test_bad_text_is_422_naming_the_field_and_a_closed_task_409(api: Api) -> None:
    inst = api.start("1234567890")
    task = api.open_task(inst)
    path = f"/process-instances/{inst['id']}/comments"
    assert_problem(api.post(path, "km", json={}), 422, "text")
    assert_problem(api.post(path, "km", json={"text": "   "}), 422, "text")
    assert_problem(api.post(path, "km", json={"text": "a\x07b"}), 422, "text")
    assert_problem(api.post(path, "km", json={"text": "x" * 4001}), 422, "text")
    assert_problem(api.post(path, "km", json={"text": "ok", "extra": 1}), 422, "extra")
    assert api.get(path, "km").get_json()["total"] == 0
    api.post(f"/tasks/{task['id']}/complete", "km", json={"variables": {"besluit": "nee"}})
    assert_problem(api.post(f"/tasks/{task['id']}/comments", "km", json={"text": "te laat"}), 409)
    assert_problem(api.get(f"/tasks/{task['id']}/comments", "km"), 409)


def test_reading_and_writing_comments_is_recorded(api: Api) -> None:
    inst = api.start("1234567890")
    api.post(f"/process-instances/{inst['id']}/comments", "km", json={"text": "Notitie"})
    api.get(f"/process-instances/{inst['id']}/comments", "km")
    items = api.post("/processing-log/export", "bh", json={"vNummer": "1234567890"}).get_json()["items"]
    assert [i["attributes"]["dpl.core.processing_activity_id"].split("#")[1] for i in items][-2:] == [
        "zaak-behandelen",
        "zaak-inzien",
    ]
