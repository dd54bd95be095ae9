#!/usr/bin/env python3
"""What a request costs, from `make bench`'s measured figures: writes docs/cost.md.

    cost.py BENCH_JSON OUT_MD          write the cost document from these figures
    cost.py BENCH_JSON OUT_MD --check  fail if OUT_MD is not what these figures give

`make bench` runs it on the figures it just measured and keeps a copy of them beside the
document (docs/cost-figures.json); `make test` checks that the document is still what those
figures and this model give, so neither can drift from the other.

Every price is a list price of us-east-1 as named in PRICES, with the date it was read; the
document repeats them. The model's assumptions (item sizes, the request mix, how often a
request is a cold start) are named in ASSUMPTIONS and printed too.
"""

import argparse
import json
import math
import re
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PRICES_DATE = "2026-11-25"
PRICES = {
    # AWS Lambda, per request and per GB-second of billed duration (1 ms granularity).
    "lambda_request": 0.20 / 1e6,
    "lambda_gb_second_x86_64": 0.0000166667,
    "lambda_gb_second_arm64": 0.0000133334,
    # DynamoDB on demand (since the November 2024 reduction): per request unit.
    "dynamodb_write_unit": 0.625 / 1e6,
    "dynamodb_read_unit": 0.125 / 1e6,
    # CloudWatch Logs ingestion (standard class), per GB; each event also counts 26 bytes.
    "logs_ingestion_gb": 0.50,
    "logs_event_overhead_bytes": 26,
    # X-Ray, per trace recorded (the first 100,000 a month are free; not counted here).
    "xray_trace": 5.00 / 1e6,
    # API Gateway, per request (first tier).
    "apigw_rest_request": 3.50 / 1e6,
    "apigw_http_request": 1.00 / 1e6,
    # AWS WAF (the per-caller and per-address limits, on in prod): per request, plus a fixed
    # monthly fee; the secret that marks CloudFront's requests to the API; the CloudFront
    # Function that passes the viewer's address on (per invocation, web app requests only).
    "waf_request": 0.60 / 1e6,
    "waf_monthly": 5.00 + 4 * 1.00 + 0.40,  # one web ACL, four rules; one secret
    "cloudfront_function_request": 0.10 / 1e6,
}

# Reminders (#23), read later than the prices above.
REMINDER_PRICES_DATE = "2026-12"
REMINDER_PRICES = {
    # EventBridge Scheduler bills the invocations of schedules, after a monthly free tier;
    # its price list names nothing else (creating, changing and deleting schedules).
    "scheduler_invocation": 1.00 / 1e6,
    "scheduler_free_invocations_a_month": 14_000_000,
    # EventBridge, per custom event put on a bus (TaskReminderDue).
    "eventbridge_event": 1.00 / 1e6,
    # Amazon SES, per email sent (outbound, without attachments or dedicated IPs).
    "ses_email": 0.10 / 1000,
}

# Live updates (#24), read with the reminders' prices.
LIVE_PRICES_DATE = "2026-12"
LIVE_PRICES = {
    # API Gateway WebSocket APIs (first tier): per message, either way, metered in 32 KB
    # increments (a hint or a ping is one); per connection-minute.
    "websocket_message": 1.00 / 1e6,
    "websocket_connection_minute": 0.25 / 1e6,
}

ASSUMPTIONS = {
    # Share of requests that meet a cold start (a new execution environment).
    "cold_start_share": 0.01,
    # A stored task item, with its index attributes; under 1 KB, so one write unit.
    "task_item_bytes": 450,
    "page_size": 20,
    # Share of updates that change the status (which moves the item in byOwnerStatus).
    "updates_changing_status": 0.5,
    # Share of creates sent with an Idempotency-Key.
    "keyed_creates": 0.5,
    # The realistic mix of operations.
    "mix": {"listTasks": 0.45, "getTask": 0.20, "createTask": 0.15, "updateTask": 0.15,
            "deleteTask": 0.05},
    # Steady request rates (per second) at which X-Ray's default sampling is shown.
    "xray_rates": [1, 10, 100],
    # A reminder delivered (docs/operations.md, "Reminders"): one consistent read of the task
    # (under 4 KB: 1 unit); writes to its delivery claim (under 1 KB, in no index: 1 unit
    # each): the claim, the event recorded, then one per email recorded.
    "reminder_task_reads": 1,
    "reminder_claim_writes": 2,
    "reminder_writes_per_email": 1,
    # Live updates (docs/live-updates.md): of the users a task event names (owner, assignee,
    # previous assignee) how many there are on average, and how many connections each has
    # open; a connected client pings every 5 minutes (the gateway closes a connection idle for
    # 10) and opens a new connection every hour (the gateway closes one at two hours).
    "live_recipients_per_event": 1.3,
    "live_connections_per_recipient": 1.5,
    "live_pings_per_hour": 12,
    "live_handshakes_per_hour": 1,
    # The requests of one handshake: the authorizer, $connect and $disconnect; its items:
    # $connect reads the user's connections item and writes it, $disconnect writes it.
    "live_lambda_requests_per_handshake": 3,
    "live_reads_per_handshake": 1,
    "live_writes_per_handshake": 2,
}

