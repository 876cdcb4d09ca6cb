"""Contracts and signature appearances as PDF: Jinja2 HTML, CSS for paged media, WeasyPrint.

A contract is PDF/A-3b with its data embedded as `contract.json` (relationship
Data) for ERP systems. Its template marks three boxes by id (`sig-company`,
`sig-customer`, `sig-completion`); their positions become the signature fields,
and each appearance is a one-page PDF rendered here at the box's size.
"""
from __future__ import annotations

import functools
import json
import threading
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from weasyprint import CSS, HTML, Attachment
from weasyprint.text.fonts import FontConfiguration

from .fonts import font_face_css

TEMPLATES = Path(__file__).resolve().parent / "templates"
SIGNATURE_BOXES = ("company", "customer", "completion")
PX_TO_PT = 0.75  # CSS pixels are 1/96 inch, PDF points 1/72 inch

_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(("html",)),
                   undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
_env.filters["money"] = lambda value: f"{Decimal(str(value)):,.2f}"
_env.filters["paragraphs"] = lambda text: [line.strip() for line in str(text).splitlines() if line.strip()]
_threads = threading.local()


@dataclass(frozen=True)
class Box:
    """Where a signature goes: a page index and (ll_x, ll_y, ur_x, ur_y) in PDF points."""

    page: int
    rect: tuple[float, float, float, float]

    @property
    def width(self) -> float:
        return self.rect[2] - self.rect[0]

    @property
    def height(self) -> float:
        return self.rect[3] - self.rect[1]

    def as_json(self) -> dict:
        return {"page": self.page, "rect": [round(value, 2) for value in self.rect]}

    @classmethod
    def from_json(cls, value: dict) -> Box:
        return cls(int(value["page"]), tuple(float(v) for v in value["rect"]))


@dataclass(frozen=True)
class RenderedContract:
    pdf: bytes
    layout: dict[str, Box]
    pages: int


def render_contract(contract: dict, *, font: Path | None = None) -> RenderedContract:
    """Render `contract` to PDF/A-3b with contract.json embedded, and locate its signature boxes.

    `font` is the working CJK font (see `fonts`); without it Noto Sans CJK is used directly.
    """
    html = _env.get_template("contract.html").render(contract=contract)
    document = _document(html, "contract.css", font)
    data = json.dumps(contract, ensure_ascii=False, indent=2, sort_keys=True)
    attachment = Attachment(string=data, name="contract.json", relationship="Data",
                            description="The contract's data, for ERP systems")
    pdf = document.write_pdf(pdf_variant="pdf/a-3b", attachments=[attachment])
    return RenderedContract(pdf, _signature_boxes(document), len(document.pages))


def render_appearance(template: str, box: Box, *, font: Path | None = None, **context) -> bytes:
    """Render a one-page PDF of `box`'s size from `template`: a signature's visible appearance."""
    html = _env.get_template(template).render(width=box.width, height=box.height, **context)
    return _document(html, "appearance.css", font).write_pdf()


@functools.lru_cache(maxsize=32)
def render_seal(company: str, box: Box, day: str, *, font: Path | None = None) -> bytes:
    """Render the company's seal; it changes once a day, so it is rendered once a day."""
    return render_appearance("seal.html", box, font=font, company=company, day=day)


def _document(html: str, stylesheet: str, font: Path | None):
    font_config, font_sheets = _font_setup(font)
    return HTML(string=html, base_url=str(TEMPLATES)).render(
        stylesheets=[_css(stylesheet), *font_sheets], font_config=font_config)


def _font_setup(font: Path | None) -> tuple[FontConfiguration, list[CSS]]:
    # A FontConfiguration holds a Pango font map, which is not thread-safe and is
    # slow to warm up (~20 ms a document): keep one per thread, with the working
    # font declared once rather than once per document.
    made = getattr(_threads, "fonts", None)
    if made is None:
        made = _threads.fonts = {}
    if font not in made:
        font_config = FontConfiguration()
        sheets = [CSS(string=font_face_css(font), font_config=font_config)] if font else []
        made[font] = (font_config, sheets)
    return made[font]


@functools.cache
def _css(name: str) -> CSS:
    return CSS(filename=str(TEMPLATES / name))


def _signature_boxes(document) -> dict[str, Box]:
    boxes = {}
    for index, page in enumerate(document.pages):
        height = page.height * PX_TO_PT
        for name in SIGNATURE_BOXES:
            anchor = page.anchors.get(f"sig-{name}")
            if anchor and name not in boxes:
                # WeasyPrint gives the border box in CSS px from the top left;
                # PDF measures in points from the bottom left.
                x1, y1, x2, y2 = (value * PX_TO_PT for value in anchor)
                boxes[name] = Box(index, (x1, height - y2, x2, height - y1))
    missing = [name for name in SIGNATURE_BOXES if name not in boxes]
    if missing:
        raise RuntimeError(f"contract.html lacks the signature boxes {', '.join(missing)}")
    return boxes
