"""Ours: Lambda's event source mapping of the table's stream for make dev (moto's own mappings invoke only moto's Lambda, in Docker, never cargo lambda watch).

    local_stream.py [--function task-events] [--ready FILE]

Reads every shard of the stream of TABLE_NAME on AWS_ENDPOINT_URL_DYNAMODB (moto) from LATEST,
about every 250 ms, and invokes the function at AWS_ENDPOINT_URL_LAMBDA (cargo lambda watch)
with the DynamoDB Streams event Lambda sends, as template.yaml's TaskEventsStream configures
the mapping (read from the template, so that this follows it):

- FilterCriteria: a record that matches none of the filters is dropped, never sent (moto's
  EventBridge pattern engine evaluates them, as tools/check_template.py does);
- BatchSize and MaximumBatchingWindowInSeconds: a batch is sent when it is full or when its
  first record has waited that long;
- ReportBatchItemFailures: when the answer lists failures, the records before the lowest
  failed sequence number are done and the next batch starts at it, after a short backoff;
  an error answer (the function failed) retries the whole batch, halved each time while
  BisectBatchOnFunctionError says so; after MaximumRetryAttempts the batch is dropped with
  a message (deployed, its position would go to the on-failure queue).

Not emulated: MaximumRecordAgeInSeconds, the on-failure queue, and TRIM_HORIZON (records
written before this started, such as tools/local_state.py's restore, are not sent; nor are
those not yet handed over when make dev stops, the last second or so: each start is a new
stream, where the deployed one keeps records for 24 hours). While
nothing answers at the invoke endpoint (cargo lambda watch starting) it waits and retries,
saying so once. With --ready FILE it creates FILE once it holds its place in every shard.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

from create_table import template_properties
from local_aws import REGION, Outage, Shards, Stop, Unreachable, client, invoke, item_to_json, log, stream_arn

from moto.events.models import EventPattern  # moto's EventBridge pattern engine

POLL_SECONDS = 0.25
TOOL = "local_stream"


def mapping_settings() -> dict:
    properties = template_properties("TaskEventsStream")
    filters = properties.get("FilterCriteria", {}).get("Filters", [])
    return {
        "batch_size": int(properties.get("BatchSize", 100)),
        "window": float(properties.get("MaximumBatchingWindowInSeconds", 0)),
        "patterns": [EventPattern.load(f["Pattern"]) for f in filters],
        "partial": "ReportBatchItemFailures" in properties.get("FunctionResponseTypes", []),
        "bisect": bool(properties.get("BisectBatchOnFunctionError", False)),
        "max_retries": int(properties.get("MaximumRetryAttempts", -1)),  # -1: until it succeeds
    }


def lambda_record(record: dict, source_arn: str) -> dict:
    """A stream record as the DynamoDB Streams event of Lambda carries it (events/stream-*.json)."""
    stream = record["dynamodb"]
    created = stream["ApproximateCreationDateTime"]
    dynamodb = {
        "ApproximateCreationDateTime": int(created.timestamp() if hasattr(created, "timestamp") else created),
        "Keys": item_to_json(stream["Keys"]),
    }
    for image in ("NewImage", "OldImage"):
        if image in stream:
            dynamodb[image] = item_to_json(stream[image])
    dynamodb |= {name: stream[name] for name in ("SequenceNumber", "SizeBytes", "StreamViewType")}
    converted = {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": REGION,
        "dynamodb": dynamodb,
        "eventSourceARN": source_arn,
    }
    if "userIdentity" in record:  # a removal by TTL
        converted["userIdentity"] = record["userIdentity"]
    return converted


def failed_from(answer: bytes, batch: list[dict]) -> int | None:
    """The index in `batch` of the lowest failed record of a partial batch response, else None.

    As Lambda reads it: no list, or an empty one, is success; an entry that names no record of
    the batch makes the whole batch a failure (index 0).
    """
    try:
        response = json.loads(answer) if answer.strip() else None
    except ValueError:
        return None  # an answer that is not JSON is no report of failures
    failures = response.get("batchItemFailures") if isinstance(response, dict) else None
    if not failures:
        return None
    positions = {r["dynamodb"]["SequenceNumber"]: i for i, r in enumerate(batch)}
    named = [f.get("itemIdentifier") if isinstance(f, dict) else None for f in failures]
    if any(n not in positions for n in named):
        return 0
    return min(positions[n] for n in named)


class ShardQueue:
    """One shard's records waiting for the function, and the state of its failing batch."""

    def __init__(self, batch_size: int):
        self.records: list[dict] = []
        self.first_waiting = 0.0  # when the oldest record arrived
        self.not_before = 0.0  # backoff: no invocation before this time
        self.limit = batch_size  # less while bisecting
        self.attempts = 0  # failed attempts of the batch that starts with records[0]


