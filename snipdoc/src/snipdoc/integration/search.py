"""Chinese search that finds whole terms, and the section about each one first.

Four fixes to Material's built-in search, all made at build time:

- Words: the glossary's terms join jieba's dictionary before Material segments the
  pages, so 均方误差 is indexed as one word instead of 均方 + 误差.
- Ranking: a glossary term that names a section (``均方误差: ch12.md#mse``) is added to
  that section's index entry in a field of its own, boosted above titles, so the
  section about the term comes first rather than the page that mentions it.
- Queries: the search worker segments a Chinese query by matching it against the
  index, but its loop never lets a word end on the query's last character
  (激活函数 became [激活]; 雅可比 showed "缺少: 雅"). The worker the site serves is
  Material's own with that loop bound corrected.
- Missing words: the same worker joins a Chinese query's words with "* " before it adds
  a "*" to every word, and then reports all but the last as missing ("缺少: 交叉熵*")
  from results that contain them. It joins them with a space instead; the search
  itself is the same (a word ending in "**" matches what one ending in "*" does).
"""

from __future__ import annotations

import json
import posixpath
import re
from html import unescape
from pathlib import Path

import yaml
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File

GLOSSARY = "glossary.yml"
"""In docs_dir: term -> 'page.md#anchor' of the section about it, or empty."""

FIELD = "glossary"
"""The index field that carries glossary terms."""

BOOST = 1e5
"""Above Material's title boost (1e3) and its bonus for whole pages (at most 5x), so a
section named by the glossary outranks a page whose title merely contains the term;
below tags (1e6), which an author sets on purpose."""

WORKER = re.compile(r"assets/javascripts/workers/search\.[0-9a-f]+\.min\.js")

# Material's segment(query, index), minified (src/.../search/query/segment/index.ts).
_SEGMENT = re.compile(
    r'function \w+\((\w),\w\)\{let \w=new Set,\w=new Uint16Array\(\1\.length\);.*?'
    r'return \w\.has\(""\)\?new Set\(\[\1\]\):\w\}', re.S)
# for (let j = i + 1; j < query.length; j++): a word never ends at the query's end.
_WORDCUTS = re.compile(r"(for\(let (\w)=\w\+1;\2)<(\w\.length;)")
# if (wordcuts[q] && q < query.length - 1): a one-character word at the end is dropped.
_CONTINUE = re.compile(r"(\w\[(\w)\]&&\2<\w\.length)-1&&")
# A Chinese run of the query becomes its words joined by "* "; every word then gets a "*" of
# its own, so all but the last end in "**", and the check for terms found in a result
# compares "交叉熵*" with the index's words: "缺少: 交叉熵*" on a result that contains it.
_JOIN = re.compile(r'(\[\.\.\.\w+\(\w,this\.index\.invertedIndex\)\]\.join\()"\* "\)')


def load_glossary(path: Path) -> dict[str, str | None]:
    """The glossary's terms and sections; a missing file is an empty glossary."""
    if not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise PluginError(f"{path}: expected 'term: page.md#anchor' lines")
    glossary = {}
    for term, where in data.items():
        if not isinstance(term, str) or not (where is None or isinstance(where, str)):
            raise PluginError(f"{path}: '{term}: {where}' is not 'term: page.md#anchor' (or 'term:')")
        glossary[term.strip()] = where.strip() if where else None
    return glossary


# What a page defines, besides the glossary: a heading names what its section is about, and
# a phrase such as 这就是“梯度消失” defines a term in the section it stands in.
_HEADING = re.compile(r'<h([1-6]) id="([^"]+)"[^>]*>(.*?)</h\1>', re.S)
_DEFINES = re.compile(r"(?:这就是|这才是|称为|叫做|叫作|所谓)“([^”<>]{2,12})”")
_GLOSS = re.compile(r"(.+?)\s*[（(]([^（）()]+)[）)]")
_LIST = re.compile(r"[、，,]|与")
_TAG = re.compile(r"<a class=\"headerlink\".*?</a>|<[^>]+>", re.S)
LONGEST_WORD = 6
"""Characters of the longest Chinese term a heading gives: longer ones are phrases
(求梯度的两种方式). A Latin word of any length is one term (softmax)."""


