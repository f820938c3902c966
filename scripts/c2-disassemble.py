#!/usr/bin/env python3
"""Disassembles the methods C2 compiled, from a JVM's -XX:+PrintAssembly output, without hsdis.

Without a loadable hsdis (Debian's libhsdis0-fcml lacks the `decode_instructions_virtual` entry point that
JDK 25 needs), PrintAssembly prints each method's code as hex words; this rebuilds the bytes and hands them
to binutils' objdump. Usage, for the generated kernels of a benchmark or harness:

    java -XX:+UnlockDiagnosticVMOptions -XX:CompileCommand=print,*VectorMatmul*::tile* ... > asm.txt
    scripts/c2-disassemble.py asm.txt tile6x16    # every C2 (tier 4) compilation whose name contains it

It reads each method's main code from its [Verified Entry Point] to its stub code, so on-stack-replacement
compilations (" @ bci") are printed too, marked as such.
"""
import re
import subprocess
import sys
import tempfile


def methods(lines, name):
    """Yields (title, lines) of each C2 compilation whose title contains name."""
    current = None
    for line in lines:
        if line.startswith("Compiled method "):
            if current:
                yield current
            current = (line, []) if "(c2)" in line and name in line else None
        elif current:
            current[1].append(line)
    if current:
        yield current


def code_bytes(body):
    """The contiguous code from the first hex line, up to the stub code or the exception handler."""
    data, base = bytearray(), None
    for line in body:
        if line.startswith("[Exception Handler]") or line.startswith("[Stub Code]"):
            break
        m = re.match(r"\s+0x([0-9a-f]+): ([0-9a-f |]+)$", line.rstrip())
        if not m:
            continue
        addr = int(m.group(1), 16)
        if base is None:
            base = addr
        if addr != base + len(data):
            continue  # a comment line repeats an address already read
        data += bytes.fromhex(m.group(2).replace("|", "").replace(" ", ""))
    return base, bytes(data)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: scripts/c2-disassemble.py PRINT_ASSEMBLY_OUTPUT METHOD_NAME_PART")
    with open(sys.argv[1], encoding="utf-8", errors="replace") as f:
        lines = f.read().split("\n")
    found = False
    for title, body in methods(lines, sys.argv[2]):
        base, data = code_bytes(body)
        if base is None:
            continue
        found = True
        with tempfile.NamedTemporaryFile(suffix=".bin") as tmp:
            tmp.write(data)
            tmp.flush()
            out = subprocess.run(["objdump", "-D", "-b", "binary", "-mi386:x86-64", "-M", "intel",
                                  "--adjust-vma=%#x" % base, tmp.name], capture_output=True, text=True, check=True).stdout
        print("=" * 8, title.strip())
        print("\n".join(l for l in out.split("\n")[7:]))
    if not found:
        sys.exit("no C2 compilation of a method named like %r in %s" % (sys.argv[2], sys.argv[1]))


if __name__ == "__main__":
    main()
