"""The local EventBridge of `make dev` and `make test`: moto's server on loopback.

    local_eventbridge.py wait
        wait until the server answers (make test; its tests make their own buses)
    local_eventbridge.py setup BUS QUEUE
        wait, then create the bus task-events publishes to, and a rule that sends every task
        event on it to the SQS queue QUEUE, so that they can be read (make dev)
    local_eventbridge.py receive [QUEUE]
        print the task events that reached QUEUE (default task-events-local) and remove
        them from it

The server is AWS_ENDPOINT_URL_EVENTBRIDGE, else make dev's http://127.0.0.1:8001, and it
must be on loopback. Dummy credentials only: nothing here uses an AWS identity.
"""

import json
import os
import sys
import time

from sam_offline import DUMMY_CREDENTIALS, is_loopback_url, offline_environment

# Before boto3 reads the environment: no AWS identity, only the dummy keys.
offline_environment()
os.environ.update(DUMMY_CREDENTIALS)

import boto3  # noqa: E402

ENDPOINT = os.environ.get("AWS_ENDPOINT_URL_EVENTBRIDGE") or "http://127.0.0.1:8001"
DEFAULT_QUEUE = "task-events-local"


def local_endpoint(url: str) -> str:
    if not is_loopback_url(url):
        sys.exit(f"{url!r} is not on loopback: the local EventBridge must be (moto on 127.0.0.1)")
    return url


def client(service: str):
    return boto3.client(service, endpoint_url=local_endpoint(ENDPOINT), region_name="us-east-1")


def wait() -> None:
    events = client("events")
    deadline = time.monotonic() + 30
    while True:
        try:
            events.list_event_buses()
            return
        except Exception as error:  # not listening yet
            if time.monotonic() > deadline:
                sys.exit(f"no EventBridge answers at {ENDPOINT} after 30 s: {error}")
            time.sleep(0.1)


def setup(bus: str, queue: str) -> None:
    wait()
    events, sqs = client("events"), client("sqs")
    if bus not in {b["Name"] for b in events.list_event_buses()["EventBuses"]}:
        events.create_event_bus(Name=bus)
    url = sqs.create_queue(QueueName=queue)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="all-task-events", EventBusName=bus, EventPattern=json.dumps({"source": ["task-api"]}))
    events.put_targets(Rule="all-task-events", EventBusName=bus, Targets=[{"Id": "local-queue", "Arn": arn}])


def receive(queue: str) -> None:
    sqs = client("sqs")
    url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    count = 0
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            break
        for message in messages:
            event = json.loads(message["Body"])
            print(json.dumps({k: event[k] for k in ("detail-type", "source", "time", "detail")}, indent=2), flush=True)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            count += 1
    print(f"{count} task event(s) on {queue}", file=sys.stderr)


if __name__ == "__main__":
    match sys.argv[1:]:
        case ["wait"]:
            wait()
        case ["setup", bus, queue]:
            setup(bus, queue)
        case ["receive"]:
            receive(DEFAULT_QUEUE)
        case ["receive", queue]:
            receive(queue)
        case _:
            sys.exit(__doc__)
