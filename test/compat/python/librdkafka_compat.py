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

Admin calls that list metadata. Each creates T (--partitions, default 3) first unless
said otherwise, makes its calls and reports what they returned; the caller checks the
values. A call that raises is a problem named after it, with librdkafka's error. A call
this confluent-kafka version does not have (1.7.0 has no describe_cluster, describe_topics,
list_consumer_groups, ...) reports "supported": false.

  list-topics      --topic T: list_topics() (every topic) and list_topics(topic=T).
  describe-cluster list_topics() and describe_cluster(), to compare (no topic created).
  describe-topics  --topic T: describe_topics() of T and of a topic that does not exist.
  create-delete-topics --topic T: create_topics() of T (retention.ms set; not created
              first), of T again, and validate_only of another; delete_topics() of T and
              of a topic that does not exist; list_topics() after each.
  describe-configs --topic T: creates T with retention.ms=3600000, then describe_configs()
              of T and of the broker list_topics() names first.
  groups      --topic T --group G: a member consumes and commits; list_groups(),
              list_consumer_groups(), describe_consumer_groups() and
              list_consumer_group_offsets() while it is in the group, and
              list_consumer_groups() again after it left.
"""

import argparse
import json
import sys
import time

import confluent_kafka
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, ConfigSource, NewTopic

CODECS = ["gzip", "snappy", "lz4", "zstd"]


def log(*args):
    print("librdkafka_compat:", *args, file=sys.stderr, flush=True)


def create_topics(bootstrap, names, partitions, config=None):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(n, num_partitions=partitions, replication_factor=1, config=config or {})
                                   for n in names],
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


# --- admin calls that list metadata ---------------------------------------------------------

def client_version():
    v = confluent_kafka.version()  # a (str, int) tuple in 1.7.0, the string alone in 2.x
    return {"confluentKafka": v if isinstance(v, str) else v[0], "librdkafka": confluent_kafka.libversion()[0]}


def error_name(e):
    """The Kafka error code name an admin call or future raised with, e.g. TOPIC_ALREADY_EXISTS."""
    if isinstance(e, KafkaException) and e.args and isinstance(e.args[0], KafkaError):
        return e.args[0].name()
    return f"{type(e).__name__}: {e}"


def attempt(problems, call, fn):
    """fn(), or None with a problem naming the call and librdkafka's error."""
    try:
        return fn()
    except Exception as e:  # noqa: BLE001 - every failure is reported, with its call
        problems.append(f"{call}: {e!r}")
        log(f"{call} failed: {e!r}")
        return None


def expect_error(problems, call, fn):
    """The error name fn() raised with; a problem if it succeeded."""
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        return error_name(e)
    problems.append(f"{call}: succeeded, expected an error")
    return None


def admin_client(bootstrap):
    return AdminClient({"bootstrap.servers": bootstrap})


def node_json(n):
    return None if n is None else {"id": n.id, "host": n.host, "port": n.port}


def cluster_json(md):
    """ClusterMetadata (list_topics) as JSON: the cluster and the topic names, without their partitions."""
    if md is None:
        return None
    return {"clusterId": md.cluster_id, "controllerId": md.controller_id, "origBrokerId": md.orig_broker_id,
            "brokers": sorted(({"id": b.id, "host": b.host, "port": b.port} for b in md.brokers.values()),
                              key=lambda b: b["id"]),
            "topicNames": sorted(md.topics)}


def topic_json(md, name):
    """One topic of a ClusterMetadata as JSON: its error and partitions; None when absent."""
    t = None if md is None else md.topics.get(name)
    if t is None:
        return None
    return {"error": t.error.name() if t.error else None,
            "partitions": [{"id": p.id, "leader": p.leader, "replicas": list(p.replicas), "isrs": list(p.isrs),
                            "error": p.error.name() if p.error else None}
                           for p in sorted(t.partitions.values(), key=lambda p: p.id)]}


def unsupported(call):
    return {"ok": True, "problems": [], "supported": False, "client": client_version(),
            "note": f"confluent-kafka {client_version()['confluentKafka']} has no AdminClient.{call}()"}


def wait_listed(admin, name, present, timeout_s=30):
    """Polls list_topics() until the topic is (or is no longer) listed; the seconds it took, or None."""
    started = time.time()
    while time.time() < started + timeout_s:
        if (name in admin.list_topics(timeout=10).topics) == present:
            return round(time.time() - started, 3)
        time.sleep(0.2)
    return None


def cmd_list_topics(a):
    problems = []
    create_topics(a.bootstrap, [a.topic], a.partitions)
    admin = admin_client(a.bootstrap)
    every = attempt(problems, "list_topics()", lambda: admin.list_topics(timeout=10))
    one = attempt(problems, f"list_topics(topic={a.topic!r})", lambda: admin.list_topics(topic=a.topic, timeout=10))
    return {"ok": not problems, "problems": problems, "client": client_version(),
            "all": cluster_json(every), "allTopic": topic_json(every, a.topic),
            "one": cluster_json(one), "oneTopic": topic_json(one, a.topic)}


