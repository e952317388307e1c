#!/usr/bin/env python3
"""confluent-kafka-python (librdkafka) checks against a Kafka bootstrap address.

Driven by test/compat/librdkafka.compat.ts. Each subcommand creates the topics it is given
(AdminClient), does its work, checks it, and prints one JSON object on stdout:
{"ok": bool, "problems": [...], ...details}. The exit code is 0 when ok. Diagnostics go
to stderr.

  codecs      --bootstrap B --topic-prefix P --count N
              for gzip, snappy, lz4 and zstd: produce N keyed records with that
              compression.type into P-<codec> (3 partitions), consume them back in a fresh
              group; every record must come back once, at the offset its delivery report gave.
  group-commit --bootstrap B --topic T --group G --count N --first K
              one member processes K/2 records of each of 2 partitions, commits exactly
              after them (synchronously) and closes; a restarted member must resume at the
              committed offsets and see the other N-K records once; a third start sees
              nothing new.
  create-topics --bootstrap B --partitions N TOPIC...
              creates the topics (for the kcat tests: kcat cannot) and waits for leaders.
  idempotent  --bootstrap B --topic T --count N
              enable.idempotence=True: librdkafka must obtain a producer id (statistics
              idemp_state "Assigned"), every record is acked, offsets per partition are
              0..n-1 in send order, and consuming back finds no duplicate.
"""

import argparse
import json
import sys
import time

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

CODECS = ["gzip", "snappy", "lz4", "zstd"]


def log(*args):
    print("librdkafka_compat:", *args, file=sys.stderr, flush=True)


def create_topics(bootstrap, names, partitions):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(n, num_partitions=partitions, replication_factor=1) for n in names],
                                  operation_timeout=30)
    for name, f in futures.items():
        f.result(timeout=60)
    # Metadata can lag the creation briefly; wait until every partition has a leader.
    deadline = time.time() + 30
    while time.time() < deadline:
        md = admin.list_topics(timeout=10)
        if all(n in md.topics and len(md.topics[n].partitions) == partitions
               and all(p.leader >= 0 for p in md.topics[n].partitions.values()) for n in names):
            return
        time.sleep(0.2)
    raise RuntimeError(f"topics {names} did not get leaders in time")


def produce(bootstrap, topic, count, extra=None, key_prefix="k"):
    """Produces count records; returns {i: (partition, offset)} from delivery reports and errors."""
    conf = {"bootstrap.servers": bootstrap, "linger.ms": 20}
    conf.update(extra or {})
    producer = Producer(conf)
    delivered, errors = {}, []

    def report(i):
        def cb(err, msg):
            if err is not None:
                errors.append(f"record {i}: {err}")
            else:
                delivered[i] = (msg.partition(), msg.offset())
        return cb

    for i in range(count):
        while True:
            try:
                producer.produce(topic, key=f"{key_prefix}-{i}", value=f"value-{i}-" + "x" * (i % 50), on_delivery=report(i))
                break
            except BufferError:
                producer.poll(0.1)
        producer.poll(0)
    remaining = producer.flush(60)
    if remaining:
        errors.append(f"{remaining} records still unacknowledged after 60s")
    return producer, delivered, errors


def consume(bootstrap, topic, group, count, timeout_s=60, extra=None, done=None):
    """Consumes until count records arrived (or done(records) holds) or timeout; returns
    the consumer and [(partition, offset, key, value)]."""
    conf = {"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest",
            "enable.auto.commit": False}
    conf.update(extra or {})
    consumer = Consumer(conf)
    consumer.subscribe([topic])
    records, errors = [], []
    deadline = time.time() + timeout_s
    while not (done(records) if done else len(records) >= count) and time.time() < deadline:
        for m in consumer.consume(num_messages=500, timeout=0.5):
            if m.error():
                errors.append(str(m.error()))
                continue
            records.append((m.partition(), m.offset(), m.key().decode(), m.value().decode()))
    return consumer, records, errors


def check_round_trip(count, delivered, records, problems, what):
    by_key = {}
    for p, o, k, v in records:
        by_key.setdefault(k, []).append((p, o, v))
    for i in range(count):
        got = by_key.pop(f"k-{i}", [])
        if len(got) != 1:
            problems.append(f"{what}: record {i} consumed {len(got)} times")
            continue
        p, o, v = got[0]
        if (p, o) != delivered.get(i):
            problems.append(f"{what}: record {i} at {p}/{o}, delivery report said {delivered.get(i)}")
        if v != f"value-{i}-" + "x" * (i % 50):
            problems.append(f"{what}: record {i} has value {v!r}")
    if by_key:
        problems.append(f"{what}: unexpected keys {sorted(by_key)[:5]}")


def cmd_codecs(a):
    problems, results = [], {}
    topics = {c: f"{a.topic_prefix}-{c}" for c in CODECS}
    create_topics(a.bootstrap, list(topics.values()), 3)
    for codec, topic in topics.items():
        producer, delivered, errors = produce(a.bootstrap, topic, a.count, {"compression.type": codec})
        problems += [f"{codec}: {e}" for e in errors]
        consumer, records, cerrors = consume(a.bootstrap, topic, f"{topic}-g", a.count)
        consumer.close()
        problems += [f"{codec}: {e}" for e in cerrors]
        check_round_trip(a.count, delivered, records, problems, codec)
        results[codec] = {"delivered": len(delivered), "consumed": len(records),
                          "partitions": sorted({p for p, _ in delivered.values()})}
    return {"ok": not problems, "problems": problems[:50], "codecs": results}