def defined_terms(html: str, url: str, separator: str) -> dict[str, str]:
    """term -> index location of the section that defines it (the page's own for its h1).

    A heading gives each of its names: itself, or each side of a gloss in parentheses
    ("ReLU（线性整流单元）", "均方误差（MSE）"), each a single word to the index (no
    separator in it), in Chinese of at most LONGEST_WORD characters. Of a list
    ("Leaky ReLU、ELU、GELU 与 SiLU") only its Latin words count: a Chinese list names
    topics (均方误差与求梯度), and a Chinese word that joins the index whole is no longer
    found by its parts. A defining phrase gives its quoted term. The first section that
    names a term keeps it."""
    splits = re.compile(separator)

    def word(text: str) -> bool:
        return bool(text) and (text.isascii() or len(text) <= LONGEST_WORD) and not splits.search(text)

    terms: dict[str, str] = {}
    starts = []
    for heading in _HEADING.finditer(html):
        location = url if heading.group(1) == "1" else f"{url}#{heading.group(2)}"
        starts.append((heading.start(), location))
        text = unescape(_TAG.sub("", heading.group(3))).strip()
        gloss = _GLOSS.fullmatch(text)
        for name in gloss.groups() if gloss else [text]:
            items = [item.strip() for item in _LIST.split(name)]
            for item in items if len(items) == 1 else [i for i in items if i.isascii()]:
                if word(item):
                    terms.setdefault(item, location)
    for phrase in _DEFINES.finditer(html):
        before = [location for start, location in starts if start < phrase.start()]
        if before:
            terms.setdefault(phrase.group(1), before[-1])
    return terms


_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def add_words(terms) -> None:
    """Make each Chinese term one word for jieba, with the frequency that keeps it whole.
    Others are left out: Material gives jieba only runs of Chinese characters, and loading
    jieba's dictionary (0.6 s) for a site with none would be wasted."""
    chinese = [term for term in terms if _HAN.search(term)]
    if not chinese:
        return
    import jieba

    for term in chinese:
        jieba.suggest_freq(term, tune=True)


def patch_worker(js: str) -> str:
    """Material's search worker with the query segmentation's loop bounds corrected."""
    found = _SEGMENT.findall(js)
    match = _SEGMENT.search(js)
    if len(found) != 1:
        raise PluginError("snipdoc: Material's search worker has changed: its query segmentation "
                          "was not found, so the fix in snipdoc/search.py cannot be applied")
    fixed, n1 = _WORDCUTS.subn(r"\1<=\3", match.group(0))
    fixed, n2 = _CONTINUE.subn(r"\1&&", fixed)
    if (n1, n2) != (1, 1):
        raise PluginError("snipdoc: Material's search worker has changed: the loop bounds that "
                          "snipdoc/search.py corrects were not found")
    js = js[:match.start()] + fixed + js[match.end():]
    js, n3 = _JOIN.subn(r'\1" ")', js)
    if n3 != 1:
        raise PluginError("snipdoc: Material's search worker has changed: the joining of a Chinese "
                          "query's words that snipdoc/search.py corrects was not found")
    # The source map describes the unpatched code.
    return re.sub(r"\n//# sourceMappingURL=\S+\s*$", "\n", js)


def section_urls(glossary: dict[str, str | None], use_directory_urls: bool) -> dict[str, str]:
    """term -> the index location of its section (ch12/#mse)."""
    urls = {}
    for term, where in glossary.items():
        if where:
            page, _, anchor = where.partition("#")
            url = File(posixpath.normpath(page), src_dir=None, dest_dir="", use_directory_urls=use_directory_urls).url
            urls[term] = f"{url}#{anchor}" if anchor else url
    return urls


def add_terms_to_index(index_json: str, sections: dict[str, str]) -> tuple[str, list[str]]:
    """The search index with each term in its section's entry; and the terms whose
    section is not in the index (a renamed heading, a typo)."""
    index = json.loads(index_json)
    entries = {entry["location"]: entry for entry in index["docs"]}
    missing = []
    for term, location in sections.items():
        entry = entries.get(location)
        if entry is None:
            missing.append(term)
            continue
        entry[FIELD] = " ".join(filter(None, [entry.get(FIELD), term]))
    if any(FIELD in entry for entry in index["docs"]):
        index["config"]["fields"][FIELD] = {"boost": BOOST}
    return json.dumps(index, ensure_ascii=False, separators=(",", ":")), missing
