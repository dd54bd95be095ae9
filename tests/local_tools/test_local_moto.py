"""tools/local_moto.py: moto's server, forgetting the stream iterators it was given back."""

import json
import subprocess
import sys
import urllib.request

import pytest
from conftest import TOOLS, aws, free_port, listening, wait_until
from create_table import create_table


@pytest.fixture
def short_lived_moto():
    """local_moto.py's server with a lifetime of 0 s: a used iterator is forgotten at once."""
    port = free_port()
    code = f"import local_moto; local_moto.LIFETIME_SECONDS = local_moto.SWEEP_SECONDS = 0; local_moto.forget_used_iterators(); " \
           f"local_moto.server.main(['-H', '127.0.0.1', '-p', '{port}'])"
    process = subprocess.Popen([sys.executable, "-c", code], cwd=TOOLS, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    wait_until(lambda: listening(port), 30, "local_moto")
    yield url
    process.terminate()
    process.wait()


def test_a_used_iterator_is_forgotten_and_the_next_one_reads_on(short_lived_moto, environment):
    create_table(short_lived_moto, "tasks", stream=True)
    db, streams = aws("dynamodb", short_lived_moto), aws("dynamodbstreams", short_lived_moto)
    arn = db.describe_table(TableName="tasks")["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    unused = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    first = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="LATEST")["ShardIterator"]
    db.put_item(TableName="tasks", Item={"taskId": {"S": "t1"}})
    answer = streams.get_records(ShardIterator=first)
    assert [r["dynamodb"]["Keys"]["taskId"]["S"] for r in answer["Records"]] == ["t1"]
    db.put_item(TableName="tasks", Item={"taskId": {"S": "t2"}})
    assert [r["dynamodb"]["Keys"]["taskId"]["S"] for r in streams.get_records(ShardIterator=answer["NextShardIterator"])["Records"]] == ["t2"]
    with pytest.raises(Exception):  # forgotten once used (moto answers an unknown iterator with an error)
        streams.get_records(ShardIterator=first)
    assert len(streams.get_records(ShardIterator=unused)["Records"]) == 2  # never used: kept
    # Nor does moto's list of every model instance (its dashboard's) keep the forgotten ones.
    with urllib.request.urlopen(f"{short_lived_moto}/moto-api/data.json", timeout=10) as answer:
        iterators = json.load(answer)["dynamodbstreams"]["ShardIterator"]
    assert len(iterators) <= 3, len(iterators)
