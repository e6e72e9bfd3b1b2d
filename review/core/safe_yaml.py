"""YAML from users (plans, questionnaires), read within bounds.

``yaml.safe_load`` is safe from code execution but not from size: a document of a few hundred
bytes whose anchors reference anchors ("billion laughs") stands for billions of values, and
anything that walks or prints the result expands them. Here a document is refused

- when it is larger than :data:`MAX_BYTES`, before it is parsed;
- while it is composed, as soon as it stands for more than :data:`MAX_NODES` values or more
  than :data:`MAX_CHARS` characters of text counting every alias as the whole node it repeats,
  or nests deeper than :data:`MAX_DEPTH` (an alias counts with the depth of what it repeats), or
  an alias repeats a node that contains it;
- when a value cannot be read (a date that does not exist, an integer of more than
  :data:`MAX_INT_DIGITS` digits in any notation: 0x…, 0o…, 1:0:0…).

Every refusal is a :class:`YamlProblem` with a message for the user; nothing else escapes.
"""
from __future__ import annotations

import yaml
from flask_babel import gettext as _

MAX_BYTES = 256 * 1024   # the largest example plan is 7 KB; a province's would be a few times that
MAX_NODES = 100_000      # values after expanding aliases; a large plan has a few thousand
MAX_DEPTH = 40           # an indicator level costs two (a mapping in a list); plans use a dozen
# Characters of text after expanding aliases: one alias to 10 KB of text, repeated a few thousand
# times through a second alias, stays under MAX_NODES yet stands for hundreds of MB once stored.
MAX_CHARS = 2_000_000
# Hex, octal and 1:0:0 integers convert without Python's decimal limit, then cannot be printed;
# sexagesimal ones cost quadratic time to build. No field of a plan needs more than a few digits.
MAX_INT_DIGITS = 100


class YamlProblem(ValueError):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class _Refused(yaml.YAMLError):
    """Raised inside the loader; carries the message and where the document was refused."""

    def __init__(self, message: str, mark):
        super().__init__(message)
        self.message, self.mark = message, mark


class BoundedLoader(yaml.SafeLoader):
    """SafeLoader that counts, while composing, every node including the nodes each alias stands
    for, and how deep the expanded document goes."""

    def __init__(self, stream, *, max_nodes: int = MAX_NODES, max_depth: int = MAX_DEPTH,
                 max_chars: int = MAX_CHARS):
        super().__init__(stream)
        self.max_nodes, self.max_depth, self.max_chars = max_nodes, max_depth, max_chars
        self.expanded = 0   # nodes so far, an alias counting as all the nodes it repeats
        self.chars = 0      # characters of scalars so far, counted the same way
        self.depth = 0
        # id(node) -> (nodes, height, chars) once the node is complete; a node that is being
        # composed has no entry, so an alias to it (a cycle) is recognised.
        self.measured: dict[int, tuple[int, int, int]] = {}

    def _count(self, n: int, mark) -> None:
        self.expanded += n
        if self.expanded > self.max_nodes:
            raise _Refused(_("the document stands for more than %(n)d values once its aliases (*name) are "
                             "expanded; write the repeated parts out or shorten it", n=self.max_nodes), mark)

    def _count_chars(self, n: int, mark) -> None:
        self.chars += n
        if self.chars > self.max_chars:
            raise _Refused(_("the document stands for more than %(n)d characters of text once its aliases "
                             "(*name) are expanded; write the repeated parts out or shorten it",
                             n=self.max_chars), mark)

    def _too_deep(self, mark):
        return _Refused(_("the document nests deeper than %(n)d levels", n=self.max_depth), mark)

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            node = self.anchors.get(event.anchor)
            if node is not None:
                measured = self.measured.get(id(node))
                if measured is None:
                    raise _Refused(_("the alias *%(name)s repeats a node that contains it",
                                     name=str(event.anchor)[:40]), event.start_mark)
                nodes, height, chars = measured
                self._count(nodes, event.start_mark)
                self._count_chars(chars, event.start_mark)
                if self.depth + height > self.max_depth:
                    raise self._too_deep(event.start_mark)
            return super().compose_node(parent, index)  # an unknown alias: the composer's own error
        mark = self.peek_event().start_mark
        self.depth += 1
        if self.depth > self.max_depth:
            raise self._too_deep(mark)
        before, chars_before = self.expanded, self.chars
        self._count(1, mark)
        node = super().compose_node(parent, index)
        if isinstance(node, yaml.ScalarNode):
            self._count_chars(len(node.value), mark)
        self.depth -= 1
        self.measured[id(node)] = (self.expanded - before, 1 + self._child_height(node), self.chars - chars_before)
        return node

    def _child_height(self, node) -> int:
        if isinstance(node, yaml.SequenceNode):
            children = node.value
        elif isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        else:
            return 0
        return max((self.measured[id(c)][1] for c in children), default=0)


    def construct_yaml_int(self, node):
        digits = sum(c.isalnum() for c in node.value)
        if digits > MAX_INT_DIGITS:
            raise _Refused(_("a whole number of %(n)d digits; at most %(max)d digits are accepted",
                             n=digits, max=MAX_INT_DIGITS), node.start_mark)
        return super().construct_yaml_int(node)


BoundedLoader.add_constructor("tag:yaml.org,2002:int", BoundedLoader.construct_yaml_int)


def _where(mark) -> str:
    return _("line %(n)d", n=mark.line + 1) if mark is not None else ""


def _located(where: str, message: str) -> str:
    return f"{where}: {message}" if where else message


def load(text: str | bytes, *, max_bytes: int = MAX_BYTES, max_nodes: int = MAX_NODES,
         max_depth: int = MAX_DEPTH, max_chars: int = MAX_CHARS):
    """The data of one YAML document; raises :class:`YamlProblem` with a message for the user."""
    size = len(text) if isinstance(text, bytes) else len(text.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise YamlProblem(_("The document is %(size)d KB; at most %(max)d KB is accepted.",
                            size=-(-size // 1024), max=max_bytes // 1024))
    loader = BoundedLoader(text, max_nodes=max_nodes, max_depth=max_depth, max_chars=max_chars)
    try:
        return loader.get_single_data()
    except _Refused as exc:
        raise YamlProblem(_located(_where(exc.mark), exc.message)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise YamlProblem(_located(_where(mark), str(problem)[:200])) from None
    except (ValueError, OverflowError, TypeError) as exc:
        # The constructors raise these for values of the right shape that do not exist:
        # 2025-02-30, an integer longer than Python converts.
        raise YamlProblem(_("a value cannot be read: %(problem)s", problem=str(exc)[:200])) from None
    finally:
        loader.dispose()
