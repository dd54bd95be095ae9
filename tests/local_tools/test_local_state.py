"""tools/local_state.py: make dev's table and schedules kept in .dynamodb/ across restarts of moto."""

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from conftest import ROOT, TOOLS, aws, free_port, listening, wait_until
from create_table import create_table

TARGET = "arn:aws:lambda:us-east-1:123456789012:function:task-reminders"


def run(*args, env):
    return subprocess.run([sys.executable, TOOLS / args[0], *args[1:]], env={**os.environ, **env},
                          capture_output=True, text=True, check=True).stdout


def on(moto_url, environment):
    """The environment with every server at `moto_url` (a restarted make dev)."""
    return environment | {k: moto_url for k in environment if k.startswith("AWS_ENDPOINT_URL_") and not k.endswith("LAMBDA")}


def items_of(db, table):
    return sorted((i["taskId"]["S"], i.get("title", {}).get("S")) for i in db.scan(TableName=table)["Items"])


def make_group(env, names):
    run("local_scheduler.py", "setup", names["group"], names["queue"], env=env)


def restarted(moto_url):
    """The same server emptied, as a new make dev's moto starts (moto's own reset)."""
    urllib.request.urlopen(urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST"), timeout=10).close()
    return moto_url


def test_writes_and_schedules_survive_a_restart_and_a_crash(fresh_moto, environment, names, tmp_path):
    kept = tmp_path / "dynamodb"
    moto = fresh_moto()
    first = on(moto, environment)
    make_group(first, names)
    assert "0 items" in run("local_state.py", "restore", kept, env=first)
    db, scheduler = aws("dynamodb", first["AWS_ENDPOINT_URL_DYNAMODB"]), aws("scheduler", first["AWS_ENDPOINT_URL_SCHEDULER"])
    ready = tmp_path / "ready"
    keeper = subprocess.Popen([sys.executable, TOOLS / "local_state.py", "keep", kept, "--ready", ready], env={**os.environ, **first})
    wait_until(ready.exists, 20, "the keeper ready")
    table = names["table"]
    for i in range(3):
        db.put_item(TableName=table, Item={"taskId": {"S": f"t{i}"}, "ownerId": {"S": "o"}, "title": {"S": f"v1 {i}"},
                                           "blob": {"B": b"\x01\x02"}, "n": {"N": "1.5"}, "tags": {"SS": ["a", "b"]}})
    db.put_item(TableName=table, Item={"taskId": {"S": "t1"}, "ownerId": {"S": "o"}, "title": {"S": "v2 1"}})
    db.delete_item(TableName=table, Key={"taskId": {"S": "t2"}})
    scheduler.create_schedule(
        Name="reminder-t0", GroupName=names["group"], ScheduleExpression="at(2030-01-01T09:00:00)",
        ScheduleExpressionTimezone="UTC", FlexibleTimeWindow={"Mode": "OFF"}, ActionAfterCompletion="DELETE",
        Target={"Arn": TARGET, "RoleArn": "arn:aws:iam::123456789012:role/r", "Input": '{"taskId":"t0"}',
                "RetryPolicy": {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 86400}},
    )
    wait_until(lambda: (kept / "schedules.json").exists() and "reminder-t0" in (kept / "schedules.json").read_text(), 10,
               "the schedule kept")
    time.sleep(0.5)
    keeper.send_signal(signal.SIGKILL)  # a crash: what was read by now is on disk
    keeper.wait()

    second = on(restarted(moto), environment)
    make_group(second, names)
    assert "2 items" in run("local_state.py", "restore", kept, env=second)
    db2, scheduler2 = aws("dynamodb", second["AWS_ENDPOINT_URL_DYNAMODB"]), aws("scheduler", second["AWS_ENDPOINT_URL_SCHEDULER"])
    assert items_of(db2, table) == [("t0", "v1 0"), ("t1", "v2 1")]
    t0 = db2.get_item(TableName=table, Key={"taskId": {"S": "t0"}})["Item"]
    assert (t0["blob"], t0["n"], sorted(t0["tags"]["SS"])) == ({"B": b"\x01\x02"}, {"N": "1.5"}, ["a", "b"])
    assert db2.describe_table(TableName=table)["Table"]["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    restored = scheduler2.get_schedule(Name="reminder-t0", GroupName=names["group"])
    assert (restored["ScheduleExpression"], restored["Target"]["Input"], restored["ActionAfterCompletion"]) == (
        "at(2030-01-01T09:00:00)", '{"taskId":"t0"}', "DELETE")
    # The changes are folded into the items at each start.
    assert (kept / f"{table}.changes.jsonl").read_text() == ""

    # A clean stop (SIGTERM) keeps what was written just before it, and a deleted schedule.
    keeper = subprocess.Popen([sys.executable, TOOLS / "local_state.py", "keep", kept, "--ready", ready], env={**os.environ, **second})
    ready.unlink()
    wait_until(ready.exists, 20, "the keeper ready")
    scheduler2.delete_schedule(Name="reminder-t0", GroupName=names["group"])
    db2.put_item(TableName=table, Item={"taskId": {"S": "t3"}, "ownerId": {"S": "o"}, "title": {"S": "last"}})
    keeper.terminate()
    assert keeper.wait(10) == 0

    third = on(restarted(moto), environment)
    make_group(third, names)
    run("local_state.py", "restore", kept, env=third)
    assert items_of(aws("dynamodb", third["AWS_ENDPOINT_URL_DYNAMODB"]), table) == [("t0", "v1 0"), ("t1", "v2 1"), ("t3", "last")]
    assert json.loads((kept / "schedules.json").read_text()) == []


def test_dynalites_files_are_read_once(fresh_moto, environment, names, tmp_path):
    kept = tmp_path / "dynamodb"
    port = free_port()
    dynalite = subprocess.Popen([ROOT / "node_modules/.bin/dynalite", "--host", "127.0.0.1", "--port", str(port),
                                 "--path", kept, "--createTableMs", "0"], stdout=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: listening(port), 10, "dynalite")
        create_table(url, names["table"])
        aws("dynamodb", url).put_item(TableName=names["table"], Item={"taskId": {"S": "old"}, "title": {"S": "from dynalite"}})
    finally:
        dynalite.terminate()
        dynalite.wait()
    env = on(fresh_moto(), environment)
    make_group(env, names)
    assert "1 items" in run("local_state.py", "restore", kept, env=env)
    assert items_of(aws("dynamodb", env["AWS_ENDPOINT_URL_DYNAMODB"]), names["table"]) == [("old", "from dynalite")]
    assert (kept / "dynalite" / "CURRENT").exists() and not (kept / "CURRENT").exists()


def test_a_second_make_dev_in_the_same_checkout_stops_before_starting_anything():
    lock_path = ROOT / ".dynamodb" / "make-dev.lock"
    lock_path.parent.mkdir(exist_ok=True)
    with open(lock_path, "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pytest.skip("a make dev of this checkout is running")
        # Other ports than the first one's: only the lock can stop it.
        ports = {name: str(free_port()) for name in ("DYNAMODB_PORT", "EVENTS_PORT", "PORT", "LIVE_PORT", "WEB_PORT")}
        second = subprocess.run([TOOLS / "dev.sh"], env={**os.environ, **ports}, capture_output=True, text=True,
                                timeout=60)
    assert second.returncode == 1
    assert "another make dev is running from this checkout" in second.stderr
    assert not any(listening(int(port)) for port in ports.values())
