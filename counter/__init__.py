"""The officer's counter station for checkpoint inspection (TPI counters, SOP-003-A01/A02/A05–A07/A11/A12).

Its own package rather than a kiosk mode: an officer-operated station has another user, another trust level
(it records crossings and opens cases in the officer's name) and other screens than the applicants' kiosk,
while sharing the same devices (hal), faces (models) and edge runtime pieces (outbox, link, watch-list cache).
"""
