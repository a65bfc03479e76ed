"""Raw sources: readers for the formats the chambers hand in, and the synthetic demo sources."""