# Deleting an account (#25): the purge's throughput as measured, and what it writes. The
# measurement: tests/api/account.rs's `an_account_at_a_high_task_count_is_purged_within_minutes`
# with ACCOUNT_PURGE_BENCH_TASKS=10000 against make test's local DynamoDB (dynalite), one
# worker pass, 16 writes in flight, on the 2-core bench machine shared with other builds.
ACCOUNT_PURGE_MEASURED = {"date": "2026-12-07", "tasks": 10_000, "seconds": 27.1, "create_seconds": 37.5}
ACCOUNT_PURGE = {
    # Deleting an unshared task: the item and its two index entries (byOwner, byOwnerStatus),
    # each under 1 KB; then the owner's task count down (1 unit, no index).
    "delete_writes": 3,
    "count_writes": 1,
    # A listing page of the purge: 100 task items of ASSUMPTIONS' size read from byOwner,
    # eventually consistent (half a unit per 4 KB).
    "page_tasks": 100,
    # Removing the user from another's task: the item, its byAssignee entry removed, and its
    # byOwner and byOwnerStatus entries rewritten (updatedAt, version).
    "unassign_writes": 4,
    # One TaskDeleted (or TaskUnassigned) event per task, through the stream and task-events.
    "events_per_task": 1,
    # SQS requests of one deletion: the two jobs sent, each received and deleted, and the
    # final pass's wait (65 minutes, 15 at a time: 5 messages re-sent, received, deleted).
    "sqs_requests": 2 * 3 + 5 * 3,
    "sqs_request": 0.40 / 1e6,
}

OPERATIONS = {
    # operation: (function, what DynamoDB does)
    "createTask": "create-task",
    "listTasks": "get-tasks",
    "getTask": "get-tasks",
    "updateTask": "update-task",
    "deleteTask": "delete-task",
}


def dynamodb_units(operation, status_index=True):
    """(write units, read units) of one successful request. Every task write also writes
    both indexes (their projection is ALL): one unit for the table and one per index.
    `status_index=False` prices the design without `byOwnerStatus`."""
    a = ASSUMPTIONS
    task_write = 3 if status_index else 2  # the table + byOwner (+ byOwnerStatus)
    # The owner's task count (no index attributes: table only), up on a create, down on a
    # delete.
    count = 1
    if operation == "createTask":
        # A keyed create: the idempotency record (no index attributes: table only), the
        # task, then the record marked done.
        keyed = 1 + task_write + 1
        return count + a["keyed_creates"] * keyed + (1 - a["keyed_creates"]) * task_write, 0
    if operation == "updateTask":
        # Table and indexes updated in place; when the status changes, the item leaves one
        # byOwnerStatus partition and enters another (two units there).
        changing = a["updates_changing_status"] if status_index else 0
        return changing * (task_write + 1) + (1 - changing) * task_write, 0
    if operation == "deleteTask":
        return count + task_write, 0
    if operation == "getTask":
        return 0, 1  # strongly consistent read of one item under 4 KB
    if operation == "listTasks":
        # A query of an index (eventually consistent): half a unit per 4 KB read.
        page_bytes = a["page_size"] * a["task_item_bytes"]
        return 0, 0.5 * math.ceil(page_bytes / 4096)
    raise ValueError(operation)


def access_log_bytes():
    """One access-log line, from the template's format with typical values filled in."""
    template = (ROOT / "template.yaml").read_text()
    match = re.search(r"Format: >-\n((?:\s{10}.*\n)+)", template)
    line = "".join(part.strip() for part in match.group(1).splitlines())
    typical = {
        "$context.requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
        "$context.extendedRequestId": "GqJ0UFJ2IAMFbXg=",
        "$context.xrayTraceId": "Root=1-6717a1b2-0123456789abcdef01234567",
        "$context.requestTime": "29/Sep/2025:10:00:00 +0000",
        "$context.httpMethod": "POST",
        "$context.resourcePath": "/tasks/{taskId}",
        "$context.status": "200",
        "$context.responseLength": "412",
        "$context.responseLatency": "23",
        "$context.integrationLatency": "21",
        "$context.error.responseType": "-",
        "$context.identity.sourceIp": "203.0.113.10",
        "$context.identity.userAgent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36",
        "$context.authorizer.claims.sub": "4f8e1c2a-0b3d-4e5f-8a9b-1c2d3e4f5a6b",
    }
    for variable in sorted(typical, key=len, reverse=True):
        line = line.replace(variable, typical[variable])
    return len(line.encode())


