#!/usr/bin/env python3
"""Module import cycles in a crate's source, one line per cycle.

    infra/scripts/import-cycles.py [functions/common/src]

Each file is a module (`a/mod.rs` is `a`); a module depends on the modules
its code names through `crate::...` and `super::...` paths (`use` lines and
inline paths alike), its test-only code left out: every inline `#[cfg(test)]` module (`mod
tests { .. }`, or test helpers such as `pub(crate) mod test_support { .. }`),
and `tests.rs` files. A module and its own parent or children are not counted as a
cycle: `mod.rs` declaring its files and the files using what `mod.rs`
defines is how Rust nests modules. Exits 1 when it finds a cycle.

It reads paths with regular expressions, not with the compiler: a path built
by a macro is not seen. Good enough to keep the layering honest.
"""

import os
import re
import sys


def modules(root):
    """Module path ("services::sweep") -> file."""
    found = {}
    for folder, _, files in os.walk(root):
        for name in files:
            if not name.endswith(".rs"):
                continue
            path = os.path.join(folder, name)
            parts = os.path.relpath(path, root)[:-3].split(os.sep)
            if parts[-1] in ("mod", "lib"):
                parts = parts[:-1]
            if parts and parts[-1] == "tests":
                continue
            found["::".join(parts)] = path
    return found


TEST_MODULE = re.compile(r"^#\[cfg\(test\)\]\n(?:pub(?:\([a-z]+\))? )?mod [A-Za-z_0-9]+ \{", re.M)


def without_test_modules(text):
    """`text` without its inline `#[cfg(test)]` modules, each cut from its
    attribute to its closing brace (braces counted; good enough for
    formatted code)."""
    while True:
        found = TEST_MODULE.search(text)
        if not found:
            return text
        depth, end = 0, found.end() - 1
        for end in range(found.end() - 1, len(text)):
            depth += {"{": 1, "}": -1}.get(text[end], 0)
            if depth == 0:
                break
        text = text[: found.start()] + text[end + 1 :]


def dependencies(module, path, known):
    def resolve(segments):
        for n in range(len(segments), 0, -1):
            candidate = "::".join(segments[:n])
            if candidate in known:
                return candidate
        return None

    text = open(path, encoding="utf-8").read()
    text = without_test_modules(text)
    text = re.sub(r"//.*", "", text)
    deps = set()
    for m in re.finditer(r"crate::([A-Za-z_0-9:]+?)(?:::\{([^;]*?)\})?(?=[^A-Za-z_0-9:]|$)", text):
        base = m.group(1).rstrip(":").split("::")
        items = [i for i in re.split(r"[,{}\s]+", m.group(2) or "") if i and i != "self"]
        for item in items or [None]:
            deps.add(resolve(base + ([item.split("::")[0]] if item else [])))
    own = module.split("::") if module else []
    parent = own[:-1]
    for m in re.finditer(r"\bsuper::(\{[^;]*?\}|[A-Za-z_0-9]+)", text):
        for item in re.split(r"[,{}\s]+", m.group(1)):
            if item and item != "self":
                deps.add(resolve(parent + [item.split("::")[0]]))
    return {
        d
        for d in deps
        if d and d != module and not module.startswith(d + "::") and not d.startswith(module + "::")
    }


def cycles(graph):
    """Tarjan's strongly connected components of more than one module."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "functions/common/src"
    known = modules(root)
    graph = {m: dependencies(m, p, known) for m, p in known.items()}
    found = cycles(graph)
    for component in found:
        print("import cycle: " + " <-> ".join(component))
    if not found:
        print(f"no import cycle between the {len(known)} modules of {root}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
