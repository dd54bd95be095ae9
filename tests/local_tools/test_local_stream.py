"""tools/local_stream.py: the table's stream into task-events, as template.yaml's TaskEventsStream maps it."""

import json
import time
from pathlib import Path

import pytest
from conftest import ROOT, FakeLambda, aws, free_port, wait_until
from create_table import create_table

import local_stream


def task(task_id, **attributes):
    item = {"taskId": {"S": task_id}, "ownerId": {"S": "owner-1"}, "title": {"S": f"Task {task_id}"}}
    return item | {name: {"S": value} for name, value in attributes.items()}


@pytest.fixture
def table(environment, names):
    create_table(environment["AWS_ENDPOINT_URL_DYNAMODB"], names["table"], stream=True)
    return aws("dynamodb", environment["AWS_ENDPOINT_URL_DYNAMODB"])


def records(calls):
    return [record for _function, payload, _at in calls for record in payload["Records"]]


def test_sends_task_records_as_lambda_does_and_nothing_else(table, names, fake_lambda, start_tool):
    settings = local_stream.mapping_settings()
    stream = start_tool("local_stream.py")
    table.put_item(TableName=names["table"], Item={"taskId": {"S": "before-none"}, "note": {"S": "no owner"}})
    written = time.monotonic()
    table.put_item(TableName=names["table"], Item=task("t1", status="pending"))
    # An idempotency record and an owner's counter have no ownerId: the filter drops them.
    table.put_item(TableName=names["table"], Item={"taskId": {"S": "idempotency#abc"}, "task": {"M": task("t9")}})
    table.put_item(TableName=names["table"], Item={"taskId": {"S": "owner#owner-1"}, "taskCount": {"N": "1"}})
    table.put_item(TableName=names["table"], Item=task("t1", status="completed"))
    table.put_item(TableName=names["table"], Item={"taskId": {"S": "b1"}, "ownerId": {"S": "o"}, "data": {"B": b"\x00\xff"}})
    table.delete_item(TableName=names["table"], Key={"taskId": {"S": "t1"}})
    wait_until(lambda: len(records(fake_lambda.calls)) >= 4, 10, "four records sent")
    time.sleep(0.5)
    sent = records(fake_lambda.calls)
    assert [(r["eventName"], r["dynamodb"]["Keys"]["taskId"]["S"]) for r in sent] == [
        ("INSERT", "t1"), ("MODIFY", "t1"), ("INSERT", "b1"), ("REMOVE", "t1"),
    ]
    # Written within the batching window: one invocation, of task-events, after the window.
    assert [function for function, _payload, _at in fake_lambda.calls] == ["task-events"]
    assert fake_lambda.calls[0][2] - written >= settings["window"] - 0.1

    # The shape of the samples the function's tests use (events/stream-*.json).
    sample = json.loads((ROOT / "events/stream-modify-title.json").read_text())["Records"][0]
    modify = sent[1]
    assert list(modify) == list(sample)
    assert list(modify["dynamodb"]) == list(sample["dynamodb"])
    arn = table.describe_table(TableName=names["table"])["Table"]["LatestStreamArn"]
    assert (modify["eventSource"], modify["eventVersion"], modify["eventSourceARN"]) == ("aws:dynamodb", "1.1", arn)
    assert isinstance(modify["dynamodb"]["ApproximateCreationDateTime"], int)
    assert abs(modify["dynamodb"]["ApproximateCreationDateTime"] - time.time()) < 60
    assert modify["dynamodb"]["NewImage"]["status"] == {"S": "completed"}
    assert modify["dynamodb"]["OldImage"]["status"] == {"S": "pending"}
    assert "NewImage" not in sent[3]["dynamodb"] and "OldImage" not in sent[0]["dynamodb"]
    assert sent[2]["dynamodb"]["NewImage"]["data"] == {"B": "AP8="}  # base64, as Lambda sends binaries
    assert int(sent[0]["dynamodb"]["SequenceNumber"]) < int(sent[1]["dynamodb"]["SequenceNumber"])
    assert stream.stop() == 0


