"""Process definitions: deploy uploaded BPMN/DMN as numbered versions per process key.

The same content deployed again is no new version; a change is the next
version; running instances keep the version they started on. Specs are built
from a definition's stored files once per process and cached: definitions never
change after they are written.
"""
from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import bpmn, events, timers
from core.audit import record
from core.db import get_or_raise
from core.errors import InvalidInput, NotFound
from accounts import require
from accounts.models import User

from .models import ProcessDefinition

@dataclass
class Deployment:
    definition: ProcessDefinition
    is_new: bool


def deploy(session: Session, files: list[tuple[str, bytes]], *, actor: User | None) -> list[Deployment]:
    """Deploy every process in `files`; all or nothing.

    Raises:
        Forbidden: the actor may not deploy processes.
        bpmn.BpmnInvalid: any file is invalid; nothing is stored.
    """
    require(actor, "processes.deploy")
    if not files:
        raise InvalidInput("no file uploaded", [{"message": "at least one .bpmn or .dmn file", "field": "file"}])
    parsed = bpmn.parse_upload(files, find_deployed=lambda key: _deployed_files(session, key))
    deployments = [_store(session, process, actor) for process in parsed]
    session.flush()
    for d in deployments:
        if d.is_new:
            timers.schedule_start_timers(session, d.definition, specs_for(d.definition)[0])
            events.register_start_events(session, d.definition, specs_for(d.definition)[0])
    for d in deployments:
        record(session, "definition.deployed" if d.is_new else "definition.unchanged", actor=actor,
               detail={"key": d.definition.key, "version": d.definition.version,
                       "file": d.definition.file_name})
    return deployments


def _store(session: Session, process: bpmn.ParsedProcess, actor: User | None) -> Deployment:
    content_hash = _hash_files(process.files)
    existing = session.scalar(select(ProcessDefinition).where(
        ProcessDefinition.key == process.key, ProcessDefinition.content_hash == content_hash))
    if existing is not None:
        return Deployment(existing, is_new=False)
    newest = session.scalar(select(func.max(ProcessDefinition.version))
                            .where(ProcessDefinition.key == process.key)) or 0
    definition = ProcessDefinition(
        key=process.key, version=newest + 1, name=process.name, file_name=process.file,
        content_hash=content_hash,
        files={name: data.decode("utf-8") for name, data in process.files.items()},
        is_executable=process.is_executable, problems=[p.as_dict() for p in process.problems],
        stages=list(process.stages), deployed_by_id=getattr(actor, "id", None))
    session.add(definition)
    return Deployment(definition, is_new=True)


def _hash_files(files: dict[str, bytes]) -> str:
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return digest.hexdigest()


def _deployed_files(session: Session, key: str) -> dict[str, bytes] | None:
    definition = find_latest(session, key)
    if definition is None:
        return None
    return {name: text.encode("utf-8") for name, text in definition.files.items()}


def find_latest(session: Session, key: str) -> ProcessDefinition | None:
    """Return the newest version of process `key`, or None."""
    return session.scalar(select(ProcessDefinition).where(ProcessDefinition.key == key)
                          .order_by(ProcessDefinition.version.desc()).limit(1))


def get_latest(session: Session, key: str) -> ProcessDefinition:
    """Return the newest version of process `key`; raise NotFound otherwise."""
    definition = find_latest(session, key)
    if definition is None:
        raise NotFound(f"no process {key!r} is deployed",
                       [{"message": f"no process {key!r} is deployed", "field": "process_key"}])
    return definition


def get_definition(session: Session, definition_id: int) -> ProcessDefinition:
    """Return the definition with `definition_id`; raise NotFound otherwise."""
    return get_or_raise(session, ProcessDefinition, definition_id, "process definition")


def list_latest(session: Session) -> list[ProcessDefinition]:
    """Return every process key's newest version, by key."""
    newest = (select(ProcessDefinition.key, func.max(ProcessDefinition.version).label("version"))
              .group_by(ProcessDefinition.key).subquery())
    return list(session.scalars(
        select(ProcessDefinition)
        .join(newest, (ProcessDefinition.key == newest.c.key)
              & (ProcessDefinition.version == newest.c.version))
        .order_by(ProcessDefinition.key)))


def list_versions(session: Session, key: str) -> list[ProcessDefinition]:
    """Return every version of process `key`, newest first."""
    return list(session.scalars(select(ProcessDefinition).where(ProcessDefinition.key == key)
                                .order_by(ProcessDefinition.version.desc())))


_spec_cache: dict[tuple[str, str], tuple] = {}
_spec_lock = threading.Lock()


def specs_for(definition: ProcessDefinition) -> tuple:
    """Return (spec, subprocess_specs) of a definition, built once per process."""
    cache_key = (definition.key, definition.content_hash)
    cached = _spec_cache.get(cache_key)
    if cached is None:
        files = {name: text.encode("utf-8") for name, text in definition.files.items()}
        cached = bpmn.build_specs(files, definition.key)
        with _spec_lock:
            _spec_cache[cache_key] = cached
    return cached
