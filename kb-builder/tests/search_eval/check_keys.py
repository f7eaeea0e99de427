#!/usr/bin/env python3
"""Check an evaluation set before it is used: every answer key must name a real article of
the corpus, and the tune/held split must be about half and half.

    check_keys.py <questions.yaml> <corpus-root>

A wrong key would silently count as a miss for every engine, so the set is checked against
the installed corpus itself, never against an index built from it.

Corpora (see eval-format): for gimp-help-ja the root is the HTML folder
(/usr/share/gimp/2.0/help/ja) and a key is `<path>` for `<root>/<path>.html`; for
manpages-ja the root is the installed tree's root (/ or a folder holding usr/share/man/ja)
and a key `<name>.<section>` is `usr/share/man/ja/man<section>/<name>.<section>[.gz]`.
Exits 1 with the problems listed, 0 with the counts otherwise.
"""

import os
import sys

try:
    import yaml
except ImportError:  # Debian: python3-yaml, PyPI: PyYAML
    sys.exit("check_keys.py needs PyYAML (apt-get install python3-yaml)")

SPLITS = ("tune", "held")
# "About half": neither side may hold more than this share of a section.
MAX_SHARE = 0.6


def key_exists(root, key):
    """Whether `key` names an article of the corpus installed under `root`."""
    if os.path.isfile(os.path.join(root, key + ".html")):
        return True
    name, dot, section = key.rpartition(".")
    if not dot or not name or not section:
        return False
    for man_root in (os.path.join(root, "usr/share/man/ja"), root):
        folder = os.path.join(man_root, "man" + section[0])
        if any(os.path.isfile(os.path.join(folder, key + ext)) for ext in ("", ".gz")):
            return True
    return False


def check_section(items, kind, root, problems):
    """Checks one list (questions or related); returns its split counts."""
    counts = {s: 0 for s in SPLITS}
    for n, item in enumerate(items, 1):
        label = f"{kind} {n} ({item.get('q') or item.get('subject')!r})"
        if kind == "questions" and not item.get("q"):
            problems.append(f"{label}: no q")
        if kind == "related" and not (item.get("subject") and item.get("body")):
            problems.append(f"{label}: needs subject and body")
        answers = item.get("answers") or []
        if not 1 <= len(answers) <= 4:
            problems.append(f"{label}: {len(answers)} answers (want 1-4)")
        if len(set(answers)) != len(answers):
            problems.append(f"{label}: an answer is listed twice")
        for key in answers:
            if not key_exists(root, str(key)):
                problems.append(f"{label}: answer {key!r} is not in the corpus")
        split = item.get("split")
        if split not in counts:
            problems.append(f"{label}: split {split!r} (want tune or held)")
        else:
            counts[split] += 1
    total = sum(counts.values())
    if total and max(counts.values()) > MAX_SHARE * total:
        problems.append(f"{kind}: split {counts} is not about half and half")
    return counts


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__)
    path, root = argv[1], argv[2]
    if not os.path.isdir(root):
        sys.exit(f"corpus root {root} is not a folder (is the package installed?)")
    with open(path, encoding="utf-8") as f:
        data = yaml.safe_load(f)
    problems = []
    report = []
    for kind in ("questions", "related"):
        items = data.get(kind) or []
        counts = check_section(items, kind, root, problems)
        report.append(f"{kind}: {len(items)} ({', '.join(f'{s} {counts[s]}' for s in SPLITS)})")
    for p in problems:
        print("PROBLEM", p)
    print("; ".join(report))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
