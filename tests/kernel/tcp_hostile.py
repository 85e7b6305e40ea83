#!/usr/bin/python3
"""Hostile TCP peers against http-static, with scapy on the tap the image uses (run inside the test's
namespace by tcp_hostile_test.sh, Debian's python3 with python3-scapy).

The attacker is 10.0.0.66 with a MAC of its own: Linux on the tap has no such address, so its
stack never answers (or resets) the segments the image sends to it; scapy sees them on the tap.
Each scenario prints "ok: ..." or "FAIL: ..."; the exit status is the number of failures.

Usage: tcp_hostile.py TAP IMAGE_ADDRESS PORT
"""
import random
import socket
import sys
import time

from scapy.all import ARP, IP, TCP, Ether, Raw, AsyncSniffer, conf, sendp  # noqa: E402

conf.verb = 0
tap, server, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
attacker = "10.0.0.66"
attacker_mac = "02:00:00:00:00:66"
failures = 0


def ok(what):
    print("ok: " + what, flush=True)


def fail(what):
    global failures
    failures += 1
    print("FAIL: " + what, flush=True)


class Wire:
    """Frames to the image from the attacker, and what the image sends back to it."""

    def __init__(self):
        self.server_mac = None
        self.seen = []
        self.sniffer = AsyncSniffer(iface=tap, store=False, prn=self.keep,
                                    lfilter=lambda p: IP in p and p[IP].dst == attacker and TCP in p)
        self.sniffer.start()
        time.sleep(0.5)
        # An ARP request from the attacker teaches the image its MAC (RFC 826) and gives us the image's.
        answer = AsyncSniffer(iface=tap, count=1, timeout=3,
                              lfilter=lambda p: ARP in p and p[ARP].op == 2 and p[ARP].psrc == server)
        answer.start()
        time.sleep(0.2)
        sendp(Ether(src=attacker_mac, dst="ff:ff:ff:ff:ff:ff") /
              ARP(op=1, hwsrc=attacker_mac, psrc=attacker, pdst=server), iface=tap)
        answer.join()
        if not answer.results:
            raise SystemExit("FAIL: the image does not answer ARP")
        self.server_mac = answer.results[0][ARP].hwsrc

    def keep(self, packet):
        self.seen.append(packet)

    def send(self, segment, payload=b""):
        frame = Ether(src=attacker_mac, dst=self.server_mac) / IP(src=attacker, dst=server) / segment
        if payload:
            frame = frame / Raw(payload)
        sendp(frame, iface=tap)

    def take(self, sport, wait=0.3):
        """Segments the image sent to the attacker's port `sport` since the last take."""
        time.sleep(wait)
        mine = [p for p in self.seen if p[TCP].dport == sport]
        self.seen = [p for p in self.seen if p[TCP].dport != sport]
        return mine

    def handshake(self, sport, isn, mss=1460):
        self.send(TCP(sport=sport, dport=port, flags="S", seq=isn, window=65535, options=[("MSS", mss)]))
        replies = [p for p in self.take(sport) if p[TCP].flags & 0x12 == 0x12]
        if not replies:
            return None
        server_isn = replies[0][TCP].seq
        self.send(TCP(sport=sport, dport=port, flags="A", seq=isn + 1, ack=server_isn + 1, window=65535))
        return server_isn + 1


