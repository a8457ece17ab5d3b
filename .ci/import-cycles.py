#!/usr/bin/env python3
"""Fails when the modules of src/ import each other in a circle.

Reads every `crate::…` path in src/ (in `use` lines and in code), maps it to
the file that defines the module it names, and finds the strongly connected
components of that graph (Tarjan). A component of two files in one folder
(a module and its helper that call each other) is allowed; anything larger,
or a pair across folders, is a circle that makes the layers meaningless.

    python3 .ci/import-cycles.py          # exit 1 and the circles, or 0
    python3 .ci/import-cycles.py --graph  # also print every edge
"""

import re
import sys
from pathlib import Path

SOURCE = Path(__file__).resolve().parent.parent / "src"


def module_files():
    """Module path (tuple of names) -> file, for every file under src/."""
    files = {}
    for path in SOURCE.rglob("*.rs"):
        parts = list(path.relative_to(SOURCE).with_suffix("").parts)
        if parts == ["lib"] or parts == ["main"]:
            continue
        if parts[-1] == "mod":
            parts = parts[:-1]
        files[tuple(parts)] = path
    return files


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return "\n".join(line.split("//", 1)[0] for line in text.splitlines())


def expand_use(text):
    """Every `crate::a::b` path a file names, `use` groups expanded."""
    paths = []
    for statement in re.findall(r"\buse\s+(crate::[^;]*);", text, flags=re.S):
        paths.extend(expand_group(statement.replace("\n", " ")))
    for path in re.findall(r"\bcrate(?:::[A-Za-z_][A-Za-z0-9_]*)+", text):
        paths.append(path)
    return paths


def expand_group(statement):
    statement = re.sub(r"\s+", "", statement)
    if "{" not in statement:
        return [statement.split("as")[0] if "::" in statement else statement]
    start = statement.index("{")
    prefix = statement[:start]
    depth, items, current = 0, [], ""
    for character in statement[start + 1 : statement.rindex("}")]:
        if character == "{":
            depth += 1
        elif character == "}":
            depth -= 1
        if character == "," and depth == 0:
            items.append(current)
            current = ""
        else:
            current += character
    items.append(current)
    expanded = []
    for item in filter(None, items):
        if item == "self":
            expanded.append(prefix.rstrip(":"))
        else:
            expanded.extend(expand_group(prefix + item))
    return expanded


def target(path, files):
    """The file of the longest module prefix of `crate::…` `path`."""
    names = tuple(part for part in path.split("::")[1:] if part)
    for length in range(len(names), 0, -1):
        if names[:length] in files:
            return files[names[:length]]
    return None


def graph():
    files = module_files()
    edges = {path: set() for path in files.values()}
    for module, path in files.items():
        text = strip_comments(path.read_text())
        for used in expand_use(text):
            found = target(used, files)
            if found is not None and found != path:
                edges[path].add(found)
        # `super::x`: the parent's module x, or the parent itself.
        parent = module[:-1]
        for name in re.findall(r"\bsuper::([a-z_][a-z0-9_]*)", text):
            found = files.get(parent + (name,)) or files.get(parent)
            if found is not None and found != path:
                edges[path].add(found)
        # `x::…` or `self::x::…` in a folder's mod.rs: its child module x.
        if path.name == "mod.rs":
            for name in re.findall(r"(?<![A-Za-z0-9_:])(?:self::)?([a-z_][a-z0-9_]*)::", text):
                found = files.get(module + (name,))
                if found is not None and found != path:
                    edges[path].add(found)
    return edges


def components(edges):
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    counter = [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for successor in edges[node]:
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            found.append(component)

    sys.setrecursionlimit(10_000)
    for node in edges:
        if node not in index:
            visit(node)
    return found


def main():
    edges = graph()
    name = lambda path: str(path.relative_to(SOURCE))
    if "--graph" in sys.argv:
        for source in sorted(edges, key=name):
            for used in sorted(edges[source], key=name):
                print(f"{name(source)} -> {name(used)}")
    circles = []
    for component in components(edges):
        if len(component) < 2:
            continue
        folders = {path.parent for path in component}
        if len(component) == 2 and len(folders) == 1:
            continue
        circles.append(sorted(name(path) for path in component))
    for circle in circles:
        print(f"an import circle of {len(circle)} files: {', '.join(circle)}")
    if not circles:
        print(f"no import circle among the {len(edges)} files of src/")
    return 1 if circles else 0


if __name__ == "__main__":
    sys.exit(main())