def xray_traced_share(rate):
    """X-Ray's default rule: the first request each second, then 5 % of the rest."""
    return (min(rate, 1) + 0.05 * max(rate - 1, 0)) / rate


def memory_mb(bench):
    """The memory size the bench measured at (its CPU share), which is what is billed."""
    return bench.get("machine", {}).get("memory_mb", 128)


def billed_ms_per_invocation(figures):
    """A typical warm invocation, rounded up to the millisecond as Lambda bills it, with the
    assumed share of cold ones (init plus first invocation). (Kept busy back to back, a 128 MB
    function is CPU-throttled and bills more: the bench's billed_warm_mean_ms; Lambda adds
    environments instead under concurrent load.)"""
    cold = ASSUMPTIONS["cold_start_share"]
    return (1 - cold) * math.ceil(figures["warm_p50_ms"]) + cold * figures["billed_cold_ms"]


def per_billed_ms(bench):
    """What one billed millisecond costs on arm64 at the bench's memory size."""
    return 1 / 1000 * memory_mb(bench) / 1024 * PRICES["lambda_gb_second_arm64"]


def model(bench):
    figures = bench["modes"]["lambda"]
    gb = memory_mb(bench) / 1024
    access_bytes = access_log_bytes()
    overhead = PRICES["logs_event_overhead_bytes"]
    per_operation = {}
    for operation, function in OPERATIONS.items():
        f = figures[function]
        billed_ms = billed_ms_per_invocation(f)
        lambda_cost = {
            arch: PRICES["lambda_request"]
            + billed_ms / 1000 * gb * PRICES[f"lambda_gb_second_{arch}"]
            for arch in ("arm64", "x86_64")
        }
        writes, reads = dynamodb_units(operation)
        dynamodb = writes * PRICES["dynamodb_write_unit"] + reads * PRICES["dynamodb_read_unit"]
        # The function's own lines (one request line, one EMF record) and the access log.
        log_bytes = f["log_bytes_per_invocation"] + 2 * overhead + access_bytes + overhead
        logs = log_bytes / 1e9 * PRICES["logs_ingestion_gb"]
        per_operation[operation] = {
            "billed_ms": billed_ms,
            "lambda": lambda_cost,
            "write_units": writes,
            "read_units": reads,
            "dynamodb": dynamodb,
            "log_bytes": log_bytes,
            "logs": logs,
        }
    mix = ASSUMPTIONS["mix"]
    mixed = {
        key: sum(mix[op] * per_operation[op][key] for op in mix)
        for key in ("billed_ms", "dynamodb", "logs", "log_bytes", "write_units", "read_units")
    }
    mixed["lambda"] = {
        arch: sum(mix[op] * per_operation[op]["lambda"][arch] for op in mix)
        for arch in ("arm64", "x86_64")
    }
    return per_operation, mixed, access_bytes


def usd_per_million(value):
    return f"${value * 1e6:,.2f}"


def duration_per_million(value):
    """A function's duration per million invocations: a fraction of a cent, so four places."""
    return f"${value * 1e6:,.4f}"


