"""Reading the generated documentation site back: the links, ids, text and code of its pages."""

from __future__ import annotations

import ast
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).parents[2]
SUITE_DIR = ROOT / "conformance" / "suite"
MUTATION_DIR = ROOT / "tests" / "mutation"


VERBATIM = ("code", "pre", "style")


class Page(HTMLParser):
    """The links, ids, tags, heading levels and text of one page; its text inside ``<code>`` (``code``) and
    outside code, preformatted blocks and style (``words``)."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.tags: set[str] = set()
        self.text: list[str] = []
        self.code: list[str] = []
        self.words: list[str] = []
        self.headings: list[int] = []
        self._open = {tag: 0 for tag in VERBATIM}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self.headings.append(int(tag[1]))
        if tag in self._open:
            self._open[tag] += 1
        for name, value in attrs:
            if name == "id" and value:
                self.ids.add(value)
            if name in ("href", "src") and value is not None:
                self.links.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._open:
            self._open[tag] -= 1

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._open["code"]:
            self.code.append(data)
        if not any(self._open.values()):
            self.words.append(data)


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def read_site(out: Path) -> dict[str, Page]:
    return {path.name: parse(path) for path in out.glob("*.html")}


def definition_lines(file: Path, name: str) -> set[int]:
    """The 1-based lines of the ``def`` of each function ``name`` of ``file``."""
    return {
        node.lineno
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8")))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name
    }
