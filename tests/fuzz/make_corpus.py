#!/usr/bin/env python3
"""Writes the seed corpora of the protocol fuzzers into tests/fuzz/corpus/<target>/seed-*.

The seeds are hand-built packets (valid ones, and the hostile shapes the unit tests use), laid
out the way each fuzz target reads its input (see fuzz_targets.cc): records of a control byte, a
16-bit big-endian length and the bytes. Inputs a fuzzer once crashed on live beside them as
crash-* files and are never rewritten by this script. Run it again after changing a target's
input layout:  python3 tests/fuzz/make_corpus.py
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))

OWN_MAC = bytes.fromhex("020000000001")
PEER_MAC = bytes.fromhex("020000000002")
BROADCAST_MAC = b"\xff" * 6
OWN = bytes([10, 0, 0, 1])
PEER = bytes([10, 0, 0, 2])
GATEWAY = bytes([10, 0, 0, 254])
ANY = bytes(4)
ALL = b"\xff" * 4


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ethernet(destination, source, ether_type, payload):
    return destination + source + struct.pack("!H", ether_type) + payload


def arp(operation, sender_mac, sender, target_mac, target):
    return struct.pack("!HHBBH", 1, 0x0800, 6, 4, operation) + sender_mac + sender + target_mac + target


def ipv4(source, destination, protocol, payload, identification=0x1234, flags_offset=0, options=b"", ttl=64):
    ihl = 5 + len(options) // 4
    header = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, ihl * 4 + len(payload), identification, flags_offset,
                         ttl, protocol, 0, source, destination) + options
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return header + payload


def udp(source, source_port, destination, destination_port, payload, with_checksum=True):
    datagram = struct.pack("!HHHH", source_port, destination_port, 8 + len(payload), 0) + payload
    if with_checksum:
        pseudo = source + destination + struct.pack("!HH", 17, len(datagram))
        value = checksum(pseudo + datagram) or 0xFFFF
        datagram = datagram[:6] + struct.pack("!H", value) + datagram[8:]
    return datagram


def icmp(kind, code, rest, body):
    message = struct.pack("!BBHI", kind, code, 0, rest) + body
    return message[:2] + struct.pack("!H", checksum(message)) + message[4:]


def dhcp_reply(kind, xid=0, your=bytes([10, 0, 0, 50]), lease=600, extra=b"", mac=OWN_MAC):
    message = struct.pack("!BBBBIHH", 2, 1, 6, 0, xid, 0, 0x8000) + ANY + your + GATEWAY + ANY
    message += mac + bytes(10) + bytes(64) + bytes(128) + struct.pack("!I", 0x63825363)
    message += bytes([53, 1, kind, 54, 4]) + GATEWAY
    if kind != 6:
        message += bytes([51, 4]) + struct.pack("!I", lease)
        message += bytes([1, 4, 255, 255, 255, 0, 3, 4]) + GATEWAY + bytes([6, 4]) + GATEWAY
    return message + extra + b"\xff"


def record(control, data):
    return bytes([control]) + struct.pack("!H", len(data)) + data


def write(target, name, data):
    folder = os.path.join(HERE, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "seed-" + name), "wb") as out:
        out.write(data)


def fragments(source, destination, protocol, payload, identification, size=1480):
    packets = []
    for offset in range(0, len(payload), size):
        chunk = payload[offset:offset + size]
        more = 0x2000 if offset + size < len(payload) else 0
        packets.append(ipv4(source, destination, protocol, chunk, identification, more | offset // 8))
    return packets


def main():
    ping = icmp(8, 0, 0x1C460001, bytes(range(56)))
    echo_packet = ipv4(PEER, OWN, 1, ping)
    udp_packet = ipv4(PEER, OWN, 17, udp(PEER, 5000, OWN, 7, b"hello"))
    closed_port = ipv4(PEER, OWN, 17, udp(PEER, 5000, OWN, 9, b"x"))
    arp_request = arp(1, PEER_MAC, PEER, bytes(6), OWN)
    big_ping = icmp(8, 0, 0x00090009, bytes(i & 0xFF for i in range(3000)))
    ping_fragments = fragments(PEER, OWN, 1, big_ping, 77)

    # ethernet: single frames.
    write("ethernet", "ipv4", ethernet(OWN_MAC, PEER_MAC, 0x0800, echo_packet))
    write("ethernet", "arp", ethernet(BROADCAST_MAC, PEER_MAC, 0x0806, arp_request))
    write("ethernet", "vlan", ethernet(OWN_MAC, PEER_MAC, 0x8100, b"\x00\x05\x08\x00" + echo_packet))
    write("ethernet", "qinq", ethernet(OWN_MAC, PEER_MAC, 0x88A8, b"\x00\x05\x81\x00\x00\x07\x08\x00"))
    write("ethernet", "ieee8023", ethernet(OWN_MAC, PEER_MAC, 46, bytes(46)))
    write("ethernet", "truncated", OWN_MAC + PEER_MAC)

    # arp: records (bit 0 of the control byte: hold the bytes as a packet instead).
    write("arp", "request", record(0, arp_request))
    write("arp", "hold-then-reply", record(1, bytes([2]) + bytes(40)) + record(1, bytes([2]) + bytes(20)) +
          record(0, arp(2, PEER_MAC, PEER, OWN_MAC, OWN)))
    write("arp", "hold-then-retry", record(1, bytes([3]) + bytes(30)) + record(4 << 2, b"") + record(4 << 2, b"") +
          record(4 << 2, b""))
    write("arp", "hostile", record(0, arp(1, PEER_MAC, bytes([172, 16, 0, 1]), bytes(6), OWN)) +
          record(0, arp(1, PEER_MAC, OWN, bytes(6), OWN)) + record(0, arp(1, BROADCAST_MAC, PEER, bytes(6), OWN)) +
          record(0, arp(1, PEER_MAC, ANY, bytes(6), OWN)) + record(0, arp_request[:27]) +
          record(2, arp(2, PEER_MAC, PEER, OWN_MAC, OWN)))

    # ipv4: records (control byte: time step of 250 ms units).
    write("ipv4", "plain", record(0, udp_packet))
    write("ipv4", "options", record(0, ipv4(PEER, OWN, 17, b"abc", options=bytes.fromhex("0707040000000000"))))
    write("ipv4", "fragments", b"".join(record(0, packet) for packet in ping_fragments))
    write("ipv4", "fragments-reversed", b"".join(record(1, packet) for packet in reversed(ping_fragments)))
    overlapping = ipv4(PEER, OWN, 1, bytes(16), 77, 0x2000 | 184)
    write("ipv4", "overlap", record(0, ping_fragments[0]) + record(0, overlapping) + record(0, ping_fragments[1]))
    write("ipv4", "timeout", record(0, ping_fragments[0]) + record(200, b"") + record(0, ping_fragments[1]))
    lying = bytearray(udp_packet)
    lying[3] = 200
    small_ihl = bytearray(udp_packet)
    small_ihl[0] = 0x44
    write("ipv4", "hostile", record(0, bytes(lying)) + record(0, bytes(small_ihl)) + record(0, udp_packet[:19]) +
          record(0, ipv4(PEER, OWN, 17, bytes(100), 5, 0x1FFF)))

    # icmp: one message.
    write("icmp", "echo", ping)
    write("icmp", "unreachable", icmp(3, 3, 0, closed_port[:28]))
    write("icmp", "odd", icmp(8, 0, 1, b"abc"))

    # udp: source and destination addresses, then the datagram.
    write("udp", "checksum", PEER + OWN + udp(PEER, 5000, OWN, 7, b"hello"))
    write("udp", "no-checksum", PEER + OWN + udp(PEER, 5000, OWN, 7, b"hello", with_checksum=False))
    write("udp", "dhcp", GATEWAY + ALL + udp(GATEWAY, 67, ALL, 68, dhcp_reply(2)))

    # dhcp: records; control bit 0 patches the transaction id, bit 1 the MAC, bit 2 jumps to the
    # next deadline, the other bits step the clock in seconds.
    write("dhcp", "offer", dhcp_reply(2))
    write("dhcp", "lease", record(3, dhcp_reply(2)) + record(3, dhcp_reply(5)) + record(4, b"") + record(3, dhcp_reply(5)) +
          record(4, b"") + record(4, b"") + record(4, b"") + record(4, b""))
    write("dhcp", "nak", record(3, dhcp_reply(2)) + record(3, dhcp_reply(6)) + record(3, dhcp_reply(2)) +
          record(3, dhcp_reply(5)) + record(4, b"") + record(3, dhcp_reply(6)))
    write("dhcp", "timers", record(3, dhcp_reply(2)) + record(3, dhcp_reply(5, lease=0xFFFFFFFF)) + record(4, b""))
    write("dhcp", "huge-options", record(3, dhcp_reply(2, extra=bytes([224, 0]) * 600)))
    write("dhcp", "overlong-option", record(3, dhcp_reply(2, extra=bytes([43, 200, 1, 2, 3]))))

    # netstack: a setup byte (bit 0: DHCP instead of the static 10.0.0.1/24), then records;
    # control bit 0 sends the bytes with send_to instead, bit 2 jumps to the next deadline, the
    # top five bits step the clock in 300 ms units.
    frame = lambda packet: ethernet(OWN_MAC, PEER_MAC, 0x0800, packet)
    write("netstack", "ping", bytes([0]) + record(0, ethernet(BROADCAST_MAC, PEER_MAC, 0x0806, arp_request)) +
          record(0, frame(echo_packet)))
    write("netstack", "ping-unresolved", bytes([0]) + record(0, frame(echo_packet)) + record(4, b"") + record(4, b"") +
          record(0, ethernet(OWN_MAC, PEER_MAC, 0x0806, arp(2, PEER_MAC, PEER, OWN_MAC, OWN))))
    write("netstack", "udp", bytes([0]) + record(0, frame(udp_packet)) + record(0, frame(closed_port)) +
          record(1, b"\x02reply"))
    write("netstack", "fragmented-ping", bytes([0]) + record(0, ethernet(BROADCAST_MAC, PEER_MAC, 0x0806, arp_request)) +
          b"".join(record(0, frame(packet)) for packet in ping_fragments))
    write("netstack", "send-offsubnet", bytes([0]) + record(3, b"\x08" + bytes(2000)) + record(4, b""))
    write("netstack", "dhcp", bytes([1]) + record(0, ethernet(BROADCAST_MAC, PEER_MAC, 0x0800,
                                                              ipv4(GATEWAY, ALL, 17, udp(GATEWAY, 67, ALL, 68, dhcp_reply(2))))) +
          record(4, b"") + record(4, b""))
    http_seeds()
    tcp_seeds()


def tcp_segment(source_port, destination_port, sequence, acknowledgment, flags, window=65535, options=b"", payload=b""):
    """A TCP segment with checksum 0: fuzz_tcp fixes it (control bit 0)."""
    offset = (20 + len(options)) // 4
    return struct.pack("!HHIIBBHHH", source_port, destination_port, sequence, acknowledgment, offset << 4, flags,
                       window, 0, 0) + options + payload


def tcp_seeds():
    """Conversations for fuzz_tcp (see its comment for the control byte): a handshake with Linux's
    SYN options, a request, the application's answer and both FINs; out-of-order data with SACK;
    a RST and a SYN inside the window; a flood beyond the backlog."""
    SYN, ACK, FIN, RST, PSH = 0x02, 0x10, 0x01, 0x04, 0x08
    linux_options = bytes([2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7])
    stamp = bytes([1, 1, 8, 10, 0, 0, 0, 2, 0, 0, 0, 0])
    request = b"GET / HTTP/1.1\r\nHost: h\r\n\r\n"
    fix, fix_ack, read, respond, close = 1, 3, 4, 8, 12
    conversation = (record(fix, tcp_segment(40000, 80, 1000, 0, SYN, options=linux_options)) +
                    record(fix_ack | 0x10, tcp_segment(40000, 80, 1001, 0, ACK, options=stamp)) +
                    record(fix_ack, tcp_segment(40000, 80, 1001, 0, ACK | PSH, options=stamp, payload=request)) +
                    record(read | 0x10, b"") + record(respond | 0x20, bytes(300)) +
                    record(fix_ack, tcp_segment(40000, 80, 1001 + len(request), 0, ACK | FIN, options=stamp)) +
                    record(close, b"") + record(fix_ack | 0xf0, tcp_segment(40000, 80, 1002 + len(request), 0, ACK)))
    write("tcp", "conversation", conversation)
    handshake = (record(fix, tcp_segment(40001, 80, 5000, 0, SYN, options=linux_options)) +
                 record(fix_ack, tcp_segment(40001, 80, 5001, 0, ACK, options=stamp)))
    sack = bytes([1, 1, 5, 10, 0, 0, 0x13, 0x89 + 0, 0, 0, 0x17, 0x71])
    write("tcp", "out-of-order", handshake +
          record(fix_ack, tcp_segment(40001, 80, 5001 + 1000, 0, ACK, options=stamp, payload=bytes(500))) +
          record(fix_ack, tcp_segment(40001, 80, 5001 + 200, 0, ACK, options=stamp, payload=bytes(300))) +
          record(fix_ack, tcp_segment(40001, 80, 5001, 0, ACK, options=stamp + sack, payload=bytes(200))) +
          record(read, bytes(1)))
    write("tcp", "reset-and-syn", handshake +
          record(fix, tcp_segment(40001, 80, 5001 + 10, 0, RST)) +
          record(fix, tcp_segment(40001, 80, 5001 + 5, 0, SYN)) +
          record(fix, tcp_segment(40001, 80, 5001, 0, RST)))
    write("tcp", "syn-flood", b"".join(record(fix, tcp_segment(1000 + i, 80, 77 * i, 0, SYN, options=linux_options))
                                       for i in range(8)) + record(0xf0, b"") + record(0xf0, b""))
    write("tcp", "closed-port", record(fix, tcp_segment(40002, 81, 9, 0, SYN)) +
          record(fix, tcp_segment(40002, 81, 9, 1234, ACK)) + record(0, tcp_segment(1, 2, 3, 4, ACK)))


def http_seeds():
    """Requests for fuzz_http: a setup byte (1: small limits, 2: gzip variant, 4: Last-Modified),
    then the stream in records; splitting a request over records explores the incremental paths."""
    get = b"GET /index.html HTTP/1.1\r\nHost: example.org\r\nAccept-Encoding: gzip, br\r\n\r\n"
    conditional = (b"GET / HTTP/1.1\r\nHost: h\r\nIf-None-Match: W/\"v1\", \"x\"\r\nRange: bytes=0-9\r\n"
                   b"If-Range: \"v1\"\r\n\r\n")
    ranges = b"".join(b"GET / HTTP/1.1\r\nHost: h\r\nRange: bytes=%s\r\n\r\n" % r
                      for r in (b"5-", b"-3", b"100-", b"0-1,4-5", b"9-2"))
    post = b"POST /form HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\nExpect: 100-continue\r\n\r\nhello world"
    chunked = (b"PUT /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n" +
               b"POST /up HTTP/1.1\nHost: h\nTransfer-Encoding: chunked\n\n5;ext=\"v\"\r\nhello\r\n0\r\nTrailer: t\r\n\r\n")
    chunked_crlf = (b"POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                    b"6\r\nhello \r\nA;x\r\n0123456789\r\n0\r\nA: b\r\n\r\n")
    old = b"\r\nHEAD / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET / HTTP/1.0\r\n\r\n"
    others = (b"OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\nDELETE http://h/x HTTP/1.1\r\nHost: h\r\n\r\n"
              b"CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n")
    write("http", "get", bytes([2]) + record(0, get))
    write("http", "get-split", bytes([2]) + b"".join(record(0, get[i:i + 7]) for i in range(0, len(get), 7)))
    write("http", "conditional", bytes([6]) + record(0, conditional))
    write("http", "ranges", bytes([2]) + record(0, ranges))
    write("http", "post", bytes([0]) + record(0, post[:50]) + record(0, post[50:]))
    write("http", "chunked", bytes([0]) + record(0, chunked))
    write("http", "chunked-crlf", bytes([0]) + b"".join(record(0, chunked_crlf[i:i + 3])
                                                        for i in range(0, len(chunked_crlf), 3)))
    write("http", "http10", bytes([4]) + record(0, old))
    write("http", "methods", bytes([0]) + record(0, others))
    write("http", "small-limits", bytes([1]) + record(0, get + post + chunked_crlf))
    write("http", "obs-fold", bytes([0]) + record(0, b"GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n"))
    write("http", "both-lengths", bytes([0]) + record(0, b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n"
                                                        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"))
    write("http", "long-target", bytes([1]) + record(0, b"GET /" + b"a" * 100 + b" HTTP/1.1\r\n\r\n"))
    write("http", "http2-preface", bytes([0]) + record(0, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"))

    # fuzz_http_differential reads the stream itself: no setup byte, no records.
    write("http_differential", "get", get + conditional)
    write("http_differential", "ranges", ranges)
    write("http_differential", "post", post + get)
    write("http_differential", "chunked", chunked_crlf + chunked)
    write("http_differential", "http10", old)
    write("http_differential", "methods", others)
    write("http_differential", "pipelined", get + post + chunked_crlf + b"DELETE /x HTTP/1.1\r\nHost: h\r\n"
          b"Connection: close\r\n\r\n")
    write("http_differential", "bare-lf", b"GET / HTTP/1.1\nHost: h\nX-A:  v \n\nGET /2 HTTP/1.1\nHost: h\n\n")


if __name__ == "__main__":
    main()
