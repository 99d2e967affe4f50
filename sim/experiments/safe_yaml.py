"""Reading untrusted YAML within limits: file size, nesting depth and alias expansion are
checked before anything is built, duplicate keys and non-scalar keys are refused with
their lines, and control characters are reported by line.

`parse(text, name)` returns (node, lines) where `lines` maps each key path to its line;
errors are `YamlProblem(line, field, message)`.
"""

from __future__ import annotations

import re

import yaml

from sim.model.limits import MAX_YAML_DEPTH, MAX_YAML_NODES

Path_ = tuple[str | int, ...]
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f]")
_OPEN = (
    yaml.BlockMappingStartToken,
    yaml.BlockSequenceStartToken,
    yaml.FlowMappingStartToken,
    yaml.FlowSequenceStartToken,
)
_CLOSE = (yaml.BlockEndToken, yaml.FlowMappingEndToken, yaml.FlowSequenceEndToken)


class YamlProblem(Exception):
    def __init__(self, line: int | None, field: str, message: str):
        super().__init__(message)
        self.line, self.field, self.message = line, field, message


def check_text(text: str) -> None:
    """Control characters (other than tab and line breaks) are refused by line."""
    m = _CONTROL.search(text)
    if m:
        line = text.count("\n", 0, m.start()) + 1
        raise YamlProblem(line, "(top level)", f"control character U+{ord(m.group()):04X} is not allowed")


def check_depth(text: str) -> None:
    """Scan tokens (no recursion) and refuse documents nested deeper than the limit."""
    depth = 0
    scanner = yaml.SafeLoader(text)
    try:
        while True:
            token = scanner.get_token()
            if token is None:
                break
            if isinstance(token, _OPEN):
                depth += 1
                if depth > MAX_YAML_DEPTH:
                    raise YamlProblem(
                        token.start_mark.line + 1,
                        "(top level)",
                        f"nested more than {MAX_YAML_DEPTH} levels deep; scenario and experiment "
                        "files are shallow",
                    )
            elif isinstance(token, _CLOSE):
                depth -= 1
    finally:
        scanner.dispose()


def _field(path: Path_) -> str:
    return ".".join(map(str, path)) or "(top level)"


def check_graph(root) -> None:
    """Count the nodes the document expands to (aliases count each time they are used)
    without expanding it, and refuse duplicate and non-scalar keys."""
    sizes: dict[int, int] = {}
    order: list = []
    stack = [(root, False)]
    on_path: set[int] = set()
    while stack:  # post-order, iterative; a node reached again is counted from the memo
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            children = _children(node)
            total = 1 + sum(sizes[id(c)] for c in children)
            sizes[key] = total
            if total > MAX_YAML_NODES:
                raise YamlProblem(
                    node.start_mark.line + 1,
                    "(top level)",
                    f"expands to more than {MAX_YAML_NODES:,} values (YAML aliases); refused",
                )
            order.append(node)
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise YamlProblem(node.start_mark.line + 1, "(top level)", "recursive YAML alias")
        on_path.add(key)
        stack.append((node, True))
        if isinstance(node, yaml.MappingNode):
            for k, _ in node.value:
                if not isinstance(k, yaml.ScalarNode):
                    raise YamlProblem(
                        k.start_mark.line + 1,
                        "(top level)",
                        "a key must be a plain name, not a "
                        + ("list" if isinstance(k, yaml.SequenceNode) else "mapping"),
                    )
        for child in _children(node):
            if id(child) not in sizes:
                stack.append((child, False))


def _children(node) -> list:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def walk_lines(root, lines: dict[Path_, int]) -> None:
    """The line of every key and list item, and duplicate keys refused (both lines named)."""
    stack: list[tuple[object, Path_]] = [(root, ())]
    while stack:
        node, prefix = stack.pop()
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key_node, value_node in node.value:
                name = key_node.value
                line = key_node.start_mark.line + 1
                if name == "<<" and key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                if name in seen:
                    raise YamlProblem(
                        line,
                        _field((*prefix, name)),
                        f"duplicate key {name!r} (first on line {seen[name]}, again on line {line}); "
                        "keep one",
                    )
                seen[name] = line
                path = (*prefix, name)
                lines[path] = line
                stack.append((value_node, path))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                lines[(*prefix, i)] = item.start_mark.line + 1
                stack.append((item, (*prefix, i)))
