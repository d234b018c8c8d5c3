"""One HTML page: escaping, and the inline style every generated page shares.

Pages carry their style inline and load nothing else, so a certificate or a documentation
site opens the same from a CI artifact, an e-mail attachment or a folder with no network.
"""

from __future__ import annotations

import html

STYLE = """
:root { --pass: #1a7f37; --partial: #0550ae; --fail: #cf222e; --skip: #9a6700; --none: #57606a; --line: #d0d7de; --soft: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2328; background: #fff; }
main, .band > div, footer { max-width: 1180px; margin: 0 auto; padding: 0 24px; }
h1, h2, h3 { line-height: 1.25; }
h1 code, h2 code, h3 code { font-size: inherit; }
tr > :first-child { white-space: nowrap; }
h2 { margin-top: 2em; border-bottom: 1px solid var(--line); padding-bottom: .3em; }
a { color: #0969da; }
code, pre { font: 13px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
pre { background: var(--soft); border: 1px solid var(--line); border-radius: 6px; padding: 12px; white-space: pre-wrap; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; margin: 1em 0; }
th, td { border: 1px solid var(--line); padding: 6px 10px; text-align: left; vertical-align: top; }
th { background: var(--soft); }
caption { caption-side: top; text-align: left; font-weight: 600; padding: 4px 0; }
td code, dd code, p code { overflow-wrap: anywhere; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.band { padding: 28px 0; color: #fff; }
.band.pass { background: var(--pass); }
.band.partial { background: var(--partial); }
.band.none { background: var(--none); }
.band.fail { background: var(--fail); }
.band h1 { font-size: clamp(34px, 9vw, 56px); margin: 0; letter-spacing: .02em; overflow-wrap: anywhere; }
.band p { margin: .3em 0; font-size: 18px; }
.kicker { text-transform: uppercase; letter-spacing: .08em; font-size: 13px !important; }
.badge { display: inline-block; border-radius: 999px; padding: 0 10px; font-size: 13px; font-weight: 600; color: #fff; white-space: nowrap; }
.badge.passed { background: var(--pass); } .badge.failed { background: var(--fail); }
.badge.not-verified { background: var(--skip); } .badge.out-of-scope, .badge.not-exercised { background: var(--none); }
.badge.MUST { background: #8250df; } .badge.SHOULD { background: #0969da; }
.failure { border: 2px solid var(--fail); border-radius: 8px; padding: 4px 16px 12px; margin: 16px 0; }
.failure h3 { color: var(--fail); font-size: 22px; }
.notice { border-left: 4px solid var(--skip); background: #fff8c5; padding: 8px 16px; }
tr.failed > :first-child { border-left: 4px solid var(--fail); }
footer { color: var(--none); margin-top: 3em; padding-bottom: 2em; }
nav.crumbs { margin: 16px 0; }
.prose { white-space: pre-wrap; }
/* A phone (390 px): nothing may scroll sideways; tables wrap inside their cells. */
@media (max-width: 640px) {
  main, .band > div, footer { padding: 0 12px; }
  table { table-layout: fixed; }
  th, td { padding: 4px 6px; overflow-wrap: anywhere; }
  tr > :first-child { white-space: normal; }
  dl.facts { grid-template-columns: 1fr; }
  dl.facts dd { margin-bottom: 6px; }
}
"""


def esc(value: object) -> str:
    """Every text that reaches a page goes through here."""
    return html.escape(str(value), quote=True)


def page(title: str, body: str) -> str:
    """A complete HTML document: inline style, no scripts, nothing fetched."""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def badge(text: str, kind: str | None = None) -> str:
    css = (kind or text).replace(" ", "-")
    return f'<span class="badge {esc(css)}">{esc(text)}</span>'
