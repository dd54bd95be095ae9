"""Ours: moto's server keeps every DynamoDB Streams shard iterator it ever gave out (about 2 KB each; make dev's two stream readers poll 8 times a second: RSS grew about 95 MB an hour, measured); this runs it forgetting used ones, as DynamoDB expires them.

    local_moto.py -H 127.0.0.1 -p PORT     (moto_server's arguments)

moto's server, with one change: an iterator that GetRecords was given is forgotten 15 minutes
later (DynamoDB's iterators expire 15 minutes after they are issued), both by the stream
backend and by moto's list of every model instance (which its dashboard reads), swept once a
minute. Readers that follow each answer's NextShardIterator, as tools/local_stream.py and
tools/local_state.py do, never notice; one that is never used is kept, as moto keeps it. It
fails at start if moto changed what it patches.
"""

import threading
import time
from collections import OrderedDict

from moto import server
from moto.dynamodbstreams.models import DynamoDBStreamsBackend, ShardIterator

LIFETIME_SECONDS = 15 * 60
SWEEP_SECONDS = 60


def forget_used_iterators() -> None:
    get_records = getattr(DynamoDBStreamsBackend, "get_records", None)
    backend = DynamoDBStreamsBackend(region_name="us-east-1", account_id="123456789012")
    if get_records is None or "shard_iterators" not in vars(backend) or not hasattr(ShardIterator, "instances_tracked"):
        raise SystemExit("local_moto: this moto keeps shard iterators elsewhere: update forget_used_iterators")
    lock = threading.Lock()
    used: OrderedDict[tuple[int, str], tuple[float, DynamoDBStreamsBackend]] = OrderedDict()
    forgotten: set[int] = set()  # ids of iterators still in moto's instance list
    last_sweep = time.monotonic()

    def get_records_then_forget(self, iterator_arn: str, limit: int):
        nonlocal last_sweep
        answer = get_records(self, iterator_arn, limit)
        now = time.monotonic()
        with lock:
            used[(id(self), iterator_arn)] = (now, self)
            used.move_to_end((id(self), iterator_arn))
            while used:
                (key, (at, backend)) = next(iter(used.items()))
                if now - at < LIFETIME_SECONDS:
                    break
                del used[key]
                iterator = backend.shard_iterators.pop(key[1], None)
                if iterator is not None:
                    forgotten.add(id(iterator))
            if forgotten and now - last_sweep >= SWEEP_SECONDS:
                # Read afresh: moto's reset replaces the list.
                ShardIterator.instances_tracked[:] = [
                    i for i in ShardIterator.instances_tracked if id(i) not in forgotten
                ]
                forgotten.clear()
                last_sweep = now
        return answer

    DynamoDBStreamsBackend.get_records = get_records_then_forget


if __name__ == "__main__":
    forget_used_iterators()
    server.main()
