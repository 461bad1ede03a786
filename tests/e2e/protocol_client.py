#!/usr/bin/python3
"""Bad and heavy clients against a running cairn (or etcd) client port.

Usage: protocol_client.py PORT CASE [ARG]
Exit status 0 when the case saw what it expects; a message on stderr if not.
Requests are raw bytes (hand-encoded protobuf), with python3-grpcio for the
well-formed gRPC cases and a raw socket with hand-made HTTP/2 frames for the
malformed ones.
"""
import socket
import struct
import sys
import time

import grpc

PORT = int(sys.argv[1])
CASE = sys.argv[2]


def varint(n):
    n &= (1 << 64) - 1  # Negative int64s are 10-byte varints.
    out = b""
    while True:
        low, n = n & 0x7F, n >> 7
        if not n:
            return out + bytes([low])
        out += bytes([low | 0x80])


def field_bytes(num, data):
    """A length-delimited protobuf field."""
    return varint((num << 3) | 2) + varint(len(data)) + data


def field_int(num, value):
    return varint(num << 3) + varint(value)


def range_request(key):
    return field_bytes(1, key)


def channel():
    return grpc.insecure_channel("127.0.0.1:%d" % PORT)


def expect_code(fn, code):
    try:
        fn()
    except grpc.RpcError as e:
        if e.code() != code:
            raise AssertionError("got %s (%s), wanted %s" %
                                 (e.code(), e.details(), code))
        return e.details()
    raise AssertionError("no error, wanted %s" % code)


def connect():
    s = socket.create_connection(("127.0.0.1", PORT), timeout=5)
    return s


def read_until_closed(s, limit=10.0):
    """Reads until EOF; returns (bytes, closed)."""
    data = b""
    deadline = time.time() + limit
    s.settimeout(0.5)
    while time.time() < deadline:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            continue
        except ConnectionResetError:
            return data, True
        if not chunk:
            return data, True
        data += chunk
    return data, False


PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def frame(ftype, flags, stream, payload):
    return (struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) +
            struct.pack(">I", stream) + payload)


def hpack_literal(name, value):
    """Literal header field without indexing, new name, no Huffman."""
    return (b"\x00" + bytes([len(name)]) + name + bytes([len(value)]) +
            value)


def grpc_headers(path):
    return (hpack_literal(b":method", b"POST") +
            hpack_literal(b":scheme", b"http") +
            hpack_literal(b":path", path) +
            hpack_literal(b":authority", b"127.0.0.1") +
            hpack_literal(b"content-type", b"application/grpc") +
            hpack_literal(b"te", b"trailers"))


def parse_frames(data):
    """[(type, flags, stream, payload)] of the whole frames in data."""
    out = []
    while len(data) >= 9:
        n = struct.unpack(">I", b"\x00" + data[:3])[0]
        if len(data) < 9 + n:
            break
        out.append((data[3], data[4], struct.unpack(">I", data[5:9])[0]
                    & 0x7FFFFFFF, data[9:9 + n]))
        data = data[9 + n:]
    return out


def case_garbage():
    s = connect()
    s.sendall(b"\x16\x03\x01\x02\x00garbage that is neither h2 nor http\r\n"
              * 20)
    _, closed = read_until_closed(s)
    assert closed, "connection not closed after garbage"


def case_garbage_terminated():
    s = connect()
    s.sendall(b"\x16\x03\x01\x02\x00garbage\r\n\r\n")
    data, closed = read_until_closed(s)
    assert closed, "connection not closed after garbage"
    assert data == b"" or data.startswith(b"HTTP/1.1 400 "), data


def case_truncated_frame():
    # A SETTINGS frame that claims 60 bytes and carries 6, then silence and
    # a half-close: the server must not wait forever nor crash.
    s = connect()
    s.sendall(PREFACE + frame(4, 0, 0, b"")[:3] + b"\x00\x00\x3c" +
              b"\x04\x00\x00\x00\x00\x00" + b"\x00\x03\x00\x00\x00\x64")
    s.shutdown(socket.SHUT_WR)
    _, closed = read_until_closed(s)
    assert closed, "connection not closed after a truncated frame"
    # A truncated DATA frame inside a call, then close.
    s = connect()
    s.sendall(PREFACE + frame(4, 0, 0, b"") +
              frame(1, 4, 1, grpc_headers(b"/etcdserverpb.KV/Range")) +
              frame(0, 0, 1, b"\x00\x00\x00\x00\x10abc")[:12])
    s.close()


