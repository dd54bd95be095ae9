"""Ours: moto keeps make dev's table and schedules in memory only (its recorder would replay every request ever made, the stream's polls too, at each start); this keeps them in .dynamodb/.

    local_state.py restore DIR
        create TABLE_NAME, with its stream, on AWS_ENDPOINT_URL_DYNAMODB and put back the items
        kept in DIR; then the schedules kept there, into REMINDER_SCHEDULE_GROUP (which must
        exist) on AWS_ENDPOINT_URL_SCHEDULER
    local_state.py keep DIR [--ready FILE]
        until SIGTERM or SIGINT: append every change of the table to DIR (its stream, read from
        LATEST about every 250 ms) and rewrite the group's schedules there within 2 s of a
        change; FILE is created once its place in the stream is held

What DIR holds: TABLE.json, the items as of the last start; TABLE.changes.jsonl, every write
since, one line each as the stream gave it (the key, and the new item or null for a deletion),
flushed to disk as it is read; schedules.json, the group's schedules as GetSchedule gives
them. `restore` applies the changes to the items, writes the result as the new TABLE.json,
empties the changes and loads the items.

Lost on a crash (kill -9, a power cut): the writes of the last quarter second, and schedule
changes of the last 2 s; after a clean stop (Ctrl-C ends make dev) nothing. Not kept: the
stream's records, the bus, the queues, the mail and the user pool (made again at each start).
A DIR that dynalite wrote (make dev before reminders) is read once through dynalite; its files
are then moved to DIR/dynalite/.
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from create_table import create_table, table_definition
from local_aws import (
    Outage,
    Shards,
    Stop,
    client,
    endpoint,
    item_from_json,
    item_to_json,
    log,
    read_schedules,
    stream_arn,
    write_json_atomically,
)

import boto3  # noqa: E402  (after local_aws: dummy keys only)

TOOL = "local_state"
ROOT = Path(__file__).resolve().parent.parent
SCHEDULE_SECONDS = 2.0
# What GetSchedule answers that CreateSchedule does not take.
NOT_CREATE_FIELDS = ("ResponseMetadata", "Arn", "CreationDate", "LastModificationDate")


def required(variable: str) -> str:
    return os.environ.get(variable) or sys.exit(f"{variable} is not set")


class Files:
    def __init__(self, directory: Path, table: str):
        self.items = directory / f"{table}.json"
        self.changes = directory / f"{table}.changes.jsonl"
        self.schedules = directory / "schedules.json"
        self.key_names = [k["AttributeName"] for k in table_definition()["KeySchema"]]

    def key(self, item: dict) -> str:
        return json.dumps({name: item[name] for name in self.key_names}, sort_keys=True)

    def current_items(self) -> list[dict]:
        """The kept items with every kept change applied, in JSON form."""
        items = {}
        if self.items.exists():
            items = {self.key(item): item for item in json.loads(self.items.read_text())["items"]}
        if self.changes.exists():
            for line in self.changes.read_text().splitlines():
                try:
                    change = json.loads(line)
                except ValueError:  # the line being written when it stopped
                    continue
                key = json.dumps(change["keys"], sort_keys=True)
                if change["item"] is None:
                    items.pop(key, None)
                else:
                    items[key] = change["item"]
        return list(items.values())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def import_dynalite(directory: Path, files: Files, table: str) -> None:
    """A DIR that dynalite (LevelDB) wrote: its items become TABLE.json, once."""
    if not (directory / "CURRENT").exists() or files.items.exists():
        return
    port = free_port()
    dynalite = subprocess.Popen(
        [ROOT / "node_modules/.bin/dynalite", "--host", "127.0.0.1", "--port", str(port), "--path", directory],
        stdout=subprocess.DEVNULL,
    )
    try:
        db = boto3.client("dynamodb", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1")
        for _ in range(100):
            try:
                tables = db.list_tables()["TableNames"]
                break
            except Exception:  # not listening yet
                time.sleep(0.1)
        else:
            sys.exit(f"dynalite did not start to read {directory}")
        items = []
        if table in tables:
            for page in db.get_paginator("scan").paginate(TableName=table):
                items += [item_to_json(item) for item in page["Items"]]
    finally:
        dynalite.terminate()
        dynalite.wait()
    write_json_atomically(files.items, {"table": table, "items": items})
    (directory / "dynalite").mkdir(exist_ok=True)
    for path in list(directory.iterdir()):
        kept = (files.items, files.changes, files.schedules, directory / "make-dev.lock")
        if path.is_file() and path not in kept:
            shutil.move(path, directory / "dynalite" / path.name)
    log(TOOL, f"read {len(items)} items of {table} from dynalite's files, now in {directory}/dynalite/")


def restore(directory: Path) -> None:
    table, group = required("TABLE_NAME"), required("REMINDER_SCHEDULE_GROUP")
    directory.mkdir(parents=True, exist_ok=True)
    files = Files(directory, table)
    import_dynalite(directory, files, table)
    items = files.current_items()
    # The compacted items first, then no changes: a crash in between applies them twice, to
    # the same result.
    write_json_atomically(files.items, {"table": table, "items": items})
    files.changes.write_text("")

    dynamodb = client("dynamodb", "AWS_ENDPOINT_URL_DYNAMODB")
    for _ in range(300):  # moto takes about a second to start
        try:
            dynamodb.list_tables()
            break
        except Exception:
            time.sleep(0.1)
    create_table(endpoint("AWS_ENDPOINT_URL_DYNAMODB"), table, stream=True)
    for start in range(0, len(items), 25):
        requests = {table: [{"PutRequest": {"Item": item_from_json(i)}} for i in items[start : start + 25]]}
        while requests:
            requests = dynamodb.batch_write_item(RequestItems=requests).get("UnprocessedItems")

    schedules = json.loads(files.schedules.read_text()) if files.schedules.exists() else []
    scheduler = client("scheduler", "AWS_ENDPOINT_URL_SCHEDULER")
    for schedule in schedules:
        fields = {k: v for k, v in schedule.items() if k not in NOT_CREATE_FIELDS} | {"GroupName": group}
        try:
            scheduler.create_schedule(**fields)
        except scheduler.exceptions.ConflictException:
            scheduler.update_schedule(**fields)
    print(f"{len(items)} items and {len(schedules)} reminder schedules restored from {directory}/")


class ScheduleKeeper:
    """The group's schedules in schedules.json, rewritten when one is created, changed or deleted."""

    def __init__(self, scheduler, group: str, path: Path):
        self.scheduler, self.group, self.path = scheduler, group, path
        self.kept: dict[str, dict] | None = None  # name -> GetSchedule's answer; None: not written yet

    def save_if_changed(self) -> None:
        kept = self.kept
        current = read_schedules(self.scheduler, self.group, kept or {})
        if kept is None or current.keys() != kept.keys() or any(current[n] is not kept[n] for n in current):
            self.kept = current
            document = [{k: v for k, v in s.items() if k != "ResponseMetadata"} for s in current.values()]
            write_json_atomically(self.path, json.loads(json.dumps(document, default=str)))


