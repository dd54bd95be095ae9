"""The HTTP-level contract tests, against any stage: a deployed one or `make dev`'s.

    make e2e BASE_URL=https://abc123.execute-api.eu-west-1.amazonaws.com/Prod TOKEN=eyJ...
    BASE_URL=... TOKEN=eyJ... [ASSIGNEE_TOKEN=eyJ...] .venv/bin/python -m pytest tests/e2e

Deployed, every request carries TOKEN (a Cognito ID token, see tools/test_user_token.py) as
the raw Authorization header, and a request without it must be refused with 401. Locally
(`make test` runs this suite against `cargo lambda watch`, as `make dev` serves the API)
there is no authorizer: the stack's local caller is used and the 401 test is skipped, said so.
The sharing test needs a second caller: deployed, a second test user's token
(ASSIGNEE_TOKEN); locally, the header `X-Local-Caller` names one.

Each test is independent and is named by the contract rule it proves.
"""

import base64
import json
import urllib.parse
import uuid

import pytest


def problem(answer, status, kind):
    assert isinstance(answer, dict), answer
    assert answer.get("status") == status, answer
    assert answer.get("type", "").endswith("/" + kind), answer


def test_post_creates_a_task_with_location_etag_and_the_contract_shape(api):
    """POST /tasks creates a task: 201, Location, ETag, the task as the contract shows it."""
    status, headers, answer = api.create({"title": "  Write report ", "priority": "high",
                                          "dueDate": "2030-01-01T09:00:00+01:00", "tags": ["work"]})
    assert status == 201, (status, answer)
    task = answer["task"]
    assert answer["message"] == "Task created successfully"
    assert headers["Location"] == f"/tasks/{task['taskId']}", headers["Location"]
    assert headers["ETag"] == '"1"'
    assert task["title"] == "Write report" and task["status"] == "pending"
    assert task["dueDate"] == "2030-01-01T08:00:00.000Z" and task["completedAt"] is None
    assert task["version"] == 1 and task["tags"] == ["work"]
    assert "Access-Control-Allow-Origin" in headers and "ETag" in headers["Access-Control-Expose-Headers"]


def test_get_reads_a_task_back_with_its_etag_and_a_random_id_is_404_a_bad_one_400(api):
    """GET /tasks/{taskId} reads it back with its ETag; a random id is 404, a bad one 400."""
    _, _, answer = api.create({"title": "read me"})
    task_id = answer["task"]["taskId"]
    status, headers, answer = api.call("GET", f"/tasks/{task_id}")
    assert status == 200 and answer["task"]["title"] == "read me" and headers["ETag"] == '"1"'
    status, _, answer = api.call("GET", f"/tasks/{uuid.uuid4()}")
    problem(answer, 404, "not-found")
    status, _, answer = api.call("GET", "/tasks/not-a-uuid")
    problem(answer, 400, "validation-error")
    assert answer["errors"][0]["field"] == "taskId"


def test_list_is_newest_first_pages_with_next_token_and_filters_by_status(api):
    """GET /tasks lists newest first, pages with nextToken, filters by status."""
    marker = uuid.uuid4().hex[:8]
    ids = [api.create({"title": f"page {marker} {i}", "tags": [marker]})[2]["task"]["taskId"] for i in range(3)]
    api.call("PATCH", f"/tasks/{ids[1]}", {"status": "completed"})
    seen, token = [], None
    for _ in range(100):
        query = "?limit=2" + (f"&nextToken={urllib.parse.quote(token)}" if token else "")
        status, _, page = api.call("GET", "/tasks" + query)
        assert status == 200 and page["count"] == len(page["tasks"]) <= 2, page
        seen += [t["taskId"] for t in page["tasks"] if marker in t["tags"]]
        token = page.get("nextToken")
        if not token or len(seen) == 3:
            break
    assert seen == list(reversed(ids)), (seen, ids)
    _, _, done = api.call("GET", "/tasks?status=completed&limit=100")
    assert ids[1] in [t["taskId"] for t in done["tasks"]]
    assert all(t["status"] == "completed" for t in done["tasks"])
    status, _, answer = api.call("GET", "/tasks?limit=0")
    problem(answer, 400, "validation-error")
    status, _, answer = api.call("GET", "/tasks?nextToken=forged")
    problem(answer, 400, "validation-error")


