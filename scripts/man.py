#!/usr/bin/env python3
"""Turns the docs into man pages, so `man hansa` says what docs/cli.md says.

    scripts/man.py NAME SECTION SUMMARY OUT.md-files... > NAME.SECTION

A small Markdown-to-roff converter for the subset the docs use: headings,
paragraphs, bullet lists, fenced code blocks, pipe tables, `code`, **bold**,
and [text](link). Standard library only.
"""
import datetime
import re
import sys


def inline(text):
    text = text.replace("\\", "\\\\")
    text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", text)
    text = re.sub(r"\*\*([^*]+)\*\*", r"\\fB\1\\fR", text)
    text = re.sub(r"`([^`]+)`", r"\\fB\1\\fR", text)
    text = text.replace("→", "->").replace("—", "\\(em").replace("…", "...")
    return text


def line_out(text):
    # A line starting with . or ' would be a roff request.
    return ("\\&" + text) if text[:1] in (".", "'") else text


def convert(md):
    out, in_code, para = [], False, False
    for raw in md.splitlines():
        line = raw.rstrip()
        if line.startswith("```"):
            out.append(".EX" if not in_code else ".EE")
            in_code = not in_code
            continue
        if in_code:
            out.append(line_out(line.replace("\\", "\\e")))
            continue
        if line.startswith("# "):
            continue  # the page title is the .TH line
        if line.startswith("## "):
            out.append(f".SH {inline(line[3:]).upper()}")
        elif line.startswith("### "):
            out.append(f".SS {inline(line[4:])}")
        elif re.match(r"^\|[-| :]+\|$", line):
            continue  # table rule
        elif line.startswith("|"):
            cells = [inline(c.strip()) for c in line.strip("|").split("|")]
            out.append(".TP\n" + line_out(cells[0]) + "\n" + line_out(" \\(em ".join(cells[1:])))
        elif re.match(r"^\s*[-*] ", line):
            out.append(".IP \\(bu 2\n" + line_out(inline(re.sub(r"^\s*[-*] ", "", line))))
        elif re.match(r"^\d+\. ", line):
            n, rest = line.split(" ", 1)
            out.append(f".IP {n} 4\n" + line_out(inline(rest)))
        elif line == "":
            out.append(".PP")
        else:
            out.append(line_out(inline(line.strip())))
    return "\n".join(out)


def ascii_only(text):
    """Non-ASCII characters as groff's \\[uXXXX], so any troff reads the page."""
    plain = {"\u2016": "||", "\u00d7": "x", "\u2192": "->", "\u2265": ">=", "\u2264": "<=", "\u2248": "~",
             "\u2260": "!=", "\u2212": "-", "\u2013": "-", "\u2714": "ok", "\u2718": "x"}
    text = "".join(plain.get(c, c) for c in text)
    return "".join(c if ord(c) < 128 else f"\\[u{ord(c):04X}]" for c in text)


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    name, section, summary, files = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    date = datetime.date.today().isoformat()
    print(f'.TH {name.upper()} {section} "{date}" "hansa" "hansa manual"')
    print(f".SH NAME\n{name} \\- {inline(summary)}")
    for f in files:
        with open(f, encoding="utf-8") as fh:
            print(ascii_only(convert(fh.read())))
    print(".SH SEE ALSO\nThe full documentation is in /usr/share/doc/hansa/.")


if __name__ == "__main__":
    main()
