#!/usr/bin/env python3
"""Turns an installed external corpus into a kb-builder content tree, for the search
evaluation (kb-builder/tests/search_eval.rs; see kb-builder/tests/search_eval/README.md).

    convert.py manpages-ja OUT      # Debian's manpages-ja (Japanese manual pages)
    convert.py gimp-help-ja OUT     # Debian's gimp-help-ja (the GIMP 2.10 manual, HTML)

OUT receives `content/` (a tree `kb_builder::site::build` accepts: `_site.yaml`, one
category folder per man section / page group, one Markdown article per page, all public and
Japanese) and `keys.tsv` (id<TAB>article key, sorted by key; ids are 1.. in that order, so
the same package version always gives the same ids). The conversion is skipped when OUT
already holds one made from the same package version by the same script (`stamp`).

The corpora are not ours and stay in Debian: nothing of them is committed, only the
questions and their answer keys. Python standard library only.

Exit status 2 with a message naming tests/run when the package is not installed: the
evaluation must fail, not skip, when a corpus it lists is missing.
"""

import gzip
import hashlib
import html.parser
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CREATED = "2024-01-01T00:00:00+09:00"
UPDATED = "2024-01-01T00:00:00+09:00"


class Missing(Exception):
    """The corpus package is not installed (or its files are not readable)."""


# --------------------------------------------------------------------------------------
# The package and its files