def document(bench):
    per_operation, mixed, access_bytes = model(bench)
    machine = bench.get("machine", {})
    lines = []
    out = lines.append
    out("# What a request costs")
    out("")
    out("Generated by `tools/cost.py` from the figures of `make bench` (kept in")
    out("`docs/cost-figures.json`); do not edit by hand: `make bench` rewrites it, and `make test`")
    out("fails if it no longer matches those figures and the model.")
    out("")
    out(f"Prices: AWS list prices for us-east-1 as read on {PRICES_DATE} (first tier, no free tier):")
    out(f"Lambda {usd_per_million(PRICES['lambda_request'])} per million requests, "
        f"${PRICES['lambda_gb_second_arm64']:.10f} (arm64) and ${PRICES['lambda_gb_second_x86_64']:.10f} "
        "(x86_64) per GB-second; DynamoDB on demand "
        f"{usd_per_million(PRICES['dynamodb_write_unit'])} per million write units and "
        f"{usd_per_million(PRICES['dynamodb_read_unit'])} per million read units; CloudWatch Logs "
        f"${PRICES['logs_ingestion_gb']:.2f} per GB ingested ({PRICES['logs_event_overhead_bytes']} bytes "
        f"counted per event); X-Ray {usd_per_million(PRICES['xray_trace'])} per million traces; "
        f"API Gateway {usd_per_million(PRICES['apigw_rest_request'])} (REST) and "
        f"{usd_per_million(PRICES['apigw_http_request'])} (HTTP API) per million requests; AWS WAF "
        f"{usd_per_million(PRICES['waf_request'])} per million requests plus "
        f"${PRICES['waf_monthly']:.2f} a month. Check them before relying on the totals.")
    out("")
    a = ASSUMPTIONS
    out(f"Model: {memory_mb(bench)} MB functions; billed duration from the `lambda` mode of "
        f"`make bench` (TLS to DynamoDB, invocations at the {memory_mb(bench)} MB CPU share): the median warm "
        "invocation rounded up to the millisecond, and for a cold start init plus the first "
        f"invocation (custom runtimes' init is billed); {a['cold_start_share']:.0%} of requests "
        f"cold; task items of about {a['task_item_bytes']} bytes; pages of {a['page_size']}; "
        f"{a['keyed_creates']:.0%} of creates with an `Idempotency-Key`; "
        f"{a['updates_changing_status']:.0%} of updates changing the status. Bench machine: "
        f"{machine.get('cpus', '?')} cores, {machine.get('platform', '?')}.")
    out("")
    out("## Per operation, per million requests")
    out("")
    out("| operation | billed ms (with cold starts) | Lambda arm64 | Lambda x86_64 | DynamoDB units (W/R) | DynamoDB | log bytes | Logs |")
    out("|---|---:|---:|---:|---:|---:|---:|---:|")
    for operation, p in per_operation.items():
        out(f"| {operation} | {p['billed_ms']:.2f} | {usd_per_million(p['lambda']['arm64'])} | "
            f"{usd_per_million(p['lambda']['x86_64'])} | {p['write_units']:g} / {p['read_units']:g} | "
            f"{usd_per_million(p['dynamodb'])} | {p['log_bytes']:.0f} | {usd_per_million(p['logs'])} |")
    out("")
    mix = ", ".join(f"{op} {share:.0%}" for op, share in a["mix"].items())
    out(f"## A realistic mix ({mix})")
    out("")
    rest = PRICES["apigw_rest_request"]
    without_gateway_arm = mixed["lambda"]["arm64"] + mixed["dynamodb"] + mixed["logs"]
    without_gateway_x86 = mixed["lambda"]["x86_64"] + mixed["dynamodb"] + mixed["logs"]
    out("| part | per million requests | the Node guide's estimate |")
    out("|---|---:|---:|")
    out(f"| Lambda (arm64; x86_64 {usd_per_million(mixed['lambda']['x86_64'])}) | "
        f"{usd_per_million(mixed['lambda']['arm64'])} | $0.37 |")
    out(f"| DynamoDB ({mixed['write_units']:.2f} write and {mixed['read_units']:.2f} read units a request) | "
        f"{usd_per_million(mixed['dynamodb'])} | $1.75 |")
    out(f"| CloudWatch Logs ({mixed['log_bytes']:.0f} bytes a request, {access_bytes} of them the access log) | "
        f"{usd_per_million(mixed['logs'])} | $0.50 |")
    out(f"| **everything but API Gateway and X-Ray** | **{usd_per_million(without_gateway_arm)}** "
        f"(x86_64 {usd_per_million(without_gateway_x86)}) | $2.62 |")
    out(f"| API Gateway REST | {usd_per_million(rest)} | $3.50 |")
    out(f"| **total without X-Ray** | **{usd_per_million(without_gateway_arm + rest)}** | $6.12 |")
    out("")
    out("X-Ray (active tracing is on in the template) depends on the request rate, because its "
        "default rule records the first request of each second and 5 % of the rest:")
    out("")
    out("| steady rate | requests traced | X-Ray per million requests |")
    out("|---:|---:|---:|")
    for rate in a["xray_rates"]:
        share = xray_traced_share(rate)
        out(f"| {rate} per second | {share:.1%} | {usd_per_million(share * PRICES['xray_trace'])} |")
    out("")
    target = 0.80 / 1e6
    met = without_gateway_arm <= target
    figures = bench["modes"]["lambda"]
    request_line = statistics.mean(figures[f]["request_line_bytes"] for f in set(OPERATIONS.values()))
    metrics = statistics.mean(figures[f]["metrics_record_bytes"] for f in set(OPERATIONS.values()))
    gb_cost = lambda nbytes: nbytes / 1e9 * PRICES["logs_ingestion_gb"]
    overhead = PRICES["logs_event_overhead_bytes"]
    status_index_cost = sum(
        share * (dynamodb_units(op)[0] - dynamodb_units(op, status_index=False)[0])
        * PRICES["dynamodb_write_unit"]
        for op, share in ASSUMPTIONS["mix"].items()
    )
    out("## Against the target")
    out("")
    out(f"Target: everything but API Gateway at most $0.80 per million requests. Lambda, DynamoDB "
        f"and logs come to {usd_per_million(without_gateway_arm)} on arm64: the target is "
        f"{'met' if met else '**missed**'}, before X-Ray. What each part is made of, and what the "
        "design chose:")
    out("")
    out(f"- **DynamoDB, {usd_per_million(mixed['dynamodb'])}.** Every task write also writes both "
        "indexes (`byOwner` for the list, `byOwnerStatus` for the status filter), so a write "
        "costs three units instead of one: two thirds of the write cost is the indexes. They are "
        "what keeps a page's cost independent of the table and of other callers (the contract "
        "forbids a Scan). Dropping `byOwnerStatus` and filtering the owner's `byOwner` query "
        f"instead would save {usd_per_million(status_index_cost)} on this mix, but make a filtered page read, and pay for, every task of the owner "
        "between two matches, and return short or empty pages. A create and a delete also write "
        "the owner's task count (one unit, no index), which enforces `MaxTasksPerOwner` "
        "exactly. A keyed create writes 6 units "
        "(the count, the idempotency record, the task, the record marked done) instead of 4; gets read "
        "strongly consistent (1 unit instead of 0.5), so that a client reads its own write. "
        "The mix has no shared tasks: a shared task's writes also write the sparse `byAssignee` "
        "index (one more unit; an unshared task never does), and an assignee's status change "
        "costs a refused first try and a read besides ([sharing.md](sharing.md)).")
    out(f"- **CloudWatch Logs, {usd_per_million(mixed['logs'])}.** Per request: the function's "
        f"request line ({request_line:.0f} bytes), its metrics as an EMF record "
        f"({metrics:.0f} bytes; CloudWatch makes metrics of it without an API call), and the "
        f"stage's access log line ({access_bytes} bytes), each plus {overhead} bytes. "
        f"`ApplicationLogLevel: WARN` drops the request line ({usd_per_million(gb_cost(request_line + overhead))} "
        "saved; errors are still logged at error level); turning the access log off saves "
        f"{usd_per_million(gb_cost(access_bytes + overhead))} but loses the per-request record with "
        "the caller's id that an incident needs (docs/security.md).")
    out(f"- **Lambda, {usd_per_million(mixed['lambda']['arm64'])}** at 128 MB, mostly the "
        f"$0.20 per million requests: a request bills {mixed['billed_ms']:.1f} ms on average "
        "in the bench's figures (cold starts included), most of it waiting for DynamoDB, so more memory would not "
        "shorten it. x86_64 "
        f"costs {usd_per_million(mixed['lambda']['x86_64'] - mixed['lambda']['arm64'])} more.")
    out(f"- **X-Ray**: {usd_per_million(xray_traced_share(a['xray_rates'][-1]) * PRICES['xray_trace'])} "
        f"per million at {a['xray_rates'][-1]} requests a second, but up to "
        f"{usd_per_million(PRICES['xray_trace'])} at one a second or less, where the default rule "
        "traces nearly every request (the first 100,000 traces a month are free). A sampling rule "
        "with a smaller reservoir, or `Tracing: PassThrough`, is the lever.")
    out(f"- **API Gateway** dominates: {usd_per_million(rest)} for REST. An HTTP API costs "
        f"{usd_per_million(PRICES['apigw_http_request'])} and has JWT authorizers that accept these "
        "Cognito tokens, but it loses what this stack uses REST for: AWS WAF (the per-caller "
        "limit), API keys and usage plans, and the problem+json gateway responses.")
    out(f"- **The per-caller and per-address limits** (AWS WAF, on in prod: `CallerRateLimit`) add "
        f"{usd_per_million(PRICES['waf_request'])} per million requests and "
        f"${PRICES['waf_monthly']:.2f} a month (the web ACL, its four rules, and the secret that "
        "marks CloudFront's requests), plus "
        f"{usd_per_million(PRICES['cloudfront_function_request'])} per million requests that come "
        "through CloudFront (the function that passes the viewer's address on).")
    out("")
    reminders(bench, out)
    live_updates(bench, out)
    account_deletion(bench, out)
    return "\n".join(lines) + "\n"


