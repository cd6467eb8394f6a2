#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The include graph of src/ and plugin/ against DESIGN.md's layers.

usage: layers.py [--dot] ROOT

Reads every #include "..." of ROOT/src/LAYER/*.[ch] and ROOT/plugin/*.[ch],
maps each header to its folder, and fails (exit 1, one line per finding,
naming file:line) on
  - an include of a header that is in no layer folder, or in two;
  - an upward edge: a layer including a header of a layer it may not use;
  - an include cycle between modules (a module is NAME.c with NAME.h),
    within a layer or across layers.
--dot prints the module graph for Graphviz instead.
"""
import os
import re
import sys

# what each layer may include, besides itself (DESIGN.md's layer table)
ALLOWED = {
    "util": set(),
    "core": {"util"},
    "backend": {"util"},
    "service": {"util", "core", "backend"},
    "cmd": {"util", "core", "backend", "service"},
    "plugin": {"util", "core", "backend", "service", "cmd"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')


def sources(root):
    for layer in ALLOWED:
        d = os.path.join(root, "plugin" if layer == "plugin" else os.path.join("src", layer))
        if not os.path.isdir(d):
            continue
        for f in sorted(os.listdir(d)):
            if f.endswith((".c", ".h")):
                yield layer, os.path.join(d, f)


def main(argv):
    dot = "--dot" in argv
    args = [a for a in argv if a != "--dot"]
    if len(args) != 1:
        sys.stderr.write(__doc__)
        return 2
    root = args[0]
    files = list(sources(root))
    if not files:
        print(f"layers: no sources under {root}/src")
        return 1
    home = {}  # header name -> layer
    bad = []
    for layer, path in files:
        name = os.path.basename(path)
        if name.endswith(".h"):
            if name in home:
                bad.append(f"{path}: header name also in {home[name]}/: an include of it is ambiguous")
            home[name] = layer
    edges = {}  # module -> {module: "file:line"}
    for layer, path in files:
        mod = (layer, os.path.basename(path)[:-2])
        edges.setdefault(mod, {})
        rel = os.path.relpath(path, root)
        with open(path, encoding="utf-8", errors="replace") as fp:
            for n, line in enumerate(fp, 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                h = m.group(1)
                where = f"{rel}:{n}"
                hl = home.get(os.path.basename(h))
                if hl is None or "/" in h:
                    bad.append(f"{where}: #include \"{h}\": not a header of a layer folder")
                    continue
                if hl != layer and hl not in ALLOWED[layer]:
                    bad.append(f"{where}: #include \"{h}\": upward edge {layer} -> {hl}")
                dep = (hl, h[:-2])
                if dep != mod:
                    edges[mod].setdefault(dep, where)
    if dot:
        print("digraph includes {")
        for a in sorted(edges):
            for b in sorted(edges[a]):
                print(f'  "{a[0]}/{a[1]}" -> "{b[0]}/{b[1]}";')
        print("}")
        return 0
    for cyc in cycles(edges):
        ring = cyc + [cyc[0]]
        how = ", ".join(f"{edges[ring[i]][ring[i + 1]]}" for i in range(len(cyc)))
        names = " -> ".join(f"{l}/{m}" for l, m in ring)
        bad.append(f"{edges[ring[0]][ring[1]]}: include cycle {names} (by {how})")
    for b in bad:
        print(b)
    if bad:
        print(f"layers: {len(bad)} finding(s) in {len(files)} files")
        return 1
    nedges = sum(len(v) for v in edges.values())
    print(f"layers: {len(files)} files, {len(edges)} modules, {nedges} module edges: no upward edge, no cycle")
    return 0


def cycles(edges):
    """One cycle per strongly connected component of more than one module (Tarjan)."""
    index, low, stack, on, comps = {}, {}, [], set(), []
    counter = [0]

    def strong(v):
        work = [(v, iter(sorted(edges.get(v, {}))))]
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        while work:
            u, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(edges.get(w, {})))))
                    advanced = True
                    break
                if w in on:
                    low[u] = min(low[u], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[u])
            if low[u] == index[u]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == u:
                        break
                if len(comp) > 1:
                    comps.append(comp)

    for v in sorted(edges):
        if v not in index:
            strong(v)
    out = []
    for comp in comps:
        out.append(path_in(edges, set(comp), min(comp)))
    return out


def path_in(edges, comp, start):
    """A shortest cycle through start inside comp (breadth first)."""
    prev = {start: None}
    queue = [start]
    while queue:
        u = queue.pop(0)
        for w in sorted(edges.get(u, {})):
            if w not in comp:
                continue
            if w == start:
                ring = [u]
                while prev[ring[-1]] is not None:
                    ring.append(prev[ring[-1]])
                return list(reversed(ring))
            if w not in prev:
                prev[w] = u
                queue.append(w)
    return [start]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
