"""The alert shell: load indicator values, alerts, silences and routing from the store, call the pure
``alerts`` core, and write alerts, events, CAP messages and outbox rows in the caller's transaction;
also the fast path for urgent reports and the services behind acknowledging, resolving and silencing."""
