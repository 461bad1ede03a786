#!/usr/bin/python3
"""v3lock and v3election cases against a running cairn (or etcd) member.

Usage: concurrency_client.py PBDIR PORT CASE
PBDIR holds the protoc --python_out modules of proto/etcdpb. Exit status 0
when the case saw what etcd's server-side recipes do; otherwise a message on
stderr and status 1. Every case runs against etcd 3.4 too (the expectations
are etcd's).
"""
import sys
import threading
import time

sys.path.insert(0, sys.argv[1])
import grpc  # noqa: E402
from etcdserverpb import rpc_pb2  # noqa: E402
from v3electionpb import v3election_pb2 as epb  # noqa: E402
from v3lockpb import v3lock_pb2 as lpb  # noqa: E402

PORT = int(sys.argv[2])
CASE = sys.argv[3]


def unary(ch, path, req, resp_type, timeout=None):
    return ch.unary_unary(path, request_serializer=type(req).SerializeToString,
                          response_deserializer=resp_type.FromString)(
                              req, timeout=timeout)


def grant(ch, ttl):
    req = rpc_pb2.LeaseGrantRequest(TTL=ttl)
    return unary(ch, "/etcdserverpb.Lease/LeaseGrant", req,
                 rpc_pb2.LeaseGrantResponse).ID


def time_to_live(ch, lease):
    req = rpc_pb2.LeaseTimeToLiveRequest(ID=lease)
    return unary(ch, "/etcdserverpb.Lease/LeaseTimeToLive", req,
                 rpc_pb2.LeaseTimeToLiveResponse)


def keys(ch, prefix):
    end = prefix[:-1] + bytes([prefix[-1] + 1])
    req = rpc_pb2.RangeRequest(key=prefix, range_end=end,
                               sort_target=rpc_pb2.RangeRequest.CREATE)
    resp = unary(ch, "/etcdserverpb.KV/Range", req, rpc_pb2.RangeResponse)
    return [kv.key for kv in resp.kvs]


def lock(ch, name, lease, timeout=None):
    req = lpb.LockRequest(name=name, lease=lease)
    return unary(ch, "/v3lockpb.Lock/Lock", req, lpb.LockResponse, timeout)


def unlock(ch, key):
    req = lpb.UnlockRequest(key=key)
    return unary(ch, "/v3lockpb.Lock/Unlock", req, lpb.UnlockResponse)


def election(ch, method, req, resp_type, timeout=None):
    return unary(ch, "/v3electionpb.Election/" + method, req, resp_type,
                 timeout)


def check(cond, what):
    if not cond:
        sys.stderr.write("FAILED: %s\n" % what)
        sys.exit(1)


def rpc_error(fn):
    """Runs fn; returns (code, details) of the RpcError it raised."""
    try:
        fn()
    except grpc.RpcError as e:
        return e.code(), e.details()
    return None, None


class Background:
    """Runs fn in a thread; result() waits for its value (or exception)."""

    def __init__(self, fn):
        self.value = None
        self.error = None
        self.done = threading.Event()
        threading.Thread(target=self._run, args=(fn,), daemon=True).start()

    def _run(self, fn):
        try:
            self.value = fn()
        except Exception as e:  # noqa: BLE001 - reported by result()
            self.error = e
        self.done.set()

    def result(self, timeout):
        check(self.done.wait(timeout), "background call finished in time")
        if self.error is not None:
            raise self.error
        return self.value


def case_lock(ch):
    l1, l2 = grant(ch, 30), grant(ch, 30)
    first = lock(ch, b"lk", l1)
    check(first.key == b"lk/%x" % l1, "lock key is name/hex(lease)")
    check(first.header.revision > 0 and first.header.member_id != 0,
          "lock response has a full header")
    # Held by the same lease again: immediate, same key (Mutex reuses it).
    check(lock(ch, b"lk", l1).key == first.key, "re-lock by the holder")
    second = Background(lambda: lock(ch, b"lk", l2))
    check(not second.done.wait(0.7), "second contender waits")
    # A contender that gives up (deadline) leaves no key behind.
    code, _ = rpc_error(lambda: lock(ch, b"lk", grant(ch, 30), timeout=0.5))
    check(code == grpc.StatusCode.DEADLINE_EXCEEDED, "lock deadline")
    time.sleep(0.3)
    check(keys(ch, b"lk/") == [first.key, b"lk/%x" % l2],
          "only holder and waiter keys: %r" % keys(ch, b"lk/"))
    released = unlock(ch, first.key)
    got = second.result(5)
    check(got.key == b"lk/%x" % l2, "second contender got the lock")
    check(got.header.revision >= released.header.revision,
          "acquired at or after the release")
    # Unknown lease: the txn's error, with code UNKNOWN (etcd's services run
    # the recipes through an in-process client that loses the code).
    code, details = rpc_error(lambda: lock(ch, b"other", 12345))
    check(code == grpc.StatusCode.UNKNOWN and
          details == "etcdserver: requested lease not found",
          "unknown lease: %s %s" % (code, details))
    # Lease 0: a fresh 60 s lease (concurrency's NewSession).
    own = lock(ch, b"fresh", 0)
    lease = int(own.key.split(b"/")[1], 16)
    check(time_to_live(ch, lease).grantedTTL == 60, "session lease of 60 s")
    # A holder whose lease expires (never kept alive) hands over.
    short = grant(ch, 2)
    lock(ch, b"exp", short)
    t0 = time.time()
    waiter = lock(ch, b"exp", l2)
    waited = time.time() - t0
    check(1.0 < waited < 6, "took over after the lease expired: %.1fs" % waited)
    check(waiter.key == b"exp/%x" % l2, "waiter holds exp")


