#!/usr/bin/python3
"""A real gRPC client (Debian's python3-grpcio) against the transport test
server. Calls are generic: identity (de)serializers, raw bytes both ways.

Usage: grpc_client.py PORT CASE...   (exit status 0 when every case passed)
"""
import sys
import threading

import grpc

PORT = sys.argv[1]
OPTIONS = [("grpc.max_receive_message_length", 64 << 20),
           ("grpc.max_send_message_length", 64 << 20)]


def channel():
    return grpc.insecure_channel("127.0.0.1:" + PORT, options=OPTIONS)


def unary(ch, method):
    return ch.unary_unary("/test.Echo/" + method)


def expect_error(fn, code, details=None):
    try:
        fn()
    except grpc.RpcError as e:
        assert e.code() == code, (e.code(), e.details())
        if details is not None:
            assert e.details() == details, repr(e.details())
        return
    raise AssertionError("no error, wanted %s" % code)


def case_unary(ch):
    assert unary(ch, "Unary")(b"hello", timeout=5) == b"hello"
    assert unary(ch, "Unary")(b"", timeout=5) == b""
    resp, call = unary(ch, "Unary").with_call(
        b"md", metadata=(("token", "abc"), ("x-bin", b"\x00\x01")))
    assert resp == b"md"
    assert call.code() == grpc.StatusCode.OK


def case_async(ch):
    assert unary(ch, "Later")(b"x", metadata=(("delay-ms", "100"),)) == b"x"


def case_errors(ch):
    expect_error(lambda: ch.unary_unary("/test.Echo/Nope")(b""),
                 grpc.StatusCode.UNIMPLEMENTED,
                 "unknown method Nope for service test.Echo")
    expect_error(lambda: ch.unary_unary("/etcdserverpb.Lease/LeaseGrant")(b""),
                 grpc.StatusCode.UNIMPLEMENTED,
                 "unknown service etcdserverpb.Lease")
    msg = "bad key: 100% \u00e9\n"
    expect_error(lambda: unary(ch, "Fail")(msg.encode()),
                 grpc.StatusCode.INVALID_ARGUMENT, msg)


def case_limits(ch):
    big = bytes(range(256)) * (1900 * 1024 // 256)
    assert unary(ch, "Unary")(big, timeout=20) == big
    expect_error(lambda: unary(ch, "Unary")(b"y" * (3 << 20), timeout=20),
                 grpc.StatusCode.RESOURCE_EXHAUSTED,
                 "grpc: received message larger than max (3145728 vs. 2097152)")
    out = unary(ch, "Size")(b"%d" % (6 << 20), timeout=20)
    assert len(out) == 6 << 20


def case_streams(ch):
    got = list(ch.unary_stream("/test.Echo/ServerStream")(b"4", timeout=5))
    assert got == [b"m0", b"m1", b"m2", b"m3"], got
    cs = ch.stream_unary("/test.Echo/ClientStream")
    assert cs(iter([b"a", b"b", b"c"]), timeout=5) == b"abc"
    bidi = ch.stream_stream("/test.Echo/Bidi")
    got = list(bidi(iter([b"p%d" % i for i in range(10)]), timeout=5))
    assert got == [b"p%d" % i for i in range(10)], got


def case_concurrent(ch):
    futures = [unary(ch, "Later" if i % 2 else "Unary").future(
        b"c%d" % i, timeout=20, metadata=(("delay-ms", str(i % 5)),))
        for i in range(200)]
    for i, f in enumerate(futures):
        assert f.result() == b"c%d" % i


def case_deadline(ch):
    expect_error(lambda: unary(ch, "Never")(b"", timeout=0.2),
                 grpc.StatusCode.DEADLINE_EXCEEDED)


def case_cancel(ch):
    f = unary(ch, "Never").future(b"")
    # Give the request time to reach the server, then cancel (RST_STREAM).
    threading.Event().wait(0.5)
    assert f.cancel()
    # A later call on the same channel still works.
    assert unary(ch, "Unary")(b"after", timeout=5) == b"after"


def main():
    failed = 0
    with channel() as ch:
        for name in sys.argv[2:]:
            try:
                globals()["case_" + name](ch)
                print("PASS", name)
            except Exception as e:  # noqa: BLE001 - report every failure
                failed += 1
                print("FAIL", name, repr(e))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
