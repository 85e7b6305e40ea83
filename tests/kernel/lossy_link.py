#!/usr/bin/env python3
"""A lossy, reordering Ethernet link in user space, for kernels without tc netem: forwards every
frame between two interfaces (AF_PACKET), dropping a fraction of them and holding some back behind
the next frame in the same direction (or 5 ms, when none follows). Seeded, so a run can be
repeated. Frames from B (a veth whose Linux end offloads checksums) get their TCP/UDP checksums
completed on the way.

Writes "<dropped a->b> <dropped b->a> <reordered a->b> <reordered b->a> <forwarded a->b>" to
--counts when it receives SIGTERM or SIGINT, then exits.

Usage: lossy_link.py IFACE_A IFACE_B --loss 0.01 --reorder 0.05 --seed 1 --counts FILE
"""
import argparse
import random
import select
import signal
import socket
import struct
import sys

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4

parser = argparse.ArgumentParser()
parser.add_argument("a")
parser.add_argument("b")
parser.add_argument("--loss", type=float, default=0.01)
parser.add_argument("--reorder", type=float, default=0.0)
parser.add_argument("--seed", type=int, default=1)
parser.add_argument("--counts", required=True)
options = parser.parse_args()

sockets = []
for name in (options.a, options.b):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((name, 0))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.setblocking(False)
    sockets.append(s)



def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def fix_checksum(frame):
    """Linux leaves the TCP or UDP checksum of what it sends through a veth to the 'hardware'
    (checksum offload): AF_PACKET sees only the pseudo-header's part. Complete it, as a NIC would."""
    if len(frame) < 34 or frame[12:14] != b"\x08\x00":
        return frame
    header_length = (frame[14] & 0x0F) * 4
    protocol = frame[23]
    total = struct.unpack("!H", frame[16:18])[0]
    start = 14 + header_length
    end = 14 + total
    if protocol == 6:
        at = start + 16
    elif protocol == 17:
        at = start + 6
    else:
        return frame
    if end > len(frame) or at + 2 > end:
        return frame
    segment = bytearray(frame[start:end])
    segment[at - start:at - start + 2] = b"\0\0"
    pseudo = frame[26:34] + struct.pack("!BBH", 0, protocol, len(segment))
    value = checksum(pseudo + bytes(segment))
    if protocol == 17 and value == 0:
        value = 0xFFFF
    return frame[:at] + struct.pack("!H", value) + frame[at + 2:]


rng = random.Random(options.seed)
dropped = [0, 0]
reordered = [0, 0]
forwarded = [0, 0]
held = [None, None]  # a frame waiting to go out after the next one, per direction


def finish(*_):
    with open(options.counts, "w") as out:
        out.write(f"{dropped[0]} {dropped[1]} {reordered[0]} {reordered[1]} {forwarded[0]}\n")
    sys.exit(0)


signal.signal(signal.SIGTERM, finish)
signal.signal(signal.SIGINT, finish)
print("lossy_link: ready", flush=True)

while True:
    readable, _, _ = select.select(sockets, [], [], 0.005)
    if not readable:  # quiet: let held frames go
        for direction in (0, 1):
            if held[direction] is not None:
                sockets[1 - direction].send(held[direction])
                held[direction] = None
        continue
    for s in readable:
        direction = sockets.index(s)
        for _ in range(64):
            try:
                frame, address = s.recvfrom(65536)
            except BlockingIOError:
                break
            if address[2] == PACKET_OUTGOING:  # what we (or the host) sent on this interface
                continue
            if direction == 1:
                frame = fix_checksum(frame)
            if rng.random() < options.loss:
                dropped[direction] += 1
                continue
            out = sockets[1 - direction]
            if held[direction] is None and rng.random() < options.reorder:
                held[direction] = frame
                reordered[direction] += 1
                continue
            out.send(frame)
            forwarded[direction] += 1
            if held[direction] is not None:
                out.send(held[direction])
                held[direction] = None