def case_huge_length_prefix():
    s = connect()
    s.sendall(PREFACE + frame(4, 0, 0, b"") +
              frame(1, 4, 1, grpc_headers(b"/etcdserverpb.KV/Range")) +
              frame(0, 0, 1, b"\x00\xff\xff\xff\xf0" + b"x" * 100))
    data, closed = read_until_closed(s, limit=5.0)
    frames = parse_frames(data)
    answered = any(f[0] == 3 and f[2] == 1 for f in frames) or any(
        f[0] == 1 and f[2] == 1 and b"grpc-status" in f[3] for f in frames
    ) or any(f[0] == 7 for f in frames) or closed
    # HEADERS may be HPACK-encoded with Huffman: accept any HEADERS frame
    # with END_STREAM on stream 1 too.
    answered = answered or any(
        f[0] == 1 and f[2] == 1 and f[1] & 1 for f in frames)
    assert answered, "no RST_STREAM, trailers, GOAWAY or close: %r" % frames


def case_unknown_method():
    ch = channel()
    expect_code(lambda: ch.unary_unary("/etcdserverpb.KV/Nope")(b"",
                                                               timeout=5),
                grpc.StatusCode.UNIMPLEMENTED)
    expect_code(lambda: ch.unary_unary("/no.Such/Service")(b"", timeout=5),
                grpc.StatusCode.UNIMPLEMENTED)


def case_invalid_protobuf():
    ch = channel()
    for method in ("Range", "Put", "DeleteRange", "Txn", "Compact"):
        expect_code(
            lambda: ch.unary_unary("/etcdserverpb.KV/" + method)(
                b"\x0a\xff\xff\xff\xff\x0f", timeout=5),
            grpc.StatusCode.INTERNAL)


def case_many_streams():
    ch = grpc.insecure_channel(
        "127.0.0.1:%d" % PORT,
        options=[("grpc.use_local_subchannel_pool", 1)])
    put = ch.unary_unary("/etcdserverpb.KV/Put")
    rng = ch.unary_unary("/etcdserverpb.KV/Range")
    futures = []
    for i in range(200):
        key = b"stream/%03d" % i
        futures.append(put.future(field_bytes(1, key) + field_bytes(2, key),
                                  timeout=30))
    for f in futures:
        f.result()
    futures = [rng.future(range_request(b"stream/%03d" % i), timeout=30)
               for i in range(200)]
    for i, f in enumerate(futures):
        body = f.result()
        key = b"stream/%03d" % i
        assert body.count(key) == 2, (i, body)


def case_writer():
    """Puts PREFIX<i> = v<i> for i = 0, 1, ... one at a time, printing
    "ack <i>" after each acknowledged put; exits at the first error."""
    prefix = sys.argv[3].encode()
    put = channel().unary_unary("/etcdserverpb.KV/Put")
    i = 0
    while True:
        key = prefix + b"%d" % i
        try:
            put(field_bytes(1, key) + field_bytes(2, b"v%d" % i), timeout=10)
        except grpc.RpcError:
            return
        print("ack %d" % i, flush=True)
        i += 1


def case_http_get():
    """Prints the status, content type and body of GET ARG over HTTP/1.1."""
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
    conn.request("GET", sys.argv[3])
    r = conn.getresponse()
    sys.stdout.write("%d %s\n%s\n" % (r.status, r.getheader("Content-Type"),
                                       r.read().decode()))


def fb(num, data):
    return field_bytes(num, data)


def put_op(key):
    """A RequestOp holding a put of key = "v"."""
    return fb(2, fb(1, key) + fb(2, b"v"))


def txn_op(*success_ops):
    """A RequestOp holding a txn whose success branch is `success_ops`."""
    return fb(4, b"".join(fb(2, op) for op in success_ops))


