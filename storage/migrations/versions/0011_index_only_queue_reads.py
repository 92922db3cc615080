"""Worklist and timer reads answered from indexes: sorted without a temporary b-tree, no table scan.

* the werklijst sorts by (deadline_at, created_at, id): the deadline indexes carry the whole sort
  key, and the COA's worklist over every gemeente gets its own (lane_key, deadline_at, ...);
* the timer worker's claim, its next-due look-up and the overdue check read (due_at, id,
  claimed_until, incident_id), one covering index instead of due_at alone;
* GET /timers of one gemeente walks (gemeente, due_at, id);
* the health check's count of overrun claims reads (claimed_until, claimed_by) instead of the table.

Revision ID: 0011
Revises: 0010
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_user_tasks_gemeente_lane_key_deadline", table_name="user_tasks")
    op.drop_index("ix_user_tasks_gemeente_lane_key_element_deadline", table_name="user_tasks")
    op.create_index(
        "ix_user_tasks_gemeente_lane_key_deadline",
        "user_tasks",
        ["gemeente", "lane_key", "deadline_at", "created_at", "id"],
    )
    op.create_index(
        "ix_user_tasks_gemeente_lane_key_element_deadline",
        "user_tasks",
        ["gemeente", "lane_key", "element_id", "deadline_at", "created_at", "id"],
    )
    op.create_index(
        "ix_user_tasks_lane_key_deadline", "user_tasks", ["lane_key", "deadline_at", "created_at", "id"]
    )
    op.drop_index("ix_timers_due_at", table_name="timers")
    op.create_index("ix_timers_due_claim", "timers", ["due_at", "id", "claimed_until", "incident_id"])
    op.create_index("ix_timers_gemeente_due", "timers", ["gemeente", "due_at", "id"])
    op.create_index("ix_timers_claimed_until", "timers", ["claimed_until", "claimed_by"])


def downgrade() -> None:
    op.drop_index("ix_timers_claimed_until", table_name="timers")
    op.drop_index("ix_timers_gemeente_due", table_name="timers")
    op.drop_index("ix_timers_due_claim", table_name="timers")
    op.create_index("ix_timers_due_at", "timers", ["due_at"])
    op.drop_index("ix_user_tasks_lane_key_deadline", table_name="user_tasks")
    op.drop_index("ix_user_tasks_gemeente_lane_key_element_deadline", table_name="user_tasks")
    op.drop_index("ix_user_tasks_gemeente_lane_key_deadline", table_name="user_tasks")
    op.create_index(
        "ix_user_tasks_gemeente_lane_key_element_deadline",
        "user_tasks",
        ["gemeente", "lane_key", "element_id", "deadline_at"],
    )
    op.create_index(
        "ix_user_tasks_gemeente_lane_key_deadline", "user_tasks", ["gemeente", "lane_key", "deadline_at"]
    )
