"""End-to-end check of the local API as `make dev` serves it: real HTTP through
`cargo lambda watch`'s router to the four functions and the local DynamoDB.
It walks the README's curl walkthrough and checks what the contract promises.

Usage: smoke_local_api.py BASE_URL   (e.g. http://127.0.0.1:9000)
"""

import json
import socket
import sys
import time
import urllib.error
import urllib.request

BASE = sys.argv[1].rstrip("/")
checks = 0


def call(method, path, body=None, headers=None, timeout=180):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(BASE + path, data=data, method=method)
    if body is not None:
        request.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, error.headers, json.loads(error.read() or b"null")


def expect(what, condition, detail=""):
    global checks
    if not condition:
        sys.exit(f"FAILED: {what} {detail}")
    checks += 1
    print(f"ok  {what}")


def wait_until_listening(seconds=120):
    host, port = BASE.split("//")[1].split(":")
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection((host, int(port)), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"FAILED: nothing listens on {BASE} after {seconds} s")


wait_until_listening()
status, headers, body = call(
    "POST", "/tasks",
    {"title": "Write report", "priority": "high", "dueDate": "2030-01-01T09:00:00+01:00"},
)
expect("POST /tasks is 201", status == 201, body)
task = body["task"]
task_id = task["taskId"]
expect("Location and ETag are set", headers["Location"] == f"/tasks/{task_id}" and headers["ETag"] == '"1"')
expect("dueDate is returned in UTC", task["dueDate"] == "2030-01-01T08:00:00.000Z", task)
expect("CORS headers are on the response", headers["Access-Control-Expose-Headers"] == "ETag, Location")

status, _, body = call("GET", "/tasks?status=pending&limit=100")
expect("GET /tasks lists the new task", status == 200 and task_id in [t["taskId"] for t in body["tasks"]], body)

status, headers, body = call("GET", f"/tasks/{task_id}")
expect("GET /tasks/{id} reads it back", status == 200 and body["task"] == task and headers["ETag"] == '"1"')

status, headers, body = call("PATCH", f"/tasks/{task_id}", {"status": "completed"}, {"If-Match": '"1"'})
expect("PATCH with If-Match completes it", status == 200 and body["task"]["completedAt"] is not None, body)
expect("PATCH bumps the version", body["task"]["version"] == 2 and headers["ETag"] == '"2"')

status, headers, body = call("PUT", f"/tasks/{task_id}", {"priority": "low"}, {"If-Match": '"1"'})
expect("a stale If-Match is 412 with the current ETag", status == 412 and headers["ETag"] == '"2"', body)

status, _, body = call("DELETE", f"/tasks/{task_id}")
expect("DELETE is 200", status == 200 and body == {"message": "Task deleted successfully", "taskId": task_id}, body)
status, headers, body = call("DELETE", f"/tasks/{task_id}")
expect("a second DELETE is 404 problem+json",
       status == 404 and headers["Content-Type"] == "application/problem+json" and body["status"] == 404, body)

status, _, body = call("POST", "/tasks", {"title": "", "status": "done"})
expect("bad fields are 400 naming each",
       status == 400 and sorted(e["field"] for e in body["errors"]) == ["status", "title"], body)

print(f"smoke: {checks} passed, 0 failed")
