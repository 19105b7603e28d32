"""Reference data: communities, institutions, contacts, rules and routing, loaded from ``fixtures/``."""
