"""Column types shared by the models."""
from sqlalchemy import Enum


def str_enum(cls, name: str) -> Enum:
    """Enums are stored as their short values in a plain VARCHAR: portable and readable in SQL."""
    return Enum(cls, name=name, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e],
                validate_strings=True)
