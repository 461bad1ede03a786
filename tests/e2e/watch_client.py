#!/usr/bin/python3
"""Watch protocol cases against a running cairn (or etcd) member.

Usage: watch_client.py PBDIR PORT CASE [SEED]
PBDIR holds the protoc --python_out modules of proto/etcdpb. Exit status 0
when the case saw what etcd's semantics say (shared/etcd-v3-api.md 4.8);
otherwise a message on stderr and status 1.
"""
import collections
import os
import queue
import random
import sys
import threading
import time

sys.path.insert(0, sys.argv[1])
import grpc  # noqa: E402
from etcdserverpb import rpc_pb2  # noqa: E402

PORT = int(sys.argv[2])
CASE = sys.argv[3]
SEED = int(sys.argv[4]) if len(sys.argv) > 4 else int(time.time())
CR = rpc_pb2.WatchCreateRequest


def channel(extra=()):
    return grpc.insecure_channel(
        "127.0.0.1:%d" % PORT,
        options=[("grpc.max_receive_message_length", 64 << 20),
                 ("grpc.max_send_message_length", 64 << 20)] + list(extra))


def unary(ch, path, req, resp_type):
    return ch.unary_unary(path, request_serializer=type(req).SerializeToString,
                          response_deserializer=resp_type.FromString)


def put(ch, key, value=b"", lease=0):
    req = rpc_pb2.PutRequest(key=key, value=value, lease=lease)
    return unary(ch, "/etcdserverpb.KV/Put", req, rpc_pb2.PutResponse)(req)


def put_future(ch, key, value):
    req = rpc_pb2.PutRequest(key=key, value=value)
    return unary(ch, "/etcdserverpb.KV/Put", req,
                 rpc_pb2.PutResponse).future(req)


def delete(ch, key):
    req = rpc_pb2.DeleteRangeRequest(key=key)
    return unary(ch, "/etcdserverpb.KV/DeleteRange", req,
                 rpc_pb2.DeleteRangeResponse)(req)


def compact(ch, rev):
    req = rpc_pb2.CompactionRequest(revision=rev)
    return unary(ch, "/etcdserverpb.KV/Compact", req,
                 rpc_pb2.CompactionResponse)(req)


class Stream:
    """One Watch call; responses are read by a thread into a queue (or, with
    on_response, handed to it) once `resume` is set."""

    def __init__(self, ch, on_response=None, paused=False, metadata=None):
        self.requests = queue.Queue()
        self.responses = queue.Queue()
        self.on_response = on_response
        self.resume = threading.Event()
        if not paused:
            self.resume.set()

        def gen():
            while True:
                r = self.requests.get()
                if r is None:
                    return
                yield r

        self.call = ch.stream_stream(
            "/etcdserverpb.Watch/Watch",
            request_serializer=rpc_pb2.WatchRequest.SerializeToString,
            response_deserializer=rpc_pb2.WatchResponse.FromString)(
                gen(), metadata=metadata)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        try:
            for r in self.call:
                self.resume.wait()
                if self.on_response:
                    self.on_response(r)
                else:
                    self.responses.put(r)
        except grpc.RpcError:
            pass

    def send(self, **kw):
        self.requests.put(rpc_pb2.WatchRequest(**kw))

    def create(self, **kw):
        self.send(create_request=CR(**kw))

    def recv(self, timeout=5.0):
        try:
            return self.responses.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError("no response within %.1f s" % timeout)

    def expect_nothing(self, wait=0.5):
        try:
            r = self.responses.get(timeout=wait)
        except queue.Empty:
            return
        raise AssertionError("unexpected response: %s" % r)

    def close(self):
        self.requests.put(None)
        self.call.cancel()


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def case_ids(ch):
    rev = put(ch, b"x", b"1").header.revision
    s = Stream(ch)
    s.create(key=b"x")
    r = s.recv()
    check(r.created and not r.canceled and r.watch_id == 0, "auto id 0: %s" % r)
    check(r.header.revision == rev, "created revision %d" % r.header.revision)
    s.create(key=b"x", watch_id=5)
    r = s.recv()
    check(r.created and r.watch_id == 5, "chosen id 5: %s" % r)
    s.create(key=b"x")
    r = s.recv()
    check(r.watch_id == 1, "next auto id 1: %s" % r)
    s.create(key=b"x", watch_id=5)
    r = s.recv()
    check(r.created and r.canceled and r.watch_id == -1 and
          r.cancel_reason ==
          "mvcc: duplicate watch ID provided on the WatchStream",
          "duplicate id: %s" % r)
    s.create(key=b"b", range_end=b"a")
    r = s.recv()
    check(r.created and r.canceled and r.watch_id == -1 and
          r.cancel_reason == "mvcc: watcher range is empty",
          "empty range: %s" % r)
    s.send(cancel_request=rpc_pb2.WatchCancelRequest(watch_id=99))
    s.send(cancel_request=rpc_pb2.WatchCancelRequest(watch_id=5))
    r = s.recv()
    check(r.canceled and not r.created and r.watch_id == 5,
          "cancel 5 (99 ignored): %s" % r)
    rev = put(ch, b"x", b"2").header.revision
    got = {}
    for _ in range(2):
        r = s.recv()
        got[r.watch_id] = r
    check(sorted(got) == [0, 1], "events for watchers 0 and 1: %s" % got)
    for r in got.values():
        check(r.header.revision == rev and len(r.events) == 1 and
              r.events[0].kv.value == b"2", "event: %s" % r)
    s.expect_nothing()
    # Many streams on one connection: each gets the event once.
    streams = [Stream(ch) for _ in range(20)]
    for st in streams:
        st.create(key=b"x", prev_kv=True)
        check(st.recv().created, "created")
    rev = put(ch, b"x", b"3").header.revision
    for st in streams:
        r = st.recv()
        check(r.watch_id == 0 and r.events[0].kv.mod_revision == rev and
              r.events[0].prev_kv.value == b"2", "stream event: %s" % r)
        st.expect_nothing(0.01)
        st.close()
    s.close()


