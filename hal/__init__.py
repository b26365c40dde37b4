"""Devices in the gate's own words over swappable backends (``pi`` and ``emulated``).

| device | module | far end in the emulator |
|---|---|---|
| ``GateDoor`` (+ ``DoorDriver`` for other backends) | ``hal.door`` | ``emulator.devices.door`` |
| ``BeamArray`` | ``hal.beams`` | ``emulator.devices.walkers`` |
| ``MrzReader`` | ``hal.mrz`` | ``emulator.devices.mrz_reader`` |
| ``FingerprintModule`` | ``hal.fingerprint`` | ``emulator.devices.fingerprint`` |
| ``Camera`` | ``hal.camera`` | ``emulator.devices.camera`` |
| ``Lights``, ``Buzzer``, ``FireAlarmInput`` | ``hal.signals`` | ``emulator.devices.signals`` |
| ``PassengerDisplay`` | ``hal.display`` | (recording backend) |
| ``ReceiptPrinter`` | ``hal.printer`` | ``emulator.devices.printer`` |
| ``Board`` (a board config opened) | ``hal.board`` | ``emulator.devices.board`` |

Pure codecs live in ``hal.codecs``; backend and clock selection in ``hal.backend``; every error in
``hal.errors``. See ``docs/hal.md``.
"""
