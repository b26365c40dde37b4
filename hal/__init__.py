"""Devices in the gate's own words over swappable backends (``pi`` and ``emulated``)."""
