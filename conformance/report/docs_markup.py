"""The markup of the suite's docstrings and the spec's prose, rendered as HTML.

The subset those texts use: paragraphs and bullet lists (``-``, ``*`` or ``+``); ``literal``
and `interpreted` text as code, ``:role:`target``` as Sphinx shows it (``:class:`~a.b.C``` as
``C``, ``:func:`f``` as ``f()``), ``**strong**`` and ``*emphasis*``. Markdown (the spec's
descriptions) reads the same in that subset. Every piece of text goes through
:func:`~conformance.report.page.esc`, so a ``<`` or ``&`` stays text.

A few lines of our own rather than docutils: docutils knows no Sphinx role (``:class:``,
``:func:``, ``:mod:``, ``:meth:`` each become an "Unknown interpreted text role" error in the
output unless registered), renders whole documents where a page needs a fragment for a table
cell, and would be one more dependency of every installation for five constructs.
"""

from __future__ import annotations

import re

from conformance.report.page import esc

# reStructuredText's inline markup recognition rules, simplified: markup starts after the text's
# start, a space or an opening punctuation, and ends before the text's end, a space or closing
# punctuation; it neither starts nor ends with a space (so ``a * b`` or ``[*xs, *ys]`` stay text).
_START = r"(?<![^\s\-:/'\"<(\[{])"
_END = r"(?=$|[\s\-.,:;!?\\/'\")\]}>])"
_MARKUP = re.compile(
    _START
    + r"(?:``(?P<literal>\S(?:.*?\S)??)``"
    + r"|:(?P<role>[A-Za-z][\w.+-]*(?::[A-Za-z][\w.+-]*)?):`(?P<target>[^`\s](?:[^`]*?[^`\s])??)`"
    + r"|\*\*(?P<strong>[^\s*](?:.*?[^\s*])??)\*\*"
    + r"|\*(?P<emphasis>[^\s*](?:[^*]*?[^\s*])??)\*"
    + r"|`(?P<interpreted>[^\s`](?:[^`]*?[^\s`])??)`)"
    + _END,
    re.DOTALL,
)
_CODE_ROLES = {"class", "func", "meth", "mod", "attr", "data", "exc", "obj", "const", "samp"}
_CALLABLE_ROLES = {"func", "meth"}
_TITLED = re.compile(r"^(?P<title>.*?\S)\s*<(?P<target>[^<>]+)>$", re.DOTALL)
_BULLET = re.compile(r"^[-*+]\s+")
_BLANK = re.compile(r"\n[ \t]*\n")


def blocks_html(text: str) -> str:
    """``text`` as paragraphs and bullet lists: blocks part at blank lines; in a block, a line
    starting with a bullet starts an item, and the lines after it continue that item."""
    return "".join(_block(block) for block in _BLANK.split(text.strip()) if block.strip())


def _block(block: str) -> str:
    lead: list[str] = []
    items: list[list[str]] = []
    for line in block.splitlines():
        if _BULLET.match(line.lstrip()):
            items.append([_BULLET.sub("", line.lstrip())])
        else:
            (items[-1] if items else lead).append(line.strip())
    paragraph = f"<p>{inline_html(chr(10).join(lead))}</p>" if lead else ""
    if not items:
        return paragraph
    return (
        paragraph
        + "<ul>"
        + "".join(f"<li>{inline_html(chr(10).join(item))}</li>" for item in items)
        + "</ul>"
    )


def inline_html(text: str) -> str:
    """``text`` as HTML: its inline markup rendered, everything else escaped."""
    parts: list[str] = []
    done = 0
    for match in _MARKUP.finditer(text):
        parts.append(esc(text[done : match.start()]))
        parts.append(_render(match))
        done = match.end()
    parts.append(esc(text[done:]))
    return "".join(parts)


def _render(match: re.Match[str]) -> str:
    literal, strong, emphasis = match["literal"], match["strong"], match["emphasis"]
    if literal is not None:
        return f"<code>{esc(literal)}</code>"
    if match["role"] is not None:
        return _role(match["role"], match["target"])
    if strong is not None:
        return f"<strong>{inline_html(strong)}</strong>"
    if emphasis is not None:
        return f"<em>{esc(emphasis)}</em>"
    return f"<code>{esc(match['interpreted'])}</code>"


def _role(role: str, target: str) -> str:
    """As Sphinx shows a cross-reference: its title if it has one, else the target, shortened
    to its last part by a leading ``~``; code for Python objects, text for anything else."""
    name = role.rsplit(":", 1)[-1]
    titled = _TITLED.match(target)
    if titled:
        shown = titled["title"]
    else:
        shown = target.lstrip("!")
        if shown.startswith("~"):
            shown = shown[1:].rsplit(".", 1)[-1]
        if name in _CALLABLE_ROLES and not shown.endswith(")"):
            shown += "()"
    return f"<code>{esc(shown)}</code>" if name in _CODE_ROLES else esc(shown)
