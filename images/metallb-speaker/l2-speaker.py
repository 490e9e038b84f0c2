#!/usr/bin/env python3
"""MetalLB-style layer-2 speaker: answer ARP for LoadBalancer IPs that no interface owns.

    l2-speaker.py --interface eth0 --ip 10.10.20.201 [--ip ...] [--ready-file PATH]

Modelled on metallb/metallb internal/layer2/arp.go (arpResponder) and announcer.go (Announce).
In L2 mode the service IP is never assigned to an interface: the elected node simply claims it
at layer 2 by answering "who-has" with its own MAC, and the kernel on the node then receives
the traffic for that MAC. Node.js cannot open AF_PACKET sockets, hence Python (stdlib only).
"""
import argparse
import ipaddress
import os
import signal
import socket
import struct
import sys
import time

ETH_P_ARP = 0x0806
ETH_P_IP = 0x0800
ARP_REQUEST, ARP_REPLY = 1, 2
BROADCAST = b"\xff" * 6
# sll_pkttype of frames this socket itself transmitted (linux/if_packet.h). A packet socket
# also sees its own output; without this check we would "answer" our own gratuitous request.
PACKET_OUTGOING = 4
# MetalLB repeats gratuitous ARP for 5 s every 1.1 s after it starts announcing an IP
# (announcer.go spamLoop; 1100 ms is from metallb issue #172), so that peers whose caches
# still point at the previous leader converge even if the first burst is lost.
SPAM_FOR, SPAM_EVERY = 5.0, 1.1


def mac_str(b):
    return ":".join(f"{x:02x}" for x in b)


def arp_frame(dst_mac, src_mac, op, sha, spa, tha, tpa):
    eth = dst_mac + src_mac + struct.pack("!H", ETH_P_ARP)
    arp = struct.pack("!HHBBH", 1, ETH_P_IP, 6, 4, op) + sha + spa + tha + tpa
    return eth + arp


def gratuitous(sock, mac, ip):
    # As arpResponder.Gratuitous: one request and one reply, both broadcast, sender IP ==
    # target IP == the service IP, target MAC = broadcast. Some stacks only learn from one op.
    for op in (ARP_REQUEST, ARP_REPLY):
        sock.send(arp_frame(BROADCAST, mac, op, mac, ip, BROADCAST, ip))


def main():
    ap = argparse.ArgumentParser(description="answer ARP requests for announced IPs (MetalLB L2 mode)")
    ap.add_argument("--interface", required=True)
    ap.add_argument("--ip", action="append", required=True, type=ipaddress.IPv4Address,
                    help="IPv4 address to announce (repeatable)")
    ap.add_argument("--ready-file", help="written with our pid once the socket is bound")
    args = ap.parse_args()
    announced = {ip.packed: str(ip) for ip in args.ip}

    try:
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ARP))
        sock.bind((args.interface, ETH_P_ARP))
    except OSError as e:
        print(f"l2-speaker: cannot listen for ARP on {args.interface}: {e}", file=sys.stderr)
        return 2
    # The interface's own MAC, like arpResponder.hardwareAddr = ifi.HardwareAddr: the traffic
    # must land on this node's NIC, so there is no separate virtual MAC (unlike VRRP).
    mac = sock.getsockname()[4][:6]

    # SIGTERM must unwind through the finally below (ready file removed, socket closed) the same
    # way Ctrl-C does; raising from the handler also interrupts the blocking recv.
    def stop(signum, _frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, stop)

    try:
        if args.ready_file:
            tmp = f"{args.ready_file}.tmp"
            with open(tmp, "w") as f:
                f.write(f"{os.getpid()}\n")
            os.replace(tmp, args.ready_file)  # readers never see a half-written file
        print(f"l2-speaker: announcing {', '.join(announced.values())} on {args.interface} "
              f"({mac_str(mac)})", flush=True)

        spam_until = time.monotonic() + SPAM_FOR
        next_spam = time.monotonic()
        while True:
            now = time.monotonic()
            if next_spam is not None and now >= next_spam:
                for ip in announced:
                    gratuitous(sock, mac, ip)
                next_spam = now + SPAM_EVERY if now + SPAM_EVERY < spam_until else None
            sock.settimeout(None if next_spam is None else max(0.0, next_spam - time.monotonic()))
            try:
                frame, addr = sock.recvfrom(65535)
            except socket.timeout:
                continue
            if addr[2] == PACKET_OUTGOING or len(frame) < 42:
                continue
            dst = frame[0:6]
            htype, ptype, hlen, plen, op = struct.unpack("!HHBBH", frame[14:22])
            if (htype, ptype, hlen, plen) != (1, ETH_P_IP, 6, 4):
                continue
            sha, spa, tpa = frame[22:28], frame[28:32], frame[38:42]
            # Same three filters as arpResponder.processRequest, in the same order: only
            # requests; only broadcast or addressed to us; only IPs we announce
            # (Announce.shouldAnnounce). Everything else belongs to the kernel.
            if op != ARP_REQUEST:
                continue
            if dst != BROADCAST and dst != mac:
                continue
            if tpa not in announced:
                continue
            # As mdlayher/arp Client.Reply: unicast back to the requester's hardware address,
            # claiming the target IP with our MAC.
            sock.send(arp_frame(sha, mac, ARP_REPLY, mac, tpa, sha, spa))
            print(f"l2-speaker: reply {announced[tpa]} is-at {mac_str(mac)} to "
                  f"{socket.inet_ntoa(spa)} ({mac_str(sha)}) on {args.interface}", flush=True)
    except KeyboardInterrupt:
        print("l2-speaker: stopping", flush=True)
        return 0
    finally:
        sock.close()
        if args.ready_file:
            try:
                os.unlink(args.ready_file)
            except FileNotFoundError:
                pass


if __name__ == "__main__":
    sys.exit(main())
