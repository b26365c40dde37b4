"""The autogate controller that runs on the gate's board (SOP-003-A08)."""
