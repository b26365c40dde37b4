"""The CCTV watch at central (SOP-003-D05): the alert gallery and the alarm desk.

``desk.CctvDesk`` is the domain (no HTTP); ``router.router`` is its ``/api/v1/cctv`` API.
"""
