"""Ours: make dev's WebSocket gateway for live updates (sam local and cargo lambda serve no WebSocket APIs).

    local_websocket.py [--ready FILE]

A stand-in for the deployed stack's LiveApi and LiveFanoutRule (docs/live-updates.md,
"For a local gateway"), on loopback only:

- the WebSocket endpoint on 127.0.0.1:LIVE_PORT (default 9001). A handshake's user is the
  `caller` query parameter, else TASKS_LOCAL_CALLER_ID: no token locally. The gateway
  invokes `live-socket` at AWS_ENDPOINT_URL_LAMBDA (cargo lambda watch) with API Gateway's
  `$connect` event, `requestContext.authorizer` = {"sub": user, "principalId": user} and a
  fresh connection id, and refuses the handshake with that status unless it is 200 (429 at
  the per-user cap); each text frame is a `$default` event, a close `$disconnect`;
- the management API on 127.0.0.1:LIVE_MANAGEMENT_PORT (default LIVE_PORT + 1), which the
  functions are given as AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI: `POST /@connections/{id}`
  sends the body to that socket (410 for one unknown or closed), `DELETE /@connections/{id}`
  closes it; and, local only, `GET /@local/connections` lists the open ids (the browser
  tests drop connections with it) and `GET /@local/feed` counts the events not yet handed to
  live-fanout (the browser tests wait for none before timing a hint);
- the fan-out feed: a rule on the local bus EVENT_BUS_NAME (moto, AWS_ENDPOINT_URL_EVENTBRIDGE)
  with LiveFanoutRule's pattern (read from template.yaml) sends task events to the SQS queue
  `live-fanout-local`, polled about every 200 ms; each event is handed to `live-fanout`
  through cargo lambda watch as EventBridge delivers it.

It never logs a token or a query string (the user it resolved, yes). Dummy credentials only.
"""

import argparse
import asyncio
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from sam_offline import DUMMY_CREDENTIALS, is_loopback_url, offline_environment

offline_environment()
os.environ.update(DUMMY_CREDENTIALS)

import boto3  # noqa: E402
from websockets.asyncio.server import ServerConnection, serve  # noqa: E402
from websockets.exceptions import ConnectionClosed  # noqa: E402
from websockets.http11 import Request, Response  # noqa: E402

from create_table import template_properties  # noqa: E402

FANOUT_QUEUE = "live-fanout-local"
FANOUT_RULE = "live-fanout-local"
POLL_SECONDS = 0.2
STAGE = "local"


def log(message: str) -> None:
    print(f"local_websocket: {message}", file=sys.stderr, flush=True)


def loopback(url: str, what: str) -> str:
    if not is_loopback_url(url):
        sys.exit(f"{what} {url!r} is not on loopback")
    return url.rstrip("/")