def test_patch_with_if_match_applies_to_that_version_and_a_stale_one_is_412(api):
    """PATCH with If-Match applies to that version; a stale one is 412 with the current ETag."""
    task_id = api.create({"title": "update me"})[2]["task"]["taskId"]
    status, headers, answer = api.call("PATCH", f"/tasks/{task_id}", {"status": "completed"},
                                       {"If-Match": '"1"'})
    assert status == 200 and headers["ETag"] == '"2"', (status, answer)
    assert answer["task"]["completedAt"] is not None
    status, headers, answer = api.call("PATCH", f"/tasks/{task_id}", {"title": "late"}, {"If-Match": '"1"'})
    problem(answer, 412, "precondition-failed")
    assert headers["ETag"] == '"2"'
    status, _, answer = api.call("PUT", f"/tasks/{task_id}", {"description": "PUT is partial too"})
    assert status == 200 and answer["task"]["title"] == "update me" and answer["task"]["version"] == 3


def test_bad_input_is_a_4xx_problem_naming_every_bad_field(api):
    """Bad input is a 4xx problem naming every bad field, never a 5xx."""
    status, _, answer = api.call("POST", "/tasks", {"title": "", "status": "done", "taskId": "x"})
    problem(answer, 400, "validation-error")
    assert sorted(e["field"] for e in answer["errors"]) == ["status", "taskId", "title"], answer
    status, _, answer = api.call("POST", "/tasks", raw_body=b'{"title": ')
    problem(answer, 400, "invalid-body")
    status, _, answer = api.call("POST", "/tasks", raw_body=b'{"title": "x"}', content_type=False)
    problem(answer, 415, "unsupported-media-type")
    task_id = api.create({"title": "patch me"})[2]["task"]["taskId"]
    status, _, answer = api.call("PATCH", f"/tasks/{task_id}", {})
    problem(answer, 400, "invalid-body")


def test_a_method_a_path_does_not_serve_is_405_with_allow(api):
    """A method a path does not serve is 405 with Allow."""
    status, headers, answer = api.call("PUT", "/tasks", {"title": "x"})
    problem(answer, 405, "method-not-allowed")
    assert headers["Allow"] == "GET, POST"
    status, headers, answer = api.call("POST", f"/tasks/{uuid.uuid4()}", {"title": "x"})
    problem(answer, 405, "method-not-allowed")
    assert headers["Allow"] == "GET, PUT, PATCH, DELETE"


def test_idempotency_key_retry_gets_the_same_task_and_another_body_is_422(api):
    """Idempotency-Key: a retry gets the same task back, another body with the key is 422."""
    key = {"Idempotency-Key": f"e2e-{uuid.uuid4()}"}
    status, _, first = api.create({"title": "once"}, key)
    assert status == 201
    status, headers, again = api.call("POST", "/tasks", {"title": "once"}, key)
    assert status == 201 and headers["Idempotent-Replayed"] == "true", (status, again)
    assert again["task"]["taskId"] == first["task"]["taskId"]
    status, _, answer = api.call("POST", "/tasks", {"title": "another"}, key)
    problem(answer, 422, "idempotency-key-reused")


def test_delete_removes_the_task_and_a_second_delete_and_a_read_are_404(api):
    """DELETE removes the task; a second DELETE and a read are 404."""
    task_id = api.create({"title": "delete me"})[2]["task"]["taskId"]
    status, _, answer = api.call("DELETE", f"/tasks/{task_id}", headers={"If-Match": '"1"'})
    assert status == 200 and answer == {"message": "Task deleted successfully", "taskId": task_id}
    api.created.remove(task_id)
    status, _, answer = api.call("DELETE", f"/tasks/{task_id}")
    problem(answer, 404, "not-found")
    status, _, answer = api.call("GET", f"/tasks/{task_id}")
    problem(answer, 404, "not-found")


