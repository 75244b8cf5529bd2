"""axe-core (Deque's accessibility engine, vendored from npm: `make axe`) run on the page a journey is on.

The script is evaluated through the DevTools protocol, which the page's CSP does not govern, so
the site's strict policy stays as it is. Every run's count is kept per page for the report
(test-artifacts/axe.json).
"""

import json
import re
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Page

AXE_SOURCE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
REPORT = Path(__file__).resolve().parents[2] / "test-artifacts" / "axe.json"
COUNTS: dict[str, int] = defaultdict(int)

_RUN = """async (preload) => {
  // A change of scheme starts colour transitions; axe must read the colours they end on.
  await Promise.all(document.getAnimations().map((a) => a.finished.catch(() => null)));
  const results = await axe.run(document, { resultTypes: ["violations"], preload });
  return results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => `${n.target.join(" ")}: ${n.failureSummary.split("\\n").slice(0, 2).join(" ")}`),
  }));
}"""


def axe_violations(page: Page, *, preload: bool = True) -> list[dict]:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE.read_text() + "\n;undefined")
    return page.evaluate(_RUN, preload)


def _record(page: Page, scheme: str, found: list[dict]) -> None:
    viewport = page.viewport_size or {"width": 0}
    size = "phone" if viewport["width"] < 576 else "desktop"
    path = re.sub(
        r"/[0-9a-f-]{36}/|/\d+/", lambda m: "/<uuid>/" if len(m[0]) > 30 else "/<id>/", urlsplit(page.url).path
    )
    key = f"{path} {size} {scheme}"
    COUNTS[key] = max(COUNTS[key], sum(len(v["nodes"]) for v in found))
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(dict(sorted(COUNTS.items())), indent=1))


def assert_no_axe_violations(page: Page, schemes=("light", "dark"), *, preload: bool = True) -> None:
    """axe finds nothing on the current page in each colour scheme; the page is left in the first.

    preload=False: axe does not re-read the stylesheets through <style> elements of its own, which
    the CSP blocks where a sheet @imports another (the admin's).
    """
    problems = {}
    for scheme in schemes:
        page.emulate_media(color_scheme=scheme)
        found = axe_violations(page, preload=preload)
        _record(page, scheme, found)
        if found:
            problems[scheme] = found
    page.emulate_media(color_scheme=schemes[0])
    assert not problems, f"axe found violations on {page.url}: {json.dumps(problems, indent=1)}"


# What a keyboard or a finger needs beyond axe's rules: a focus ring at 3:1 against what surrounds
# it (WCAG 2.4.13) and targets of 44 px (WCAG 2.5.5); links inside running text are exempt.
_FOCUS = """() => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b]
    .map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
    .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const background = (el) => {
    for (let node = el.parentElement; node; node = node.parentElement) {
      const c = rgb(getComputedStyle(node).backgroundColor);
      if (c.length === 3 || c[3] > 0.9) return c.slice(0, 3);
    }
    return rgb(getComputedStyle(document.body).backgroundColor).slice(0, 3);
  };
  let el = document.activeElement;
  if (!el || el === document.body) return null;
  const box = el.getBoundingClientRect();
  // A visually hidden radio draws its ring on its label.
  if (box.width <= 2 && el.id) el = document.querySelector(`label[for="${el.id}"]`) || el;
  let style = getComputedStyle(el);
  if (style.outlineStyle === "none" && el.classList.contains("book-card-link")) style = getComputedStyle(el, "::after");
  const width = parseFloat(style.outlineWidth);
  const contrast = style.outlineStyle === "none" ? 0 : ratio(rgb(style.outlineColor), background(el));
  return { what: el.outerHTML.slice(0, 80), width, contrast: Math.round(contrast * 100) / 100 };
}"""

_TARGET_EXEMPT = "p, .breadcrumb, .form-text, footer, .review-meta, .book-meta, li.list-inline-item, dd, .error-summary"
_TARGETS = """(exempt) => [...document.querySelectorAll(
    "a[href], button, input:not([type=hidden]), select, textarea, summary, label.star-label, label.star-none-label")]
  .filter((el) => el.checkVisibility() && !el.closest(".visually-hidden, .visually-hidden-focusable"))
  .filter((el) => !(el.tagName === "INPUT" && ["radio", "checkbox"].includes(el.type)
                    && el.getBoundingClientRect().width < 2))
  .filter((el) => !(getComputedStyle(el).display === "inline" && el.closest(exempt)))
  .filter((el) => !el.classList.contains("book-card-link") && !el.classList.contains("stretched-link"))
  .map((el) => {
    // A checkbox's label is part of its target: a tap on either ticks it.
    const label = ["checkbox", "radio"].includes(el.type) && el.labels && el.labels[0];
    const b = (label || el).getBoundingClientRect();
    return { what: el.outerHTML.slice(0, 90), w: Math.round(b.width), h: Math.round(b.height) };
  })
  .filter((t) => t.w < 44 || t.h < 44)"""


def assert_focus_visible(page: Page, presses: int = 80) -> None:
    """Tabs through the page: every stop draws a ring of 2 px or more at 3:1 against its background."""
    page.locator("body").focus()
    weak, seen = [], set()
    for _ in range(presses):
        page.keyboard.press("Tab")
        found = page.evaluate(_FOCUS)
        if found is None or found["what"] in seen:
            break
        seen.add(found["what"])
        if found["width"] < 2 or found["contrast"] < 3:
            weak.append(found)
    assert seen, f"nothing took the focus on {page.url}"
    assert not weak, f"focus rings too faint on {page.url}: {weak}"


def assert_touch_targets(page: Page) -> None:
    small = page.evaluate(_TARGETS, _TARGET_EXEMPT)
    assert not small, f"targets under 44 px on {page.url}: {json.dumps(small, indent=1)}"