def cmd_describe_cluster(a):
    admin = admin_client(a.bootstrap)
    if not hasattr(admin, "describe_cluster"):
        return unsupported("describe_cluster")
    problems = []
    md = attempt(problems, "list_topics()", lambda: admin.list_topics(timeout=10))
    dc = attempt(problems, "describe_cluster()", lambda: admin.describe_cluster(request_timeout=10).result(timeout=30))
    cluster = None if dc is None else {
        "clusterId": dc.cluster_id, "controller": node_json(dc.controller),
        "nodes": sorted((node_json(n) for n in dc.nodes), key=lambda n: n["id"])}
    return {"ok": not problems, "problems": problems, "supported": True, "client": client_version(),
            "listTopics": cluster_json(md), "describeCluster": cluster}


def cmd_describe_topics(a):
    admin = admin_client(a.bootstrap)
    if not hasattr(admin, "describe_topics"):
        return unsupported("describe_topics")
    from confluent_kafka import TopicCollection
    problems = []
    create_topics(a.bootstrap, [a.topic], a.partitions)
    missing = f"{a.topic}-missing"
    futures = attempt(problems, "describe_topics()",
                      lambda: admin.describe_topics(TopicCollection([a.topic]), request_timeout=10)) or {}
    d = attempt(problems, f"describe_topics([{a.topic!r}])", lambda: futures[a.topic].result(timeout=30))
    described = None if d is None else {
        "name": d.name, "topicId": str(d.topic_id), "isInternal": d.is_internal,
        "partitions": [{"id": p.id, "leader": node_json(p.leader), "replicas": [r.id for r in p.replicas],
                        "isr": [r.id for r in p.isr]} for p in sorted(d.partitions, key=lambda p: p.id)]}
    missing_error = expect_error(
        problems, f"describe_topics([{missing!r}])",
        lambda: admin.describe_topics(TopicCollection([missing]), request_timeout=10)[missing].result(timeout=30))
    md = attempt(problems, "list_topics()", lambda: admin.list_topics(timeout=10))
    return {"ok": not problems, "problems": problems, "supported": True, "client": client_version(),
            "topic": described, "missingError": missing_error, "listTopics": cluster_json(md),
            "listTopicsTopic": topic_json(md, a.topic)}


def cmd_create_delete_topics(a):
    problems = []
    admin = admin_client(a.bootstrap)
    validated, missing = f"{a.topic}-validate-only", f"{a.topic}-missing"

    def create(name, partitions, **kw):
        futures = admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1,
                                                config={"retention.ms": "3600000"})], operation_timeout=30, **kw)
        return futures[name].result(timeout=60)

    attempt(problems, f"create_topics([{a.topic!r}])", lambda: create(a.topic, a.partitions))
    listed_after_s = attempt(problems, "list_topics() after create_topics()", lambda: wait_listed(admin, a.topic, True))
    md = attempt(problems, f"list_topics(topic={a.topic!r})", lambda: admin.list_topics(topic=a.topic, timeout=10))
    duplicate = expect_error(problems, f"create_topics([{a.topic!r}]) again", lambda: create(a.topic, a.partitions))
    attempt(problems, f"create_topics([{validated!r}], validate_only=True)",
            lambda: create(validated, 4, validate_only=True))
    after_validate = attempt(problems, "list_topics() after validate_only", lambda: admin.list_topics(timeout=10))
    attempt(problems, f"delete_topics([{a.topic!r}])",
            lambda: admin.delete_topics([a.topic], operation_timeout=30)[a.topic].result(timeout=60))
    gone_after_s = attempt(problems, "list_topics() after delete_topics()", lambda: wait_listed(admin, a.topic, False))
    delete_missing = expect_error(problems, f"delete_topics([{missing!r}])",
                                  lambda: admin.delete_topics([missing], operation_timeout=30)[missing].result(timeout=60))
    return {"ok": not problems, "problems": problems, "client": client_version(),
            "listedAfterS": listed_after_s, "created": topic_json(md, a.topic), "duplicateError": duplicate,
            "validateOnlyListed": None if after_validate is None else validated in after_validate.topics,
            "goneAfterS": gone_after_s, "deleteMissingError": delete_missing}


def config_json(entries):
    return None if entries is None else {
        name: {"value": e.value, "source": ConfigSource(e.source).name, "isDefault": e.is_default,
               "isReadOnly": e.is_read_only, "isSensitive": e.is_sensitive}
        for name, e in sorted(entries.items())}


