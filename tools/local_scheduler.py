"""Ours: moto's EventBridge Scheduler keeps schedules but never fires them; this fires make dev's one-time schedules as Scheduler would.

    local_scheduler.py setup GROUP QUEUE
        create the schedule group GROUP and the SQS queue QUEUE (the schedules' dead-letter
        queue); print the queue's ARN
    local_scheduler.py run GROUP [--every SECONDS] [--ready FILE]
        every few seconds (2), fire each schedule of GROUP whose at(...) time has come
    local_scheduler.py dead-letters QUEUE
        print what reached the dead-letter queue QUEUE, and remove it

Firing a schedule, as EventBridge Scheduler does for a Lambda target: its Target.Input is
POSTed to the Invoke URL of the function that Target.Arn names
(arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]; cargo lambda watch serves NAME and
has no qualifiers) at AWS_ENDPOINT_URL_LAMBDA; then, with ActionAfterCompletion DELETE, the
schedule is deleted, unless it was changed meanwhile. An invocation that fails (an error
status: locally the call waits for the function, so a function error counts too) is tried
again after 2, 4 and 8 s (fewer if its RetryPolicy allows fewer), then its input goes to the
queue of Target.DeadLetterConfig with Scheduler's dead-letter attributes (ERROR_CODE,
ERROR_MESSAGE, ...). While nothing answers at all (cargo lambda watch starting) it waits,
without counting. Only one-time `at(...)` schedules fire; their time is read in
ScheduleExpressionTimezone (UTC if none). Servers: AWS_ENDPOINT_URL_SCHEDULER,
AWS_ENDPOINT_URL_SQS, AWS_ENDPOINT_URL_LAMBDA, all on loopback.
"""

import argparse
import json
import re
import sys
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from local_aws import Outage, Stop, Unreachable, client, invoke, log, read_schedules

TOOL = "local_scheduler"
LOCAL_RETRIES = 3  # Scheduler's own policy allows up to 185 over a day; a few are enough here
FUNCTION_ARN = re.compile(r"^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:([A-Za-z0-9_-]+)(?::[A-Za-z0-9$_-]+)?$")
AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")


def due_at(schedule: dict) -> datetime | None:
    """When a one-time schedule fires (aware, UTC), or None for any other expression."""
    match = AT.match(schedule.get("ScheduleExpression", ""))
    if not match:
        return None
    name = schedule.get("ScheduleExpressionTimezone") or "UTC"
    zone = timezone.utc if name == "UTC" else ZoneInfo(name)  # UTC needs no time zone database
    return datetime.fromisoformat(match[1]).replace(tzinfo=zone).astimezone(timezone.utc)


def function_name(target_arn: str) -> str | None:
    match = FUNCTION_ARN.match(target_arn)
    return match[1] if match else None


def queue_of(sqs, queue_arn: str) -> str:
    *_, account, name = queue_arn.split(":")
    return sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]


def setup(group: str, queue: str) -> None:
    scheduler, sqs = client("scheduler", "AWS_ENDPOINT_URL_SCHEDULER"), client("sqs", "AWS_ENDPOINT_URL_SQS")
    try:
        scheduler.create_schedule_group(Name=group)
    except scheduler.exceptions.ConflictException:
        pass
    url = sqs.create_queue(QueueName=queue)["QueueUrl"]
    print(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])


