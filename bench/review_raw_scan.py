"""The baseline for `qunzu review scan`: the same JSON-lines loop around raw daachorse, nothing else.

    python bench/review_raw_scan.py --lexicon FILE < in.jsonl > out.jsonl

Loads the lexicon's terms as written (no normalisation), builds a character-wise daachorse automaton, and
answers each input line with the terms found and the strongest of their actions.
"""

from __future__ import annotations

import argparse
import io
import json
import sys

import daachorse

STRENGTH = {"allow": 0, "flag": 1, "hold": 2, "block": 3}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lexicon", required=True)
    args = parser.parse_args()
    terms: dict[str, str] = {}
    with open(args.lexicon, encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\r\n")
            if not line.strip() or line.startswith("#"):
                continue
            fields = line.split("\t")
            terms[fields[0]] = fields[2] if len(fields) > 2 and fields[2] else "block"
    words = list(terms)
    actions = [terms[w] for w in words]
    ac = daachorse.CharwiseDoubleArrayAhoCorasick(words)
    stdin = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8")
    out = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="\n")
    encode = json.JSONEncoder(ensure_ascii=False).encode
    for line in stdin:
        text = json.loads(line)["text"]
        ids = dict.fromkeys(pid for _, _, pid in ac.find_overlapping(text))
        action = max((actions[i] for i in ids), key=STRENGTH.__getitem__, default="allow")
        out.write(encode({"hits": [words[i] for i in ids], "action": action}) + "\n")
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