def keep(directory: Path, ready: Path | None) -> None:
    table, group = required("TABLE_NAME"), required("REMINDER_SCHEDULE_GROUP")
    files = Files(directory, table)
    stop = Stop()
    dynamodb = client("dynamodb", "AWS_ENDPOINT_URL_DYNAMODB")
    shards = Shards(client("dynamodbstreams", "AWS_ENDPOINT_URL_DYNAMODB"), stream_arn(dynamodb, table))
    shards.start()
    schedules = ScheduleKeeper(client("scheduler", "AWS_ENDPOINT_URL_SCHEDULER"), group, files.schedules)
    if ready:
        ready.touch()
    last_schedules = 0.0
    keeping = Outage(TOOL, f"keeping {table} and {group}")
    with files.changes.open("a") as changes:
        while True:
            stopping = stop.requested  # one more round after the signal: what came before it is kept
            try:
                written = 0
                for _shard, records in shards.poll():
                    for record in records:
                        stream = record["dynamodb"]
                        item = stream.get("NewImage") if record["eventName"] != "REMOVE" else None
                        change = {"keys": item_to_json(stream["Keys"]), "item": item_to_json(item) if item else None}
                        changes.write(json.dumps(change) + "\n")
                        written += 1
                if written:
                    changes.flush()
                    os.fsync(changes.fileno())
                if stopping or time.monotonic() - last_schedules >= SCHEDULE_SECONDS:
                    schedules.save_if_changed()
                    last_schedules = time.monotonic()
                keeping.ok()
            except Exception as error:  # a local server stopped answering: keep trying
                keeping.failed(error)
            if stopping:
                return
            stop.sleep(0.25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("restore").add_argument("directory", type=Path)
    keep_command = commands.add_parser("keep")
    keep_command.add_argument("directory", type=Path)
    keep_command.add_argument("--ready", type=Path)
    args = parser.parse_args()
    if args.command == "restore":
        restore(args.directory)
    else:
        keep(args.directory, args.ready)


if __name__ == "__main__":
    main()