def invoke(lambda_url: str, function: str, event: dict, timeout: float = 30) -> dict:
    """Invokes FUNCTION at cargo lambda watch; its answer (a function error raises)."""
    request = urllib.request.Request(
        f"{lambda_url}/2015-03-31/functions/{function}/invocations",
        data=json.dumps(event).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        body = response.read()
    return json.loads(body) if body.strip() else {}


def socket_event(route: str, connection_id: str, user: str, body: str | None = None) -> dict:
    """API Gateway's WebSocket proxy event (events/live-connect.json and its siblings)."""
    now = datetime.now(timezone.utc)
    millis = int(now.timestamp() * 1000)
    event_type = {"$connect": "CONNECT", "$disconnect": "DISCONNECT"}.get(route, "MESSAGE")
    request_id = uuid.uuid4().hex[:16]
    event = {
        "requestContext": {
            "routeKey": route,
            "eventType": event_type,
            "extendedRequestId": request_id,
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "messageDirection": "IN",
            "stage": STAGE,
            "connectedAt": millis,
            "requestTimeEpoch": millis,
            "identity": {"sourceIp": "127.0.0.1"},
            "requestId": request_id,
            "domainName": "127.0.0.1",
            "connectionId": connection_id,
            "apiId": "local",
            "authorizer": {"sub": user, "principalId": user},
        },
        "isBase64Encoded": False,
    }
    if body is not None:
        event["body"] = body
    return event


class Gateway:
    def __init__(self, lambda_url: str, default_caller: str):
        self.lambda_url = lambda_url
        self.default_caller = default_caller
        self.sockets: dict[str, ServerConnection] = {}
        self.loop: asyncio.AbstractEventLoop | None = None
        self.queued = lambda: 0  # task events not yet handed to live-fanout (the feed sets it)

    async def call(self, route: str, connection_id: str, user: str, body: str | None = None) -> int:
        event = socket_event(route, connection_id, user, body)
        try:
            answer = await asyncio.to_thread(invoke, self.lambda_url, "live-socket", event)
        except (urllib.error.URLError, OSError, ValueError) as error:
            log(f"{route}: live-socket did not answer ({error})")
            return 502
        return int(answer.get("statusCode", 502)) if isinstance(answer, dict) else 502

    async def process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(request.path).query)
        user = (query.get("caller") or [""])[0] or self.default_caller
        connection_id = uuid.uuid4().hex[:16] + "="
        status = await self.call("$connect", connection_id, user)
        if status != 200:
            log(f"handshake of {user} refused: $connect answered {status}")
            return connection.respond(status, f"refused ({status})\n")
        connection.live_user = user  # type: ignore[attr-defined]
        connection.live_id = connection_id  # type: ignore[attr-defined]
        return None

    async def handler(self, connection: ServerConnection) -> None:
        user, connection_id = connection.live_user, connection.live_id  # type: ignore[attr-defined]
        self.sockets[connection_id] = connection
        log(f"{connection_id} open for {user} ({len(self.sockets)} open)")
        try:
            async for frame in connection:
                if isinstance(frame, str):
                    await self.call("$default", connection_id, user, frame)
        except ConnectionClosed:
            pass
        finally:
            self.sockets.pop(connection_id, None)
            await self.call("$disconnect", connection_id, user)
            log(f"{connection_id} closed ({len(self.sockets)} open)")

    # The management API, called from its HTTP server's threads.
    def post(self, connection_id: str, frame: str) -> bool:
        socket = self.sockets.get(connection_id)
        if socket is None or self.loop is None:
            return False
        try:
            asyncio.run_coroutine_threadsafe(socket.send(frame), self.loop).result(timeout=2)
            return True
        except Exception:  # closed meanwhile, or too slow: gone for the caller
            return False

    def close(self, connection_id: str) -> bool:
        socket = self.sockets.get(connection_id)
        if socket is None or self.loop is None:
            return False
        asyncio.run_coroutine_threadsafe(socket.close(), self.loop)
        return True


