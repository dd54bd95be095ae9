#!/usr/bin/env python3
"""The HTTP-level contract tests, against any stage: a deployed one or `make dev`'s.

    make e2e BASE_URL=https://abc123.execute-api.eu-west-1.amazonaws.com/Prod TOKEN=eyJ...
    TOKEN=eyJ... [ASSIGNEE_TOKEN=eyJ...] tools/e2e.py BASE_URL

Deployed, every request carries TOKEN (a Cognito ID token, see tools/test_user_token.py) as
the raw Authorization header, and a request without it must be refused with 401. Locally
(`make test` runs this suite against `cargo lambda watch`, as `make dev` serves the API)
there is no authorizer: the stack's local caller is used and the 401 check is skipped, said so.
The sharing check needs a second caller: deployed, a second test user's token
(ASSIGNEE_TOKEN); locally, the header `X-Local-Caller` names one. The tokens come from the
environment only: a command line is visible to every process on the machine (ps).

Each check is independent and names the contract rule it proves; every task the suite
creates is deleted at the end, whatever happened. The last line is `e2e: N passed, N failed`.
"""

import argparse
import base64
import json
import os
import socket
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

from sam_offline import is_loopback_url

ARGS = None
# A loopback stack is reached directly, whatever HTTP(S)_PROXY says (see main).
OPENER = urllib.request.build_opener()
created = []
results = []


def call(method, path, body=None, headers=None, token=True, raw_body=None, content_type=True):
    url = ARGS.base_url.rstrip("/") + path
    data = raw_body if raw_body is not None else (None if body is None else json.dumps(body).encode())
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None and content_type:
        request.add_header("Content-Type", "application/json")
    if token and ARGS.token:
        request.add_header("Authorization", ARGS.token)
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with OPENER.open(request, timeout=180) as response:
            status, response_headers, text = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, response_headers, text = error.code, error.headers, error.read()
    try:
        parsed = json.loads(text) if text else None
    except ValueError:
        parsed = text.decode(errors="replace")
    return status, response_headers, parsed


def create(body, headers=None):
    status, response_headers, answer = call("POST", "/tasks", body, headers)
    if status == 201:
        created.append(answer["task"]["taskId"])
    return status, response_headers, answer


def check(name):
    """Registers a check; a failed assertion or an error fails only that check."""
    def register(function):
        results.append((name, function))
        return function
    return register


def problem(answer, status, kind):
    assert isinstance(answer, dict), answer
    assert answer.get("status") == status, answer
    assert answer.get("type", "").endswith("/" + kind), answer


