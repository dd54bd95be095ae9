"""The `sam local` checks of `make test` (run by tools/sam-local.sh, with the venv's Python).

    sam_local_check.py glibc MAX_VERSION BINARY...
        each binary needs no glibc symbol version above MAX_VERSION (Lambda's al2023: 2.34)
    sam_local_check.py binaries TEMPLATE
        the binaries of the template's functions
    sam_local_check.py local-template SOURCE OUTPUT BINARIES_DIR
        SOURCE (template.yaml) with each function's code taken from BINARIES_DIR/<binary>/
    sam_local_check.py invoke TEMPLATE ENV_FILE
        every event in events/ through `sam local invoke` of the function the template
        routes it to, each answer compared with the same event's answer in-process
    sam_local_check.py start-api TEMPLATE ENV_FILE
        `sam local start-api` and a walk over real HTTP

ENV_FILE is SAM's --env-vars file ({"Parameters": {...}}); the in-process runner
(crates/dev-tools/src/bin/invoke-event.rs) gets the same values, less TASKS_LOCAL_CALLER_ID.
Everything runs on loopback, through tools/sam_offline.py.
"""

import copy
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sam_offline import free_loopback_port

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "target" / "sam-local"
SAM = [sys.executable, str(ROOT / "tools" / "sam_offline.py")]
# SAM local runs the template's default architecture (arm64) unless told; the base image is
# local (tools/lambda-base-image.sh), never pulled.
SAM_PARAMETERS = ["--skip-pull-image", "--parameter-overrides", "Architecture=x86_64"]
METHOD_ORDER = {"POST": 0, "GET": 1, "PUT": 2, "PATCH": 2, "DELETE": 3}
TIMES = {"createdAt", "updatedAt", "completedAt"}
# `sam local invoke`s at once (each is a SAM process and a container; 2 cores here).
INVOKE_CONCURRENCY = 3

passed = 0
failures = []


def check(condition, what, detail=""):
    global passed
    if condition:
        passed += 1
        print(f"  ok    {what}")
    else:
        failures.append(what)
        print(f"  FAIL  {what}")
        if detail:
            print("        " + str(detail).replace("\n", "\n        "))


def finish():
    print(f"sam local checks: {passed} passed, {len(failures)} failed")
    return 1 if failures else 0


def load_template(path):
    from samcli.yamlhelper import yaml_parse

    return yaml_parse(Path(path).read_text())


def functions(template):
    """Logical id -> binary, for every function of the template."""
    binaries = {
        name: (resource.get("Metadata") or {}).get("BuildProperties", {}).get("Binary")
        for name, resource in template["Resources"].items()
        if resource.get("Type") == "AWS::Serverless::Function"
    }
    return {name: binary for name, binary in binaries.items() if binary}


def routes(template):
    """(path, METHOD) -> function logical id, from the functions' Api events."""
    table = {}
    for name in functions(template):
        events = template["Resources"][name]["Properties"].get("Events", {})
        for event in events.values():
            if event.get("Type") == "Api":
                props = event["Properties"]
                table[(props["Path"], props["Method"].upper())] = name
    return table


# --- glibc -------------------------------------------------------------------------------


def glibc_versions(binary):
    """The GLIBC_x.y versions a binary's dynamic symbols need."""
    if shutil.which("objdump"):
        text = subprocess.run(
            ["objdump", "-T", binary], check=True, capture_output=True, text=True
        ).stdout
    else:  # the version names are in the dynamic string table
        text = Path(binary).read_bytes().decode("latin-1")
    found = {tuple(int(p) for p in v.split(".")) for v in re.findall(r"GLIBC_(\d+\.\d+(?:\.\d+)?)", text)}
    return sorted(found)


def cmd_glibc(maximum, *binaries):
    limit = tuple(int(p) for p in maximum.split("."))
    for binary in binaries:
        versions = glibc_versions(binary)
        highest = ".".join(map(str, versions[-1])) if versions else "none"
        check(
            bool(versions) and versions[-1] <= limit,
            f"{os.path.relpath(binary, ROOT)}: needs glibc {highest} (Lambda's al2023 has {maximum})",
        )
    return finish()


# --- the local-caller template ---------------------------------------------------------------


def cmd_binaries(source):
    print(" ".join(sorted(set(functions(load_template(source)).values()))))
    return 0


def cmd_local_template(source, output, binaries_dir):
    from samcli.yamlhelper import yaml_dump

    template = load_template(source)
    for name, binary in functions(template).items():
        code = Path(binaries_dir).resolve() / binary
        if not (code / "bootstrap").is_file():
            sys.exit(f"{code}/bootstrap is missing")
        template["Resources"][name]["Properties"]["CodeUri"] = str(code)
        # Built already: nothing for `sam build` to do with it.
        template["Resources"][name].pop("Metadata", None)
    Path(output).write_text(yaml_dump(template))
    return 0