# Requests etcdctl cannot make: (method, request bytes). etcd 3.4 panics on
# an unknown Range sort_target, so that one is not here.
RAW_REQUESTS = {
    "range_negative_limit": ("KV/Range", fb(1, b"a") + field_int(3, -5)),
    "range_bad_sort_order": ("KV/Range", fb(1, b"a") + field_int(5, 7)),
    "range_negative_revision": ("KV/Range", fb(1, b"a") + field_int(4, -3)),
    "range_min_mod_revision": ("KV/Range", fb(1, b"a") + fb(2, b"z") +
                               field_int(10, 3)),
    "range_max_create_revision": ("KV/Range", fb(1, b"a") + fb(2, b"z") +
                                  field_int(13, 2) + field_int(8, 1)),
    "range_unknown_field": ("KV/Range", fb(1, b"a") + fb(99, b"junk")),
    "txn_nested_duplicate": ("KV/Txn", fb(2, put_op(b"n2")) +
                             fb(2, txn_op(put_op(b"n2")))),
    "txn_nested": ("KV/Txn", fb(2, txn_op(put_op(b"n1")))),
    "txn_nested_distinct": ("KV/Txn", fb(2, put_op(b"n3")) +
                            fb(2, txn_op(put_op(b"n4"), put_op(b"n5")))),
    "txn_compare_range": ("KV/Txn", fb(1, field_int(1, 0) + field_int(2, 1) +
                                       fb(3, b"a") + field_int(4, 0) +
                                       fb(64, b"z")) +
                          fb(2, fb(1, fb(1, b"a")))),
    "txn_empty_request_op": ("KV/Txn", fb(2, b"")),
    "put_ignore_value_missing": ("KV/Put", fb(1, b"missing") +
                                 field_int(5, 1)),
    "put_ignore_lease_missing": ("KV/Put", fb(1, b"missing") +
                                 field_int(6, 1)),
    "put_ignore_value_with_value": ("KV/Put", fb(1, b"a") + fb(2, b"x") +
                                    field_int(5, 1)),
    "compact_negative": ("KV/Compact", field_int(1, -1)),
    "delete_range_prev_kv_empty": ("KV/DeleteRange", fb(1, b"zz") +
                                   fb(2, b"zzz") + field_int(3, 1)),
}

# Where cairn differs from etcd 3.4 (kvstore's apply); see the report.
RAW_DIVERGENT = {
    # etcd's compacted revision starts at -1, so "compact 0" succeeds on a
    # fresh member; cairn's starts at 0 and answers "compacted".
    "compact_zero": ("KV/Compact", field_int(1, 0)),
    # etcd: an unknown compare target or result counts as true.
    "txn_compare_bad_target": ("KV/Txn", fb(1, field_int(1, 0) +
                                            field_int(2, 9) + fb(3, b"a"))),
    "txn_compare_bad_result": ("KV/Txn", fb(1, field_int(1, 9) +
                                            field_int(2, 0) + fb(3, b"a"))),
}


def strip_header(body):
    """A response without its header (field 1), which holds IDs."""
    if body[:1] == b"\x0a":
        return body[2 + body[1]:]
    return body


def run_raw(requests):
    """Prints, per request, the code and details or the response bytes."""
    ch = channel()
    for key, value in ((b"a", b"1"), (b"b", b"2")):
        ch.unary_unary("/etcdserverpb.KV/Put")(fb(1, key) + fb(2, value))
    for name, (method, request) in sorted(requests.items()):
        try:
            body = ch.unary_unary("/etcdserverpb." + method)(request,
                                                            timeout=10)
            print(name, "OK", strip_header(body).hex())
        except grpc.RpcError as e:
            print(name, e.code(), e.details())


CASES = {
    "garbage": case_garbage,
    "garbage_terminated": case_garbage_terminated,
    "truncated_frame": case_truncated_frame,
    "huge_length_prefix": case_huge_length_prefix,
    "unknown_method": case_unknown_method,
    "invalid_protobuf": case_invalid_protobuf,
    "many_streams": case_many_streams,
    "writer": case_writer,
    "http_get": case_http_get,
    "raw": lambda: run_raw(RAW_REQUESTS),
    "raw_divergent": lambda: run_raw(RAW_DIVERGENT),
}

if __name__ == "__main__":
    CASES[CASE]()
