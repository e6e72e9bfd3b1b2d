"""Quoting what a user sent inside a message, within bounds.

A message that repeats the offending value must never cost more than the value's first few
characters: a document may hold a value of megabytes, or one that aliases expand to billions of
items, and ``repr`` would build all of it before anybody reads the first line."""
from __future__ import annotations

import reprlib

LIMIT = 60  # characters of a quoted value; enough to recognise it

class _Repr(reprlib.Repr):
    def repr_int(self, x, level):
        try:
            return super().repr_int(x, level)
        except ValueError:  # more digits than Python prints in decimal (0xfff… in a document)
            return hex(x)[:self.maxlong] + "…"


_repr = _Repr()
# reprlib looks at no more than these many items and levels, so quoting costs the same for any size.
_repr.maxlevel = 3
_repr.maxlist = _repr.maxtuple = _repr.maxset = _repr.maxfrozenset = 8
_repr.maxdict = 6
_repr.maxstring = _repr.maxother = _repr.maxlong = LIMIT + 10


def clip(text: str, limit: int = LIMIT) -> str:
    """``text`` cut to ``limit`` characters, an ellipsis showing that something was cut."""
    return text if len(text) <= limit else text[:limit - 1] + "…"


class Quoted:
    """A value for ``%(name)r`` or ``%(name)s`` in a message: prints as a bounded repr. The message
    ids keep their ``%r``, so the translations stay as they are."""

    __slots__ = ("text",)

    def __init__(self, value):
        self.text = clip(_repr.repr(value))

    def __repr__(self) -> str:
        return self.text

    __str__ = __repr__


def quoted(value) -> Quoted:
    return Quoted(value)


def label_of(value, limit: int = LIMIT) -> str:
    """A name used to say where a problem is (a node's name in a path): the text itself when it
    is text, clipped; anything else quoted."""
    return clip(value, limit) if isinstance(value, str) else Quoted(value).text
