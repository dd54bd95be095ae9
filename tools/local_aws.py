"""Ours: what make dev's local AWS tools (local_state, local_stream, local_scheduler, local_mailbox) share.

- `endpoint(variable)`: the URL of a local server from the environment; a missing one or one
  off loopback ends the tool (nothing local may reach AWS, and nothing falls back to it);
- `client(service, variable)`: a boto3 client on that URL with the dummy keys, never an identity;
- `Shards`: the shards of a DynamoDB stream read in order, as Lambda's pollers read them;
- `item_to_json` / `item_from_json`: an item as boto3 reads it <-> as JSON carries it (binary
  values in base64, as Lambda's stream events and DynamoDB's own JSON have them);
- `read_schedules`: a schedule group's schedules, each read in full once per change;
- `invoke(function, payload)`: a Lambda Invoke at AWS_ENDPOINT_URL_LAMBDA (cargo lambda watch);
- `write_json_atomically`, `Stop` (SIGTERM and SIGINT end the loop of a background tool),
  `Outage` (a failing server said once, not at every round).
"""

import base64
import json
import os
import signal
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from sam_offline import DUMMY_CREDENTIALS, is_loopback_url, offline_environment

# Before boto3 reads the environment: no AWS identity, only the dummy keys, and no proxy
# between a tool and its local servers.
offline_environment()
os.environ.update(DUMMY_CREDENTIALS)
os.environ["NO_PROXY"] = ",".join(filter(None, [os.environ.get("NO_PROXY"), "127.0.0.1", "localhost", "::1"]))

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402

REGION = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


def endpoint(variable: str) -> str:
    url = os.environ.get(variable, "")
    if not url:
        sys.exit(f"{variable} is not set: the local tools take every server from it (make dev sets it)")
    if not is_loopback_url(url):
        sys.exit(f"{variable} is {url!r}, not on loopback: a local tool talks to local servers only")
    return url.rstrip("/")


def client(service: str, variable: str):
    # Few, quick retries: the servers are local, and the loops above retry anyway.
    config = Config(connect_timeout=2, read_timeout=30, retries={"max_attempts": 2, "mode": "standard"})
    return boto3.client(service, endpoint_url=endpoint(variable), region_name=REGION, config=config)


class Unreachable(Exception):
    """Nothing answered at the invoke endpoint (cargo lambda watch not started yet)."""


_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def invoke(function: str, payload: bytes, timeout: float = 900) -> tuple[int, bytes]:
    """POSTs `payload` to the function's Invoke URL; returns the HTTP status and the answer.

    cargo lambda watch answers 200 with the function's result, and an error status with the
    error when the function fails; a request made while it compiles waits for the build
    (hence the long timeout).
    """
    url = f"{endpoint('AWS_ENDPOINT_URL_LAMBDA')}/2015-03-31/functions/{function}/invocations"
    request = urllib.request.Request(url, data=payload, headers={"Content-Type": "application/json"})
    try:
        with _NO_PROXY.open(request, timeout=timeout) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
        raise Unreachable(f"{url}: {getattr(error, 'reason', error)}") from error


def log(tool: str, message: str) -> None:
    print(f"{tool}: {message}", file=sys.stderr, flush=True)


class Outage:
    """Says once that something stopped answering, and once that it answers again."""

    def __init__(self, tool: str, what: str):
        self.tool, self.what, self.since = tool, what, None

    def failed(self, error: Exception) -> None:
        if self.since is None:
            self.since = time.monotonic()
            log(self.tool, f"{self.what} failed ({error}); trying again")

    def ok(self) -> None:
        if self.since is not None:
            log(self.tool, f"{self.what} works again after {time.monotonic() - self.since:.0f} s")
            self.since = None


class Stop:
    """Set once SIGTERM or SIGINT arrives; `sleep` returns early then."""

    def __init__(self):
        self.requested = False
        signal.signal(signal.SIGTERM, self._set)
        signal.signal(signal.SIGINT, self._set)

    def _set(self, _signum, _frame):
        self.requested = True

    def sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.requested and time.monotonic() < deadline:
            time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))


