"""Sorting cases into the four tiers: suggestions that start from the district's category tree and
phrases (``rules``), learn from the decisions people make (``model``), and say why (``engine``).

Pure functions of text and data; the database side (stored suggestions, model versions, the
retraining job) lives in ``store``.
"""