def case_filters(ch):
    s = Stream(ch)
    s.create(key=b"f", range_end=b"g", filters=[CR.NOPUT], prev_kv=True)
    check(s.recv().watch_id == 0, "created 0")
    s.create(key=b"f", range_end=b"g", filters=[CR.NODELETE])
    check(s.recv().watch_id == 1, "created 1")
    s.create(key=b"f", range_end=b"g", filters=[CR.NOPUT, CR.NODELETE])
    check(s.recv().watch_id == 2, "created 2")
    put(ch, b"f1", b"a")
    put(ch, b"f1", b"b")
    drev = delete(ch, b"f1").header.revision
    got = collections.defaultdict(list)
    for _ in range(3):
        r = s.recv()
        got[r.watch_id].extend(r.events)
    s.expect_nothing()
    check(len(got[0]) == 1 and got[0][0].type == 1 and
          got[0][0].kv.mod_revision == drev and
          got[0][0].prev_kv.value == b"b", "NOPUT: %s" % got[0])
    check([e.kv.value for e in got[1]] == [b"a", b"b"] and
          not got[1][1].HasField("prev_kv"), "NODELETE: %s" % got[1])
    check(2 not in got, "both filters: nothing")
    s.close()


def case_history(ch):
    first = put(ch, b"h", b"0").header.revision
    for i in range(1, 50):
        put(ch, b"h", b"%d" % i)
    cur = put(ch, b"other", b"z").header.revision
    s = Stream(ch)
    s.create(key=b"h", start_revision=first)
    r = s.recv()
    check(r.created and r.header.revision == cur, "created at %d" % cur)
    vals = []
    while len(vals) < 50:
        r = s.recv()
        vals += [int(e.kv.value) for e in r.events]
    check(vals == list(range(50)), "history in order once: %s" % vals)
    put(ch, b"h", b"50")
    r = s.recv()
    check([e.kv.value for e in r.events] == [b"50"], "then live: %s" % r)
    # A start in the future waits for that revision.
    s.create(key=b"h", start_revision=cur + 3)
    check(s.recv().created, "future created")
    for i in range(51, 54):
        put(ch, b"h", b"%d" % i)
    seen = collections.defaultdict(list)
    while len(seen[0]) < 3 or len(seen[1]) < 2:
        r = s.recv()
        seen[r.watch_id] += [int(e.kv.value) for e in r.events]
    check(seen[0] == [51, 52, 53] and seen[1] == [52, 53],
          "future start: %s" % dict(seen))
    s.close()


def case_compacted(ch):
    first = put(ch, b"c", b"0").header.revision
    rev = put(ch, b"c", b"1").header.revision
    compact(ch, rev)
    s = Stream(ch)
    s.create(key=b"c", start_revision=first)
    r = s.recv()
    check(r.created and r.watch_id == 0 and not r.canceled, "created: %s" % r)
    r = s.recv()
    check(r.canceled and r.watch_id == 0 and r.compact_revision == rev and
          r.header.revision == 0 and not r.events, "compacted: %s" % r)
    s.create(key=b"c", start_revision=rev)
    check(s.recv().watch_id == 1, "created at the compaction revision")
    r = s.recv()
    check(r.watch_id == 1 and r.events[0].kv.value == b"1",
          "start at the compaction revision is fine: %s" % r)
    s.close()


