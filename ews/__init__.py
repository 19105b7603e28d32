"""The EWS shell: everything with a database, a clock, a network or a person behind it (intake,
jobs, alerting, delivery, the API and the pages) around the pure cores ``indicators`` and ``alerts``."""
