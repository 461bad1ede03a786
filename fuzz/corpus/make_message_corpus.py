#!/usr/bin/env python3
"""Writes the seed corpus of message_fuzzer: sequences of raftpb Messages in
the target's input format ({u16 LE length, bytes}, length 0 = tick), encoded
by hand after proto/raftpb/raft.proto. Rerun after changing the format:

  python3 fuzz/corpus/make_message_corpus.py fuzz/corpus/message_fuzzer
"""
import os
import struct
import sys


def varint(v):
    out = b""
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def field_varint(num, v):
    return varint(num << 3) + varint(v) if v else b""


def field_bytes(num, b):
    return varint(num << 3 | 2) + varint(len(b)) + b


def entry(term, index, data=b""):
    e = field_varint(2, term) + field_varint(3, index)
    if data:
        e += field_bytes(4, data)
    return e


def message(type_, frm, term, log_term=0, index=0, entries=(), commit=0,
            reject=False, hint=0, snapshot=None, context=b""):
    m = field_varint(1, type_) + field_varint(2, 1) + field_varint(3, frm)
    m += field_varint(4, term) + field_varint(5, log_term)
    m += field_varint(6, index)
    for e in entries:
        m += field_bytes(7, e)
    m += field_varint(8, commit)
    if snapshot is not None:
        m += field_bytes(9, snapshot)
    m += field_varint(10, int(reject)) + field_varint(11, hint)
    if context:
        m += field_bytes(12, context)
    return m


def snapshot(index, term, voters, data=b"0 0"):
    cs = b"".join(field_varint(1, v) for v in voters)
    md = field_bytes(1, cs) + field_varint(2, index) + field_varint(3, term)
    return field_bytes(1, data) + field_bytes(2, md)


def record(m):
    return struct.pack("<H", len(m)) + m


TICK = struct.pack("<H", 0)
MSG_APP, MSG_APP_RESP, MSG_VOTE, MSG_VOTE_RESP = 3, 4, 5, 6
MSG_SNAP, MSG_HEARTBEAT, MSG_HEARTBEAT_RESP = 7, 8, 9
MSG_TIMEOUT_NOW, MSG_READ_INDEX, MSG_PRE_VOTE, MSG_PRE_VOTE_RESP = 14, 15, 17, 18

CASES = {
    "follower_appends": [
        message(MSG_APP, 2, 2, 1, 1, [entry(2, 2, b"1 k0 v1"),
                                      entry(2, 3, b"2 k1 v2")], 2),
        message(MSG_HEARTBEAT, 2, 2, commit=3),
    ],
    "conflicting_appends": [
        message(MSG_APP, 2, 2, 1, 1, [entry(2, 2), entry(2, 3)], 1),
        message(MSG_APP, 3, 3, 1, 1, [entry(3, 2), entry(3, 3)], 1),
        message(MSG_APP, 3, 3, 3, 3, [entry(3, 4)], 4),
    ],
    "elected_leader": [TICK] * 25 + [
        message(MSG_PRE_VOTE_RESP, 2, 2),
        message(MSG_VOTE_RESP, 2, 2),
        message(MSG_APP_RESP, 2, 2, index=2),
        message(MSG_APP_RESP, 3, 2, index=2),
        message(MSG_HEARTBEAT_RESP, 3, 2),
        message(MSG_READ_INDEX, 2, 2, entries=[entry(0, 0, b"r")]),
    ],
    "vote_requests": [
        message(MSG_PRE_VOTE, 2, 5, 1, 1),
        message(MSG_VOTE, 2, 5, 1, 1),
        message(MSG_VOTE, 3, 5, 1, 1),
        message(MSG_VOTE, 3, 6, 0, 0),
    ],
    "snapshot": [
        message(MSG_SNAP, 2, 3, snapshot=snapshot(10, 3, [1, 2, 3])),
        message(MSG_APP, 2, 3, 3, 10, [entry(3, 11)], 11),
    ],
    "timeout_now": [message(MSG_TIMEOUT_NOW, 2, 2)] + [TICK] * 3,
    "rejects": [TICK] * 25 + [
        message(MSG_VOTE_RESP, 2, 2),
        message(MSG_APP_RESP, 2, 2, index=5, reject=True, hint=1),
        message(MSG_APP_RESP, 3, 2, index=1, reject=True, hint=0),
    ],
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(__file__)
    for name, msgs in CASES.items():
        with open(os.path.join(out, name), "wb") as f:
            for m in msgs:
                f.write(m if m == TICK else record(m))


if __name__ == "__main__":
    main()
