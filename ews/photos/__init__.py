"""Photos kept as evidence: verified and cleaned on receipt (``images``), stored by content hash
(``storage``), taken in and shown to the report's readers only (``service``), and fetched from
KoboToolbox after a submission is stored (``kobo``)."""
