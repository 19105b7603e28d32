"""The delivery shell: claim due outbox rows, send them through the channels, record the outcome."""
