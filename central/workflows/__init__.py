"""Permit SOP workflows (issue 9): declarative SOP definitions, cases, work queues, SLA, payments,
documents and reports. See docs/workflows.md.
"""