def second_user(token, assignee_token):
    """Another user: (their id, the headers that make a request theirs)."""
    if token and not assignee_token:
        pytest.skip("no ASSIGNEE_TOKEN, so no second user to share with")
    if token:  # deployed: the second user's token, and its id from the token's claims
        payload = assignee_token.split(".")[1]
        user_id = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"]
        return user_id, {"Authorization": assignee_token}
    user_id = f"e2e-assignee-{uuid.uuid4()}"  # locally: a second local caller
    return user_id, {"X-Local-Caller": user_id}


def test_sharing_the_assignee_reads_completes_and_declines_403_for_the_rest_then_404(api, token, assignee_token):
    """Sharing: the assignee reads, completes and declines; 403 for the rest; then 404."""
    bob_id, bob = second_user(token, assignee_token)

    def as_bob(method, path, body=None):
        return api.call(method, path, body, headers=bob, token=False)

    status, _, answer = api.create({"title": "shared", "assignee": bob_id})
    assert status == 201 and answer["task"]["assignee"] == bob_id, (status, answer)
    task_id = answer["task"]["taskId"]
    owner = answer["task"]["ownerId"]
    status, _, answer = as_bob("GET", "/tasks?scope=assigned")
    assert status == 200 and [t["taskId"] for t in answer["tasks"]] == [task_id], answer
    assert answer["tasks"][0]["ownerId"] == owner
    status, _, answer = as_bob("PATCH", f"/tasks/{task_id}", {"title": "mine now"})
    problem(answer, 403, "forbidden")
    assert [e["field"] for e in answer["errors"]] == ["title"], answer
    status, _, answer = as_bob("DELETE", f"/tasks/{task_id}")
    problem(answer, 403, "forbidden")
    status, _, answer = as_bob("PATCH", f"/tasks/{task_id}", {"status": "completed"})
    assert status == 200 and answer["task"]["status"] == "completed", (status, answer)
    status, _, answer = as_bob("PATCH", f"/tasks/{task_id}", {"assignee": None})
    assert status == 200 and answer["task"]["assignee"] is None, (status, answer)
    status, _, answer = as_bob("GET", f"/tasks/{task_id}")
    problem(answer, 404, "not-found")
    status, _, answer = api.call("GET", f"/tasks/{task_id}")
    assert status == 200 and answer["task"]["status"] == "completed", answer


def test_a_request_without_a_token_is_401_problem_json(api, token):
    """A request without a token is 401 problem+json (deployed stages only)."""
    if not token:
        pytest.skip("no TOKEN, so no authorizer to prove (a local stack acts as its local caller)")
    status, headers, answer = api.call("GET", "/tasks", token=False)
    assert status == 401, (status, answer)
    assert headers["Content-Type"].startswith("application/problem+json"), headers["Content-Type"]


def test_remind_at_is_the_owners_later_than_now_in_utc_and_null_clears_it(api, token, assignee_token):
    """remindAt: set by the owner in UTC, later than now (else 400), cleared with null; 403 for the assignee."""
    status, _, answer = api.create({"title": "remind me", "remindAt": "2030-01-01T09:00:00+01:00"})
    assert status == 201 and answer["task"]["remindAt"] == "2030-01-01T08:00:00.000Z", (status, answer)
    task_id = answer["task"]["taskId"]
    for past in ["2020-01-01T00:00:00Z", "2000-01-01T00:00:00+14:00"]:
        status, _, answer = api.call("PATCH", f"/tasks/{task_id}", {"remindAt": past})
        problem(answer, 400, "validation-error")
        assert [e["field"] for e in answer["errors"]] == ["remindAt"], answer
    status, _, answer = api.call("PATCH", f"/tasks/{task_id}", {"remindAt": None})
    assert status == 200 and answer["task"]["remindAt"] is None, (status, answer)

    assignee_id, as_assignee = second_user(token, assignee_token)
    status, _, answer = api.create({"title": "shared reminder", "assignee": assignee_id})
    shared = answer["task"]["taskId"]
    status, _, answer = api.call("PATCH", f"/tasks/{shared}", {"remindAt": "2030-01-01T08:00:00Z"},
                                 headers=as_assignee, token=False)
    problem(answer, 403, "forbidden")
    assert [e["field"] for e in answer["errors"]] == ["remindAt"], answer