def installed_version(package):
    try:
        out = subprocess.run(
            ["dpkg-query", "-W", "-f=${db:Status-Status} ${Version}", package],
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError as e:
        raise Missing(f"dpkg-query is not available: {e}") from e
    fields = out.stdout.split()
    if out.returncode != 0 or len(fields) != 2 or fields[0] != "installed":
        raise Missing(
            f"the Debian package {package} is not installed: run tests/run (it installs "
            f"what NEEDS lists), or apt-get install {package}"
        )
    return fields[1]


def package_files(package):
    out = subprocess.run(
        ["dpkg-query", "-L", package], capture_output=True, text=True, check=True
    )
    return [line for line in out.stdout.splitlines() if line.startswith("/")]


def package_root(package, version, cache):
    """The folder the package's files are under: `/` when dpkg put them there, else the
    .deb unpacked into `cache` (Docker images often drop /usr/share/man and docs)."""
    files = [f for f in package_files(package) if not os.path.isdir(f)]
    wanted = [f for f in files if f.endswith((".gz", ".html"))]
    if wanted and all(os.path.lexists(f) for f in wanted):
        return Path("/")
    unpacked = cache / f"deb-{package}-{version}"
    if (unpacked / ".done").exists():
        return unpacked
    debdir = cache / "deb"
    debdir.mkdir(parents=True, exist_ok=True)
    debs = sorted(debdir.glob(f"{package}_*.deb"))
    deb = next((d for d in debs if version.split(":")[-1] in d.name), None)
    if deb is None:
        for d in Path("/var/cache/apt/archives").glob(f"{package}_*.deb"):
            if version.split(":")[-1] in d.name:
                deb = d
        if deb is None:
            subprocess.run(
                ["apt-get", "download", f"{package}={version}"], cwd=debdir, check=True
            )
            deb = next(d for d in debdir.glob(f"{package}_*.deb"))
    shutil.rmtree(unpacked, ignore_errors=True)
    subprocess.run(["dpkg-deb", "-x", str(deb), str(unpacked)], check=True)
    (unpacked / ".done").write_text(version)
    return unpacked


# --------------------------------------------------------------------------------------
# roff -> text (man and mdoc macros; enough for search, not for typesetting)

CHARS = {
    "em": "—", "en": "–", "hy": "-", "bu": "•", "aq": "'", "dq": '"', "lq": "“",
    "rq": "”", "oq": "‘", "cq": "’", "co": "©", "rg": "®", "tm": "™", "mu": "×",
    "di": "÷", ">=": "≥", "<=": "≤", "!=": "≠", "rs": "\\", "ti": "~", "ha": "^",
    "ga": "`", "aa": "´", "at": "@", "sh": "#", "sl": "/", "pl": "+", "mi": "-",
    "eq": "=", "->": "→", "<-": "←", "da": "↓", "ua": "↑", "de": "°", "+-": "±",
    "Fo": "«", "Fc": "»", "fo": "‹", "fc": "›", "ba": "|", "br": "|", "or": "|",
    "lB": "[", "rB": "]", "lC": "{", "rC": "}", "la": "⟨", "ra": "⟩", "ss": "ß",
    "ct": "¢", "ps": "¶", "sc": "§", "dg": "†", "Eu": "€", "eu": "€",
}
STRINGS = {"lq": "“", "rq": "”", "R": "®", "Tm": "™", "Ba": "|", "q": '"'}

ESCAPE = re.compile(
    r"""\\(?:
        (?P<font>f(?:\[[^\]]*\]|\(..|.))
      | (?P<char>\((?P<c2>..)|\[(?P<cn>[^\]]*)\])
      | (?P<str>\*(?:\[(?P<sn>[^\]]*)\]|\((?P<s2>..)|(?P<s1>.)))
      | (?P<size>s(?:[+-]?\d|\[[^\]]*\]|\([+-]?\d\d|'[^']*'))
      | (?P<reg>n(?:\[[^\]]*\]|\(..|.))
      | (?P<arg>[hvwlLoDNbxXRSZ]'[^']*')
      | (?P<gone>[&|^%:cdup,/\{\}zkCamMOVYg]|\$\d)
      | (?P<space>[ ~0t])
      | (?P<minus>-)
      | (?P<back>[e\\])
      | (?P<other>.)
    )""",
    re.X,
)


def unescape(text):
    def one(m):
        if m.group("font") or m.group("size") or m.group("reg") or m.group("arg"):
            return ""
        if m.group("char"):
            name = m.group("c2") or m.group("cn") or ""
            if name.startswith("u") and re.fullmatch(r"u[0-9A-Fa-f]{4,6}", name):
                return chr(int(name[1:], 16))
            return CHARS.get(name, "")
        if m.group("str"):
            name = m.group("sn") or m.group("s2") or m.group("s1") or ""
            return STRINGS.get(name, "")
        if m.group("gone") is not None:
            return ""
        if m.group("space"):
            return " "
        if m.group("minus"):
            return "-"
        if m.group("back"):
            return "\\"
        return m.group("other")

    text = re.sub(r'\\".*$', "", text)  # comment to end of line
    return ESCAPE.sub(one, text)


def split_args(rest):
    """A macro's arguments: space separated, "double quoted" ones may hold spaces."""
    args, cur, quoted, i = [], "", False, 0
    started = False
    while i < len(rest):
        c = rest[i]
        if quoted:
            if c == '"':
                if rest[i + 1 : i + 2] == '"':
                    cur += '"'
                    i += 1
                else:
                    quoted = False
            else:
                cur += c
        elif c == '"' and not started:
            quoted, started = True, True
        elif c in " \t":
            if started:
                args.append(cur)
                cur, started = "", False
        elif c == "\\" and i + 1 < len(rest):
            cur += rest[i : i + 2]
            started = True
            i += 1
        else:
            cur += c
            started = True
        i += 1
    if started:
        args.append(cur)
    return args


MDOC_CALLABLE = set(
    "Ac Ad An Ao Ap Aq Ar At Bc Bo Bq Brc Bro Brq Bsx Bx Cd Cm Dc Do Dq Dv Dx Ec Em En Eo "
    "Er Es Ev Fa Fc Fl Fn Fo Fr Ft Fx Ic Li Lk Ms Mt Nm No Ns Nx Oc Oo Op Ox Pa Pc Pf Po Pq "
    "Qc Ql Qo Qq Sc So Sq Sx Sy Tn Ux Va Vt Xc Xo Xr".split()
)
HEADINGS = {"SH", "SS", "Sh", "Ss"}
BREAKS = {"PP", "P", "LP", "TP", "TQ", "IP", "HP", "Pp", "Lp", "sp", "br", "It", "Bl",
          "El", "Bd", "Ed", "nf", "fi", "EX", "EE", "RS", "RE", "in", "ti", "ce", "Sp",
          "YS", "SY", "Dl", "D1", "TS", "TE", "ne", "bp", "PD"}
SKIPPED_REQUESTS = {
    "TH", "Dd", "Dt", "Os", "ft", "ad", "na", "hy", "nh", "nr", "ds", "as", "ll", "ps",
    "vs", "ta", "tr", "so", "ev", "lf", "mk", "rt", "tm", "cu", "ul", "ss", "cs", "rm",
    "rn", "ch", "wh", "it", "pc", "pl", "po", "ns", "rs", "lt", "nm", "nn", "UC", "PD",
    "IX", "hw", "hc", "fl", "ec", "eo", "cc", "c2", "ab", "ex", "pm", "fp", "fam", "mso",
    "do", "char", "ftr", "warn", "cp", "Bl", "El", "Bd", "Ed", "nf", "fi", "EX", "EE",
    "RS", "RE", "in", "ti", "ce", "sp", "br", "PP", "P", "LP", "Pp", "Lp", "ne", "bp",
    "TS", "TE", "TQ", "YS", "UE", "ME", "Sp", "Vb", "Ve", "fc", "ie", "if", "el", "de",
    "am", "ig", "Ef", "Ek", "Bf", "Bk", "Ns",
}


def is_cjk(c):
    o = ord(c)
    return (
        0x3000 <= o <= 0x30FF
        or 0x3400 <= o <= 0x4DBF
        or 0x4E00 <= o <= 0x9FFF
        or 0xF900 <= o <= 0xFAFF
        or 0xFF00 <= o <= 0xFFEF
    )


def join(a, b):
    """Joins two source lines of one paragraph: no space between Japanese characters
    (roff's space there would split words the reader sees as one)."""
    if not a:
        return b
    if not b:
        return a
    if is_cjk(a[-1]) and is_cjk(b[0]):
        return a + b
    return a + " " + b


def roff_to_blocks(src):
    """Returns (name line text or None, [(kind, text)]) with kind "h" (heading) or "p"."""
    blocks = []
    para = ""
    name_section = False
    name_text = ""
    lines = src.splitlines()
    i = 0
    in_table = False
    table_format = False
    skip_until_dots = False
    brace_depth = 0

    def flush():
        nonlocal para
        t = re.sub(r"\s+", " ", para).strip()
        if t:
            blocks.append(("p", t))
        para = ""

    def add(text):
        nonlocal para, name_text
        text = text.strip()
        if not text:
            return
        para = join(para, text)
        if name_section:
            name_text = join(name_text, text)

    while i < len(lines):
        line = lines[i]
        i += 1
        if skip_until_dots:
            if line.startswith(".."):
                skip_until_dots = False
            continue
        if brace_depth > 0:
            brace_depth += line.count("\\{") - line.count("\\}")
            continue
        if in_table:
            if line.startswith(".TE"):
                in_table = False
                flush()
                continue
            if table_format:
                if line.rstrip().endswith("."):
                    table_format = False
                continue
            if line.startswith("."):
                continue
            cells = [unescape(c.replace("T{", "").replace("T}", "")) for c in line.split("\t")]
            add(" ".join(c.strip() for c in cells if c.strip()))
            continue
        while line.endswith("\\") and not line.endswith("\\\\") and i < len(lines):
            line = line[:-1] + lines[i]
            i += 1
        if line.startswith((".", "'")):
            body = line[1:].lstrip()
            if body.startswith(('\\"', "\\#")) or body == "":
                continue
            m = re.match(r"(\S+)\s*(.*)$", body)
            name, rest = m.group(1), m.group(2)
            if name in ("de", "de1", "am", "ig"):
                skip_until_dots = True
                continue
            if name in ("if", "ie", "el"):
                brace_depth = rest.count("\\{") - rest.count("\\}")
                continue
            if name == "TS":
                flush()
                in_table, table_format = True, True
                continue
            if name in HEADINGS:
                flush()
                text = unescape(" ".join(split_args(rest))).strip()
                if not text and i < len(lines):  # .SH with the heading on the next line
                    text = unescape(lines[i]).strip()
                    i += 1
                name_section = text.upper() in ("名前", "NAME", "名称") or text in ("名 前",)
                if text:
                    blocks.append(("h", text))
                continue
            if name in ("Nd",):
                add("- " + unescape(" ".join(split_args(rest))))
                continue
            if name in BREAKS:
                flush()
                if name in ("IP", "TQ") or (name == "It" and rest):
                    args = split_args(rest)
                    words = [a for a in args if a not in MDOC_CALLABLE] if name == "It" else args[:1]
                    add(unescape(" ".join(words)))
                    flush()
                continue
            if name in SKIPPED_REQUESTS:
                continue
            args = split_args(rest)
            if name in ("B", "I", "SM", "SB", "C", "CW", "R", "Tn", "Em", "Sy", "Li"):
                if not args and i < len(lines) and not lines[i].startswith("."):
                    add(unescape(lines[i]))  # the text is on the next line
                    i += 1
                else:
                    add(unescape(" ".join(args)))
                continue
            if name in ("BR", "RB", "BI", "IB", "IR", "RI", "SB"):
                add(unescape("".join(args)))
                continue
            if name in ("UR", "MT"):
                continue
            if name == "OP":
                add("[" + unescape(" ".join(args)) + "]")
                continue
            if name in MDOC_CALLABLE or name in ("Xr", "Nm", "Op", "Fl", "Ar", "Dq", "Pa"):
                words = [unescape(a) for a in args if a not in MDOC_CALLABLE]
                if name == "Fl":
                    words = ["-" + w for w in words] or ["-"]
                add(" ".join(words))
                continue
            # Any other macro (a page's own, e.g. .argument): its arguments are text.
            if re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name) and not name.islower():
                add(unescape(" ".join(a for a in args if a not in MDOC_CALLABLE)))
            continue
        add(unescape(line))
    flush()
    return (name_text or None), blocks