def case_fragment(ch):
    big = b"v" * (1 << 20)
    first = put(ch, b"big/0", big).header.revision
    for i in range(1, 4):
        put(ch, b"big/%d" % i, big)
    for fragment in (True, False):
        s = Stream(ch)
        s.create(key=b"big/", range_end=b"big0", start_revision=first,
                 fragment=fragment)
        check(s.recv().created, "created")
        events, pieces = [], []
        while len(events) < 4:
            r = s.recv()
            pieces.append(r.fragment)
            events += r.events
        check([e.kv.key for e in events] == [b"big/%d" % i for i in range(4)],
              "events whole and in order")
        if fragment:
            check(len(pieces) > 1 and pieces[-1] is False and all(pieces[:-1]),
                  "fragments: %s" % pieces)
        else:
            check(pieces == [False], "one response: %s" % pieces)
        s.close()


def case_progress(ch):
    """Needs --experimental-watch-progress-notify-interval=300ms."""
    rev = put(ch, b"p", b"1").header.revision
    s = Stream(ch)
    s.create(key=b"p", progress_notify=True)
    check(s.recv().created, "created")
    s.create(key=b"q")
    check(s.recv().created, "created")
    r = s.recv(3)
    check(r.watch_id == 0 and not r.events and not r.created and
          r.header.revision == rev, "periodic progress: %s" % r)
    r = s.recv(3)
    check(r.watch_id == 0 and not r.events, "again: %s" % r)
    s.send(progress_request=rpc_pb2.WatchProgressRequest())
    while True:
        r = s.recv()
        if r.watch_id == -1:
            break
    check(r.header.revision == rev and not r.events, "on request: %s" % r)
    s.close()


def case_many(ch):
    """10,000 watchers on 20 streams over 2 connections; a burst of writes;
    one stream does not read until the others have everything. Every
    watcher gets each of its events once, in revision order."""
    rng = random.Random(SEED)
    print("seed %d" % SEED)
    chans = [channel(), channel()]
    nkeys, nstreams, per_stream, nwrites = 200, 20, 500, 1000
    lock = threading.Lock()
    got = {}  # (stream, watch_id) -> [(rev, key, type, value)]
    created = collections.defaultdict(list)  # stream -> [(id, rev)]
    ranges = {}  # (stream, id) -> (key, end)

    def handler(si):
        def on(r):
            with lock:
                if r.created:
                    created[si].append((r.watch_id, r.header.revision))
                    got[(si, r.watch_id)] = []
                    return
                lst = got[(si, r.watch_id)]
                for e in r.events:
                    lst.append((e.kv.mod_revision, e.kv.key, e.type,
                                e.kv.value))
        return on

    slow = nstreams - 1
    # The stalled stream has a connection of its own whose HTTP/2 windows
    # stay small (no BDP probing), so the member sees it stop reading.
    stalled = channel([("grpc.http2.bdp_probe", 0)])
    streams = [Stream(stalled if i == slow else chans[i % 2],
                      on_response=handler(i)) for i in range(nstreams)]
    for si, st in enumerate(streams):
        for j in range(per_stream):
            if (si == slow and j < 50) or (si in (0, 1) and j < 10):
                key, end = b"k/", b"k0"
            else:
                key, end = b"k/%03d" % rng.randrange(nkeys), b""
            ranges[(si, j)] = (key, end)
            st.create(key=key, range_end=end)
    deadline = time.time() + 60
    while time.time() < deadline:
        with lock:
            if sum(len(c) for c in created.values()) == nstreams * per_stream:
                break
        time.sleep(0.05)
    for si in range(nstreams):
        check([w for w, _ in created[si]] == list(range(per_stream)),
              "stream %d: created ids in order" % si)
    streams[slow].resume.clear()  # Stops reading from here on.
    start_rev = max(r for c in created.values() for _, r in c)
    # The burst: puts and deletes, 64 in flight.
    writes, futures = [], []
    kv = channel()
    for i in range(nwrites):
        key = b"k/%03d" % rng.randrange(nkeys)
        futures.append((key, b"v%d" % i, put_future(kv, key, b"v%d" % i)))
        if len(futures) >= 64:
            k, v, f = futures.pop(0)
            writes.append((f.result().header.revision, k, 0, v))
    for k, v, f in futures:
        writes.append((f.result().header.revision, k, 0, v))
    for i in range(20):
        key = b"k/%03d" % i
        r = delete(kv, key)
        if r.deleted:
            writes.append((r.header.revision, key, 1, b""))
    writes.sort()
    check(writes[0][0] > start_rev, "writes after the watchers")

    def expected(si, j):
        key, end = ranges[(si, j)]
        return [w for w in writes
                if (w[1] == key if not end else key <= w[1] < end)]

    def complete(sis):
        with lock:
            return all(len(got[(si, j)]) >= len(expected(si, j))
                       for si in sis for j in range(per_stream))

    fast = [si for si in range(nstreams) if si != slow]
    t0 = time.time()
    while not complete(fast) and time.time() < deadline:
        time.sleep(0.1)
    check(complete(fast), "fast streams complete while one stream is stalled")
    fast_secs = time.time() - t0
    streams[slow].resume.set()
    while not complete([slow]) and time.time() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)  # Anything extra (a duplicate) would arrive now.
    total = 0
    with lock:
        for si in range(nstreams):
            for j in range(per_stream):
                want = expected(si, j)
                have = got[(si, j)]
                check(have == want, "stream %d watcher %d: %d events, want %d"
                      " (first difference at %s)" % (
                          si, j, len(have), len(want),
                          next((i for i, (a, b) in enumerate(zip(have, want))
                                if a != b), min(len(have), len(want)))))
                total += len(have)
    print("%d watchers, %d writes, %d events delivered; fast streams done "
          "%.1f s after the burst" % (nstreams * per_stream, len(writes), total,
                                      fast_secs))
    for st in streams:
        st.close()


