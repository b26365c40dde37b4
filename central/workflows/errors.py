"""Errors of the permit workflow engine; all are ``CentralError`` so the API turns them into JSON."""

from __future__ import annotations

from central.errors import CentralError, Conflict, Invalid, NotFound


class WorkflowError(CentralError):
    """Base of every error the workflow engine raises on purpose."""


class DefinitionError(WorkflowError, ValueError):
    """An SOP definition file is malformed; the message names the SOP and the step."""


class CaseNotFound(WorkflowError, NotFound):
    """No case (or service, or SOP) with that identifier."""


class ActionRefused(WorkflowError, Conflict):
    """The action clashes with the case's state (no proof of payment, a closed case, a held case)."""


class BadAction(WorkflowError, Invalid):
    """The action is malformed for the current step (unknown decision, missing reason)."""