def test_a_full_batch_goes_at_once_and_the_rest_follows(table, names, fake_lambda, start_tool):
    size = local_stream.mapping_settings()["batch_size"]
    start_tool("local_stream.py")
    items = [task(f"t{i:03}") for i in range(size + size // 2)]
    for start in range(0, len(items), 25):
        table.batch_write_item(RequestItems={names["table"]: [{"PutRequest": {"Item": i}} for i in items[start : start + 25]]})
    wait_until(lambda: len(records(fake_lambda.calls)) == len(items), 10, "every record sent")
    sizes = [len(payload["Records"]) for _f, payload, _at in fake_lambda.calls]
    assert sizes[0] == size and sum(sizes) == len(items) and max(sizes) == size
    assert [r["dynamodb"]["Keys"]["taskId"]["S"] for r in records(fake_lambda.calls)] == [f"t{i:03}" for i in range(len(items))]


def test_reported_failures_resume_from_the_lowest_after_a_backoff(table, names, fake_lambda, start_tool):
    def respond(_function, payload):
        if len(fake_lambda.calls) == 1:  # the first batch: the 2nd and 4th records failed
            failed = [payload["Records"][i]["dynamodb"]["SequenceNumber"] for i in (3, 1)]
            return 200, json.dumps({"batchItemFailures": [{"itemIdentifier": s} for s in failed]}).encode()
        return 200, b'{"batchItemFailures": []}'

    fake_lambda.respond = respond
    stream = start_tool("local_stream.py")
    for i in range(5):
        table.put_item(TableName=names["table"], Item=task(f"t{i}"))
    wait_until(lambda: len(fake_lambda.calls) >= 2, 10, "the retry")
    time.sleep(0.5)
    (_, first, first_at), (_, second, second_at) = fake_lambda.calls
    ids = lambda payload: [r["dynamodb"]["Keys"]["taskId"]["S"] for r in payload["Records"]]  # noqa: E731
    assert ids(first) == ["t0", "t1", "t2", "t3", "t4"]
    assert ids(second) == ["t1", "t2", "t3", "t4"]
    assert second_at - first_at >= 0.4
    assert "reported" in stream.output() and "retrying from" in stream.output()


def test_waits_for_cargo_lambda_watch_and_then_sends_what_was_written(table, names, environment, start_tool):
    port = free_port()
    environment["AWS_ENDPOINT_URL_LAMBDA"] = f"http://127.0.0.1:{port}"  # nothing listens there yet
    stream = start_tool("local_stream.py")
    table.put_item(TableName=names["table"], Item=task("early"))
    time.sleep(2.5)
    fake = FakeLambda(port)
    try:
        wait_until(lambda: fake.calls, 10, "the record sent once the endpoint answers")
        assert [r["dynamodb"]["Keys"]["taskId"]["S"] for r in fake.calls[0][1]["Records"]] == ["early"]
        log = stream.output()
        assert log.count("nothing answers yet") == 1 and "reached after" in log
    finally:
        fake.stop()


class FakeInvoke:
    """In-process: local_stream.invoke answering from a list, recording each batch's keys."""

    def __init__(self, answers):
        self.answers, self.batches = list(answers), []

    def __call__(self, _function, payload):
        self.batches.append([r["dynamodb"]["SequenceNumber"] for r in json.loads(payload)["Records"]])
        return self.answers.pop(0)


def queued(mapping, count):
    queue = mapping.queues.setdefault("shard-1", local_stream.ShardQueue(mapping.settings["batch_size"]))
    queue.records = [{"dynamodb": {"SequenceNumber": str(100 + i)}} for i in range(count)]
    return queue


def test_a_failing_batch_is_halved_then_given_up_after_the_retries(monkeypatch, environment):
    settings = {"batch_size": 100, "window": 0, "patterns": [], "partial": True, "bisect": True, "max_retries": 2}
    mapping = local_stream.Mapping("task-events", "arn", settings)
    queue = queued(mapping, 4)
    fake = FakeInvoke([(500, b'{"errorType":"x"}')] * 3 + [(200, b"{}")] * 3)
    monkeypatch.setattr(local_stream, "invoke", fake)
    for _ in range(6):
        queue.not_before = 0
        mapping.send_due()
    # Halved at each error (4, 2, 1), given up after 1 + 2 retries on the record that fails,
    # then the rest, in whole batches again.
    assert fake.batches == [["100", "101", "102", "103"], ["100", "101"], ["100"], ["101", "102", "103"]]
    assert queue.records == []


def test_an_invalid_failure_report_fails_the_whole_batch():
    batch = [{"dynamodb": {"SequenceNumber": s}} for s in ("7", "8", "9")]
    assert local_stream.failed_from(b'{"batchItemFailures": [{"itemIdentifier": "9"}, {"itemIdentifier": "8"}]}', batch) == 1
    assert local_stream.failed_from(b'{"batchItemFailures": [{"itemIdentifier": ""}]}', batch) == 0
    assert local_stream.failed_from(b'{"batchItemFailures": [{"itemIdentifier": "6"}]}', batch) == 0
    for success in (b"", b"null", b"{}", b'{"batchItemFailures": []}', b'{"batchItemFailures": null}'):
        assert local_stream.failed_from(success, batch) is None


def test_the_mapping_is_read_from_the_template():
    settings = local_stream.mapping_settings()
    assert settings["partial"] and settings["bisect"] and settings["batch_size"] >= 1
    # The filter as check_template.py runs it: every sample but the idempotency records.
    for sample in sorted(Path(ROOT / "events").glob("stream-*.json")):
        record = json.loads(sample.read_text())["Records"][0]
        matched = any(p.matches_event(record) for p in settings["patterns"])
        assert matched == (not record["dynamodb"]["Keys"]["taskId"]["S"].startswith("idempotency#")), sample.name