@check("POST /tasks creates a task: 201, Location, ETag, the task as the contract shows it")
def _():
    status, headers, answer = create({"title": "  Write report ", "priority": "high",
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


@check("GET /tasks/{taskId} reads it back with its ETag; a random id is 404, a bad one 400")
def _():
    _, _, answer = create({"title": "read me"})
    task_id = answer["task"]["taskId"]
    status, headers, answer = call("GET", f"/tasks/{task_id}")
    assert status == 200 and answer["task"]["title"] == "read me" and headers["ETag"] == '"1"'
    status, _, answer = call("GET", f"/tasks/{uuid.uuid4()}")
    problem(answer, 404, "not-found")
    status, _, answer = call("GET", "/tasks/not-a-uuid")
    problem(answer, 400, "validation-error")
    assert answer["errors"][0]["field"] == "taskId"


@check("GET /tasks lists newest first, pages with nextToken, filters by status")
def _():
    marker = uuid.uuid4().hex[:8]
    ids = [create({"title": f"page {marker} {i}", "tags": [marker]})[2]["task"]["taskId"] for i in range(3)]
    call("PATCH", f"/tasks/{ids[1]}", {"status": "completed"})
    seen, token = [], None
    for _ in range(100):
        query = "?limit=2" + (f"&nextToken={urllib.parse.quote(token)}" if token else "")
        status, _, page = call("GET", "/tasks" + query)
        assert status == 200 and page["count"] == len(page["tasks"]) <= 2, page
        seen += [t["taskId"] for t in page["tasks"] if marker in t["tags"]]
        token = page.get("nextToken")
        if not token or len(seen) == 3:
            break
    assert seen == list(reversed(ids)), (seen, ids)
    _, _, done = call("GET", "/tasks?status=completed&limit=100")
    assert ids[1] in [t["taskId"] for t in done["tasks"]]
    assert all(t["status"] == "completed" for t in done["tasks"])
    status, _, answer = call("GET", "/tasks?limit=0")
    problem(answer, 400, "validation-error")
    status, _, answer = call("GET", "/tasks?nextToken=forged")
    problem(answer, 400, "validation-error")


@check("PATCH with If-Match applies to that version; a stale one is 412 with the current ETag")
def _():
    task_id = create({"title": "update me"})[2]["task"]["taskId"]
    status, headers, answer = call("PATCH", f"/tasks/{task_id}", {"status": "completed"},
                                   {"If-Match": '"1"'})
    assert status == 200 and headers["ETag"] == '"2"', (status, answer)
    assert answer["task"]["completedAt"] is not None
    status, headers, answer = call("PATCH", f"/tasks/{task_id}", {"title": "late"}, {"If-Match": '"1"'})
    problem(answer, 412, "precondition-failed")
    assert headers["ETag"] == '"2"'
    status, _, answer = call("PUT", f"/tasks/{task_id}", {"description": "PUT is partial too"})
    assert status == 200 and answer["task"]["title"] == "update me" and answer["task"]["version"] == 3


@check("bad input is a 4xx problem naming every bad field, never a 5xx")
def _():
    status, _, answer = call("POST", "/tasks", {"title": "", "status": "done", "taskId": "x"})
    problem(answer, 400, "validation-error")
    assert sorted(e["field"] for e in answer["errors"]) == ["status", "taskId", "title"], answer
    status, _, answer = call("POST", "/tasks", raw_body=b'{"title": ')
    problem(answer, 400, "invalid-body")
    status, _, answer = call("POST", "/tasks", raw_body=b'{"title": "x"}', content_type=False)
    problem(answer, 415, "unsupported-media-type")
    task_id = create({"title": "patch me"})[2]["task"]["taskId"]
    status, _, answer = call("PATCH", f"/tasks/{task_id}", {})
    problem(answer, 400, "invalid-body")


@check("a method a path does not serve is 405 with Allow")
def _():
    status, headers, answer = call("PUT", "/tasks", {"title": "x"})
    problem(answer, 405, "method-not-allowed")
    assert headers["Allow"] == "GET, POST"
    status, headers, answer = call("POST", f"/tasks/{uuid.uuid4()}", {"title": "x"})
    problem(answer, 405, "method-not-allowed")
    assert headers["Allow"] == "GET, PUT, PATCH, DELETE"


@check("Idempotency-Key: a retry gets the same task back, another body with the key is 422")
def _():
    key = {"Idempotency-Key": f"e2e-{uuid.uuid4()}"}
    status, _, first = create({"title": "once"}, key)
    assert status == 201
    status, headers, again = call("POST", "/tasks", {"title": "once"}, key)
    assert status == 201 and headers["Idempotent-Replayed"] == "true", (status, again)
    assert again["task"]["taskId"] == first["task"]["taskId"]
    status, _, answer = call("POST", "/tasks", {"title": "another"}, key)
    problem(answer, 422, "idempotency-key-reused")


@check("DELETE removes the task; a second DELETE and a read are 404")
def _():
    task_id = create({"title": "delete me"})[2]["task"]["taskId"]
    status, _, answer = call("DELETE", f"/tasks/{task_id}", headers={"If-Match": '"1"'})
    assert status == 200 and answer == {"message": "Task deleted successfully", "taskId": task_id}
    created.remove(task_id)
    status, _, answer = call("DELETE", f"/tasks/{task_id}")
    problem(answer, 404, "not-found")
    status, _, answer = call("GET", f"/tasks/{task_id}")
    problem(answer, 404, "not-found")


def as_assignee():
    """Headers and id of the second caller: a second user's token deployed, else a local one."""
    if ARGS.token:
        payload = ARGS.assignee_token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return {"Authorization": ARGS.assignee_token}, claims["sub"]
    user = f"e2e-assignee-{uuid.uuid4()}"
    return {"X-Local-Caller": user}, user


@check("sharing: the assignee reads, completes and declines; 403 for the rest; then 404")
def _():
    if ARGS.token and not ARGS.assignee_token:
        return "skipped: no ASSIGNEE_TOKEN, so no second user to share with"
    bob, bob_id = as_assignee()
    as_bob = lambda method, path, body=None: call(method, path, body, headers=bob, token=False)  # noqa: E731
    status, _, answer = create({"title": "shared", "assignee": bob_id})
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
    status, _, answer = call("GET", f"/tasks/{task_id}")
    assert status == 200 and answer["task"]["status"] == "completed", answer


@check("a request without a token is 401 problem+json (deployed stages only)")
def _():
    if not ARGS.token:
        return "skipped: no TOKEN, so no authorizer to prove (a local stack acts as its local caller)"
    status, headers, answer = call("GET", "/tasks", token=False)
    assert status == 401, (status, answer)
    assert headers["Content-Type"].startswith("application/problem+json"), headers["Content-Type"]


def wait_until_listening(seconds=180):
    url = urllib.parse.urlparse(ARGS.base_url)
    port = url.port or (443 if url.scheme == "https" else 80)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection((url.hostname, port), timeout=2).close()
            return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"e2e: nothing listens on {ARGS.base_url} after {seconds} s")


def main():
    global ARGS, OPENER
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("base_url", help="the API's base URL, e.g. the stack's ApiUrl output")
    ARGS = parser.parse_args()
    # TOKEN: a Cognito ID token of a test user; ASSIGNEE_TOKEN: a second one (sharing).
    ARGS.token = os.environ.get("TOKEN", "")
    ARGS.assignee_token = os.environ.get("ASSIGNEE_TOKEN", "")
    if is_loopback_url(ARGS.base_url):
        OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    wait_until_listening()
    passed = failed = skipped = 0
    try:
        for name, function in results:
            try:
                outcome = function()
            except Exception as error:  # noqa: BLE001 - any failure fails this check only
                failed += 1
                print(f"FAIL  {name}: {type(error).__name__}: {error}")
                continue
            if isinstance(outcome, str):
                skipped += 1
                print(f"skip  {name}: {outcome}")
            else:
                passed += 1
                print(f"ok    {name}")
    finally:
        for task_id in created:
            call("DELETE", f"/tasks/{task_id}")
        print(f"e2e: removed the {len(created)} tasks it created")
    print(f"e2e: {passed} passed, {failed} failed, {skipped} skipped")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