def management_server(gateway: Gateway, port: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def connection_id(self) -> str | None:
            path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
            parts = [part for part in path.split("/") if part]
            if len(parts) >= 2 and parts[-2] == "@connections":
                return parts[-1]
            return None

        def answer(self, status: int, body: dict | None = None) -> None:
            data = json.dumps(body).encode() if body is not None else b""
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            frame = self.rfile.read(length).decode()
            connection_id = self.connection_id()
            if connection_id and gateway.post(connection_id, frame):
                self.answer(200)
            else:
                self.answer(410, {"message": "GoneException"})

        def do_DELETE(self) -> None:  # noqa: N802
            connection_id = self.connection_id()
            if connection_id and gateway.close(connection_id):
                self.answer(204)
            else:
                self.answer(410, {"message": "GoneException"})

        def do_GET(self) -> None:  # noqa: N802
            path = urllib.parse.urlsplit(self.path).path
            if path == "/@local/connections":
                self.answer(200, {"connections": sorted(gateway.sockets)})
            elif path == "/@local/feed":
                self.answer(200, {"queued": gateway.queued()})
            else:
                self.answer(404, {"message": "Not Found"})

        def log_message(self, *args) -> None:  # quiet: the path names a connection, no more
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def fanout_setup(events_url: str, bus: str):
    """The local LiveFanoutRule: the template's pattern, its target a queue; the queue's URL."""
    events = boto3.client("events", endpoint_url=events_url, region_name="us-east-1")
    sqs = boto3.client("sqs", endpoint_url=events_url, region_name="us-east-1")
    deadline = time.monotonic() + 30
    while True:
        try:
            buses = {b["Name"] for b in events.list_event_buses()["EventBuses"]}
            break
        except Exception as error:
            if time.monotonic() > deadline:
                sys.exit(f"no EventBridge answers at {events_url}: {error}")
            time.sleep(0.1)
    if bus not in buses:
        events.create_event_bus(Name=bus)
    url = sqs.create_queue(QueueName=FANOUT_QUEUE)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = template_properties("LiveFanoutRule")["EventPattern"]
    events.put_rule(Name=FANOUT_RULE, EventBusName=bus, EventPattern=json.dumps(pattern))
    events.put_targets(Rule=FANOUT_RULE, EventBusName=bus, Targets=[{"Id": "live-fanout", "Arn": arn}])
    return sqs, url


class Feed:
    """Hands each event of the queue to live-fanout, about every POLL_SECONDS, one at a time."""

    def __init__(self, sqs, queue_url: str, lambda_url: str):
        self.sqs, self.queue_url, self.lambda_url = sqs, queue_url, lambda_url
        self.in_hand = 0

    def queued(self) -> int:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        )["Attributes"]
        return self.in_hand + sum(int(value) for value in attributes.values())

    def run(self) -> None:
        fanout_feed(self)


def fanout_feed(feed: "Feed") -> None:
    sqs, queue_url, lambda_url = feed.sqs, feed.queue_url, feed.lambda_url
    while True:
        try:
            messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
            feed.in_hand = len(messages)
        except Exception as error:
            log(f"the fan-out queue cannot be read: {error}")
            time.sleep(1)
            continue
        for message in messages:
            try:
                invoke(lambda_url, "live-fanout", json.loads(message["Body"]))
            except Exception as error:  # a hint is stale within seconds: dropped, as deployed after a minute
                log(f"live-fanout failed on an event: {error}")
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            feed.in_hand -= 1
        if not messages:
            time.sleep(POLL_SECONDS)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ready", help="create this file once listening")
    parser.add_argument("--no-fanout", action="store_true", help="no bus rule and no feed (tests of the gateway)")
    args = parser.parse_args()
    port = int(os.environ.get("LIVE_PORT") or 9001)
    management_port = int(os.environ.get("LIVE_MANAGEMENT_PORT") or port + 1)
    lambda_url = loopback(os.environ.get("AWS_ENDPOINT_URL_LAMBDA") or "http://127.0.0.1:9000", "AWS_ENDPOINT_URL_LAMBDA")
    gateway = Gateway(lambda_url, os.environ.get("TASKS_LOCAL_CALLER_ID") or "local-developer")
    gateway.loop = asyncio.get_running_loop()
    management_server(gateway, management_port)
    if not args.no_fanout:
        events_url = loopback(os.environ.get("AWS_ENDPOINT_URL_EVENTBRIDGE") or "http://127.0.0.1:8001", "AWS_ENDPOINT_URL_EVENTBRIDGE")
        sqs, queue_url = fanout_setup(events_url, os.environ.get("EVENT_BUS_NAME") or "tasks-local")
        feed = Feed(sqs, queue_url, lambda_url)
        gateway.queued = feed.queued
        threading.Thread(target=feed.run, daemon=True).start()
    # The library's access log (INFO, never shown: logging is not configured) would name the path.
    async with serve(gateway.handler, "127.0.0.1", port, process_request=gateway.process_request):
        if args.ready:
            Path(args.ready).touch()
        await asyncio.Future()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
