"""Many lead forms naming the same new company at once make one company, with no 500 (real commits)."""
from __future__ import annotations

import threading

from tests.conftest import Api, make_token
from tests.processes.funnel import GOOD_DATA, deploy_bundled

RACERS = 24
NEW_COMPANY = "星辰新能源有限公司"


def test_racing_lead_forms_naming_one_new_company_make_one_company(live_app):
    admin = Api(live_app.test_client(), make_token(live_app, "admin", (), "admin"))
    deploy_bundled(admin)
    sales = Api(live_app.test_client(), make_token(live_app, "seller", ("sales",)))
    leads = []
    for _ in range(RACERS):
        started = sales.post("/api/process-instances", json={"process_key": "sales_funnel"})
        assert started.status_code == 201, started.get_json()
        leads.append(next(t["id"] for t in started.get_json()["tasks"] if t["name"] == "qualify_lead"))
    barrier = threading.Barrier(RACERS)
    answers = []

    def complete(task_id):
        racer = Api(live_app.test_client(), sales.token)
        barrier.wait()
        response = racer.post(f"/api/tasks/{task_id}/complete",
                              json={"data": {**GOOD_DATA["qualify_lead"], "company": NEW_COMPANY}})
        answers.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=complete, args=(task_id,)) for task_id in leads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [status for status, _ in answers] == [200] * RACERS, [a for a in answers if a[0] != 200][:3]
    companies = admin.get("/api/companies", query_string={"q": NEW_COMPANY}).get_json()
    assert [c["name"] for c in companies] == [NEW_COMPANY]
    deals = admin.get("/api/opportunities", query_string={"company_id": companies[0]["id"]}).get_json()
    assert len(deals) == RACERS


def test_racing_posts_of_one_new_company_give_one_201_and_409s(live_app):
    racers = [Api(live_app.test_client(), make_token(live_app, f"seller{i}")) for i in range(12)]
    barrier = threading.Barrier(len(racers))
    statuses = []

    def create(api):
        barrier.wait()
        statuses.append(api.post("/api/companies", json={"name": NEW_COMPANY}).status_code)

    threads = [threading.Thread(target=create, args=(api,)) for api in racers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201] + [409] * (len(racers) - 1)
