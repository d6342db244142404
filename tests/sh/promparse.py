#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""Read a /metrics page as Prometheus does, for the shell tests.

    promparse.py dups PAGE...       exit 1 and print them if two samples of a
                                    page share their name and labels
    promparse.py series PAGE NAME   one JSON object per sample of NAME: its labels
                                    (values as Prometheus stores them) and, for
                                    comm and key, the name they stand for, bytes
                                    in hex, decoding wattprobe's lossless escape
    promparse.py families PAGE      the metric families of the page, one a line
"""
import json
import re
import sys

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')


def labels(text):
    """The labels of a sample line, unescaped as the text format says."""
    out, i = [], 0
    while i < len(text):
        m = re.match(r'([a-zA-Z_][a-zA-Z0-9_]*)="', text[i:])
        if not m:
            raise ValueError('bad labels: %r' % text)
        i += m.end()
        value = []
        while text[i] != '"':
            if text[i] == '\\':
                i += 1
                value.append({'n': '\n', '\\': '\\', '"': '"'}[text[i]])
            else:
                value.append(text[i])
            i += 1
        i += 1
        out.append((m.group(1), ''.join(value)))
        if i < len(text):
            if text[i] != ',':
                raise ValueError('bad labels: %r' % text)
            i += 1
    return out


def parse(page):
    for line in page.split('\n'):
        if not line or line.startswith('#'):
            continue
        m = SAMPLE.match(line)
        if not m:
            raise ValueError('bad line: %r' % line)
        yield m.group(1), labels(m.group(3) or ''), float(m.group(4))


def decode(value):
    """wattprobe's escape back to the bytes of the name: \\\\ and \\xHH."""
    raw, i, b = bytearray(), 0, value.encode('utf-8')
    while i < len(b):
        if b[i:i + 2] == b'\\\\':
            raw.append(0x5c)
            i += 2
        elif b[i:i + 2] == b'\\x':
            raw.append(int(b[i + 2:i + 4], 16))
            i += 4
        else:
            raw.append(b[i])
            i += 1
    return bytes(raw)


def main():
    cmd, page = sys.argv[1], open(sys.argv[2], encoding='utf-8').read()
    if cmd == 'dups':
        bad = 0
        for path in sys.argv[2:]:
            seen = set()
            for name, ls, _ in parse(open(path, encoding='utf-8').read()):
                key = (name, tuple(sorted(ls)))
                if key in seen:
                    print('%s: duplicate series: %s' % (path, key))
                    bad += 1
                seen.add(key)
        sys.exit(1 if bad else 0)
    elif cmd == 'series':
        for name, ls, value in parse(page):
            if name != sys.argv[3]:
                continue
            d = dict(ls)
            for k in ('comm', 'key'):
                if k in d:
                    d[k + '_hex'] = decode(d[k]).hex()
            d['value'] = value
            print(json.dumps(d))
    elif cmd == 'families':
        for name in sorted({n for n, _, _ in parse(page)}):
            print(name)
    else:
        sys.exit('unknown command ' + cmd)


if __name__ == '__main__':
    main()
