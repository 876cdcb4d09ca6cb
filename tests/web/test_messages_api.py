"""Messages and signals from outside, as an integration sends them: each construct from a modeler file."""
from __future__ import annotations

import pytest

from tests.conftest import FIXTURES, Api, deploy, make_token


def start(api, key, **data):
    response = api.post("/api/process-instances", json={"process_key": key, "data": data})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def shown(api, instance_id):
    return api.get(f"/api/process-instances/{instance_id}").get_json()


def open_tasks(api, instance_id):
    return sorted(t["name"] for t in shown(api, instance_id)["tasks"] if t["status"] == "open")


def message(api, **body):
    return api.post("/api/messages", json=body)


@pytest.fixture
def admin(api):
    return api["admin"]


def test_a_receive_task_continues_on_its_message_with_the_data_merged(admin):
    deploy(admin, FIXTURES / "message_receive.bpmn")
    order = start(admin, "order_payment", order_number="A-17")
    assert order["status"] == "waiting" and open_tasks(admin, order["id"]) == []
    assert [{k: w[k] for k in ("kind", "name", "correlation_key", "element_id")}
            for w in order["waiting_for"]] == [{"kind": "message", "name": "payment_received",
                                                "correlation_key": "A-17", "element_id": "wait_payment"}]

    response = message(admin, name="payment_received", correlation_key="A-17",
                       data={"paid_amount": 1200, "paid_by": "bank transfer"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"process_instance_id": order["id"], "element_id": "wait_payment",
                                   "started": False, "status": "running"}
    after = shown(admin, order["id"])
    assert after["data"]["paid_amount"] == 1200 and after["data"]["order_number"] == "A-17"
    assert open_tasks(admin, order["id"]) == ["ship"]
    assert after["waiting_for"] == []
    received = [h for h in after["history"] if h["action"] == "instance.message_received"]
    assert len(received) == 1 and received[0]["element_id"] == "wait_payment"
    # Delivered once: the wait is over, a second message finds nobody.
    assert message(admin, name="payment_received", correlation_key="A-17").status_code == 404


def test_two_instances_waiting_with_different_keys_each_get_only_their_own(admin):
    deploy(admin, FIXTURES / "message_receive.bpmn")
    first = start(admin, "order_payment", order_number="A-1")
    second = start(admin, "order_payment", order_number="A-2")
    assert message(admin, name="payment_received", correlation_key="A-2",
                   data={"paid_amount": 2}).get_json()["process_instance_id"] == second["id"]
    assert open_tasks(admin, first["id"]) == [] and open_tasks(admin, second["id"]) == ["ship"]
    assert "paid_amount" not in shown(admin, first["id"])["data"]
    assert message(admin, name="payment_received", correlation_key="A-1",
                   data={"paid_amount": 1}).get_json()["process_instance_id"] == first["id"]
    assert shown(admin, first["id"])["data"]["paid_amount"] == 1
    assert shown(admin, second["id"])["data"]["paid_amount"] == 2


def test_several_waiting_with_the_same_key_is_a_conflict_unless_the_instance_is_named(admin):
    deploy(admin, FIXTURES / "message_receive.bpmn")
    first = start(admin, "order_payment", order_number="SAME")
    second = start(admin, "order_payment", order_number="SAME")
    response = message(admin, name="payment_received", correlation_key="SAME")
    assert response.status_code == 409
    assert "2 process instances wait" in " ".join(e["message"] for e in response.get_json()["errors"])
    assert message(admin, name="payment_received").status_code == 409  # no key at all: same
    assert open_tasks(admin, first["id"]) == open_tasks(admin, second["id"]) == []

    named = message(admin, name="payment_received", correlation_key="SAME",
                    process_instance_id=second["id"], data={"paid_amount": 5})
    assert named.status_code == 200 and named.get_json()["process_instance_id"] == second["id"]
    assert open_tasks(admin, second["id"]) == ["ship"] and open_tasks(admin, first["id"]) == []


def test_a_message_nothing_waits_for_is_404(admin):
    deploy(admin, FIXTURES / "message_receive.bpmn")
    start(admin, "order_payment", order_number="A-1")
    for body in ({"name": "payment_received", "correlation_key": "nobody"},
                 {"name": "no_such_message"},
                 {"name": "payment_received", "process_instance_id": 999999}):
        response = message(admin, **body)
        assert response.status_code == 404, body
        assert "nothing waits for message" in " ".join(e["message"] for e in response.get_json()["errors"])


def test_bad_message_requests_name_the_field(admin):
    assert message(admin, correlation_key="x").status_code == 422
    response = message(admin, name="m", data="not an object")
    assert response.status_code == 422
    assert admin.post("/api/messages", data="[1]", content_type="application/json").status_code == 400


def test_a_non_interrupting_boundary_message_adds_a_path_while_the_task_stays(admin):
    deploy(admin, FIXTURES / "message_events.bpmn")
    deal = start(admin, "negotiation", deal_number="D-9")
    assert open_tasks(admin, deal["id"]) == ["negotiate"]
    response = message(admin, name="customer_question", correlation_key="D-9",
                       data={"question": "Can you deliver in May?"})
    assert response.status_code == 200 and response.get_json()["element_id"] == "question_asked"
    assert open_tasks(admin, deal["id"]) == ["answer_question", "negotiate"]
    assert shown(admin, deal["id"])["data"]["question"] == "Can you deliver in May?"
    # SpiffWorkflow 3.2 fires a non-interrupting boundary event once per activation of its task.
    assert message(admin, name="customer_question", correlation_key="D-9").status_code == 404
    assert message(admin, name="customer_withdrew", correlation_key="D-9").status_code == 200
    assert open_tasks(admin, deal["id"]) == ["answer_question", "close_lost"]


def test_an_interrupting_boundary_message_cancels_the_task(admin):
    deploy(admin, FIXTURES / "message_events.bpmn")
    deal = start(admin, "negotiation", deal_number="D-10")
    assert message(admin, name="customer_withdrew", correlation_key="D-10",
                   data={"reason": "budget cut"}).status_code == 200
    after = shown(admin, deal["id"])
    assert open_tasks(admin, deal["id"]) == ["close_lost"]
    assert [t["status"] for t in after["tasks"] if t["name"] == "negotiate"] == ["cancelled"]
    # The other waits of the cancelled task are gone with it.
    assert message(admin, name="customer_question", correlation_key="D-10").status_code == 404


def test_an_intermediate_message_catch_waits_after_the_task(admin):
    deploy(admin, FIXTURES / "message_events.bpmn")
    deal = start(admin, "negotiation", deal_number="D-11")
    [task] = [t for t in shown(admin, deal["id"])["tasks"] if t["status"] == "open"]
    assert admin.post(f"/api/tasks/{task['id']}/complete", json={"data": {}}).status_code == 200
    assert shown(admin, deal["id"])["status"] == "waiting"
    assert message(admin, name="customer_question", correlation_key="D-11").status_code == 404
    response = message(admin, name="contract_signed", correlation_key="D-11", data={"signed_on": "2026-12-07"})
    assert response.get_json()["element_id"] == "wait_signature"
    assert open_tasks(admin, deal["id"]) == ["hand_over"]


def test_a_message_start_event_starts_an_instance_with_the_data(admin):
    deploy(admin, FIXTURES / "message_start.bpmn")
    response = message(admin, name="web_lead_received", data={"company": "华东物流", "email": "li@example.com"})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["started"] is True and body["element_id"] == "lead_received"
    lead = shown(admin, body["process_instance_id"])
    assert lead["process_key"] == "web_lead" and lead["data"]["company"] == "华东物流"
    assert open_tasks(admin, lead["id"]) == ["qualify"]
    assert "instance.message_received" in [h["action"] for h in lead["history"]]
    second = message(admin, name="web_lead_received", data={"company": "B"}).get_json()
    assert second["process_instance_id"] != lead["id"]


def test_a_message_start_uses_the_newest_version(admin, tmp_path):
    deploy(admin, FIXTURES / "message_start.bpmn")
    newer = tmp_path / "message_start.bpmn"
    newer.write_text((FIXTURES / "message_start.bpmn").read_text().replace("Qualify the lead", "Qualify it"))
    [definition] = deploy(admin, newer)
    started = message(admin, name="web_lead_received").get_json()
    assert shown(admin, started["process_instance_id"])["version"] == definition["version"]


def test_a_signal_reaches_every_waiting_instance(admin):
    deploy(admin, FIXTURES / "signal_events.bpmn")
    waiting = [start(admin, "price_wait")["id"] for _ in range(3)]
    response = admin.post("/api/signals", json={"name": "price_list_changed", "data": {"list": "2027"}})
    assert response.status_code == 200 and response.get_json() == {"count": 3}
    for instance_id in waiting:
        assert open_tasks(admin, instance_id) == ["requote"]
        assert shown(admin, instance_id)["data"]["list"] == "2027"
    assert admin.post("/api/signals", json={"name": "price_list_changed"}).get_json() == {"count": 0}


def test_a_signal_to_nothing_counts_0(admin):
    response = admin.post("/api/signals", json={"name": "nobody_listens"})
    assert response.status_code == 200 and response.get_json() == {"count": 0}


def test_a_signal_boundary_interrupts_and_a_signal_start_starts(admin):
    deploy(admin, FIXTURES / "signal_events.bpmn")
    deal = start(admin, "frozen_deal")
    assert admin.post("/api/signals", json={"name": "deals_frozen"}).get_json() == {"count": 1}
    assert open_tasks(admin, deal["id"]) == ["park"]
    assert admin.post("/api/signals", json={"name": "price_review_requested"}).get_json() == {"count": 1}
    assert admin.get("/api/tasks").get_json() and any(
        t["name"] == "review" for t in admin.get("/api/tasks").get_json())


def test_signals_thrown_by_a_process_reach_the_waiting_instances(admin):
    deploy(admin, FIXTURES / "signal_events.bpmn")
    waiting = start(admin, "price_wait")
    deal = start(admin, "frozen_deal")
    publisher = start(admin, "price_publish")
    assert open_tasks(admin, waiting["id"]) == ["requote"]  # the intermediate throw
    [archive] = [t for t in shown(admin, publisher["id"])["tasks"] if t["status"] == "open"]
    assert admin.post(f"/api/tasks/{archive['id']}/complete", json={"data": {}}).status_code == 200
    assert shown(admin, publisher["id"])["status"] == "completed"
    assert open_tasks(admin, deal["id"]) == ["park"]  # the end throw


def test_sending_needs_messages_send(client, app, api):
    deploy(api["admin"], FIXTURES / "message_receive.bpmn")
    start(api["admin"], "order_payment", order_number="P-1")
    assert message(api["alice"], name="payment_received", correlation_key="P-1").status_code == 403
    assert api["alice"].post("/api/signals", json={"name": "x"}).status_code == 403
    erp = Api(client, make_token(app, "erp", groups=("integrations",)))
    assert message(erp, name="payment_received", correlation_key="P-1").status_code == 200


def test_message_data_is_checked_like_variables(admin):
    deploy(admin, FIXTURES / "message_receive.bpmn")
    order = start(admin, "order_payment", order_number="BIG")
    response = message(admin, name="payment_received", correlation_key="BIG",
                       data={"blob": "x" * (300 * 1024)})
    assert response.status_code in (413, 422)
    assert open_tasks(admin, order["id"]) == []  # still waiting
    assert message(admin, name="payment_received", correlation_key="BIG").status_code == 200


def test_the_routes_are_in_the_openapi_document(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert {"404", "409"} <= set(paths["/api/messages"]["post"]["responses"])
    assert "/api/signals" in paths


def test_two_deliveries_racing_for_one_wait_deliver_once(live_app):
    from concurrent.futures import ThreadPoolExecutor

    token = make_token(live_app, "racer", ("sales",), "admin")
    admin = Api(live_app.test_client(), token)
    deploy(admin, FIXTURES / "message_receive.bpmn")
    order = start(admin, "order_payment", order_number="RACE")

    def send(n):
        return Api(live_app.test_client(), token).post(
            "/api/messages", json={"name": "payment_received", "correlation_key": "RACE",
                                   "data": {"sender": n}}).status_code

    with ThreadPoolExecutor(4) as pool:
        codes = sorted(pool.map(send, range(4)))
    assert codes.count(200) == 1 and all(code in (404, 409) for code in codes if code != 200), codes
    assert open_tasks(admin, order["id"]) == ["ship"]
    history = shown(admin, order["id"])["history"]
    assert [h["action"] for h in history].count("instance.message_received") == 1
