#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Build the API reference: run Doxygen, keep only the man pages that
belong in section 3, check that every public symbol has one, and fail on
any Doxygen warning (an undocumented symbol is one).

usage: doxygen.py DOXYGEN DOXYFILE OUTDIR

Doxygen writes OUTDIR/html, OUTDIR/man3 and OUTDIR/xml. Its man output
has one page per header and per struct; MAN_LINKS adds a page for each
symbol that sources the page documenting it (.so), so that
`man 3 smmu_vcpu_page_fault` finds shadowmmu.h(3). Those link pages are
kept for the library's own names only: a struct field's would be called
free.3 or lock.3 and shadow the C library's pages once installed. The
pages of host.h and x86.h become shadowmmu_host.h.3 and
shadowmmu_x86.h.3 for the same reason.
"""
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

PREFIXES = ("smmu_", "SMMU_", "X86_", "PFERR_")
# Kinds of index.xml members that get a page or a link page.
SYMBOL_KINDS = ("function", "define", "enum", "enumvalue", "typedef")


def main():
    doxygen, doxyfile, outdir = sys.argv[1:4]
    doxyfile, outdir = os.path.abspath(doxyfile), os.path.abspath(outdir)
    for sub in ("html", "man3", "xml"):
        shutil.rmtree(os.path.join(outdir, sub), ignore_errors=True)
    run = subprocess.run([doxygen, doxyfile], cwd=outdir,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         universal_newlines=True)
    warnings = [l for l in run.stderr.splitlines() if l.strip()]
    for line in warnings:
        print(line, file=sys.stderr)
    if run.returncode != 0 and not warnings:
        print(run.stdout, file=sys.stderr)
        print("docs: doxygen failed (exit %d)" % run.returncode,
              file=sys.stderr)
        return 1

    man3 = os.path.join(outdir, "man3")
    files, symbols, fields = read_index(os.path.join(outdir, "xml"))
    renamed = {}
    for f in files:
        if f != "shadowmmu.h":
            renamed[f] = "shadowmmu_" + f
    for old, new in renamed.items():
        src = os.path.join(man3, old + ".3")
        if os.path.exists(src):
            with open(src) as fh:
                text = fh.read()
            text = re.sub(r'^\.TH "%s"' % re.escape(old), '.TH "%s"' % new,
                          text, count=1, flags=re.M)
            with open(os.path.join(man3, new + ".3"), "w") as fh:
                fh.write(text)
            os.remove(src)
    for name in os.listdir(man3):
        path = os.path.join(man3, name)
        with open(path) as fh:
            text = fh.read()
        m = re.match(r"\.so man3/(.*)\.3\s*$", text)
        if not m:
            continue
        if not name.startswith(PREFIXES):
            os.remove(path)
        elif m.group(1) in renamed:
            with open(path, "w") as fh:
                fh.write(".so man3/%s.3\n" % renamed[m.group(1)])

    missing = sorted(s for s in symbols
                     if not os.path.exists(os.path.join(man3, s + ".3")))
    for s in missing:
        print("docs: no man page for %s" % s, file=sys.stderr)
    pages = len(os.listdir(man3))
    for sub in ("html", "man3"):
        os.utime(os.path.join(outdir, sub))
    print("docs: %d symbols and %d struct fields documented, %d man pages, "
          "%d doxygen warnings" % (len(symbols), fields, pages, len(warnings)))
    return 1 if warnings or missing or run.returncode else 0


def read_index(xmldir):
    """The headers, the public symbols and the number of struct fields
    Doxygen documented (what EXTRACT_ALL=NO lets through)."""
    root = ET.parse(os.path.join(xmldir, "index.xml")).getroot()
    files, symbols, fields = [], set(), 0
    for compound in root.findall("compound"):
        kind = compound.get("kind")
        name = compound.findtext("name")
        if kind == "file":
            files.append(name)
            for member in compound.findall("member"):
                if member.get("kind") in SYMBOL_KINDS:
                    symbols.add(member.findtext("name"))
        elif kind == "struct":
            symbols.add(name)
            fields += sum(1 for m in compound.findall("member")
                          if m.get("kind") == "variable")
    return files, symbols, fields


if __name__ == "__main__":
    sys.exit(main())