def case_election(ch):
    a, b = grant(ch, 30), grant(ch, 30)
    code, details = rpc_error(lambda: election(
        ch, "Leader", epb.LeaderRequest(name=b"el"), epb.LeaderResponse))
    check(code == grpc.StatusCode.UNKNOWN and details == "election: no leader",
          "no leader: %s %s" % (code, details))
    observed = []
    obs_call = ch.unary_stream(
        "/v3electionpb.Election/Observe",
        request_serializer=epb.LeaderRequest.SerializeToString,
        response_deserializer=epb.LeaderResponse.FromString)(
            epb.LeaderRequest(name=b"el"))

    def observe():
        for r in obs_call:
            observed.append(r.kv.value)
    obs = threading.Thread(target=observe, daemon=True)
    obs.start()
    time.sleep(0.3)
    ca = election(ch, "Campaign",
                  epb.CampaignRequest(name=b"el", lease=a, value=b"a"),
                  epb.CampaignResponse)
    lead = ca.leader
    check(lead.name == b"el" and lead.key == b"el/%x" % a and
          lead.lease == a and lead.rev == ca.header.revision,
          "leader key %r" % lead)
    cb = Background(lambda: election(
        ch, "Campaign", epb.CampaignRequest(name=b"el", lease=b, value=b"b"),
        epb.CampaignResponse))
    check(not cb.done.wait(0.5), "second candidate waits")
    election(ch, "Proclaim", epb.ProclaimRequest(leader=lead, value=b"a2"),
             epb.ProclaimResponse)
    got = election(ch, "Leader", epb.LeaderRequest(name=b"el"),
                   epb.LeaderResponse)
    check(got.kv.value == b"a2" and got.kv.key == lead.key, "leader is a2")
    stale = epb.LeaderKey(name=b"el", key=lead.key, rev=lead.rev + 100,
                          lease=a)
    code, details = rpc_error(lambda: election(
        ch, "Proclaim", epb.ProclaimRequest(leader=stale, value=b"x"),
        epb.ProclaimResponse))
    check(code == grpc.StatusCode.UNKNOWN and
          details == "election: not leader", "stale proclaim: %s" % details)
    code, details = rpc_error(lambda: election(
        ch, "Resign", epb.ResignRequest(), epb.ResignResponse))
    check(code == grpc.StatusCode.UNKNOWN and
          details == '"leader" field must be provided', "missing leader key")
    election(ch, "Resign", epb.ResignRequest(leader=lead), epb.ResignResponse)
    second = cb.result(5)
    check(second.leader.key == b"el/%x" % b, "b leads after a resigned")
    # A leader whose lease expires hands over too.
    short = grant(ch, 2)
    election(ch, "Resign", epb.ResignRequest(leader=second.leader),
             epb.ResignResponse)
    election(ch, "Campaign",
             epb.CampaignRequest(name=b"el", lease=short, value=b"s"),
             epb.CampaignResponse)
    t0 = time.time()
    third = election(ch, "Campaign",
                     epb.CampaignRequest(name=b"el", lease=b, value=b"c"),
                     epb.CampaignResponse)
    waited = time.time() - t0
    check(1.0 < waited < 6, "took over after the lease expired: %.1fs" % waited)
    check(third.leader.key == b"el/%x" % b, "c leads")
    time.sleep(0.5)
    obs_call.cancel()
    obs.join(5)
    check(observed == [b"a", b"a2", b"b", b"s", b"c"],
          "observed %r" % observed)


def main():
    ch = grpc.insecure_channel("127.0.0.1:%d" % PORT)
    {"lock": case_lock, "election": case_election}[CASE](ch)


if __name__ == "__main__":
    main()