def cmd_describe_configs(a):
    problems = []
    create_topics(a.bootstrap, [a.topic], a.partitions, config={"retention.ms": "3600000"})
    admin = admin_client(a.bootstrap)
    md = attempt(problems, "list_topics()", lambda: admin.list_topics(timeout=10))
    broker_id = str(min(md.brokers)) if md and md.brokers else "0"
    topic_res, broker_res = ConfigResource("topic", a.topic), ConfigResource("broker", broker_id)
    futures = attempt(problems, "describe_configs()",
                      lambda: admin.describe_configs([topic_res, broker_res], request_timeout=10)) or {}
    topic = attempt(problems, f"describe_configs(topic {a.topic})", lambda: futures[topic_res].result(timeout=30))
    broker = attempt(problems, f"describe_configs(broker {broker_id})", lambda: futures[broker_res].result(timeout=30))
    return {"ok": not problems, "problems": problems, "client": client_version(), "brokerId": broker_id,
            "topic": config_json(topic), "broker": config_json(broker)}


def cmd_groups(a):
    problems = []
    create_topics(a.bootstrap, [a.topic], 2)
    _, delivered, errors = produce(a.bootstrap, a.topic, 20)
    problems += errors
    consumer, records, cerrors = consume(a.bootstrap, a.topic, a.group, 20)
    problems += cerrors
    attempt(problems, "Consumer.commit()", lambda: consumer.commit(asynchronous=False))
    admin = admin_client(a.bootstrap)
    out = {"client": client_version(), "consumed": len(records)}

    groups = attempt(problems, "list_groups()", lambda: admin.list_groups(timeout=10))
    mine = next((g for g in groups or [] if g.id == a.group), None)
    out["listGroups"] = None if mine is None else {
        "state": mine.state, "protocolType": mine.protocol_type, "protocol": mine.protocol,
        "members": len(mine.members), "error": mine.error.name() if mine.error else None}

    out["supported"] = hasattr(admin, "list_consumer_groups")
    if out["supported"]:
        from confluent_kafka import ConsumerGroupTopicPartitions

        def listing(when):
            r = attempt(problems, f"list_consumer_groups() {when}",
                        lambda: admin.list_consumer_groups(request_timeout=10).result(timeout=30))
            if r is None:
                return None
            if r.errors:
                problems.append(f"list_consumer_groups() {when}: errors {[str(e) for e in r.errors]}")
            g = next((g for g in r.valid if g.group_id == a.group), None)
            return None if g is None else {"state": g.state.name, "isSimple": g.is_simple_consumer_group}

        out["listConsumerGroups"] = listing("while a member is in the group")
        d = attempt(problems, "describe_consumer_groups()",
                    lambda: admin.describe_consumer_groups([a.group], request_timeout=10)[a.group].result(timeout=30))
        out["describeConsumerGroups"] = None if d is None else {
            "groupId": d.group_id, "state": d.state.name, "partitionAssignor": d.partition_assignor,
            "isSimple": d.is_simple_consumer_group, "coordinator": node_json(d.coordinator),
            "members": [{"clientId": m.client_id, "assigned": sorted(f"{tp.topic}/{tp.partition}"
                                                                     for tp in m.assignment.topic_partitions)}
                        for m in d.members]}
        o = attempt(problems, "list_consumer_group_offsets()",
                    lambda: admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(a.group)],
                                                              request_timeout=10)[a.group].result(timeout=30))
        out["committedOffsets"] = None if o is None else {
            f"{tp.topic}/{tp.partition}": tp.offset for tp in o.topic_partitions}
    consumer.close()
    if out["supported"]:
        out["listConsumerGroupsAfterClose"] = listing("after the member left")
    return {"ok": not problems, "problems": problems, **out}


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
    for name in ("list-topics", "describe-cluster", "describe-topics", "create-delete-topics", "describe-configs",
                 "groups"):
        s = sub.add_parser(name)
        s.add_argument("--bootstrap", required=True)
        if name != "describe-cluster":
            s.add_argument("--topic", required=True)
            s.add_argument("--partitions", type=int, default=3)
        if name == "groups":
            s.add_argument("--group", required=True)
    a = parser.parse_args()
    result = {"codecs": cmd_codecs, "group-commit": cmd_group_commit, "idempotent": cmd_idempotent,
              "create-topics": cmd_create_topics, "list-topics": cmd_list_topics,
              "describe-cluster": cmd_describe_cluster, "describe-topics": cmd_describe_topics,
              "create-delete-topics": cmd_create_delete_topics, "describe-configs": cmd_describe_configs,
              "groups": cmd_groups}[a.cmd](a)
    print(json.dumps(result), flush=True)
    sys.exit(0 if result["ok"] else 1)


if __name__ == "__main__":
    main()
