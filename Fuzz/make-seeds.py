#!/usr/bin/env python3
"""Regenerates Fuzz/corpus/* seeds and Fuzz/Sources/FuzzValidator/Fixture.swift from a running
`ipseckey-testbed serve` (see Docs/Security.md, "Fuzzing and sanitizers").

usage: make-seeds.py HOST:PORT ANCHOR_DIR
The testbed builds fresh keys each run, so the fixture (root DS anchor, validation time, genuine IPSECKEY
RDATA) is regenerated together with the seeds; commit both together."""
import os, random, socket, struct, sys, time

here = os.path.dirname(os.path.abspath(__file__))
server, anchor_dir = sys.argv[1], sys.argv[2]
host, port = server.rsplit(":", 1)
TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "TXT": 16, "AAAA": 28, "DNAME": 39, "DS": 43,
         "IPSECKEY": 45, "RRSIG": 46, "NSEC": 47, "DNSKEY": 48, "NSEC3": 50, "NSEC3PARAM": 51}

def enc_name(n):
    out = b""
    for label in [l for l in n.split(".") if l]:
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"

def query(name, rtype):
    qid = random.randrange(65536)
    msg = struct.pack(">HHHHHH", qid, 0x0110, 1, 0, 0, 1)  # RD, CD
    msg += enc_name(name) + struct.pack(">HH", TYPES[rtype], 1)
    msg += b"\0" + struct.pack(">HHIH", 41, 1232, 0x8000, 0)  # OPT, DO=1
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3)
    s.sendto(msg, (host, int(port)))
    data, _ = s.recvfrom(65535)
    if data[2] & 0x02:  # TC: retry over TCP
        t = socket.create_connection((host, int(port)), timeout=3)
        t.sendall(struct.pack(">H", len(msg)) + msg)
        ln = struct.unpack(">H", t.recv(2))[0]
        data = b""
        while len(data) < ln:
            data += t.recv(ln - len(data))
    return data

def read_name(m, i):
    """Returns (uncompressed wire name, offset after the name at i)."""
    out, end, jumps = b"", None, 0
    while True:
        l = m[i]
        if l & 0xC0 == 0xC0:
            if end is None:
                end = i + 2
            i = ((l & 0x3F) << 8) | m[i + 1]
            jumps += 1
            assert jumps < 64
            continue
        out += m[i:i + 1 + l]
        i += 1 + l
        if l == 0:
            return out, (end if end is not None else i)

def records(m):
    qd, an, ns, ar = struct.unpack(">HHHH", m[4:12])
    i = 12
    for _ in range(qd):
        _, i = read_name(m, i)
        i += 4
    out = []
    for section, count in (("an", an), ("ns", ns), ("ar", ar)):
        for _ in range(count):
            name, i = read_name(m, i)
            t, c, ttl, rdlen = struct.unpack(">HHIH", m[i:i + 10])
            i += 10
            out.append((section, name, t, c, ttl, m[i:i + rdlen]))
            i += rdlen
    return out

def rr_wire(name, t, c, ttl, rdata):
    return name + struct.pack(">HHIH", t, c, ttl, len(rdata)) + rdata

questions = [
    (".", "DNSKEY"), ("test.", "DS"), ("test.", "DNSKEY"), ("ecdsa256.test.", "DS"), ("ecdsa256.test.", "DNSKEY"),
    ("gw.ecdsa256.test.", "IPSECKEY"), ("nope.ecdsa256.test.", "IPSECKEY"), ("ecdsa256.test.", "IPSECKEY"),
    ("gw.nsec3.test.", "IPSECKEY"), ("nope.nsec3.test.", "IPSECKEY"), ("nope.nsec.test.", "IPSECKEY"),
    ("gw.optout.test.", "IPSECKEY"), ("gw.unsigned.test.", "IPSECKEY"), ("gw.ed25519.test.", "IPSECKEY"),
    ("gw.rsasha256.test.", "IPSECKEY"), ("gw.keytrap.test.", "IPSECKEY"), ("gw.tampered.test.", "IPSECKEY"),
    ("1.2.0.192.in-addr.arpa.", "IPSECKEY"), ("sub.ecdsa256.test.", "DS"), ("nsec3.test.", "DNSKEY"),
]
responses = {}
for name, rtype in questions:
    try:
        responses[(name, rtype)] = query(name, rtype)
    except Exception as e:  # a name the hierarchy lacks is fine; the others are the seeds
        print(f"skip {name} {rtype}: {e}", file=sys.stderr)

def write(target, fname, data):
    d = os.path.join(here, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, fname), "wb") as f:
        f.write(data)

for (name, rtype), data in responses.items():
    fname = f"{name.rstrip('.') or 'root'}-{rtype}".replace(".", "_")
    write("FuzzWire", fname, data)
    write("FuzzValidator", fname, data)
    for sec, _, t, _, _, rdata in records(data):
        if t == 45:
            write("FuzzIPSecKey", f"{fname}-{len(rdata)}-{rdata[:1].hex()}", rdata)

# The whole chain in one message: the fuzzer's upstream returns the same message for every question.
chain = [("ecdsa256.test.", "DNSKEY"), (".", "DNSKEY"), ("test.", "DS"), ("test.", "DNSKEY"), ("ecdsa256.test.", "DS"),
         ("gw.ecdsa256.test.", "IPSECKEY")]
answers = []
for q in chain:
    answers += [r for r in records(responses[q]) if r[0] == "an"]
genuine = sorted(r[5].hex() for r in answers if r[2] == 45)
merged = struct.pack(">HHHHHH", 0x1234, 0x8190, 1, len(answers), 0, 0)  # QR RD RA CD
merged += enc_name("gw.ecdsa256.test.") + struct.pack(">HH", 45, 1)
merged += b"".join(rr_wire(*r[1:]) for r in answers)
write("FuzzValidator", "chain-gw_ecdsa256_test-secure", merged)
write("FuzzWire", "chain-gw_ecdsa256_test-secure", merged)

ds = open(os.path.join(anchor_dir, "root.ds")).read().strip()
xml = open(os.path.join(anchor_dir, "root-anchors.xml")).read()
write("FuzzTrustAnchor", "root.ds", ds.encode() + b"\n")
write("FuzzTrustAnchor", "root-anchors.xml", xml.encode())
write("FuzzTrustAnchor", "dnskey.key", open(os.path.join(anchor_dir, "root.key")).read().encode())

now = int(time.time())
with open(os.path.join(here, "Sources", "FuzzValidator", "Fixture.swift"), "w") as f:
    f.write("// Generated by Fuzz/make-seeds.py from one `ipseckey-testbed serve` run; regenerate with the corpus.\n")
    f.write("enum Fixture {\n")
    f.write(f"    /// The testbed's root DS: no input can validate unless it carries a genuine signature chain to it.\n")
    f.write(f"    static let anchor = {ds!r}\n".replace("'", '"'))
    f.write(f"    /// The time the seeds were captured: their signatures are valid then.\n")
    f.write(f"    static let validationTime: UInt32 = {now}\n")
    f.write(f"    /// The RDATA of the signed gw.ecdsa256.test. IPSECKEY RRset, hex; the only RRset that may be secure.\n")
    f.write(f"    static let genuineRDATA: [String] = {genuine!r}\n".replace("'", '"'))
    f.write("}\n")
print(f"{len(responses)} responses, merged chain of {len(answers)} records; genuine {genuine}", file=sys.stderr)