class Mapping:
    def __init__(self, function: str, source_arn: str, settings: dict):
        self.function, self.source_arn = function, source_arn
        self.settings = settings
        self.queues: dict[str, ShardQueue] = {}
        self.unreachable_since: float | None = None

    def add(self, shard: str, records: list[dict]) -> None:
        queue = self.queues.setdefault(shard, ShardQueue(self.settings["batch_size"]))
        patterns = self.settings["patterns"]
        for record in records:
            event_record = lambda_record(record, self.source_arn)
            if patterns and not any(p.matches_event(event_record) for p in patterns):
                continue
            if not queue.records:
                queue.first_waiting = time.monotonic()
            queue.records.append(event_record)

    def due(self, queue: ShardQueue, now: float) -> bool:
        if not queue.records or now < queue.not_before:
            return False
        full = len(queue.records) >= queue.limit
        return full or queue.attempts > 0 or now - queue.first_waiting >= self.settings["window"]

    def send_due(self) -> None:
        for shard, queue in self.queues.items():
            if self.due(queue, time.monotonic()):
                self.send(shard, queue)

    def send(self, shard: str, queue: ShardQueue) -> None:
        batch = queue.records[: queue.limit]
        try:
            status, answer = invoke(self.function, json.dumps({"Records": batch}).encode())
        except Unreachable as error:
            if self.unreachable_since is None:
                self.unreachable_since = time.monotonic()
                log(TOOL, f"nothing answers yet ({error}); retrying until cargo lambda watch does")
            queue.not_before = time.monotonic() + 1.0
            return
        if self.unreachable_since is not None:
            waited = time.monotonic() - self.unreachable_since
            log(TOOL, f"{self.function} reached after {waited:.0f} s; sending the records written meanwhile")
            self.unreachable_since = None
        failed = 0  # an error answer: the whole batch failed
        if status == 200:
            failed = failed_from(answer, batch) if self.settings["partial"] else None
            if failed is None:
                self.done(queue, len(batch))
                return
            reason = f"reported {batch[failed]['dynamodb']['SequenceNumber']} failed"
        else:
            reason = f"failed ({status}: {answer[:300].decode(errors='replace')})"
        self.done(queue, failed)  # the records before the lowest failure are done
        queue.attempts += 1
        if status != 200 and self.settings["bisect"] and len(batch) > 1:
            queue.limit = max(1, len(batch) // 2)
        first, last = batch[failed]["dynamodb"]["SequenceNumber"], batch[-1]["dynamodb"]["SequenceNumber"]
        if 0 <= self.settings["max_retries"] < queue.attempts:
            log(TOOL, f"{self.function} {reason}; gave up on records {first}..{last} of shard {shard} after "
                f"{queue.attempts} attempts (deployed, their position would go to the on-failure queue)")
            self.done(queue, len(batch) - failed)
            return
        backoff = min(0.5 * 2 ** (queue.attempts - 1), 8.0)
        log(TOOL, f"{self.function} {reason}; retrying from {first} in {backoff:g} s")
        queue.not_before = time.monotonic() + backoff

    def done(self, queue: ShardQueue, count: int) -> None:
        if count == 0:
            return
        del queue.records[:count]
        queue.attempts, queue.limit = 0, self.settings["batch_size"]
        queue.first_waiting = time.monotonic()  # what is left waits afresh (in practice: sent next)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--function", default="task-events")
    parser.add_argument("--ready", type=Path, help="created once every shard's position is held")
    args = parser.parse_args()
    table = os.environ.get("TABLE_NAME") or sys.exit("TABLE_NAME is not set")
    stop = Stop()
    dynamodb = client("dynamodb", "AWS_ENDPOINT_URL_DYNAMODB")
    streams = client("dynamodbstreams", "AWS_ENDPOINT_URL_DYNAMODB")
    client("lambda", "AWS_ENDPOINT_URL_LAMBDA")  # refuses a missing or non-loopback endpoint now
    arn = stream_arn(dynamodb, table)
    shards = Shards(streams, arn)
    shards.start()
    mapping = Mapping(args.function, arn, mapping_settings())
    if args.ready:
        args.ready.touch()
    last_discovery = time.monotonic()
    reading = Outage(TOOL, f"reading the stream of {table}")
    while not stop.requested:
        try:
            for shard, records in shards.poll():
                mapping.add(shard, records)
            if time.monotonic() - last_discovery > 10:
                shards.discover()
                last_discovery = time.monotonic()
            reading.ok()
        except Exception as error:  # the local DynamoDB stopped answering: keep trying
            reading.failed(error)
            stop.sleep(1)
        mapping.send_due()
        stop.sleep(POLL_SECONDS)


if __name__ == "__main__":
    main()
