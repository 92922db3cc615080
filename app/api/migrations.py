"""Moving running instances to another version of their process (beheerder)."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint

from app import services
from app.api.common import errors
from app.auth import BEHEERDER, auth, current_principal, require_roles
from app.problems import ApiProblem
from app.schemas import MigrationIn, MigrationOut
from engine.migration import MigrationPlan
from storage.migration import InstanceMigrator, MigrationRefused, MigrationReport

bp = APIBlueprint("migrations", __name__, tag="Migrations")


def plan_from(body: dict[str, Any]) -> MigrationPlan:
    return MigrationPlan(
        process_key=body["processKey"],
        source_version=body["sourceVersion"],
        target_version=body["targetVersion"],
        mappings={m["source"]: m["target"] for m in body.get("mappings") or []},
        recompute_timers=frozenset(body.get("recomputeTimers") or ()),
    )


def report_errors(report: MigrationReport) -> list[dict[str, str]]:
    """Every problem of a refused plan, each naming the field (or the instance) it is about."""
    out = []
    for message in report.plan_problems:
        name, _, rest = message.partition(": ")
        out.append({"field": name, "message": rest} if rest else {"field": "body", "message": message})
    for item in report.instance_problems:
        out.extend({"field": f"instances.{item.instance_id}", "message": m} for m in item.messages)
    return out


@bp.post("/migrations")
@bp.auth_required(auth)
@require_roles(BEHEERDER)
@bp.input(MigrationIn)
@bp.output(MigrationOut, description="The instances selected, and those moved and failed")
@bp.doc(
    summary="Move running instances to another version of their process (beheerder)",
    description="As Camunda Cockpit's process instance migration. The plan maps elements of the source "
    "version to the target version (the same id maps to itself; a re-id'd or removed element in which "
    "instances wait needs a mapping). Every selected instance is checked first: if anything cannot be mapped "
    "(no counterpart, another kind, two active elements onto one, out of its sub-process, a parallel join "
    "that cannot hold its arrived branches or would wait for ever), the answer is 422 listing each problem "
    "per instance and nothing changes. Where the flow changed, the instance's task tree is rebuilt from the "
    "target version around its active tasks. "
    "Then the instances move one by one, each in its own transaction, recorded in its history (`migrated`). "
    "Open tasks keep their id, assignee and due date; pending timers keep their due time unless named in "
    "`recomputeTimers`. With `dryRun` only the check is made.",
    responses=errors(400, 403, 413, 422),
)
def migrate(json_data: dict[str, Any]) -> Any:
    principal = current_principal()
    plan = plan_from(json_data)
    migrator = InstanceMigrator(services().workflow)
    body: dict[str, Any] = {
        "processKey": plan.process_key,
        "sourceVersion": plan.source_version,
        "targetVersion": plan.target_version,
        "dryRun": json_data["dryRun"],
        "migrated": [],
        "failed": [],
    }
    try:
        if json_data["dryRun"]:
            report = migrator.validate(plan, json_data.get("instanceIds"))
            if not report.ok:
                raise MigrationRefused(report)
            return {**body, "instances": list(report.instance_ids)}
        outcome = migrator.migrate(plan, actor=principal.actor, instance_ids=json_data.get("instanceIds"))
    except MigrationRefused as exc:
        raise ApiProblem(
            422,
            "Validation failed",
            "the plan cannot be carried out; nothing was changed",
            report_errors(exc.report),
        ) from exc
    return {
        **body,
        "instances": list(outcome.report.instance_ids),
        "migrated": outcome.migrated,
        "failed": [{"processInstanceId": i, "reason": r} for i, r in outcome.failed],
    }
