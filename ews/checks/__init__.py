"""Field checks: satellite points verified on the ground by the community's monitors (DESIGN 11)."""