def reminder_cost(emails):
    """Per reminder delivered with this many emails, by part: list prices and ASSUMPTIONS
    (task-reminders' duration apart: the bench's, where it has measured it)."""
    a, p = ASSUMPTIONS, REMINDER_PRICES
    writes = a["reminder_claim_writes"] + emails * a["reminder_writes_per_email"]
    return {
        "scheduler": p["scheduler_invocation"],
        "lambda": PRICES["lambda_request"],
        "dynamodb": a["reminder_task_reads"] * PRICES["dynamodb_read_unit"] + writes * PRICES["dynamodb_write_unit"],
        "eventbridge": p["eventbridge_event"],
        "ses": emails * p["ses_email"],
    }


def reminders(bench, out):
    """The section on reminders: what a delivered reminder costs, with and without email."""
    a, p = ASSUMPTIONS, REMINDER_PRICES
    cases = [("events only", 0), ("email to the owner", 1), ("owner and assignee", 2)]
    costs = [reminder_cost(emails) for _, emails in cases]
    writes = [str(a["reminder_claim_writes"] + e * a["reminder_writes_per_email"]) for _, e in cases]
    labels = {
        "scheduler": "EventBridge Scheduler (the schedule fires once)",
        "lambda": "Lambda requests (task-reminders)",
        "dynamodb": f"DynamoDB ({a['reminder_task_reads']} read unit; {', '.join(writes[:-1])} or {writes[-1]} write units)",
        "eventbridge": "EventBridge (`TaskReminderDue`)",
        "ses": "SES (one email per recipient)",
    }
    out("## Reminders, per million delivered")
    out("")
    out(f"Prices as published, checked {REMINDER_PRICES_DATE}: EventBridge Scheduler "
        f"{usd_per_million(p['scheduler_invocation'])} per million invocations after a free tier of "
        f"{p['scheduler_free_invocations_a_month'] / 1e6:.0f} million invocations a month (not "
        f"counted below); EventBridge {usd_per_million(p['eventbridge_event'])} per million events "
        f"put; Amazon SES ${p['ses_email'] * 1000:.2f} per 1,000 emails. A reminder is one "
        "schedule firing once: task-reminders reads the task, claims its delivery, puts "
        "`TaskReminderDue` on the bus and, with `ReminderSenderEmail`, mails the owner and the "
        "assignee, each their own message.")
    out("")
    out("| part | " + " | ".join(name for name, _ in cases) + " |")
    out("|---|" + "---:|" * len(cases))
    for part, label in labels.items():
        out(f"| {label} | " + " | ".join(usd_per_million(c[part]) for c in costs) + " |")
    out("| **total, without Lambda's duration and logs** | "
        + " | ".join(f"**{usd_per_million(sum(c.values()))}**" for c in costs) + " |")
    out("")
    per_ms = per_billed_ms(bench)
    figures = bench["modes"]["lambda"].get("task-reminders")
    if figures and "warm_p50_ms" in figures:
        billed_ms = billed_ms_per_invocation(figures)
        out(f"task-reminders bills {billed_ms:.2f} ms a reminder in `make bench`'s figures "
            "(one email; its services answered at once by a stub): "
            f"{duration_per_million(billed_ms * per_ms)} per million on arm64. In AWS it waits for "
            "DynamoDB, EventBridge, Cognito and SES in turn, a few ms each: every 10 ms more is "
            f"{duration_per_million(10 * per_ms)} per million.")
    else:
        out("task-reminders' duration is not in `make bench`'s figures yet (it waits for "
            "DynamoDB, EventBridge, Cognito and SES in turn): every 10 ms it bills is "
            f"{usd_per_million(10 * per_ms)} per million at {memory_mb(bench)} MB on arm64. Nor "
            "is its log.")
    out("")
    out(f"- **Email is nearly all of it**: {usd_per_million(p['ses_email'])} per million emails, "
        f"against {usd_per_million(sum(costs[0].values()))} for all the rest. Without a sender a "
        "reminder is an event only.")
    out("- **Setting, moving or clearing a `remindAt`** fires nothing: task-events creates, "
        "updates or deletes the schedule `reminder-<taskId>` (Scheduler's price list names "
        "invocations only) in the invocation it makes for the task's change anyway, one "
        "request longer (not measured here). A reminder whose task was completed, deleted or "
        "given another `remindAt` is deleted before it fires and costs nothing more.")
    out("- **The delivery claim** expires by TTL after 7 days (TTL deletes are free), and its "
        "stream records never invoke task-events (the mapping's filter drops them).")
    out("- **A failed delivery** bills again what each retry repeats (Lambda retries twice); "
        "an email the claim records as sent is not sent again.")
    out("")


