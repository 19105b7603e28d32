"""The alert shell: load indicator values, alerts, silences and routing from the store, call the pure
``alerts`` core, and write alerts, events and outbox rows in the caller's transaction."""
