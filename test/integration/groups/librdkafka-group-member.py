"""Driven by group-failover.test.ts: one confluent-kafka-python (librdkafka) group member that
commits explicitly and synchronously after every message (enable.auto.commit=false), and keeps
running while the test kills the group's coordinator: librdkafka looks the coordinator up again
and the same consumer goes on from the committed offsets.

  librdkafka-group-member.py <brokers> <group> <topic>

One JSON line per event on stdout:
  {"event": "assign"|"revoke", "partitions": [P, ...]}
  {"event": "record", "partition": P, "offset": O}
  {"event": "committed", "partition": P, "offset": O}      the coordinator acknowledged it
  {"event": "commit-failed", "partition": P, "offset": O, "error": NAME}
It stops (closing the consumer: a LeaveGroup) when its stdin closes.
"""
import json
import sys
import threading

from confluent_kafka import Consumer, KafkaException

brokers, group, topic = sys.argv[1], sys.argv[2], sys.argv[3]
stopping = threading.Event()


def watch_stdin():
    sys.stdin.read()
    stopping.set()


def emit(**line):
    print(json.dumps(line), flush=True)


threading.Thread(target=watch_stdin, daemon=True).start()
consumer = Consumer({
    'bootstrap.servers': brokers,
    'group.id': group,
    'enable.auto.commit': False,
    'auto.offset.reset': 'earliest',
    'session.timeout.ms': 10000,
    'heartbeat.interval.ms': 500,
    'topic.metadata.refresh.interval.ms': 2000,
    'reconnect.backoff.max.ms': 1000,
})
consumer.subscribe(
    [topic],
    on_assign=lambda c, ps: emit(event='assign', partitions=sorted(p.partition for p in ps)),
    on_revoke=lambda c, ps: emit(event='revoke', partitions=sorted(p.partition for p in ps)),
)
while not stopping.is_set():
    msg = consumer.poll(0.2)
    if msg is None:
        continue
    if msg.error() is not None:
        emit(event='error', error=msg.error().name())
        continue
    emit(event='record', partition=msg.partition(), offset=msg.offset())
    try:
        for tp in consumer.commit(message=msg, asynchronous=False):
            if tp.error is not None:
                emit(event='commit-failed', partition=tp.partition, offset=tp.offset, error=tp.error.name())
            else:
                emit(event='committed', partition=tp.partition, offset=tp.offset)
    except KafkaException as err:
        emit(event='commit-failed', partition=msg.partition(), offset=msg.offset() + 1, error=err.args[0].name())
consumer.close()
