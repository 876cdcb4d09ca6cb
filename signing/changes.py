"""What the incremental updates of a signed PDF changed, revision by revision, in words.

pyHanko's difference analysis judges each revision (validation data, signing and form
filling, or changes signing does not allow) but names only object numbers. To tell a
person what happened, e.g. "page 2 was rotated", the page tree, annotations and
attachments of a revision are compared with the revision before it. Every entry is a
code with its parameters and an English text that is also the catalogue key, so a
page can show it in the reader's language.
"""
from __future__ import annotations

import hashlib
import logging

from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY, ModificationLevel, SuspiciousModification

# An uploaded file is untrusted: these bound the work one verification may do.
MAX_REVIEWED_REVISIONS = 50
MAX_PAGES = 500
MAX_DEPTH = 32
ALLOWED = (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES, ModificationLevel.FORM_FILLING)

TEXTS = {
    "page_count": "The number of pages changed from {old} to {new}.",
    "page_rotated": "Page {page} was rotated from {old}° to {new}°.",
    "page_content": "The content of page {page} was changed.",
    "page_annotations": "Annotations on page {page} were added, removed or changed.",
    "page_size": "The size or crop box of page {page} was changed.",
    "attachment": "The attached file {name} was added, removed or changed.",
    "form_fields": "Form fields were filled in: {fields}.",
    "other_objects": "{count} other objects of the file were changed.",
    "not_described": "The changes cannot be described: {reason}.",
}
LEVELS = {
    "none": "nothing",
    "lta_updates": "validation data only (certificates, revocation lists, timestamps), which signing allows",
    "form_filling": "signatures or form filling, which signing allows",
    "annotations": "annotations, which these signatures do not allow",
    "other": "changes that signing does not allow",
}

log = logging.getLogger(__name__)


def entry(code: str, **params) -> dict:
    """Return a change as its code, parameters, catalogue text and English message."""
    text = TEXTS[code]
    return {"code": code, "text": text, "params": params, "message": text.format(**params)}


def review(reader: PdfFileReader, revisions: range) -> list[dict]:
    """Judge and describe each revision in `revisions` (0-based) against the one before it.

    Returns one dict per revision: its 1-based number, pyHanko's modification level,
    whether that level is one signing allows, and the changes in words (described only
    for revisions beyond signing and form filling; those are what a person must see).
    """
    reviewed = []
    for index, revision in enumerate(revisions):
        if index >= MAX_REVIEWED_REVISIONS:
            reviewed.append({"number": revision + 1, "level": "other", "level_text": LEVELS["other"],
                             "allowed": False,
                             "changes": [entry("not_described", reason="too many revisions")]})
            break
        old = reader.get_historical_resolver(revision - 1)
        new = reader.get_historical_resolver(revision)
        fields: set[str] = set()
        try:
            result = DEFAULT_DIFF_POLICY.apply(old, new)
            level, fields = result.modification_level, result.changed_form_fields
        except SuspiciousModification:
            level = ModificationLevel.OTHER
        except Exception:  # noqa: BLE001 - untrusted input: an unanalysable revision is not allowed
            log.debug("cannot analyse revision %s", revision, exc_info=True)
            level = ModificationLevel.OTHER
        changes = [] if level in ALLOWED else describe(old, new)
        if level == ModificationLevel.FORM_FILLING and fields - _signature_fields(new):
            changes.append(entry("form_fields", fields=", ".join(sorted(fields - _signature_fields(new)))))
        reviewed.append({"number": revision + 1, "level": level.name.lower(),
                         "level_text": LEVELS.get(level.name.lower(), LEVELS["other"]),
                         "allowed": level in ALLOWED, "changes": changes})
    return reviewed


def describe(old, new) -> list[dict]:
    """Return what `new` changed against `old` (two historical revisions), in words."""
    try:
        changes = _page_changes(_pages(old), _pages(new))
        changes += [entry("attachment", name=name) for name in _attachment_changes(old, new)]
    except Exception as exc:  # noqa: BLE001 - untrusted input: a damaged tree is described as such
        log.debug("cannot compare revisions %s and %s", old.revision, new.revision, exc_info=True)
        return [entry("not_described", reason=type(exc).__name__)]
    if not changes:
        count = len(new.explicit_refs_in_revision())
        changes.append(entry("other_objects", count=count))
    return changes


def _page_changes(before: list[dict], after: list[dict]) -> list[dict]:
    changes = []
    if len(before) != len(after):
        changes.append(entry("page_count", old=len(before), new=len(after)))
    for number, (old, new) in enumerate(zip(before, after), start=1):
        if old["rotate"] != new["rotate"]:
            changes.append(entry("page_rotated", page=number, old=old["rotate"], new=new["rotate"]))
        if old["content"] != new["content"]:
            changes.append(entry("page_content", page=number))
        if old["annotations"] != new["annotations"]:
            changes.append(entry("page_annotations", page=number))
        if old["boxes"] != new["boxes"]:
            changes.append(entry("page_size", page=number))
    return changes


def _pages(handler) -> list[dict]:
    """Each page's rotation, content digest, annotations and boxes, inherited values resolved."""
    pages: list[dict] = []

    def walk(node, inherited: dict, depth: int) -> None:
        if depth > MAX_DEPTH or len(pages) >= MAX_PAGES:
            return
        values = {**inherited, **{key: node[key] for key in ("/Rotate", "/MediaBox", "/CropBox")
                                  if key in node}}
        if "/Kids" in node and node.get("/Type") != "/Page":
            for kid in node["/Kids"]:
                walk(kid.get_object(), values, depth + 1)
            return
        pages.append({"rotate": int(values.get("/Rotate", 0)) % 360,
                      "content": _content_digest(node),
                      "annotations": _annotations(node),
                      "boxes": tuple(tuple(float(v) for v in values[key]) if key in values else None
                                     for key in ("/MediaBox", "/CropBox"))})

    walk(handler.root["/Pages"], {}, 0)
    return pages


def _content_digest(page) -> str:
    contents = page.get("/Contents")
    if contents is None:
        return ""
    contents = contents.get_object()
    streams = contents if isinstance(contents, list) else [contents]
    digest = hashlib.sha256()
    for stream in streams:
        digest.update(stream.get_object().encoded_data or b"")
    return digest.hexdigest()


def _annotations(page) -> tuple:
    """The page's annotations other than signature widgets (a new signature adds one)."""
    found = []
    for reference in page.get("/Annots", ()):
        annotation = reference.get_object()
        if annotation.get("/Subtype") == "/Widget" and annotation.get("/FT") == "/Sig":
            continue
        found.append(hashlib.sha256(repr(sorted((str(k), repr(v)) for k, v in annotation.items()))
                                    .encode()).hexdigest())
    return tuple(found)


def _attachment_changes(old, new) -> list[str]:
    before, after = _attachments(old), _attachments(new)
    return sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))


def _attachments(handler) -> dict[str, str]:
    try:
        names = handler.root["/Names"]["/EmbeddedFiles"]["/Names"]
    except KeyError:
        return {}
    return {str(names[index]): hashlib.sha256(names[index + 1]["/EF"]["/F"].encoded_data).hexdigest()
            for index in range(0, len(names) - 1, 2)}


def _signature_fields(handler) -> set[str]:
    try:
        fields = handler.root["/AcroForm"]["/Fields"]
    except KeyError:
        return set()
    return {str(field.get_object().get("/T")) for field in fields
            if field.get_object().get("/FT") == "/Sig"}