# --- sam local invoke of every event -----------------------------------------------------------


def normalize(answer, task_ids):
    """An answer without what differs between two runs: ids, times, request ids."""

    def walk(node, key=None):
        if isinstance(node, dict):
            return {k: walk(v, k) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        if isinstance(node, str):
            if key in TIMES:
                return "<time>"
            if key in ("instance", "nextToken"):
                return f"<{key}>"
            for task_id, placeholder in task_ids.items():
                node = node.replace(task_id, placeholder)
        return node

    body = answer.get("body")
    try:
        body = json.loads(body) if body else body
    except ValueError:
        pass
    if isinstance(body, dict) and isinstance(body.get("errors"), list):
        # Problems with several fields list them in the order the query parameters were
        # read, which is a hash map's: not the same from one process to the next.
        body["errors"] = sorted(body["errors"], key=json.dumps)
        if isinstance(body.get("detail"), str):
            body["detail"] = "; ".join(sorted(body["detail"].split("; ")))
    headers = {k.lower(): v for k, v in (answer.get("multiValueHeaders") or {}).items()}
    headers.update({k.lower(): [v] for k, v in (answer.get("headers") or {}).items()})
    return {
        "statusCode": answer.get("statusCode"),
        "headers": walk(headers),
        "body": walk(body),
    }


def sample_events():
    """The API Gateway events of events/ and the order to send them in."""
    events = {}
    for path in sorted((ROOT / "events").glob("*.json")):
        event = json.loads(path.read_text())
        if "httpMethod" in event and "resource" in event:
            events[path.stem] = event
        else:
            print(f"  note  events/{path.name} is not an API Gateway event: not part of this check")
    # Creates first, then reads, then updates, then deletes; by name within each.
    order = sorted(events, key=lambda n: (METHOD_ORDER.get(events[n]["httpMethod"], 4), n))
    return events, order


def prepared(event, sample_id, task_id, caller):
    """The event as sent: item events point at this run's task, and the caller (the
    claims' sub) is this run's, so that lists show this run's tasks only."""
    event = copy.deepcopy(event)
    if task_id and (event.get("pathParameters") or {}).get("taskId") == sample_id:
        event["pathParameters"]["taskId"] = task_id
        event["path"] = event["path"].replace(sample_id, task_id)
        event["requestContext"]["path"] = event["requestContext"]["path"].replace(sample_id, task_id)
    claims = (event.get("requestContext", {}).get("authorizer") or {}).get("claims")
    if claims and "sub" in claims:
        claims["sub"] = caller
        if "cognito:username" in claims:
            claims["cognito:username"] = caller
    return event


def created_id(answer):
    if answer.get("statusCode") != 201:
        return None
    return json.loads(answer["body"])["task"]["taskId"]


def in_process_lane(events, order, routing, binaries, sample_id, caller, env_values):
    """Every event through the handlers in-process (one process), in order."""
    runner = ROOT / os.environ.get("CARGO_TARGET_DIR", "target") / "debug" / "invoke-event"
    env = {k: v for k, v in os.environ.items() if k != "TASKS_LOCAL_CALLER_ID"}
    env.update({k: v for k, v in env_values.items() if k != "TASKS_LOCAL_CALLER_ID"})
    process = subprocess.Popen(
        [str(runner)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT
    )
    answers, task_id = {}, None
    try:
        for name in order:
            event = prepared(events[name], sample_id, task_id, caller)
            function = binaries[routing[name]]
            process.stdin.write(json.dumps({"function": function, "event": event}) + "\n")
            process.stdin.flush()
            while True:
                line = process.stdout.readline()
                if not line:
                    raise RuntimeError(f"invoke-event exited at {name}")
                if line.startswith("invoke_event: "):
                    answers[name] = json.loads(line[len("invoke_event: "):])
                    break
            task_id = task_id or created_id(answers[name])
    finally:
        process.stdin.close()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    return answers, task_id


def sam_invoke(function, event, template, env_file, name):
    event_file = WORK / "events" / f"{name}.json"
    event_file.parent.mkdir(parents=True, exist_ok=True)
    event_file.write_text(json.dumps(event, indent=1))
    record = event_file.with_suffix(".env.jsonl")
    record.unlink(missing_ok=True)
    started = time.monotonic()
    result = subprocess.run(
        [*SAM, "local", "invoke", function, "-t", str(template), "-e", str(event_file),
         "--env-vars", str(env_file), *SAM_PARAMETERS],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
        env={**os.environ, "SAM_OFFLINE_ENV_RECORD": str(record)},
    )
    seconds = time.monotonic() - started
    answer = None
    for line in reversed(result.stdout.strip().splitlines()):
        try:
            answer = json.loads(line)
            break
        except ValueError:
            continue
    if result.returncode != 0 or not isinstance(answer, dict):
        raise RuntimeError(
            f"sam local invoke {function} ({name}) failed, exit {result.returncode}:\n"
            f"{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
        )
    return answer, result.stderr, seconds


def cmd_invoke(template_path, env_file):
    template = load_template(ROOT / "template.yaml")
    binaries, table = functions(template), routes(template)
    env_values = json.loads(Path(env_file).read_text())["Parameters"]
    events, order = sample_events()
    routing = {name: table.get((e["resource"], e["httpMethod"])) for name, e in events.items()}
    unrouted = [f"{n}: {events[n]['httpMethod']} {events[n]['resource']}" for n in order if not routing[n]]
    check(
        not unrouted,
        f"each of the {len(order)} events in events/ is for a route of template.yaml",
        f"no function for {unrouted}",
    )
    if failures:
        return finish()
    sample_id = events["get-task"]["pathParameters"]["taskId"]
    caller = f"sam-local-{uuid.uuid4()}"

    expected, expected_task = in_process_lane(events, order, routing, binaries, sample_id, caller, env_values)

    # Runs of events that change nothing (reads, and requests refused in-process) see the
    # same table whatever their order: each run goes to SAM at once, the rest one by one.
    def changes_something(name):
        return events[name]["httpMethod"] != "GET" and expected[name]["statusCode"] < 400

    waves = []
    for name in order:
        if waves and not changes_something(name) and not changes_something(waves[-1][-1]):
            waves[-1].append(name)
        else:
            waves.append([name])

    task_id, started = None, time.monotonic()
    # A `sam local invoke` killed at its timeout leaves its container: remove what is left.
    before = lambda_containers()
    try:
        with ThreadPoolExecutor(max_workers=INVOKE_CONCURRENCY) as pool:
            for wave in waves:
                sent = {
                    name: prepared(events[name], sample_id, task_id, caller) for name in wave
                }
                results = pool.map(
                    lambda name: sam_invoke(routing[name], sent[name], template_path, env_file, name),
                    wave,
                )
                for name, (answer, _log, seconds) in zip(wave, results):
                    task_id = task_id or created_id(answer)
                    compare(name, routing[name], answer, seconds, expected, expected_task, task_id, events)
    finally:
        remove_containers_since(before)
    print(f"  ({len(order)} invocations in {len(waves)} waves, "
          f"{time.monotonic() - started:.0f} s in sam local invoke)")
    return finish()


def compare(name, function, answer, seconds, expected, expected_task, task_id, events):
    ids = {i: "<task>" for i in (task_id, expected_task) if i}
    got, want = normalize(answer, ids), normalize(expected[name], ids)
    check(
        got == want,
        f"sam local invoke {function} -e {name}: {answer.get('statusCode')}, as in-process "
        f"({seconds:.1f} s)",
        f"sam local: {json.dumps(got)}\nin-process: {json.dumps(want)}",
    )
    # Agreeing on a failure would prove nothing: no sample event is answered with a 5xx.
    check(
        (want.get("statusCode") or 500) < 500,
        f"{name} is answered without a server error ({want.get('statusCode')} in-process)",
    )
    if events[name]["requestContext"].get("authorizer") is None:
        # The env file sets TASKS_LOCAL_CALLER_ID, and the container got it (SAM passes
        # only declared variables): the deployment build must still answer 401.
        record = WORK / "events" / f"{name}.env.jsonl"
        given = [json.loads(line) for line in record.read_text().splitlines()] if record.exists() else []
        caller = given[0].get("TASKS_LOCAL_CALLER_ID") if given else None
        check(
            answer.get("statusCode") == 401 and bool(caller),
            f"deployment build ignores TASKS_LOCAL_CALLER_ID ({name}: {answer.get('statusCode')}; "
            f"the container was given TASKS_LOCAL_CALLER_ID={caller})",
            f"container environment: {given}",
        )


# --- sam local start-api -------------------------------------------------------------------------


class Http:
    """Plain HTTP to the local API: no proxy, loopback only."""

    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def __call__(self, method, path, body=None, headers=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with self.opener.open(request, timeout=60) as response:
                status, got_headers, raw = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, got_headers, raw = error.code, error.headers, error.read()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode(errors="replace")
        return status, got_headers, parsed


def lambda_containers():
    result = subprocess.run(
        ["docker", "ps", "-aq", "--filter", "label=sam.cli.container.type=lambda"],
        capture_output=True, text=True,
    )
    return set(result.stdout.split())


def remove_containers_since(before):
    """Removes the Lambda containers that were not there at `before`."""
    left = lambda_containers() - before
    if left:
        subprocess.run(["docker", "rm", "-f", *left], capture_output=True)


def cmd_start_api(template_path, env_file):
    env_values = json.loads(Path(env_file).read_text())["Parameters"]
    caller = env_values["TASKS_LOCAL_CALLER_ID"]
    port = free_loopback_port()
    log_path = WORK / "start-api.log"
    before = lambda_containers()
    log = open(log_path, "w")
    started = time.monotonic()
    process = subprocess.Popen(
        [*SAM, "local", "start-api", "-t", str(template_path), "--env-vars", str(env_file),
         *SAM_PARAMETERS, "--host", "127.0.0.1", "--port", str(port), "--warm-containers", "LAZY"],
        stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True,
    )
    try:
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() - started > 120:
                    raise RuntimeError(f"sam local start-api did not listen:\n{log_path.read_text()[-3000:]}")
                time.sleep(0.2)
        print(f"  sam local start-api listening on 127.0.0.1:{port} after "
              f"{time.monotonic() - started:.1f} s (caller {caller})")
        walk(Http(f"http://127.0.0.1:{port}"), caller)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()
        remove_containers_since(before)
    if failures:
        print(f"  (log of sam local start-api: {os.path.relpath(log_path, ROOT)})")
    return finish()


def walk(http, caller):
    def step(what, method, path, expected, body=None, headers=None):
        started = time.monotonic()
        status, got_headers, parsed = http(method, path, body, headers)
        check(
            status == expected,
            f"{method} {path.replace(task_id or '~', '{id}')} -> {status} "
            f"({what}; {1000 * (time.monotonic() - started):.0f} ms)",
            f"expected {expected}; body: {parsed}",
        )
        return status, got_headers, parsed

    task_id = None
    status, headers, body = step(
        "create", "POST", "/tasks", 201, {"title": "Check sam local", "priority": "high", "tags": ["sam"]}
    )
    task_id = (body or {}).get("task", {}).get("taskId") if isinstance(body, dict) else None
    if not task_id:
        check(False, "the created task has an id", body)
        return
    check(
        headers.get("Location", "").endswith(f"/tasks/{task_id}") and headers.get("ETag") == '"1"',
        "create answers Location and ETag \"1\"",
        dict(headers),
    )
    _, _, body = step("list", "GET", "/tasks", 200)
    check(
        isinstance(body, dict) and [t["taskId"] for t in body.get("tasks", [])] == [task_id],
        f"the list is the local caller's ({caller}): the one task",
        body,
    )
    _, headers, body = step("get", "GET", f"/tasks/{task_id}", 200)
    check(headers.get("ETag") == '"1"', "get answers ETag \"1\"", dict(headers))
    step("PATCH with the current If-Match", "PATCH", f"/tasks/{task_id}", 200,
         {"status": "in_progress"}, {"If-Match": '"1"'})
    step("PATCH with a stale If-Match", "PATCH", f"/tasks/{task_id}", 412,
         {"status": "completed"}, {"If-Match": '"1"'})
    _, _, body = step("bad body", "POST", "/tasks", 400, {"title": "", "status": "done"})
    check(
        isinstance(body, dict) and body.get("status") == 400 and body.get("errors"),
        "the 400 is a validation problem naming the fields",
        body,
    )
    for method, path, allow in (
        ("POST", f"/tasks/{task_id}", "GET, PUT, PATCH, DELETE"),
        ("PUT", "/tasks", "GET, POST"),
        ("DELETE", "/tasks", "GET, POST"),
    ):
        _, headers, _ = step("no such operation", method, path, 405)
        check(headers.get("Allow") == allow, f"  ... with Allow: {allow}", dict(headers))
    step("delete", "DELETE", f"/tasks/{task_id}", 200)
    step("get after delete", "GET", f"/tasks/{task_id}", 404)


def main():
    sys.stdout.reconfigure(line_buffering=True)
    command, *args = sys.argv[1:] or ["help"]
    handlers = {
        "binaries": cmd_binaries,
        "glibc": cmd_glibc,
        "local-template": cmd_local_template,
        "invoke": cmd_invoke,
        "start-api": cmd_start_api,
    }
    if command not in handlers:
        sys.exit(__doc__)
    return handlers[command](*args)


if __name__ == "__main__":
    sys.exit(main())