def man_title(key, name_text, blocks):
    name, section = key.rsplit(".", 1)
    desc = ""
    text = name_text or ""
    m = re.search(r"\s[-–—]+\s|\s-\s*|^[-–—]\s*", text)
    if m:
        desc = text[m.end():].strip()
    elif name_text:
        desc = text.strip()
    desc = re.sub(r"\s+", " ", desc)
    title = f"{name}({section})"
    return f"{title} - {desc}" if desc else title


def man_names(name_text, name):
    """The names the NAME line lists before its dash (chown, fchown, lchown)."""
    if not name_text:
        return [name]
    head = re.split(r"\s[-–—]+\s|\s-\s*|^[-–—]", name_text, maxsplit=1)[0]
    names = [n.strip() for n in re.split(r"[,\s]+", head) if n.strip()]
    names = [n for n in names if re.fullmatch(r"[\w.+:@\[\]-]+", n)]
    return names or [name]


def manpages(root):
    """(key, title, keywords, category, blocks) for every page of manpages-ja that is a
    page (aliases, as symlinks or `.so` includes, are skipped)."""
    base = root / "usr/share/man/ja"
    out = []
    for path in sorted(base.glob("man*/*.gz")):
        if path.is_symlink():
            continue
        section_dir = path.parent.name[3:]
        stem = path.name[: -len(".gz")]
        if "." not in stem:
            continue
        name = stem.rsplit(".", 1)[0]
        key = f"{name}.{section_dir}"
        with gzip.open(path, "rb") as f:
            raw = f.read()
        src = raw.decode("utf-8", errors="replace")
        body_lines = [l for l in src.splitlines() if l.strip() and not l.startswith(('.\\"', "'\\\""))]
        if body_lines and all(l.startswith(".so ") for l in body_lines):
            continue
        name_text, blocks = roff_to_blocks(src)
        if not any(k == "p" for k, _ in blocks):
            continue
        out.append((key, man_title(key, name_text, blocks), man_names(name_text, name),
                    f"man{section_dir}", blocks))
    return out


