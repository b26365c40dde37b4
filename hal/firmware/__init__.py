"""MicroPython firmware of the door controller (RP2040) and the wire codec it shares with the HAL.

On the controller these are flat modules (``protocol``, ``safety``, ``controller``, ``main``) that import
each other by plain names. On CPython only ``hal.firmware.protocol`` is imported as a package module;
the rest runs under the ``machine``/``utime`` shim of ``hal.firmware.shim`` (tests and the emulator).
"""