def case_tail(ch):
    """Watches the prefix w/ on one raw stream (no reconnection, unlike
    clientv3) and prints "rev N" for each event as it arrives. Runs until
    killed; if the member ends the stream, prints "ended: ..." and fails."""
    s = Stream(ch)
    s.create(key=b"w/", range_end=b"w0")
    check(s.recv().created, "created")
    print("created", flush=True)
    while True:
        try:
            r = s.responses.get(timeout=1)
        except queue.Empty:
            if not s.thread.is_alive():
                raise AssertionError("ended: %s" % s.call.code())
            continue
        if r.canceled:
            raise AssertionError("ended: canceled %s" % r)
        for e in r.events:
            print("rev %d" % e.kv.mod_revision, flush=True)


def case_noleader(ch):
    """etcd's "hasleader" streams (clientv3.WithRequireLeader). Prints
    "ready" once a stream with that metadata and one without are open; the
    test then kills the other members. The first must end with UNAVAILABLE
    "etcdserver: no leader", the second stay open, and a new one with the
    metadata be refused the same way."""
    hasleader = [("hasleader", "true")]
    a = Stream(ch, metadata=hasleader)
    a.create(key=b"n")
    check(a.recv().created, "created")
    b = Stream(ch)
    b.create(key=b"n")
    check(b.recv().created, "created")
    print("ready", flush=True)
    a.thread.join(30)
    check(not a.thread.is_alive(), "the hasleader stream still open")
    check(a.call.code() == grpc.StatusCode.UNAVAILABLE and
          a.call.details() == "etcdserver: no leader",
          "ended with %s %r" % (a.call.code(), a.call.details()))
    check(b.thread.is_alive(), "the stream without hasleader ended")
    c = Stream(ch, metadata=hasleader)
    c.create(key=b"n")
    c.thread.join(5)
    check(not c.thread.is_alive() and
          c.call.code() == grpc.StatusCode.UNAVAILABLE and
          c.call.details() == "etcdserver: no leader",
          "a new hasleader stream: %s" % (c.call.code(),))
    # etcd's unary interceptor does the same for unary calls; without the
    # metadata a serializable read is still answered locally.
    req = rpc_pb2.RangeRequest(key=b"n", serializable=True)
    rng = unary(ch, "/etcdserverpb.KV/Range", req, rpc_pb2.RangeResponse)
    try:
        rng(req, metadata=hasleader, timeout=5)
        raise AssertionError("a hasleader Range was answered")
    except grpc.RpcError as e:
        check(e.code() == grpc.StatusCode.UNAVAILABLE and
              e.details() == "etcdserver: no leader",
              "a hasleader Range: %s %r" % (e.code(), e.details()))
    check(rng(req, timeout=5).header.revision > 0, "a serializable Range")
    b.close()


def main():
    ch = channel()
    code = 0
    try:
        globals()["case_" + CASE](ch)
        print("%s: ok" % CASE)
    except AssertionError as e:
        print("%s: %s" % (CASE, e), file=sys.stderr)
        code = 1
    # The verdict is printed: leave without the interpreter's shutdown, which
    # grpc's threads of a canceled stream once held for two minutes after
    # "fragment: ok" (a CI run).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


main()
