"""tools/local_websocket.py: make dev's WebSocket gateway (live-socket's three routes, the
management API) and the local bus's feed of live-fanout, against a fake cargo lambda watch."""

import asyncio
import json
import urllib.error
import urllib.request
import uuid

import pytest
from conftest import aws, free_port, wait_until
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus


@pytest.fixture
def gateway(environment, moto_url, monkeypatch, start_tool):
    port, management = free_port(), free_port()
    bus = f"bus-{uuid.uuid4().hex[:8]}"
    for name, value in {
        "LIVE_PORT": str(port),
        "LIVE_MANAGEMENT_PORT": str(management),
        "AWS_ENDPOINT_URL_EVENTBRIDGE": moto_url,
        "EVENT_BUS_NAME": bus,
        "TASKS_LOCAL_CALLER_ID": "local-caller",
    }.items():
        monkeypatch.setenv(name, value)
    tool = start_tool("local_websocket.py")
    return {"ws": f"ws://127.0.0.1:{port}", "management": f"http://127.0.0.1:{management}", "bus": bus, "tool": tool}


def answer_socket(fake_lambda, connect_status=200):
    fake_lambda.respond = lambda function, payload: (
        200,
        json.dumps({"statusCode": connect_status if payload["requestContext"]["routeKey"] == "$connect" else 200}).encode(),
    )


def socket_calls(fake_lambda):
    return [payload for function, payload, _at in fake_lambda.calls if function == "live-socket"]


def post(url, body=b"", method="POST"):
    request = urllib.request.Request(url, data=body, method=method)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_a_handshake_is_refused_with_connects_status_and_no_token_is_logged(gateway, fake_lambda):
    answer_socket(fake_lambda, connect_status=429)

    async def attempt():
        with pytest.raises(InvalidStatus) as refused:
            async with connect(f"{gateway['ws']}/?caller=alice&token=secret-token-value"):
                pass
        return refused.value.response.status_code

    assert asyncio.run(attempt()) == 429
    [event] = socket_calls(fake_lambda)
    context = event["requestContext"]
    assert context["routeKey"] == "$connect" and context["eventType"] == "CONNECT"
    assert context["authorizer"] == {"sub": "alice", "principalId": "alice"}
    assert context["connectionId"]
    assert "secret-token-value" not in gateway["tool"].output()


def test_frames_are_routed_and_the_management_api_posts_to_the_socket(gateway, fake_lambda):
    answer_socket(fake_lambda)

    async def session():
        async with connect(gateway["ws"]) as socket:  # no caller: TASKS_LOCAL_CALLER_ID
            await socket.send('{"type":"ping"}')
            wait_until(lambda: len(socket_calls(fake_lambda)) == 2, 10, "$default")
            connection = socket_calls(fake_lambda)[0]["requestContext"]["connectionId"]
            status = await asyncio.to_thread(post, f"{gateway['management']}/@connections/{connection}", b'{"type":"pong"}')
            assert status == 200
            assert json.loads(await asyncio.wait_for(socket.recv(), 5)) == {"type": "pong"}
            assert await asyncio.to_thread(post, f"{gateway['management']}/@connections/unknown", b"{}") == 410
        return connection

    connection = asyncio.run(session())
    wait_until(lambda: len(socket_calls(fake_lambda)) == 3, 10, "$disconnect")
    routes = [(e["requestContext"]["routeKey"], e["requestContext"]["connectionId"]) for e in socket_calls(fake_lambda)]
    assert routes == [("$connect", connection), ("$default", connection), ("$disconnect", connection)]
    assert socket_calls(fake_lambda)[1]["body"] == '{"type":"ping"}'
    assert all(e["requestContext"]["authorizer"]["sub"] == "local-caller" for e in socket_calls(fake_lambda))
    # Closed: gone for the management API, as API Gateway's 410.
    assert post(f"{gateway['management']}/@connections/{connection}", b"{}") == 410


def test_task_events_of_the_bus_reach_live_fanout_as_eventbridge_delivers_them(gateway, fake_lambda, moto_url):
    answer_socket(fake_lambda)
    detail = {"taskId": "t-1", "ownerId": "alice", "assignee": None, "version": 2}
    aws("events", moto_url).put_events(
        Entries=[
            {"EventBusName": gateway["bus"], "Source": "task-api", "DetailType": "TaskUpdated", "Detail": json.dumps(detail)},
            {"EventBusName": gateway["bus"], "Source": "task-api", "DetailType": "TaskReminderDue", "Detail": "{}"},
        ]
    )
    calls = wait_until(lambda: [p for f, p, _ in fake_lambda.calls if f == "live-fanout"], 10, "live-fanout invoked")
    [event] = calls
    assert event["source"] == "task-api" and event["detail-type"] == "TaskUpdated" and event["detail"] == detail
    # Handed over and removed from the queue: nothing left for the feed.
    queued = lambda: json.load(urllib.request.urlopen(f"{gateway['management']}/@local/feed", timeout=5))["queued"]  # noqa: E731
    wait_until(lambda: queued() == 0, 10, "the feed drained")