class Firer:
    def __init__(self, group: str):
        self.group = group
        self.scheduler = client("scheduler", "AWS_ENDPOINT_URL_SCHEDULER")
        self.sqs = client("sqs", "AWS_ENDPOINT_URL_SQS")
        client("lambda", "AWS_ENDPOINT_URL_LAMBDA")  # refuses a missing or non-loopback endpoint now
        self.details: dict[str, dict] = {}  # name -> the schedule as last read (GetSchedule)
        self.attempts: dict[str, tuple[int, float]] = {}  # name -> failed attempts, next try
        self.completed: set[tuple[str, str]] = set()  # (name, modified) kept after firing
        self.told: set[str] = set()
        self.waiting_since: float | None = None

    def schedules(self) -> list[dict]:
        current = read_schedules(self.scheduler, self.group, self.details)
        for name, schedule in current.items():
            if schedule is not self.details.get(name):
                self.attempts.pop(name, None)  # new or changed: a new firing
        self.details = current
        return list(current.values())

    def tick(self, now: datetime) -> None:
        for schedule in self.schedules():
            name, modified = schedule["Name"], str(schedule["LastModificationDate"])
            when = due_at(schedule)
            if when is None:
                if name not in self.told:
                    log(TOOL, f"{name}: {schedule.get('ScheduleExpression')!r} is not at(...); not fired locally")
                    self.told.add(name)
                continue
            if schedule.get("State") != "ENABLED" or when > now or (name, modified) in self.completed:
                continue
            failures, next_try = self.attempts.get(name, (0, 0.0))
            if time.monotonic() >= next_try:
                self.fire(schedule, failures)

    def fire(self, schedule: dict, failures: int) -> None:
        name, target = schedule["Name"], schedule["Target"]
        function = function_name(target["Arn"])
        if function is None:
            error = ("InvalidTarget", f"{target['Arn']} is not a Lambda function ARN (the only target fired locally)")
        else:
            try:
                status, answer = invoke(function, target.get("Input", "{}").encode())
            except Unreachable as unreachable:
                if self.waiting_since is None:
                    self.waiting_since = time.monotonic()
                    log(TOOL, f"nothing answers yet ({unreachable}); {name} fires once cargo lambda watch does")
                return
            self.waiting_since = None
            text = answer[:500].decode(errors="replace")
            if status == 200:
                log(TOOL, f"fired {name} ({schedule['ScheduleExpression']}) -> {function}: {text}")
                self.complete(schedule)
                return
            error = (f"HTTP{status}", text)
        retries = min(LOCAL_RETRIES, target.get("RetryPolicy", {}).get("MaximumRetryAttempts", LOCAL_RETRIES))
        if failures < retries:
            delay = 2.0 * 2**failures
            log(TOOL, f"{name}: {error[0]} {error[1]}; trying again in {delay:g} s")
            self.attempts[name] = (failures + 1, time.monotonic() + delay)
            return
        self.dead_letter(schedule, error, failures)
        self.complete(schedule)

    def dead_letter(self, schedule: dict, error: tuple[str, str], retries: int) -> None:
        name, target = schedule["Name"], schedule["Target"]
        queue_arn = target.get("DeadLetterConfig", {}).get("Arn")
        if not queue_arn:
            log(TOOL, f"{name}: {error[0]} {error[1]}; no dead-letter queue, its input is dropped")
            return
        attributes = {
            "ERROR_CODE": error[0],
            "ERROR_MESSAGE": error[1] or "-",
            "EXECUTION_ID": str(uuid.uuid4()),
            "RETRY_ATTEMPTS": str(retries),
            "SCHEDULE_ARN": schedule["Arn"],
            "TARGET_ARN": target["Arn"],
        }
        self.sqs.send_message(
            QueueUrl=queue_of(self.sqs, queue_arn),
            MessageBody=target.get("Input", "{}"),
            MessageAttributes={k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()},
        )
        log(TOOL, f"{name}: {error[0]} {error[1]}; gave up after {retries + 1} attempts, input sent to {queue_arn}")

    def complete(self, schedule: dict) -> None:
        name, modified = schedule["Name"], schedule["LastModificationDate"]
        self.attempts.pop(name, None)
        if schedule.get("ActionAfterCompletion") != "DELETE":
            self.completed.add((name, str(modified)))
            return
        try:
            # Not if task-events changed it while it fired: that is a new firing.
            current = self.scheduler.get_schedule(Name=name, GroupName=self.group)
            if current["LastModificationDate"] == modified:
                self.scheduler.delete_schedule(Name=name, GroupName=self.group)
        except self.scheduler.exceptions.ResourceNotFoundException:
            pass


def run(group: str, every: float, ready: Path | None) -> None:
    stop = Stop()
    firer = Firer(group)
    firer.schedules()  # the group exists and answers
    if ready:
        ready.touch()
    reading = Outage(TOOL, f"reading the schedules of {group}")
    while not stop.requested:
        try:
            firer.tick(datetime.now(timezone.utc))
            reading.ok()
        except Exception as error:  # the local Scheduler stopped answering: keep trying
            reading.failed(error)
        stop.sleep(every)


def dead_letters(queue: str) -> None:
    sqs = client("sqs", "AWS_ENDPOINT_URL_SQS")
    url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    count = 0
    while messages := sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    ).get("Messages", []):
        for message in messages:
            attributes = {k: v["StringValue"] for k, v in message.get("MessageAttributes", {}).items()}
            print(json.dumps({"input": message["Body"], "attributes": attributes}, indent=2), flush=True)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            count += 1
    print(f"{count} dead letter(s) on {queue}", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    setup_command = commands.add_parser("setup")
    setup_command.add_argument("group")
    setup_command.add_argument("queue")
    run_command = commands.add_parser("run")
    run_command.add_argument("group")
    run_command.add_argument("--every", type=float, default=2.0)
    run_command.add_argument("--ready", type=Path, help="created once the group has been read")
    letters_command = commands.add_parser("dead-letters")
    letters_command.add_argument("queue")
    args = parser.parse_args()
    if args.command == "setup":
        setup(args.group, args.queue)
    elif args.command == "run":
        run(args.group, args.every, args.ready)
    else:
        dead_letters(args.queue)


if __name__ == "__main__":
    main()
