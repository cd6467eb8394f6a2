#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Every function declared in a src/**/*.h must be named in the SYNOPSIS of
the manual-page comment of the .c beside it (STYLE.md). Prints each missing
name as FILE.c: NAME and exits 1; exits 0 when every one is listed.
Usage: synopsis.py SRCDIR"""
import os, re, sys

def functions(header_text):
    t = re.sub(r'/\*.*?\*/', ' ', header_text, flags=re.S)
    t = re.sub(r'//[^\n]*', ' ', t)
    t = re.sub(r'\\\n', ' ', t)	# a macro's continued lines are one line
    t = re.sub(r'^\s*#.*$', ' ', t, flags=re.M)
    names, depth, stmt = [], 0, ''
    for ch in t:
        if ch == '{':
            if depth == 0:
                names += declared(stmt)
                stmt = ''
            depth += 1
        elif ch == '}':
            depth -= 1
        elif depth == 0:
            if ch == ';':
                names += declared(stmt)
                stmt = ''
            else:
                stmt += ch
    return names

def declared(stmt):
    s = ' '.join(stmt.split())
    # static inline helpers of a header are no module's public functions
    if not s or s.startswith('typedef') or s.startswith('static ') or s.startswith('struct ') and '(' not in s:
        return []
    m = re.search(r'\b([A-Za-z_]\w*)\s*\(', s)
    if not m or m.group(1) in ('__attribute__', '_Static_assert', 'static_assert'):
        return []
    # a function pointer variable: type (*name)(...)
    if re.match(r'[^(]*\(\s*\*', s):
        return []
    return [m.group(1)]

def synopsis(c_text):
    lines = c_text.split('\n')
    out, inside = [], False
    for ln in lines[:400]:
        if re.match(r'^\s*\*\s*SYNOPSIS\s*$', ln):
            inside = True
            continue
        if inside:
            if re.match(r'^\s*\*\s*[A-Z][A-Z /]+$', ln) or '*/' in ln:
                break
            out.append(ln)
    return '\n'.join(out), inside

def main():
    src = sys.argv[1]
    missing, checked, nfun = 0, 0, 0
    for root, _, files in sorted(os.walk(src)):
        for f in sorted(files):
            if not f.endswith('.h'):
                continue
            h = os.path.join(root, f)
            c = h[:-2] + '.c'
            names = functions(open(h, encoding='utf-8', errors='replace').read())
            if not names:
                continue
            if not os.path.exists(c):
                # header-only module: its own header comment holds the SYNOPSIS
                c = h
            text, found = synopsis(open(c, encoding='utf-8', errors='replace').read())
            checked += 1
            if not found:
                print(f'{c}: no SYNOPSIS section, yet {h} declares {len(names)} function(s)')
                missing += len(names)
                continue
            for n in names:
                nfun += 1
                if not re.search(r'\b' + re.escape(n) + r'\b', text):
                    print(f'{c}: {n} (declared in {h}) is not named in its SYNOPSIS')
                    missing += 1
    if checked == 0 or nfun == 0:
        print(f'synopsis: no header declaring functions found under {src}')
        return 1
    print(f'synopsis: {nfun} public functions in {checked} modules, {missing} missing from their SYNOPSIS')
    return 1 if missing else 0

sys.exit(main())
