"""tools/local_scheduler.py: the reminder group's one-time schedules fired as EventBridge Scheduler fires them."""

import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
from conftest import TOOLS, aws, wait_until

import local_scheduler

TARGET = "arn:aws:lambda:us-east-1:123456789012:function:task-reminders"


def test_due_at_reads_the_time_in_the_schedules_zone():
    utc = {"ScheduleExpression": "at(2026-12-07T15:01:00)", "ScheduleExpressionTimezone": "UTC"}
    assert local_scheduler.due_at(utc) == datetime(2026, 12, 7, 15, 1, tzinfo=timezone.utc)
    assert local_scheduler.due_at({"ScheduleExpression": "at(2026-12-07T15:01:00)"}) == datetime(2026, 12, 7, 15, 1, tzinfo=timezone.utc)
    paris = {"ScheduleExpression": "at(2026-07-01T09:00:00)", "ScheduleExpressionTimezone": "Europe/Paris"}
    assert local_scheduler.due_at(paris) == datetime(2026, 7, 1, 7, 0, tzinfo=timezone.utc)
    assert local_scheduler.due_at({"ScheduleExpression": "rate(5 minutes)"}) is None
    assert local_scheduler.due_at({"ScheduleExpression": "cron(0 9 * * ? *)"}) is None


def test_the_function_is_the_name_in_the_target_arn_without_qualifier():
    assert local_scheduler.function_name(TARGET) == "task-reminders"
    assert local_scheduler.function_name(TARGET + ":live") == "task-reminders"
    assert local_scheduler.function_name("arn:aws:sqs:us-east-1:123456789012:queue") is None


@pytest.fixture
def group(environment, names):
    output = subprocess.run(
        [sys.executable, TOOLS / "local_scheduler.py", "setup", names["group"], names["queue"]],
        env=environment, capture_output=True, text=True, check=True,
    ).stdout
    scheduler = aws("scheduler", environment["AWS_ENDPOINT_URL_SCHEDULER"])
    return scheduler, output.strip()


def schedule(scheduler, names, dead_letters, name, at, task_id="t1", target=TARGET):
    scheduler.create_schedule(
        Name=name,
        GroupName=names["group"],
        ScheduleExpression=f"at({at:%Y-%m-%dT%H:%M:00})",
        ScheduleExpressionTimezone="UTC",
        FlexibleTimeWindow={"Mode": "OFF"},
        ActionAfterCompletion="DELETE",
        Target={
            "Arn": target,
            "RoleArn": "arn:aws:iam::123456789012:role/local-scheduler",
            "Input": json.dumps({"taskId": task_id, "remindAt": f"{at:%Y-%m-%dT%H:%M:%S.000Z}"}),
            "RetryPolicy": {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 86400},
            "DeadLetterConfig": {"Arn": dead_letters},
        },
    )


def names_in(scheduler, names):
    return sorted(s["Name"] for s in scheduler.list_schedules(GroupName=names["group"])["Schedules"])


def test_setup_makes_the_group_and_the_dead_letter_queue(group, names):
    scheduler, queue_arn = group
    assert queue_arn == f"arn:aws:sqs:us-east-1:123456789012:{names['queue']}"
    assert names["group"] in [g["Name"] for g in scheduler.list_schedule_groups()["ScheduleGroups"]]


def test_a_due_schedule_invokes_its_function_with_its_input_then_is_deleted(group, names, fake_lambda, start_tool):
    scheduler, queue_arn = group
    now = datetime.now(timezone.utc)
    schedule(scheduler, names, queue_arn, "reminder-past", now - timedelta(minutes=1), "past")
    schedule(scheduler, names, queue_arn, "reminder-future", now + timedelta(minutes=10), "future")
    schedule(scheduler, names, queue_arn, "reminder-qualified", now - timedelta(minutes=2), "qualified", TARGET + ":live")
    fake_lambda.respond = lambda function, payload: (200, b'{"outcome":"delivered"}')
    firer = start_tool("local_scheduler.py", "run", names["group"], "--every", "0.2")
    wait_until(lambda: names_in(scheduler, names) == ["reminder-future"], 10, "the due schedules deleted")
    assert sorted((f, p["taskId"]) for f, p, _ in fake_lambda.calls) == [("task-reminders", "past"), ("task-reminders", "qualified")]
    assert "fired reminder-past" in firer.output() and "delivered" in firer.output()


