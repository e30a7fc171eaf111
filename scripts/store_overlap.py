#!/usr/bin/env python3
"""How much the two stores repeat: lines of code (not blank, not comments, not lone
punctuation) of hookd-store-sqlite/src whose whitespace-folded text also stands in
hookd-store-postgres/src, and the same the other way."""
import os, re, sys
repo = sys.argv[1] if len(sys.argv) > 1 else "."
def lines(d):
    out = []
    for root, _, files in os.walk(os.path.join(repo, "crates", d, "src")):
        for f in sorted(files):
            if f.endswith(".rs"):
                for l in open(os.path.join(root, f)):
                    t = re.sub(r"\s+", " ", l.strip())
                    if not t or t.startswith("//") or re.fullmatch(r"[\[\](){};,.]*", t): continue
                    out.append(t)
    return out
s, p = lines("hookd-store-sqlite"), lines("hookd-store-postgres")
ss, ps = set(s), set(p)
print(f"sqlite: {len(s)} code lines, {sum(1 for l in s if l in ps)} also in postgres; "
      f"postgres: {len(p)} code lines, {sum(1 for l in p if l in ss)} also in sqlite")
