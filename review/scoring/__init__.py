"""The scoring engine: plain data in, plain data out. No Flask, no database session."""
from .engine import Line, PersonInputs, PersonResult, Subject, rollup, score_campaign

__all__ = ["Line", "PersonInputs", "PersonResult", "Subject", "rollup", "score_campaign"]
