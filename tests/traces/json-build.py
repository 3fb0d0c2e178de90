# SPDX-License-Identifier: MPL-2.0
"""Build a JSON document of N records and serialise it.

The workload behind tests/traces/python-json.trace (see README.md).  The
encoder is written out here, and nothing is imported, because importing
the json module (and with it re) costs more allocations than the work
itself and would crowd it out of a small trace.
"""
import sys


def encode_string(s, out):
    out.append('"')
    for ch in s:
        if ch == '"' or ch == '\\':
            out.append('\\' + ch)
        elif ch < ' ':
            out.append('\\u%04x' % ord(ch))
        else:
            out.append(ch)
    out.append('"')


def encode(value, out, indent=0):
    pad = '\n' + ' ' * (indent + 1)
    if isinstance(value, dict):
        out.append('{')
        for i, key in enumerate(sorted(value)):
            out.append(',' + pad if i else pad)
            encode_string(key, out)
            out.append(': ')
            encode(value[key], out, indent + 1)
        out.append('\n' + ' ' * indent + '}')
    elif isinstance(value, list):
        out.append('[')
        for i, item in enumerate(value):
            out.append(',' + pad if i else pad)
            encode(item, out, indent + 1)
        out.append('\n' + ' ' * indent + ']')
    elif isinstance(value, str):
        encode_string(value, out)
    elif value is None:
        out.append('null')
    elif value is True or value is False:
        out.append('true' if value else 'false')
    else:
        out.append(repr(value))


def build(n):
    doc = {"version": 1, "generator": "json-build.py", "items": []}
    for i in range(n):
        doc["items"].append({
            "id": i,
            "name": "item-%d" % i,
            "tags": ["t%d" % (i % 7), "t%d" % (i % 11)],
            "price": i * 1.25,
            "active": i % 3 == 0,
            "note": None if i % 5 else "every fifth item has a \"note\"",
            "children": [{"k": j, "v": "x" * (j * 13 % 50)}
                         for j in range(i % 9)],
        })
    return doc


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    doc = build(n)
    out = []
    encode(doc, out)
    text = ''.join(out)
    # Drop half the records and serialise again: frees amid live data.
    del doc["items"][::2]
    out = []
    encode(doc, out)
    text2 = ''.join(out)
    sys.stdout.write("%d and %d bytes of JSON\n" % (len(text), len(text2)))


main()
