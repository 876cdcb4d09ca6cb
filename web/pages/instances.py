"""An instance: its diagram, stage progress, data, history timeline, open tasks, timers, errors."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from crm.deal_view import find_deal_of_instance
from engine import instances
from core.db import utcnow
from signing import funnel
from signing import service as contracts

from ..db import get_session
from ..i18n import form_fields_of
from ..i18n import gettext as _
from . import back, bp, login_required, page_actor
from .diagram import instance_diagram

SIGNING_TASK = "sign_contract"  # the funnel's 合同签署 task, whose gate waits for the signed contract


def stage_steps(instance) -> list[dict]:
    """Return the definition's stages, each marked done, current or todo for the progress bar."""
    stages = list(instance.definition.stages or [])
    if instance.stage and instance.stage not in stages:
        stages.append(instance.stage)
    current = stages.index(instance.stage) if instance.stage in stages else -1
    is_finished = instance.status == "completed"
    return [{"name": name, "state": "done" if index < current or (is_finished and index <= current)
             else "current" if index == current else "todo"}
            for index, name in enumerate(stages)]


@bp.get("/instances/<int:instance_id>")
@login_required
def instance(instance_id):
    found = instances.get_instance(get_session(), instance_id, actor=page_actor())
    return render_template("instance.html", instance=found, steps=stage_steps(found),
                           diagram=instance_diagram(found), now=utcnow(),
                           open_tasks=[t for t in found.tasks if t.status == "open"],
                           history=list(reversed(found.history)),
                           task_titles={t.id: t.title for t in found.tasks},
                           deal_id=find_deal_of_instance(get_session(), found.id),
                           fields=form_fields_of(found.tasks),
                           **contract_context(found, page_actor()))


def contract_context(instance, user) -> dict:
    """Return the deal's contracts, and whether `user` may draft one now (the 合同签署 task is open)."""
    found = contracts.list_contracts(get_session(), instance_id=instance.id, actor=user)
    is_signing = any(t.status == "open" and t.element_id == SIGNING_TASK for t in instance.tasks)
    may_seal = user.can("contracts.seal")
    return {"contracts": found, "may_draft_contract": is_signing and may_seal and not found}


@bp.post("/instances/<int:instance_id>/contract")
@login_required
def draft_contract(instance_id):
    contract = funnel.draft_for_instance(get_session(), instance_id, page_actor(), ip=request.remote_addr)
    flash(_("Contract {number} is drafted and sealed; it waits for the customer's signature.",
            number=contract.number), "success")
    return redirect(back(default="pages.inbox"))


@bp.post("/instances/<int:instance_id>/retry")
@login_required
def retry(instance_id):
    retried = instances.retry_instance(get_session(), instance_id, actor=page_actor())
    if retried.status == "error":
        flash(_("The retry failed again: {message}", message=retried.error_message), "error")
    else:
        flash(_("The instance runs again."), "success")
    return redirect(url_for("pages.instance", instance_id=instance_id))