def live_updates(bench, out):
    """The section on live updates: what hints cost per task write, and what an open
    connection costs per hour; list prices and ASSUMPTIONS, Lambda's duration apart (then
    the bench's, where it has measured it)."""
    a, p = ASSUMPTIONS, LIVE_PRICES
    recipients = a["live_recipients_per_event"]
    messages = recipients * a["live_connections_per_recipient"]
    hints = {
        "Lambda request (live-fanout, one per event)": PRICES["lambda_request"],
        f"DynamoDB ({recipients} consistent reads of a connections item)": recipients * PRICES["dynamodb_read_unit"],
        f"WebSocket messages ({messages:.2f} hints)": messages * p["websocket_message"],
    }
    handshakes = a["live_handshakes_per_hour"]
    pings = a["live_pings_per_hour"]
    hour = {
        "connection-minutes (60)": 60 * p["websocket_connection_minute"],
        f"WebSocket messages ({pings} pings and their pongs)": 2 * pings * p["websocket_message"],
        f"Lambda requests ({pings} pongs, {a['live_lambda_requests_per_handshake'] * handshakes} for the handshake)":
            (pings + a["live_lambda_requests_per_handshake"] * handshakes) * PRICES["lambda_request"],
        f"DynamoDB ({a['live_reads_per_handshake']} read and {a['live_writes_per_handshake']} write units a handshake)":
            handshakes * (a["live_reads_per_handshake"] * PRICES["dynamodb_read_unit"]
                          + a["live_writes_per_handshake"] * PRICES["dynamodb_write_unit"]),
    }
    refused = 2 * PRICES["lambda_request"] + PRICES["dynamodb_read_unit"]
    out("## Live updates")
    out("")
    out(f"Prices as published, checked {LIVE_PRICES_DATE}: API Gateway WebSocket APIs "
        f"{usd_per_million(p['websocket_message'])} per million messages (either way, metered in "
        f"32 KB increments: a hint or a ping is one) and {usd_per_million(p['websocket_connection_minute'])} "
        "per million connection-minutes. The rule that feeds live-fanout costs nothing more: "
        "the task event is task-events' own, and EventBridge bills no delivery to a Lambda target. "
        f"Assumed: a task event names {recipients} users with connections, each with "
        f"{a['live_connections_per_recipient']} open; a connected client pings every "
        f"{60 // pings} minutes and connects again every hour.")
    out("")
    out("| per million task writes (hints) | |")
    out("|---|---:|")
    for label, value in hints.items():
        out(f"| {label} | {usd_per_million(value)} |")
    out(f"| **total, without Lambda's duration and logs** | **{usd_per_million(sum(hints.values()))}** |")
    out("")
    out("| per million connection-hours (one open tab for an hour) | |")
    out("|---|---:|")
    for label, value in hour.items():
        out(f"| {label} | {usd_per_million(value)} |")
    out(f"| **total, without Lambda's duration and logs** | **{usd_per_million(sum(hour.values()))}** |")
    out("")
    figures = bench["modes"]["lambda"]
    if "warm_p50_ms" in figures.get("live-fanout", {}) and "warm_p50_ms" in figures.get("live-socket", {}):
        fanout, connect = (billed_ms_per_invocation(figures[f]) for f in ("live-fanout", "live-socket"))
        out(f"Lambda's duration, in `make bench`'s figures: live-fanout bills {fanout:.2f} ms an event "
            f"(3 hints; the management API answered at once by a stub), "
            f"{duration_per_million(fanout * per_billed_ms(bench))} per million on arm64; live-socket "
            f"{connect:.2f} ms a `$connect`, {duration_per_million(connect * per_billed_ms(bench))} per million. "
            f"Next to the {usd_per_million(PRICES['lambda_request'])} per million Lambda requests and "
            f"{usd_per_million(p['websocket_message'])} per million messages, duration is noise.")
        out("")
    out("- **An open tab costs more than its hints**: "
        f"{usd_per_million(sum(hour.values()))} per million hours, most of it the pings that keep "
        "the connection from the gateway's 10-minute idle timeout and the connection-minutes "
        "themselves. A user with the app open 8 hours a working day, 21 days a month, costs "
        f"${sum(hour.values()) * 8 * 21:.5f} a month.")
    out("- **A handshake the per-user cap refuses** still runs the authorizer and live-socket and "
        f"reads the user's connections item: {usd_per_million(refused)} per million. One user "
        "opening connections in a loop is held to the stage's LiveRateLimit (50 a second by "
        f"default), at most ${refused * 50 * 86400:.2f} a day (docs/capacity.md). A handshake "
        "without a token never reaches a function; one with a bad token runs the authorizer only.")
    out("- **Connections items** are one per user (no index, no stream reader: the filter drops "
        "them), expiring by TTL two hours after the latest connection (TTL deletes are free).")
