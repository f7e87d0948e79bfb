"""Driven by python-clients.test.ts: kafka-python 2.0 and confluent-kafka (librdkafka) against Rill.

kafka-python probes the broker with ApiVersions v0 then Metadata v0 and then uses fixed,
non-flexible versions; confluent-kafka runs an idempotent producer and a consumer group.
Prints one line per client: '<client> <records consumed>'.
"""
import sys
import time

from confluent_kafka import Consumer, Producer
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic

brokers = sys.argv[1]

admin = KafkaAdminClient(bootstrap_servers=brokers)
admin.create_topics([NewTopic('py', 2, 1)])
admin.close()

producer = KafkaProducer(bootstrap_servers=brokers, acks='all', compression_type='gzip')
for i in range(10):
    producer.send('py', key=b'k%d' % i, value=b'v%d' % i)
producer.flush()
producer.close()

consumer = KafkaConsumer('py', bootstrap_servers=brokers, group_id='py-group', auto_offset_reset='earliest', consumer_timeout_ms=5000)
values = sorted(m.value for m in consumer)
consumer.commit()
consumer.close()
print('kafka-python', len(values), flush=True)

idempotent = Producer({'bootstrap.servers': brokers, 'enable.idempotence': True, 'compression.type': 'zstd'})
for i in range(10):
    idempotent.produce('py', key=b'ck', value=b'c%d' % i)
idempotent.flush(10)

group = Consumer({'bootstrap.servers': brokers, 'group.id': 'ck-group', 'auto.offset.reset': 'earliest'})
group.subscribe(['py'])
seen = 0
deadline = time.time() + 20
while seen < 20 and time.time() < deadline:
    message = group.poll(1.0)
    if message is not None and message.error() is None:
        seen += 1
group.close()
print('confluent-kafka', seen, flush=True)
