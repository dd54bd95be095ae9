"""Every API Gateway event in events/ through `sam local invoke` of the function the template
routes it to (the deployment build), each answer compared with the same event's answer
in-process (crates/dev-tools/src/bin/invoke-event.rs)."""

import copy
import json
import os
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import ROOT, SAM, SAM_PARAMETERS, WORK, figures
from sam_local_check import functions, load_template

METHOD_ORDER = {"POST": 0, "GET": 1, "PUT": 2, "PATCH": 2, "DELETE": 3}
TIMES = {"createdAt", "updatedAt", "completedAt"}
# `sam local invoke`s at once (each is a SAM process and a container; 2 cores here).
INVOKE_CONCURRENCY = 3


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


def sample_events():
    """The API Gateway events of events/ and the order to send them in."""
    events = {}
    for path in sorted((ROOT / "events").glob("*.json")):
        event = json.loads(path.read_text())
        if "httpMethod" in event and "resource" in event:
            events[path.stem] = event
        else:
            figures.append(f"note: events/{path.name} is not an API Gateway event: not part of these tests")
    # Creates first, then reads, then updates, then deletes; by name within each.
    order = sorted(events, key=lambda n: (METHOD_ORDER.get(events[n]["httpMethod"], 4), n))
    return events, order


TEMPLATE = load_template(ROOT / "template.yaml")
BINARIES, TABLE = functions(TEMPLATE), routes(TEMPLATE)
EVENTS, ORDER = sample_events()
ROUTING = {name: TABLE.get((e["resource"], e["httpMethod"])) for name, e in EVENTS.items()}
UNROUTED = [f"{n}: {EVENTS[n]['httpMethod']} {EVENTS[n]['resource']}" for n in ORDER if not ROUTING[n]]
# Events without an authorizer's claims: the deployment build must answer them 401.
UNAUTHENTICATED = [n for n in ORDER if EVENTS[n]["requestContext"].get("authorizer") is None]


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


def in_process_lane(sample_id, caller, env_values):
    """Every event through the handlers in-process (one process), in order."""
    runner = ROOT / os.environ.get("CARGO_TARGET_DIR", "target") / "debug" / "invoke-event"
    env = {k: v for k, v in os.environ.items() if k != "TASKS_LOCAL_CALLER_ID"}
    env.update({k: v for k, v in env_values.items() if k != "TASKS_LOCAL_CALLER_ID"})
    process = subprocess.Popen(
        [str(runner)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT
    )
    answers, task_id = {}, None
    try:
        for name in ORDER:
            event = prepared(EVENTS[name], sample_id, task_id, caller)
            process.stdin.write(json.dumps({"function": BINARIES[ROUTING[name]], "event": event}) + "\n")
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
    return answer, seconds


@pytest.fixture(scope="module")
def invocations(deploy_template, env_file, env_values, containers_removed):
    """Every event in-process, then through `sam local invoke`: (answers, expected, task ids)."""
    assert not UNROUTED, f"no function for {UNROUTED}"
    sample_id = EVENTS["get-task"]["pathParameters"]["taskId"]
    caller = f"sam-local-{uuid.uuid4()}"
    expected, expected_task = in_process_lane(sample_id, caller, env_values)

    # Runs of events that change nothing (reads, and requests refused in-process) see the
    # same table whatever their order: each run goes to SAM at once, the rest one by one.
    def changes_something(name):
        return EVENTS[name]["httpMethod"] != "GET" and expected[name]["statusCode"] < 400

    waves = []
    for name in ORDER:
        if waves and not changes_something(name) and not changes_something(waves[-1][-1]):
            waves[-1].append(name)
        else:
            waves.append([name])

    answers, task_id, started = {}, None, time.monotonic()
    with ThreadPoolExecutor(max_workers=INVOKE_CONCURRENCY) as pool:
        for wave in waves:
            sent = {name: prepared(EVENTS[name], sample_id, task_id, caller) for name in wave}
            results = pool.map(
                lambda name: sam_invoke(ROUTING[name], sent[name], deploy_template, env_file, name), wave
            )
            for name, (answer, seconds) in zip(wave, results):
                task_id = task_id or created_id(answer)
                answers[name] = answer
                figures.append(f"sam local invoke {ROUTING[name]} -e {name}: {answer.get('statusCode')} "
                               f"({seconds:.1f} s)")
    figures.append(f"sam local invoke: {len(ORDER)} invocations in {len(waves)} waves, "
                   f"{time.monotonic() - started:.0f} s")
    return answers, expected, {i: "<task>" for i in (task_id, expected_task) if i}


def test_every_sample_event_is_for_a_route_of_the_template():
    assert not UNROUTED, f"no function for {UNROUTED}"


@pytest.mark.parametrize("name", ORDER)
def test_sam_local_invoke_answers_as_in_process(name, invocations):
    answers, expected, ids = invocations
    got, want = normalize(answers[name], ids), normalize(expected[name], ids)
    assert got == want, f"sam local: {json.dumps(got)}\nin-process: {json.dumps(want)}"


@pytest.mark.parametrize("name", ORDER)
def test_the_sample_event_is_answered_without_a_server_error(name, invocations):
    # Agreeing on a failure would prove nothing: no sample event is answered with a 5xx.
    status = invocations[1][name].get("statusCode")
    assert (status or 500) < 500, f"{status} in-process"


@pytest.mark.parametrize("name", UNAUTHENTICATED)
def test_the_deployment_build_ignores_tasks_local_caller_id(name, invocations):
    # The env file sets TASKS_LOCAL_CALLER_ID, and the container got it (SAM passes only
    # declared variables): the deployment build must still answer 401.
    answer = invocations[0][name]
    record = WORK / "events" / f"{name}.env.jsonl"
    given = [json.loads(line) for line in record.read_text().splitlines()] if record.exists() else []
    caller = given[0].get("TASKS_LOCAL_CALLER_ID") if given else None
    assert answer.get("statusCode") == 401 and caller, (
        f"{answer.get('statusCode')}; the container was given TASKS_LOCAL_CALLER_ID={caller}; "
        f"container environment: {given}"
    )