def account_deletion(bench, out):
    """The section on deleting an account: the purge's measured throughput, and what an
    account of MaxTasksPerOwner tasks costs to delete."""
    a, m, d = ASSUMPTIONS, ACCOUNT_PURGE_MEASURED, ACCOUNT_PURGE
    tasks = 10_000
    rate = m["tasks"] / m["seconds"]
    page_units = math.ceil(d["page_tasks"] * a["task_item_bytes"] / 4096) / 2
    write_units = tasks * (d["delete_writes"] + d["count_writes"])
    read_units = tasks / d["page_tasks"] * page_units
    dynamodb = write_units * PRICES["dynamodb_write_unit"] + read_units * PRICES["dynamodb_read_unit"]
    gb_seconds = m["seconds"] * memory_mb(bench) / 1024
    lambda_cost = gb_seconds * PRICES["lambda_gb_second_arm64"] + 2 * PRICES["lambda_request"]
    events = tasks * d["events_per_task"] * REMINDER_PRICES["eventbridge_event"]
    sqs = d["sqs_requests"] * d["sqs_request"]
    out("## Deleting an account")
    out("")
    out(f"Measured {m['date']}: one `account-purge` pass deleted {m['tasks']:,} tasks of one owner in "
        f"{m['seconds']} s against `make test`'s local DynamoDB (dynalite), **{rate:.0f} tasks a "
        "second**, 16 conditional deletes in flight, on the 2-core bench machine while other "
        f"builds ran (creating them took {m['create_seconds']} s). Reproduce with "
        "`ACCOUNT_PURGE_BENCH_TASKS=10000 cargo test -p tasks --test api high_task_count -- "
        "--include-ignored --nocapture` in `make test`'s environment. An account at the "
        "10,000-task limit is gone within one invocation (the worker's timeout is 300 s, and a "
        "pass out of time continues on the queue). On DynamoDB itself each delete also counts "
        "the owner's task count down, one item, which takes at most 1,000 writes a second: that, "
        "not the worker, bounds one account's purge there, to about 10 s for 10,000 tasks.")
    out("")
    out(f"What deleting an account of {tasks:,} unshared tasks costs, at the prices above:")
    out("")
    out("| part | units | cost |")
    out("|---|---:|---:|")
    out(f"| DynamoDB writes (each task and its two index entries, {d['delete_writes']} units; the "
        f"count down, {d['count_writes']}) | {write_units:,.0f} | ${write_units * PRICES['dynamodb_write_unit']:.4f} |")
    out(f"| DynamoDB reads (pages of {d['page_tasks']} from `byOwner`, {page_units} units each) | "
        f"{read_units:,.0f} | ${read_units * PRICES['dynamodb_read_unit']:.4f} |")
    out(f"| Lambda (`account-purge`, {m['seconds']} s at {memory_mb(bench)} MB, arm64) | "
        f"{gb_seconds:.1f} GB-s | ${lambda_cost:.6f} |")
    out(f"| EventBridge (`TaskDeleted`, one per task) | {tasks:,} | ${events:.4f} |")
    out(f"| SQS (the jobs, the final pass's wait) | {d['sqs_requests']} | ${sqs:.6f} |")
    out(f"| **total** | | **${dynamodb + lambda_cost + events + sqs:.4f}** |")
    out("")
    out(f"- **DynamoDB is most of it**: {d['delete_writes'] + d['count_writes']} write units a task, "
        f"as a `deleteTask` ({usd_per_million(PRICES['dynamodb_write_unit'] * (d['delete_writes'] + d['count_writes']))} "
        "per million tasks). A task shared with the user costs "
        f"{d['unassign_writes']} units to leave (the update rewrites its index entries). "
        "task-events' invocations for the stream's records (100 to a batch) are as for any delete.")
    out("- **An account of a few tasks** costs next to nothing: two Lambda requests, a few "
        "SQS requests, and the writes of its tasks. The user pool's admin calls are not billed "
        "apart (Cognito prices monthly active users).")
    out("")


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("bench_json")
    parser.add_argument("out_md")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    bench = json.loads(Path(args.bench_json).read_text())
    text = document(bench)
    out = Path(args.out_md)
    if args.check:
        if not out.exists() or out.read_text() != text:
            sys.exit(f"{out} is stale: run `make bench` (or tools/cost.py {args.bench_json} {out})")
        print(f"{out} matches {args.bench_json} and the cost model")
        return
    out.write_text(text)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
