"""Intake: patrol reports (API, Kobo, SMS) and feed files (FIRMS, GFW), idempotent and lossless."""