def _converted(value: dict, binary) -> dict:
    ((kind, inner),) = value.items()
    if kind == "B":
        return {"B": binary(inner)}
    if kind == "BS":
        return {"BS": [binary(b) for b in inner]}
    if kind == "M":
        return {"M": {name: _converted(v, binary) for name, v in inner.items()}}
    if kind == "L":
        return {"L": [_converted(v, binary) for v in inner]}
    return {kind: inner}


def item_to_json(item: dict) -> dict:
    return {name: _converted(value, lambda b: base64.b64encode(b).decode()) for name, value in item.items()}


def item_from_json(item: dict) -> dict:
    return {name: _converted(value, base64.b64decode) for name, value in item.items()}


def read_schedules(scheduler, group: str, known: dict[str, dict]) -> dict[str, dict]:
    """The group's schedules by name, as GetSchedule answers; one in `known` (a previous answer)
    is read again only if it changed since, so an unchanged one is the same object."""
    summaries, token = [], None
    while True:
        page = scheduler.list_schedules(GroupName=group, **({"NextToken": token} if token else {}))
        summaries += page["Schedules"]
        token = page.get("NextToken")
        if not token:
            break
    current = {}
    for summary in summaries:
        schedule = known.get(summary["Name"])
        if schedule is None or schedule["LastModificationDate"] != summary["LastModificationDate"]:
            try:
                schedule = scheduler.get_schedule(Name=summary["Name"], GroupName=group)
            except scheduler.exceptions.ResourceNotFoundException:  # deleted meanwhile
                continue
        current[summary["Name"]] = schedule
    return current


def write_json_atomically(path: Path, document) -> None:
    """Replaces `path` with `document` so that a crash leaves either the old or the new file."""
    with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=f".{path.name}.", delete=False) as f:
        json.dump(document, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(f.name, path)


def stream_arn(dynamodb, table: str) -> str:
    arn = dynamodb.describe_table(TableName=table)["Table"].get("LatestStreamArn")
    if not arn:
        sys.exit(f"table {table} has no stream: create it with tools/create_table.py --stream")
    return arn


class Shards:
    """The shards of one stream, each read in order from where it was at `start()` (LATEST).

    A shard found later (a split or a new one) is read from its start (TRIM_HORIZON), as
    Lambda reads a child shard after its parent. `poll()` gives each shard's next records.
    """

    def __init__(self, streams, arn: str, limit: int = 1000):
        self.streams, self.arn, self.limit = streams, arn, limit
        self.iterators: dict[str, str | None] = {}  # shard id -> next iterator (None: closed)

    def _shard_ids(self) -> list[str]:
        ids, start = [], None
        while True:
            kwargs = {"StreamArn": self.arn, **({"ExclusiveStartShardId": start} if start else {})}
            description = self.streams.describe_stream(**kwargs)["StreamDescription"]
            ids += [shard["ShardId"] for shard in description["Shards"]]
            start = description.get("LastEvaluatedShardId")
            if not start:
                return ids

    def _iterator(self, shard: str, kind: str) -> str:
        return self.streams.get_shard_iterator(StreamArn=self.arn, ShardId=shard, ShardIteratorType=kind)["ShardIterator"]

    def start(self) -> None:
        for shard in self._shard_ids():
            self.iterators[shard] = self._iterator(shard, "LATEST")

    def discover(self) -> None:
        for shard in self._shard_ids():
            if shard not in self.iterators:
                self.iterators[shard] = self._iterator(shard, "TRIM_HORIZON")

    def poll(self) -> list[tuple[str, list[dict]]]:
        batches = []
        for shard, iterator in list(self.iterators.items()):
            if iterator is None:
                continue
            answer = self.streams.get_records(ShardIterator=iterator, Limit=self.limit)
            self.iterators[shard] = answer.get("NextShardIterator")
            if answer["Records"]:
                batches.append((shard, answer["Records"]))
        return batches
