"""Who is asking: API keys and their roles, and the keyed pseudonyms that stand in for reporters."""
