"""Campaigns: a plan version run for a period over a unit subtree."""
