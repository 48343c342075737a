"""Quartermaster's core: domain rules, database models and the use-case services."""
