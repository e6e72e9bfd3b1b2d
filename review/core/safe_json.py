"""JSON from clients, with its nesting bounded before it is parsed.

The standard decoder recurses once per level: ``[[[[…]]]]`` a few thousand deep raises
RecursionError (a 500), and a document just under that limit parses but makes every later
recursive walk (a plan's tree) fail the same way. The depth is counted here without recursion
first, so every caller sees either data no deeper than :data:`MAX_DEPTH` or a
:class:`JsonProblem` with a message for the user."""
from __future__ import annotations

import json
import re

from flask_babel import gettext as _

MAX_DEPTH = 40  # a plan document uses about a dozen levels, a KPI batch four
MAX_BYTES = 16 * 1024 * 1024  # the upload limit's default; a KPI batch of the most records is a few MB

# One pass from left to right: the next quote or bracket, and from a quote the end of its string.
# Each character is looked at once, so an unterminated string of escaped quotes ('"\\"\\"…'),
# which a single "string or bracket" pattern retries from every quote, costs no more than any text.
_NEXT = re.compile(r'["\[\]{}]')
_STRING_REST = re.compile(r'[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)


class JsonProblem(ValueError):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def depth(text: str) -> int:
    """How deep the arrays and objects of ``text`` nest (a malformed text: as far as it goes)."""
    deepest = level = 0
    position = 0
    while (match := _NEXT.search(text, position)) is not None:
        token = match.group()
        position = match.end()
        if token == '"':
            rest = _STRING_REST.match(text, position)
            if rest is None:  # the string never ends: nothing after its quote is structure
                break
            position = rest.end()
        elif token in "[{":
            level += 1
            deepest = max(deepest, level)
        else:
            level -= 1
    return deepest


def loads(data: str | bytes, *, max_depth: int = MAX_DEPTH, max_bytes: int = MAX_BYTES):
    """The value of a JSON text; raises :class:`JsonProblem` when it is larger than ``max_bytes``,
    is not UTF-8, nests deeper than ``max_depth`` or is not JSON."""
    size = len(data) if isinstance(data, bytes) else len(data.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise JsonProblem(_("The JSON document is %(size)d KB; at most %(max)d KB is accepted.",
                            size=-(-size // 1024), max=max_bytes // 1024))
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise JsonProblem(_("The JSON document is not UTF-8 text.")) from None
    if depth(data) > max_depth:
        raise JsonProblem(_("The JSON document nests deeper than %(n)d levels.", n=max_depth))
    try:
        return json.loads(data)
    except RecursionError:  # cannot happen below max_depth; kept so that a change of bound cannot bring a 500
        raise JsonProblem(_("The JSON document nests deeper than %(n)d levels.", n=max_depth)) from None
    except ValueError as exc:
        raise JsonProblem(_("The JSON document is not valid: %(problem)s", problem=str(exc)[:200])) from None


def request_json(request, *, max_depth: int = MAX_DEPTH, max_bytes: int = MAX_BYTES):
    """The JSON body of a Flask request (whatever its content type claims), as :func:`loads`."""
    return loads(request.get_data(cache=True), max_depth=max_depth, max_bytes=max_bytes)
