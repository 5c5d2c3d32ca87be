"""Console accounts: who may sign in to the staff console, and for which unit."""
