"""Schemathesis hooks for make test's fuzzing: the one rule of the contract that
docs/openapi.yaml cannot state (JSON Schema has no "later than now"): a generated `remindAt`
in the past is moved a year ahead, so that a schema-valid body is a valid request.
Schemathesis loads this module from SCHEMATHESIS_HOOKS (tools/test.sh sets it)."""

import datetime
import re

import schemathesis

# RFC 3339's date-time, which the API takes: anything else is left for the API to refuse.
RFC3339 = re.compile(r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)")


@schemathesis.hook
def map_body(context, body):
    if not isinstance(body, dict) or not isinstance(body.get("remindAt"), str):
        return body
    if not RFC3339.fullmatch(body["remindAt"]):
        return body
    try:
        at = datetime.datetime.fromisoformat(body["remindAt"].upper().replace("Z", "+00:00"))
    except ValueError:  # a day or an hour out of range: the API refuses it too
        return body
    now = datetime.datetime.now(datetime.timezone.utc)
    if at <= now + datetime.timedelta(minutes=1):
        later = now + datetime.timedelta(days=365)
        body = {**body, "remindAt": later.isoformat(timespec="milliseconds")}
    return body
