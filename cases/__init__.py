"""Domain rules for cases: statuses and tiers, transitions, numbering, intake."""
