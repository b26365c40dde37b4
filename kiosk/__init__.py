"""The self-service kiosk for Kanim lobbies."""