def test_a_failing_invocation_is_retried_then_its_input_goes_to_the_dead_letter_queue(monkeypatch, group, names, fake_lambda):
    scheduler, queue_arn = group
    schedule(scheduler, names, queue_arn, "reminder-failing", datetime.now(timezone.utc) - timedelta(minutes=1), "failing")
    fake_lambda.respond = lambda function, payload: (500, b'{"errorType":"Boom","errorMessage":"table unreachable"}')
    firer = local_scheduler.Firer(names["group"])
    for _ in range(local_scheduler.LOCAL_RETRIES + 1):  # the first attempt and each retry, without waiting
        firer.tick(datetime.now(timezone.utc))
        firer.attempts = {name: (failures, 0.0) for name, (failures, _) in firer.attempts.items()}
    assert len(fake_lambda.calls) == local_scheduler.LOCAL_RETRIES + 1
    assert names_in(scheduler, names) == []
    sqs = aws("sqs", firer.sqs.meta.endpoint_url)
    url = sqs.get_queue_url(QueueName=names["queue"])["QueueUrl"]
    (message,) = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"])["Messages"]
    assert json.loads(message["Body"])["taskId"] == "failing"
    attributes = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
    assert attributes["ERROR_CODE"] == "HTTP500" and "table unreachable" in attributes["ERROR_MESSAGE"]
    assert attributes["RETRY_ATTEMPTS"] == str(local_scheduler.LOCAL_RETRIES)
    assert attributes["TARGET_ARN"] == TARGET and attributes["SCHEDULE_ARN"].endswith(f"/{names['group']}/reminder-failing")


def test_a_schedule_changed_while_it_fires_is_kept_for_its_new_time(group, names, fake_lambda):
    scheduler, queue_arn = group
    now = datetime.now(timezone.utc)
    schedule(scheduler, names, queue_arn, "reminder-moved", now - timedelta(minutes=1), "moved")
    later = now + timedelta(hours=1)

    def respond(_function, _payload):  # task-events moves the reminder meanwhile
        scheduler.update_schedule(
            Name="reminder-moved", GroupName=names["group"], ScheduleExpression=f"at({later:%Y-%m-%dT%H:%M:00})",
            FlexibleTimeWindow={"Mode": "OFF"}, Target={"Arn": TARGET, "RoleArn": "arn:aws:iam::123456789012:role/r"},
        )
        return 200, b'{"outcome":"not-due"}'

    fake_lambda.respond = respond
    firer = local_scheduler.Firer(names["group"])
    firer.tick(now)
    firer.tick(now)
    assert len(fake_lambda.calls) == 1
    assert names_in(scheduler, names) == ["reminder-moved"]
    assert scheduler.get_schedule(Name="reminder-moved", GroupName=names["group"])["ScheduleExpression"] == f"at({later:%Y-%m-%dT%H:%M:00})"


def test_a_schedule_is_not_fired_before_its_time_nor_while_nothing_answers(group, names, environment, monkeypatch):
    scheduler, queue_arn = group
    now = datetime.now(timezone.utc)
    schedule(scheduler, names, queue_arn, "reminder-soon", now + timedelta(seconds=90), "soon")
    monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", "http://127.0.0.1:9")  # nothing listens (discard port)
    firer = local_scheduler.Firer(names["group"])
    firer.tick(now)
    assert firer.attempts == {} and names_in(scheduler, names) == ["reminder-soon"]
    for _ in range(5):  # due now, but unreachable: waits, never a dead letter
        firer.tick(now + timedelta(minutes=3))
    assert firer.attempts == {} and names_in(scheduler, names) == ["reminder-soon"]
