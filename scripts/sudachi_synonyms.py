#!/usr/bin/env python3
"""Convert the Sudachi synonym dictionary into kb-builder/data/synonyms/sudachi.tsv.

Run once by a developer when the dictionary should be refreshed; never at build or test
time (the TSV is committed and compiled into kb-builder with include_str!).

Where the dictionary comes from
-------------------------------
The PyPI package `chikkarpy` does NOT ship the dictionary: its setup.py downloads it from
the internet while installing, which fails on machines that reach only the package
registries. The npm package `sudachi-synonyms-dictionary` (Apache-2.0) ships the whole
SudachiDict `src/main/text/synonyms.txt`, parsed into JSON, so this script reads that:

    mkdir /tmp/syn && cd /tmp/syn
    npm pack sudachi-synonyms-dictionary@18.0.0 && tar xzf sudachi-synonyms-dictionary-18.0.0.tgz
    python3 scripts/sudachi_synonyms.py /tmp/syn/package/sudachi-synonyms-dictionary.json \
        --source "npm sudachi-synonyms-dictionary 18.0.0"

It also reads SudachiDict's own `synonyms.txt` (the source format documented in
SudachiDict's docs/synonyms.md), should one be at hand: one CSV line per headword, groups
separated by blank lines, fields

    0 group id, 1 体言/用言 (1/2), 2 expansion control (0 always, 1 only as a target,
    2 never), 3 lexeme id in the group, 4 form type (0 headword, 1 translation, 2 alias,
    3 old name, 4 misuse), 5 abbreviation (0 no, 1 alphabetic, 2 other), 6 spelling
    variant (0 representative, 1 alphabetic, 2 variant, 3 misspelling), 7 domains
    "(IT/ビジネス)", 8 headword

What is kept (for query expansion in technical and product-support text)
------------------------------------------------------------------------
- members with expansion control 0 (may trigger expansion and be reached) and 1 (only a
  target: reached from the group's other members, never expanding by itself; written
  with a leading `~`); control 2 ("never expand", kept by Sudachi as deletion history)
  is dropped;
- misuses (form type 4) and misspellings (spelling variant 3) are dropped;
- members whose domains are all in DROP_DOMAINS (people's and universities' names, sports,
  food, fashion, music, ...: words a software-support question does not ask about) are
  dropped; words without a domain and IT, business, company names, units etc. are kept;
- one-character ASCII members ("c", "m") are dropped: as a query term they match
  everything;
- every member is normalised with NFKC + lowercase (as kb-builder's `synonyms::fold`),
  and duplicates within a group are merged (a member stays a trigger if any copy is);
- a group is kept when it still has >= 2 members and at least one of them can trigger.

Output: a comment header (source, licence, counts), then one group per line, members
separated by TAB, target-only members prefixed with `~`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import unicodedata
from dataclasses import dataclass

DEFAULT_OUT = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "kb-builder", "data", "synonyms", "sudachi.tsv"
)

# Domains (Sudachi's 分野情報) that a software-support knowledge base does not need.
DROP_DOMAINS = {
    "人名",
    "大学名",
    "スポーツ",
    "動植物",
    "料理",
    "ファッション",
    "音楽",
    "娯楽",
    "キャラ",
    "美容",
    "不快",
    "観光",
    "地形",
}

TARGET_ONLY = "~"


@dataclass
class Member:
    headword: str
    expand: int  # 0 always, 1 only as a target, 2 never
    misuse: bool  # form type 4 or spelling variant 3
    domains: list[str]


def fold(word: str) -> str:
    """NFKC + lowercase, trimmed, inner whitespace runs collapsed to one space."""
    return " ".join(unicodedata.normalize("NFKC", word).lower().split())


def read_json(path: str) -> list[tuple[str, list[Member]]]:
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    groups = []
    for g in data:
        members = [
            Member(
                headword=i["midashi"],
                expand=int(i.get("expandControl", 0)),
                misuse=i.get("gokeiSyubetsu") == "間違い" or i.get("hyoukiYure") == "間違い表記",
                domains=list(i.get("bunya", [])),
            )
            for i in g["items"]
        ]
        groups.append((g["id"], members))
    return groups


def read_txt(path: str) -> list[tuple[str, list[Member]]]:
    groups: list[tuple[str, list[Member]]] = []
    current_id = None
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\r\n")
            if not line.strip():
                current_id = None
                continue
            fields = line.split(",")
            if len(fields) < 9:
                sys.exit(f"{path}:{n}: expected at least 9 comma-separated fields")
            gid = fields[0]
            if current_id != gid:
                groups.append((gid, []))
                current_id = gid
            domains = fields[7].strip().strip("()")
            groups[-1][1].append(
                Member(
                    headword=fields[8],
                    expand=int(fields[2] or 0),
                    misuse=fields[4] == "4" or fields[6] == "3",
                    domains=[d for d in domains.split("/") if d],
                )
            )
    return groups


def usable(m: Member) -> bool:
    if m.expand == 2 or m.misuse:
        return False
    if m.domains and all(d in DROP_DOMAINS for d in m.domains):
        return False
    word = fold(m.headword)
    if not word or "\t" in word or word.startswith(TARGET_ONLY):
        return False
    if len(word) == 1 and word.isascii():
        return False
    return True


def convert(groups):
    """Returns the kept groups as lists of (word, is_trigger), in dictionary order."""
    kept = []
    stats = {"groups_in": len(groups), "members_in": sum(len(ms) for _, ms in groups)}
    for _gid, members in groups:
        words: dict[str, bool] = {}
        for m in members:
            if not usable(m):
                continue
            w = fold(m.headword)
            words[w] = words.get(w, False) or m.expand == 0
        if len(words) >= 2 and any(words.values()):
            kept.append(list(words.items()))
    stats["groups_out"] = len(kept)
    stats["members_out"] = sum(len(g) for g in kept)
    stats["target_only"] = sum(1 for g in kept for _, t in g if not t)
    return kept, stats


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("input", help="sudachi-synonyms-dictionary.json (npm) or SudachiDict synonyms.txt")
    ap.add_argument("--source", required=True, help='where the input came from, e.g. "npm sudachi-synonyms-dictionary 18.0.0"')
    ap.add_argument("-o", "--output", default=DEFAULT_OUT)
    args = ap.parse_args()

    with open(args.input, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    groups = read_json(args.input) if args.input.endswith(".json") else read_txt(args.input)
    kept, stats = convert(groups)

    header = [
        "# Sudachi synonym dictionary (SudachiDict src/main/text/synonyms.txt), converted for",
        "# query expansion by scripts/sudachi_synonyms.py. Do not edit by hand: re-run the script.",
        f"# source: {args.source}; input sha256 {sha}",
        "# licence: Apache-2.0, Copyright (c) 2017 Works Applications Co., Ltd. (see LICENSE beside this file)",
        f"# kept {stats['groups_out']} of {stats['groups_in']} groups, {stats['members_out']} of {stats['members_in']} members",
        "# (dropped: never-expand, misuses, misspellings, domains " + "/".join(sorted(DROP_DOMAINS)) + ")",
        "# format: one group per line, members separated by TAB, NFKC + lowercase;",
        "# `~word` is only a target: reached from the others, never expanding by itself.",
    ]
    out = os.path.normpath(args.output)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(header) + "\n")
        for g in kept:
            f.write("\t".join(w if t else TARGET_ONLY + w for w, t in g) + "\n")

    size = os.path.getsize(out)
    print(f"{out}: {stats['groups_out']} groups, {stats['members_out']} members "
          f"({stats['target_only']} target-only), {size:,} bytes")
    print(f"read {stats['groups_in']} groups, {stats['members_in']} members from {args.input}")


if __name__ == "__main__":
    main()