def curl_works():
    try:
        with socket.create_connection((server, port), timeout=5) as connection:
            connection.sendall(b"GET /robots.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            data = b""
            while chunk := connection.recv(4096):
                data += chunk
            return data.startswith(b"HTTP/1.1 200")
    except OSError:
        return False


wire = Wire()

# 1. A SYN flood far beyond the listen queue: every SYN answered (cookies), nothing remembered.
sports = random.Random(1).sample(range(10000, 60000), 2000)
for sport in sports:
    wire.send(TCP(sport=sport, dport=port, flags="S", seq=random.getrandbits(32), window=1024,
                  options=[("MSS", 1460), ("SAckOK", b""), ("Timestamp", (1, 0)), ("WScale", 7)]))
time.sleep(1)
synacks = {p[TCP].dport for p in wire.seen if p[TCP].flags & 0x12 == 0x12}
wire.seen.clear()
if len(synacks) >= 1990:
    ok(f"SYN flood of 2000: {len(synacks)} SYN-ACKs (SYN cookies beyond the backlog)")
else:
    fail(f"SYN flood of 2000: only {len(synacks)} SYN-ACKs")
ok("still serving after the flood") if curl_works() else fail("not serving after the flood")

# 2. Blind resets and SYNs: in-window but not exact gets a challenge ACK; the connection survives.
sport, isn = 40100, 0x10000000
server_next = wire.handshake(sport, isn)
if server_next is None:
    fail("handshake for the RST tests")
else:
    wire.send(TCP(sport=sport, dport=port, flags="R", seq=isn + 1 + 1000))
    challenge = wire.take(sport)
    if len(challenge) == 1 and challenge[0][TCP].flags == "A" and challenge[0][TCP].ack == isn + 1:
        ok("an in-window RST gets a challenge ACK")
    else:
        fail(f"in-window RST: {[p.summary() for p in challenge]}")
    wire.send(TCP(sport=sport, dport=port, flags="R", seq=isn + 1 + 10_000_000))
    if not wire.take(sport):
        ok("an out-of-window RST is ignored silently")
    else:
        fail("an out-of-window RST got an answer")
    wire.send(TCP(sport=sport, dport=port, flags="S", seq=isn + 500))
    challenge = wire.take(sport)
    if len(challenge) == 1 and challenge[0][TCP].flags == "A":
        ok("a SYN in an established connection gets a challenge ACK")
    else:
        fail(f"SYN in ESTABLISHED: {[p.summary() for p in challenge]}")
    request = b"GET /robots.txt HTTP/1.1\r\nHost: x\r\n\r\n"
    wire.send(TCP(sport=sport, dport=port, flags="PA", seq=isn + 1, ack=server_next, window=65535), request)
    answers = b"".join(bytes(p[TCP].payload) for p in wire.take(sport, 0.5))
    ok("the connection survived them") if answers.startswith(b"HTTP/1.1 200") else fail("the connection died")

# 3. Overlapping segments and sequence numbers that wrap: the request is still read right.
sport, isn = 40200, 0xFFFFFFF0
server_next = wire.handshake(sport, isn)
if server_next is None:
    fail("handshake for the overlap test")
else:
    request = b"GET /robots.txt HTTP/1.1\r\nHost: x\r\n\r\n"
    start = (isn + 1) & 0xFFFFFFFF
    pieces = [(10, request[10:30]), (0, request[0:15]), (25, request[25:])]  # out of order, overlapping
    for offset, data in pieces:
        wire.send(TCP(sport=sport, dport=port, flags="PA", seq=(start + offset) & 0xFFFFFFFF, ack=server_next,
                      window=65535), data)
    answers = b"".join(bytes(p[TCP].payload) for p in wire.take(sport, 0.5))
    if answers.startswith(b"HTTP/1.1 200"):
        ok("overlapping, out-of-order segments across 2^32 assemble into the request")
    else:
        fail(f"overlap/wrap: {answers[:60]!r}")

# 4. Bad options: a SYN whose option runs past the header is dropped; an MSS of 1 is raised.
wire.send(TCP(sport=40300, dport=port, flags="S", seq=1, options=[("MSS", 1460)]) / b"")
sendp(Ether(src=attacker_mac, dst=wire.server_mac) / IP(src=attacker, dst=server) /
          TCP(sport=40301, dport=port, flags="S", seq=1, dataofs=6) / Raw(b"\x02\x09\x05\xb4"), iface=tap)
if not wire.take(40301):
    ok("a SYN with a malformed option is dropped")
else:
    fail("a SYN with a malformed option was answered")
wire.take(40300)
tiny = wire.handshake(40302, 77, mss=1)
if tiny is not None:
    wire.send(TCP(sport=40302, dport=port, flags="PA", seq=78, ack=tiny, window=65535),
              b"GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n")
    sizes = [len(p[TCP].payload) for p in wire.take(40302, 0.5) if len(p[TCP].payload) > 0]
    ok(f"an MSS of 1 still gets sane segments ({max(sizes) if sizes else 0} bytes)") if sizes and min(sizes) >= 1 \
        else fail("no data after an MSS of 1")

# 5. A zero-window attacker holds a connection; others are still served.
sport, isn = 40400, 5
server_next = wire.handshake(sport, isn)
if server_next is not None:
    wire.send(TCP(sport=sport, dport=port, flags="PA", seq=isn + 1, ack=server_next, window=0),
              b"GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(1.5)
    ok("served others while a zero-window peer holds a connection") if curl_works() else \
        fail("not serving while a zero-window peer holds a connection")

# 6. Slowloris: 100 connections dribbling a header; they are closed at the head timeout, others served.
slow = []
for _ in range(100):
    connection = socket.create_connection((server, port), timeout=5)
    connection.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
    slow.append(connection)
ok("served others during slowloris") if curl_works() else fail("not serving during slowloris")
deadline = time.time() + 20
closed = 0
while time.time() < deadline and closed < len(slow):
    closed = 0
    for connection in slow:
        try:
            connection.sendall(b"X-Slow: 1\r\n")
            connection.settimeout(0.01)
            if connection.recv(1) == b"":
                closed += 1
        except (BlockingIOError, socket.timeout):
            pass
        except OSError:
            closed += 1
    time.sleep(1)
if closed == len(slow):
    ok("slowloris connections were closed at the head timeout")
else:
    fail(f"only {closed} of {len(slow)} slowloris connections were closed")
for connection in slow:
    connection.close()
ok("still serving at the end") if curl_works() else fail("not serving at the end")

wire.sniffer.stop()
sys.exit(failures)
