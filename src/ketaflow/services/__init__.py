"""Use cases: load, call the domain, save, audit. Each takes its ports as arguments."""