def manpages_only(root, package):
    """Restricts to the files the package itself ships (other packages put a few Japanese
    pages in the same folder)."""
    own = set()
    for f in package_files(package):
        if f.endswith(".gz") and "/man/ja/" in f:
            own.add(f.split("/man/ja/", 1)[1])
    return own


MAN_SECTIONS = {
    "1": "ユーザーコマンド", "2": "システムコール", "3": "ライブラリ関数",
    "4": "特殊ファイル", "5": "ファイル形式", "6": "ゲーム", "7": "概要・規約",
    "8": "システム管理コマンド",
}

# --------------------------------------------------------------------------------------
# gimp-help-ja: DocBook HTML -> text

BLOCK_TAGS = {"p", "div", "li", "dt", "dd", "tr", "table", "ul", "ol", "dl", "pre",
              "blockquote", "br", "td", "th", "caption", "figure", "section", "h1", "h2",
              "h3", "h4", "h5", "h6", "title"}


class DocText(html.parser.HTMLParser):
    """The text of one DocBook page without its navigation (header, footer, tables of
    contents), as blocks; headings kept as such."""

    SKIP_CLASSES = {"navheader", "navfooter", "toc", "list-of-figures", "list-of-tables",
                    "list-of-examples", "breadcrumbs"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.h1 = ""
        self.blocks = []
        self.cur = ""
        self.skip_depth = 0
        self.stack = []  # (tag, skipping) for elements that can nest
        self.in_title = False
        self.heading = None

    def flush(self):
        t = re.sub(r"\s+", " ", self.cur).strip()
        if t:
            if self.heading:
                self.blocks.append(("h", t))
                if self.heading == "h1" and not self.h1:
                    self.h1 = t
            else:
                self.blocks.append(("p", t))
        self.cur = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("br", "img", "hr", "meta", "link", "input"):
            if tag == "br":
                self.cur += " "
            return
        classes = set((a.get("class") or "").split())
        skipping = tag in ("script", "style") or bool(classes & self.SKIP_CLASSES)
        self.stack.append((tag, skipping))
        if skipping:
            self.skip_depth += 1
        if tag == "title":
            self.in_title = True
        if self.skip_depth:
            return
        if tag in BLOCK_TAGS:
            self.flush()
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self.heading = tag

    def handle_endtag(self, tag):
        if tag not in {t for t, _ in self.stack}:
            return
        while self.stack:
            t, skipping = self.stack.pop()
            if skipping:
                self.skip_depth -= 1
            if t == "title":
                self.in_title = False
            if t in ("h1", "h2", "h3", "h4", "h5", "h6") and not self.skip_depth:
                self.flush()
                self.heading = None
            elif t in BLOCK_TAGS and not self.skip_depth:
                self.flush()
            if t == tag:
                break

    def handle_data(self, data):
        if self.in_title:
            self.title += data
            return
        if self.skip_depth:
            return
        self.cur += data


GIMP_BASE = "usr/share/gimp/2.0/help/ja"
GIMP_GROUPS = [
    ("gimp-tool", "ツール"),
    ("gimp-filter", "フィルター"),
    ("plug-in", "フィルター"),
    ("script-fu", "フィルター"),
    ("python-fu", "フィルター"),
    ("gimp-dialog", "ダイアログ"),
    ("gimp-prefs", "ダイアログ"),
    ("gimp-image", "メニュー"),
    ("gimp-layer", "メニュー"),
    ("gimp-edit", "メニュー"),
    ("gimp-file", "メニュー"),
    ("gimp-view", "メニュー"),
    ("gimp-selection", "メニュー"),
    ("gimp-colors", "メニュー"),
    ("gimp-help", "メニュー"),
    ("gimp-windows", "メニュー"),
    ("gimp-menu", "メニュー"),
    ("gimp-concepts", "概念"),
    ("gimp-using", "使い方"),
    ("gimp-tutorial", "チュートリアル"),
    ("gimp-", "その他"),
]


def gimp_category(key):
    if "/" in key:
        top = key.split("/", 1)[0]
        return top, top
    for prefix, name in GIMP_GROUPS:
        if key.startswith(prefix):
            return prefix.strip("-").replace("-", "_") if prefix != "gimp-" else "gimp_other", name
    return "other", "その他"


# "3.3. ガウスぼかし..." -> "ガウスぼかし...": the manual's chapter numbers mean nothing in
# a knowledge base.
SECTION_NUMBER = re.compile(r"^(?:[A-Z]|\d+)(?:\.\d+)*\.\s+")


def gimp_help(root):
    base = root / GIMP_BASE
    out = []
    for path in sorted(base.rglob("*.html")):
        key = path.relative_to(base).as_posix()[: -len(".html")]
        p = DocText()
        p.feed(path.read_text(encoding="utf-8", errors="replace"))
        p.close()
        p.flush()
        blocks = p.blocks
        text = "".join(t for k, t in blocks if k == "p")
        if len(text.strip()) < 20:
            continue  # a table of contents or a navigation page: nothing of its own
        title = re.sub(r"\s+", " ", p.title).strip() or p.h1 or key
        title = SECTION_NUMBER.sub("", title) or title
        blocks = [(k, SECTION_NUMBER.sub("", t) if k == "h" else t) for k, t in blocks]
        # The first heading repeats the title.
        if blocks and blocks[0] == ("h", title):
            blocks = blocks[1:]
        folder, _ = gimp_category(key)
        out.append((key, title, [], folder, blocks))
    return out


# --------------------------------------------------------------------------------------
# Writing the tree

MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|&!~{}+=-])")


