"""The web tasklist for caseworkers: log in, the werklijst, task pages and case pages.

Pages are server-rendered (Jinja, NL Design System CSS served by us). The scope and lane rules are
the API's (:mod:`app.api.tasks`): a klantmanager sees its own gemeente's tasks in the Gemeente
lane, a casemanager every gemeente's COA-lane tasks, a beheerder everything. This face only hands
names on; the views live in their modules.
"""

from __future__ import annotations

from app.tasklist import case_page, comments, login, task, worklist  # noqa: F401  (registers the views)
from app.tasklist.blueprint import bp, register_tasklist, root_bp
from app.tasklist.forms import form_fields, typed_values

__all__ = ["bp", "form_fields", "register_tasklist", "root_bp", "typed_values"]
