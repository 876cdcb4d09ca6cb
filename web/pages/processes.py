"""The process designer's upload: drop .bpmn/.dmn files, see versions or located errors, view, start."""
from __future__ import annotations

from flask import Response, redirect, render_template, request, url_for

from engine import definitions, instances
from core.errors import InvalidInput, NotFound, TooLarge

from ..db import get_session
from . import bp, login_required, page_actor
from .diagram import definition_diagram

MAX_BUSINESS_KEY = 255


@bp.get("/processes")
@login_required
def processes():
    return render_template("processes.html", definitions=definitions.list_latest(get_session()),
                           results=None, problems=None, file_names=[])


@bp.post("/processes")
@login_required
def upload():
    files = [(f.filename or "upload.bpmn", f.read()) for f in request.files.getlist("file")
             if f.filename]
    names = [name for name, _ in files]
    try:
        deployments = definitions.deploy(get_session(), files, actor=page_actor())
    except (InvalidInput, TooLarge) as exc:
        return render_template("processes.html", definitions=definitions.list_latest(get_session()),
                               results=None, problems=_by_file(exc.problems, names),
                               file_names=names), 422
    return render_template("processes.html", definitions=definitions.list_latest(get_session()),
                           results=_by_file([_outcome(d) for d in deployments], names, "file_name"),
                           problems=None, file_names=names)


def _outcome(deployment) -> dict:
    d = deployment.definition
    return {"file_name": d.file_name, "key": d.key, "name": d.name, "version": d.version,
            "is_new": deployment.is_new, "is_executable": d.is_executable, "problems": d.problems}


def _by_file(items: list[dict], names: list[str], key: str = "file") -> dict[str, list[dict]]:
    grouped = {name: [] for name in names}
    for item in items:
        grouped.setdefault(item.get(key) or "", []).append(item)
    return grouped


@bp.get("/processes/<key>")
@login_required
def process(key):
    versions = definitions.list_versions(get_session(), key)
    if not versions:
        raise NotFound(f"no process {key!r} is deployed")
    chosen = next((v for v in versions if v.version == request.args.get("version", type=int)),
                  versions[0])
    return render_template("process.html", key=key, versions=versions, chosen=chosen,
                           diagram=definition_diagram(chosen))


@bp.get("/processes/<key>/<int:version>/xml")
@login_required
def definition_xml(key, version):
    definition = _version(key, version)
    body = definition.files.get(definition.file_name) or next(iter(definition.files.values()))
    response = Response(body, mimetype="application/xml")
    disposition = "attachment" if request.args.get("download") else "inline"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{_safe(definition.file_name)}"'
    # Uploaded XML opened directly must not run as a page of this site (XHTML inside an extension).
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _version(key: str, version: int):
    found = next((d for d in definitions.list_versions(get_session(), key) if d.version == version),
                 None)
    if found is None:
        raise NotFound(f"no version {version} of process {key!r}")
    return found


def _safe(name: str) -> str:
    return "".join(c for c in name if c.isalnum() or c in "._-") or "process.bpmn"


@bp.post("/processes/<key>/start")
@login_required
def start(key):
    business_key = request.form.get("business_key", "").strip()[:MAX_BUSINESS_KEY] or None
    instance = instances.start_instance(get_session(), key, business_key=business_key,
                                        actor=page_actor())
    return redirect(url_for("pages.instance", instance_id=instance.id))