def md_text(text):
    """Plain text as Markdown that renders as that text: no links, HTML, emphasis,
    lists or headings can come from the corpus."""
    return MD_SPECIAL.sub(r"\\\1", text)


def yaml_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_tree(out, corpus, version, pages, categories):
    content = out / "content"
    content.mkdir(parents=True)
    (content / "_site.yaml").write_text(
        "title:\n"
        f"  ja: {yaml_str(corpus + ' (検索評価用)')}\n"
        f"  en: {yaml_str(corpus + ' (search evaluation)')}\n"
        f"description:\n  ja: {yaml_str(f'Debian パッケージ {corpus} {version} から変換')}\n"
        "base_url: https://search-eval.example.test/\n",
        encoding="utf-8",
    )
    for order, (folder, name) in enumerate(sorted(categories.items()), start=1):
        d = content / folder
        d.mkdir()
        (d / "_category.yaml").write_text(
            f"name:\n  ja: {yaml_str(name)}\n  en: {yaml_str(folder)}\norder: {order}\n",
            encoding="utf-8",
        )
    pages.sort(key=lambda p: p[0])
    keys = []
    seen = set()
    for n, (key, title, keywords, folder, blocks) in enumerate(pages, start=1):
        if key in seen:
            raise SystemExit(f"convert.py: duplicate key {key}")
        seen.add(key)
        keys.append(f"{n}\t{key}\n")
        slug = re.sub(r"[^A-Za-z0-9._-]", "_", key.replace("/", "_"))
        body = []
        for kind, text in blocks:
            body.append(("## " if kind == "h" else "") + md_text(text))
        kw = ", ".join(yaml_str(k) for k in keywords)
        (content / folder / f"{n:05d}-{slug}.md").write_text(
            "---\n"
            f"id: {n}\n"
            f"title: {yaml_str(title)}\n"
            "visibility: public\n"
            "language: ja\n"
            f"keywords: [{kw}]\n"
            f"created: {CREATED}\n"
            f"updated: {UPDATED}\n"
            "---\n" + "\n\n".join(body) + "\n",
            encoding="utf-8",
        )
    (out / "keys.tsv").write_text("".join(keys), encoding="utf-8")


