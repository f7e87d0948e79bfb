"""Driven by librdkafka-groups.test.ts: confluent-kafka-python (librdkafka) consumers against
Rill's group coordinator.

  static <brokers>  KIP-345: two static members (group.instance.id); one closes (static members
                    send no LeaveGroup) and a new process with the same instance id takes its
                    place. Prints a JSON line with the callbacks the other member saw.
  slow <brokers>    A slow rebalance: member A stops polling for 15 s (longer than B's 6 s
                    session timeout, shorter than A's max.poll.interval.ms) while B joins.
                    Prints 'paused' when A stops polling and a JSON line at the end.

Waiting for assignments polls the consumers until a deadline; the one pause is the workload
(a consumer busy between polls), not a synchronisation.
"""
import json
import sys
import threading
import time

from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

mode, brokers = sys.argv[1], sys.argv[2]


def create(topic, partitions):
    admin = AdminClient({'bootstrap.servers': brokers})
    for future in admin.create_topics([NewTopic(topic, partitions, 1)]).values():
        future.result(10)


class Member:
    def __init__(self, group, topic, **extra):
        self.assigned = []
        self.events = []
        config = {'bootstrap.servers': brokers, 'group.id': group, 'auto.offset.reset': 'earliest', 'enable.auto.commit': False}
        config.update(extra)
        self.consumer = Consumer(config)
        self.consumer.subscribe([topic], on_assign=self.on_assign, on_revoke=self.on_revoke)

    def on_assign(self, consumer, partitions):
        self.assigned = sorted(p.partition for p in partitions)
        self.events.append(['assign', self.assigned])

    def on_revoke(self, consumer, partitions):
        self.events.append(['revoke', sorted(p.partition for p in partitions)])
        self.assigned = []


def poll_until(members, check, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        for m in members:
            m.consumer.poll(0.1)
        if check():
            return True
    raise SystemExit('timed out: ' + json.dumps([m.events for m in members]))


if mode == 'static':
    create('py-static', 2)
    settings = {'session.timeout.ms': 10000, 'heartbeat.interval.ms': 1000}
    a = Member('static-group', 'py-static', **{'group.instance.id': 'pod-1'}, **settings)
    b = Member('static-group', 'py-static', **{'group.instance.id': 'pod-2'}, **settings)
    poll_until([a, b], lambda: len(a.assigned) == 1 and len(b.assigned) == 1)
    first = a.assigned
    b_events = len(b.events)
    a.consumer.close()
    again = Member('static-group', 'py-static', **{'group.instance.id': 'pod-1'}, **settings)
    poll_until([again, b], lambda: len(again.assigned) == 1)
    # Give B a few heartbeats' worth of polls to see a rebalance, if one happened.
    deadline = time.time() + 4
    while time.time() < deadline:
        b.consumer.poll(0.2)
        again.consumer.poll(0.0)
    print(json.dumps({'first': first, 'again': again.assigned, 'b_after_restart': b.events[b_events:], 'b': b.assigned}), flush=True)
    again.consumer.close()
    b.consumer.close()

elif mode == 'slow':
    create('py-slow', 2)
    a = Member('slow-group', 'py-slow', **{'session.timeout.ms': 6000, 'heartbeat.interval.ms': 1000, 'max.poll.interval.ms': 30000})
    poll_until([a], lambda: len(a.assigned) == 2)
    b = Member('slow-group', 'py-slow', **{'session.timeout.ms': 6000, 'heartbeat.interval.ms': 1000, 'max.poll.interval.ms': 30000})
    stop = threading.Event()

    def run_b():
        while not stop.is_set():
            b.consumer.poll(0.1)

    thread = threading.Thread(target=run_b)
    thread.start()
    print('paused', flush=True)
    time.sleep(15)
    poll_until([a], lambda: len(a.assigned) == 1 and len(b.assigned) == 1, 30)
    stop.set()
    thread.join()
    print(json.dumps({'a': a.events, 'b': b.events}), flush=True)
    a.consumer.close()
    b.consumer.close()
