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


def field_bytes(num, data):
    """A length-delimited protobuf field (lengths < 2^14 here)."""
    n = len(data)
    varint = bytes([n]) if n < 128 else bytes([(n & 0x7F) | 0x80, n >> 7])
    return bytes([(num << 3) | 2]) + varint + data


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


CASES = {
    "garbage": case_garbage,
    "garbage_terminated": case_garbage_terminated,
    "truncated_frame": case_truncated_frame,
    "huge_length_prefix": case_huge_length_prefix,
    "unknown_method": case_unknown_method,
    "invalid_protobuf": case_invalid_protobuf,
    "many_streams": case_many_streams,
    "writer": case_writer,
}

if __name__ == "__main__":
    CASES[CASE]()