def convert(corpus, out):
    out = Path(out).resolve()
    version = installed_version(corpus)
    script = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]
    stamp = f"{corpus} {version} {script}\n"
    if (out / "stamp").exists() and (out / "stamp").read_text() == stamp:
        return out
    cache = out.parent / ".convert-cache"
    root = package_root(corpus, version, cache)
    if corpus == "manpages-ja":
        own = manpages_only(root, corpus)
        pages = [p for p in manpages(root) if f"man{p[0].rsplit('.', 1)[1]}/{p[0]}.gz" in own]
        categories = {f"man{s}": f"{s}: {MAN_SECTIONS.get(s, '')}" for s in
                      sorted({p[3][3:] for p in pages})}
    elif corpus == "gimp-help-ja":
        pages = gimp_help(root)
        categories = dict(gimp_category(p[0]) for p in pages)
    else:
        raise SystemExit(f"convert.py: unknown corpus {corpus} (manpages-ja, gimp-help-ja)")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    write_tree(tmp, corpus, version, pages, categories)
    (tmp / "stamp").write_text(stamp)
    if out.exists():
        shutil.rmtree(out)
    os.rename(tmp, out)
    return out


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 64
    try:
        out = convert(argv[1], argv[2])
    except Missing as e:
        print(f"convert.py: {e}", file=sys.stderr)
        return 2
    n = sum(1 for _ in open(out / "keys.tsv", encoding="utf-8"))
    print(f"{argv[1]}: {n} articles in {out / 'content'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
