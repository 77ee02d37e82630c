"""Check every relative link of the built HTML site: the target file exists and so does its
``#anchor``. Sphinx's own ``linkcheck`` builder (run with ``linkcheck_ignore`` for http(s)) does
not look inside local pages for anchors; this does, without network.

Usage: ``python docs/check_links.py docs/_build/html``. Exit status 1 lists the broken links.
"""
from __future__ import annotations

import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name"):
            if attrs.get(key):
                self.ids.add(attrs[key])
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])


def _parse(path: Path, cache: dict) -> _Page:
    if path not in cache:
        page = _Page()
        page.feed(path.read_text(encoding="utf-8", errors="replace"))
        cache[path] = page
    return cache[path]


def broken_links(root: Path) -> list[str]:
    cache: dict[Path, _Page] = {}
    problems = []
    for page_path in sorted(root.rglob("*.html")):
        for href in _parse(page_path, cache).links:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or href.startswith("javascript:"):
                continue  # external: not checked (no network in CI)
            target = (page_path.parent / unquote(parts.path)).resolve() if parts.path \
                else page_path
            if target.is_dir():
                target = target / "index.html"
            where = f"{page_path.relative_to(root)}: {href}"
            if not target.exists():
                problems.append(f"{where} (no such file)")
            elif parts.fragment and target.suffix == ".html" and \
                    unquote(parts.fragment) not in _parse(target, cache).ids:
                problems.append(f"{where} (no anchor #{parts.fragment})")
    return problems


if __name__ == "__main__":
    site = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/_build/html")
    if not (site / "index.html").is_file():
        sys.exit(f"{site} holds no built site (index.html missing)")
    problems = broken_links(site)
    for line in problems:
        print(line)
    pages = len(list(site.rglob("*.html")))
    print(f"checked the relative links of {pages} pages: {len(problems)} broken")
    sys.exit(1 if problems else 0)
