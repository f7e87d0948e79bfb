"""Driven by sasl.test.ts: confluent-kafka (librdkafka) with SASL_SSL and each mechanism, and
kafka-python 2.0 with SASL_PLAINTEXT (PLAIN and SCRAM-SHA-256, raw tokens after a v0 handshake).

argv: sasl_ssl_address sasl_plaintext_address ca_file user password
Prints one line per client run: '<client> <mechanism> <records consumed>'.
"""
import sys
import time

from confluent_kafka import Consumer, Producer
from kafka import KafkaConsumer, KafkaProducer

ssl_address, plain_address, ca, user, password = sys.argv[1:6]

for mechanism in ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']:
    common = {
        'bootstrap.servers': ssl_address,
        'security.protocol': 'SASL_SSL',
        'ssl.ca.location': ca,
        'sasl.mechanisms': mechanism,
        'sasl.username': user,
        'sasl.password': password,
    }
    topic = 'ck-' + mechanism.lower()
    producer = Producer(dict(common, **{'enable.idempotence': True}))
    for i in range(5):
        producer.produce(topic, value=b'v%d' % i)
    if producer.flush(20) != 0:
        raise SystemExit('confluent-kafka %s: records not delivered' % mechanism)
    consumer = Consumer(dict(common, **{'group.id': 'ck-' + mechanism, 'auto.offset.reset': 'earliest'}))
    consumer.subscribe([topic])
    seen = 0
    deadline = time.time() + 20
    while seen < 5 and time.time() < deadline:
        message = consumer.poll(1.0)
        if message is not None and message.error() is None:
            seen += 1
    consumer.close()
    print('confluent-kafka', mechanism, seen, flush=True)

for mechanism in ['PLAIN', 'SCRAM-SHA-256']:
    common = dict(bootstrap_servers=plain_address, security_protocol='SASL_PLAINTEXT', sasl_mechanism=mechanism, sasl_plain_username=user, sasl_plain_password=password)
    topic = 'kp-' + mechanism.lower()
    producer = KafkaProducer(acks='all', **common)
    for i in range(5):
        producer.send(topic, value=b'v%d' % i)
    producer.flush()
    producer.close()
    consumer = KafkaConsumer(topic, group_id='kp-' + mechanism, auto_offset_reset='earliest', consumer_timeout_ms=5000, **common)
    values = [m.value for m in consumer]
    consumer.close()
    print('kafka-python', mechanism, len(values), flush=True)