def cmd_group_commit(a):
    problems = []
    create_topics(a.bootstrap, [a.topic], 2)
    _, delivered, errors = produce(a.bootstrap, a.topic, a.count)
    problems += errors

    # First member: process the first `first // 2` records of each partition, commit right
    # after each partition's last processed one. (It may have fetched more; those it did not
    # process must come again to the next member.)
    half = a.first // 2

    def have_half(recs):
        return all(sum(1 for r in recs if r[0] == p) >= half for p in range(2))

    c1, fetched, e1 = consume(a.bootstrap, a.topic, a.group, a.first, done=have_half)
    problems += e1
    first = [r for p in range(2) for r in [r for r in fetched if r[0] == p][:half]]
    last = {}
    for p, o, _, _ in first:
        last[p] = max(last.get(p, -1), o)
    c1.commit(offsets=[TopicPartition(a.topic, p, o + 1) for p, o in last.items()], asynchronous=False)
    committed = {tp.partition: tp.offset for tp in
                 c1.committed([TopicPartition(a.topic, p) for p in range(2)], timeout=10)}
    c1.close()
    for p in range(2):
        want = last.get(p, -1) + 1 if p in last else None
        got = committed.get(p)
        if want is not None and got != want:
            problems.append(f"partition {p}: committed {got}, expected {want}")

    # Restarted member: must start at the committed offsets and get the rest, each once.
    c2, rest, e2 = consume(a.bootstrap, a.topic, a.group, a.count - a.first)
    problems += e2
    firsts = {}
    for p, o, _, _ in rest:
        firsts[p] = min(firsts.get(p, o), o)
    for p, o in firsts.items():
        want = committed.get(p) if committed.get(p, -1001) >= 0 else 0
        if o != want:
            problems.append(f"partition {p}: restarted member began at offset {o}, committed was {want}")
    check_round_trip(a.count, delivered, first + rest, problems, "group-commit")
    last2 = {}
    for p, o, _, _ in rest:
        last2[p] = max(last2.get(p, -1), o)
    if last2:
        c2.commit(offsets=[TopicPartition(a.topic, p, o + 1) for p, o in last2.items()], asynchronous=False)
    c2.close()

    # Third start: everything is committed, so nothing comes.
    c3, extra, e3 = consume(a.bootstrap, a.topic, a.group, 1, timeout_s=4)
    c3.close()
    problems += e3
    if extra:
        problems.append(f"third member re-consumed {len(extra)} records, e.g. {extra[0][:3]}")
    return {"ok": not problems, "problems": problems[:50], "first": len(first), "rest": len(rest),
            "committed": {str(p): o for p, o in committed.items()}, "resumedAt": {str(p): o for p, o in firsts.items()}}


def cmd_idempotent(a):
    problems = []
    create_topics(a.bootstrap, [a.topic], 3)
    stats = {}

    def on_stats(s):
        stats.update(json.loads(s))

    producer, delivered, errors = produce(a.bootstrap, a.topic, a.count,
                                          {"enable.idempotence": True, "statistics.interval.ms": 100,
                                           "stats_cb": on_stats})
    problems += errors
    # One more statistics round so the final state is in.
    deadline = time.time() + 5
    while "eos" not in stats and time.time() < deadline:
        producer.poll(0.1)
    producer.poll(0.3)
    eos = stats.get("eos", {})
    if eos.get("idemp_state") != "Assigned":
        problems.append(f"idempotent producer state {eos.get('idemp_state')!r}, expected 'Assigned'")
    if not isinstance(eos.get("producer_id"), int) or eos.get("producer_id", -1) < 0:
        problems.append(f"no producer id: {eos}")

    # Offsets per partition: 0..n-1 in send order (one in-order producer, a fresh topic).
    per_partition = {}
    for i in range(a.count):
        if i in delivered:
            p, o = delivered[i]
            per_partition.setdefault(p, []).append(o)
    for p, offsets in per_partition.items():
        if offsets != list(range(len(offsets))):
            problems.append(f"partition {p}: offsets in send order are not 0..{len(offsets) - 1}")

    consumer, records, cerrors = consume(a.bootstrap, a.topic, f"{a.topic}-g", a.count)
    consumer.close()
    problems += cerrors
    check_round_trip(a.count, delivered, records, problems, "idempotent")
    return {"ok": not problems, "problems": problems[:50], "delivered": len(delivered), "consumed": len(records),
            "producerId": eos.get("producer_id"), "producerEpoch": eos.get("producer_epoch"),
            "idempState": eos.get("idemp_state")}


def cmd_create_topics(a):
    create_topics(a.bootstrap, a.topics, a.partitions)
    return {"ok": True, "problems": [], "created": a.topics}


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("create-topics")
    s.add_argument("--bootstrap", required=True)
    s.add_argument("--partitions", type=int, default=1)
    s.add_argument("topics", nargs="+")
    for name in ("codecs", "group-commit", "idempotent"):
        s = sub.add_parser(name)
        s.add_argument("--bootstrap", required=True)
        s.add_argument("--count", type=int, default=200)
        if name == "codecs":
            s.add_argument("--topic-prefix", required=True)
        else:
            s.add_argument("--topic", required=True)
        if name == "group-commit":
            s.add_argument("--group", required=True)
            s.add_argument("--first", type=int, default=40)
    a = parser.parse_args()
    result = {"codecs": cmd_codecs, "group-commit": cmd_group_commit, "idempotent": cmd_idempotent,
              "create-topics": cmd_create_topics}[a.cmd](a)
    print(json.dumps(result), flush=True)
    sys.exit(0 if result["ok"] else 1)


if __name__ == "__main__":
    main()
