"""Who may use the workflow API and screens, shared by both so they never disagree."""

from __future__ import annotations

from fastapi import Request

from central.workflows.engine import Workflows

OFFICERS = ("officer", "supervisor", "head_of_office")
# Lanes whose acts carry the head of office's authority (legalisation, approval routing).
LANE_AUTH = {"head_of_office": ("head_of_office", "supervisor")}


def may_act(user_role: str, lane: str) -> bool:
    """Whether a user of ``user_role`` may act on a step of ``lane``."""
    return user_role in LANE_AUTH.get(lane, OFFICERS)


def get_workflows(request: Request) -> Workflows:
    workflows: Workflows = request.app.state.workflows
    return workflows
