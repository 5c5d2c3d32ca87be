"""Background jobs: queueing notices, pushing the outbox to WeChat, fetching residents' media.

Jobs are declared as data with stable ids (``scheduler.jobs.JOBS``); each is a function of the
app's services and ``now``, and their rules are pure functions in ``cases``. ``minyi scheduler``
runs them in their own process; ``minyi run`` runs them beside the web server. Exactly one
scheduler is active at a time: a Redis lease decides which (``scheduler.runner``).
"""
