#!/usr/bin/python3
"""bench/mailbench-results.py RESULTS NAME REPORT

Puts REPORT (a section that starts with "<!-- bench/NAME:" and ends with
"<!-- bench/NAME end -->") into RESULTS in place of the previous one, or at
the end if there was none.  Everything else in RESULTS (other benchmarks'
sections, hand-written analysis) is kept as it is.
"""
import os
import sys

path, name, report = sys.argv[1], sys.argv[2], sys.argv[3]
new = open(report).read().rstrip("\n") + "\n"
try:
    old = open(path).read()
except FileNotFoundError:
    old = ""
start = "<!-- bench/%s:" % name
end = "<!-- bench/%s end -->" % name
i = old.find(start)
j = old.find(end, i if i >= 0 else 0)
if i >= 0 and j >= 0:
    rest = old[j + len(end):]
    out = old[:i] + new + ("\n" + rest.lstrip("\n") if rest.strip() else "")
else:
    out = old.rstrip("\n") + ("\n\n" if old else "") + new
tmp = path + ".tmp"
with open(tmp, "w") as f:
    f.write(out)
os.rename(tmp, path)
