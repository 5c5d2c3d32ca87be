"""Background jobs in their own process (outbox delivery, media downloads, SLA reminders).

Jobs are declared as data with stable ids and their rules are pure functions that take ``now``;
they arrive with the issues that need them (the first: fetching residents' media from WeChat).
"""
