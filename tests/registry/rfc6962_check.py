#!/usr/bin/env python3
"""An implementation of RFC 6962's Merkle tree hash, audit paths and consistency proofs (section
2.1, written from the RFC's recursive definitions, sharing nothing with Cairn's C++), and of the
C2SP signed-note, checkpoint and tlog-tiles forms, that checks what `log_vectors` prints: every
root, every proof, and the checkpoint's signature (with `openssl pkeyutl -verify`); and, with
--log, a log that `log_vectors --write-log` wrote on disk: every entry bundle, every hash tile
and the checkpoint, read as a static-tile client reads them. Exits 1 on the first difference.
Usage: rfc6962_check.py LOG_VECTORS [LEAVES] | rfc6962_check.py --log LOG_VECTORS DIR LEAVES"""
import base64, hashlib, json, os, subprocess, sys, tempfile

def leaf(data): return hashlib.sha256(b"\x00" + data).digest()
def node(l, r): return hashlib.sha256(b"\x01" + l + r).digest()

def split(n):
    k = 1
    while k * 2 < n:
        k *= 2
    return k

def mth(d):
    if not d: return hashlib.sha256(b"").digest()
    if len(d) == 1: return leaf(d[0])
    k = split(len(d))
    return node(mth(d[:k]), mth(d[k:]))

def path(m, d):
    if len(d) <= 1: return []
    k = split(len(d))
    if m < k: return path(m, d[:k]) + [mth(d[k:])]
    return path(m - k, d[k:]) + [mth(d[:k])]

def subproof(m, d, b):
    n = len(d)
    if m == n: return [] if b else [mth(d)]
    k = split(n)
    if m <= k: return subproof(m, d[:k], b) + [mth(d[k:])]
    return subproof(m - k, d[k:], False) + [mth(d[:k])]

def root_from_inclusion_proof(index, size, leaf_hash, proof):
    """RFC 9162 section 2.1.3.2: the root an inclusion proof leads to (None when it cannot)."""
    if index >= size: return None
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0: return None
        if fn % 2 == 1 or fn == sn:
            r = node(p, r)
            while fn % 2 == 0 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None

leaf_hash = leaf

def verify_note(note, vkey):
    """Checks a C2SP signed note's signature by the C2SP verifier key `vkey` with openssl; returns
    its text."""
    text, signatures = note[: note.rindex("\n\n") + 1], note[note.rindex("\n\n") + 2 :]
    name, key_id_hex, typed_b64 = vkey.split("+", 2)
    typed = base64.b64decode(typed_b64)
    if typed[0] != 1 or len(typed) != 33: fail("verifier key type")
    if hashlib.sha256(name.encode() + b"\n" + typed).digest()[:4].hex() != key_id_hex: fail("verifier key id")
    line = signatures.splitlines()[0]
    if not line.startswith("\u2014 " + name + " "): fail("signature line: " + line)
    blob = base64.b64decode(line.split(" ")[-1])
    if blob[:4].hex() != key_id_hex: fail("signature key id")
    # The Ed25519 SubjectPublicKeyInfo (RFC 8410) around the raw key, for openssl.
    der = bytes.fromhex("302a300506032b6570032100") + typed[1:]
    pem = "-----BEGIN PUBLIC KEY-----\n" + base64.b64encode(der).decode() + "\n-----END PUBLIC KEY-----\n"
    with tempfile.TemporaryDirectory() as work:
        for file, data in (("text", text.encode()), ("sig", blob[4:]), ("key.pem", pem.encode())):
            with open(os.path.join(work, file), "wb") as f:
                f.write(data)
        verified = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", os.path.join(work, "key.pem"),
                                   "-rawin", "-in", os.path.join(work, "text"), "-sigfile", os.path.join(work, "sig")],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if verified.returncode != 0: fail("openssl does not verify the checkpoint: " + verified.stdout.decode())
    return text

def fail(what):
    print("FAIL: " + what)
    sys.exit(1)

def tile_path(level, index, width, entries=False):
    groups = []
    while True:
        groups.append(index % 1000)
        index //= 1000
        if index == 0:
            break
    text = "/".join(("x%03d" if i > 0 else "%03d") % g for i, g in reversed(list(enumerate(groups))))
    path = ("tile/entries/" if entries else "tile/%d/" % level) + text
    return path + (".p/%d" % width if width < 256 else "")

def check_log(tool, directory, leaves):
    vkey = subprocess.run([tool, "--write-log", directory, str(leaves)], check=True,
                          stdout=subprocess.PIPE).stdout.decode().strip()
    note = open(os.path.join(directory, "checkpoint")).read()
    text = note[: note.rindex("\n\n") + 1]
    origin, size, root_b64 = text.split("\n")[:3]
    size = int(size)
    if size != leaves: fail(f"checkpoint size {size}, expected {leaves}")
    # The entries, bundle by bundle, as a client fetches them.
    d = []
    for n in range((size + 255) // 256):
        width = min(256, size - n * 256)
        data = open(os.path.join(directory, tile_path(0, n, width, True)), "rb").read()
        while data:
            length = int.from_bytes(data[:2], "big")
            d.append(data[2 : 2 + length])
            data = data[2 + length :]
    if d != [b"entry %d" % i for i in range(size)]: fail("the entry bundles do not hold the entries")
    if base64.b64decode(root_b64) != mth(d): fail("the checkpoint's root is not the entries' tree")
    # Level 0 tiles hold the leaf hashes; level L tiles the roots of 256^L-leaf subtrees.
    level, span = 0, 1
    while size // span > 0:
        count = size // span
        for n in range((count + 255) // 256):
            width = min(256, count - n * 256)
            data = open(os.path.join(directory, tile_path(level, n, width)), "rb").read()
            expected = b"".join(mth(d[(n * 256 + i) * span : (n * 256 + i + 1) * span]) for i in range(width))
            if data != expected: fail(f"tile {tile_path(level, n, width)}")
        level, span = level + 1, span * 256
    name, key_id_hex, typed_b64 = vkey.split("+", 2)
    line = note[note.rindex("\n\n") + 2 :].splitlines()[0]
    if not line.startswith("\u2014 " + name + " ") or base64.b64decode(line.split(" ")[-1])[:4].hex() != key_id_hex:
        fail("the checkpoint is not signed by the log's key")
    print(f"ok: a log of {size} entries on disk: its bundles, {level} levels of hash tiles and its checkpoint "
          "agree with an independent RFC 6962 / tlog-tiles implementation")

def main():
    if sys.argv[1] == "--log":
        check_log(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return
    tool = sys.argv[1]
    leaves = sys.argv[2] if len(sys.argv) > 2 else "70"
    out = json.loads(subprocess.run([tool, leaves], check=True, stdout=subprocess.PIPE).stdout)
    d = [b"entry %d" % i for i in range(out["leaves"])]
    for size, root in enumerate(out["roots"], 1):
        if mth(d[:size]).hex() != root: fail(f"root of {size} leaves")
    for p in out["inclusion"]:
        if [h.hex() for h in path(p["index"], d[:p["size"]])] != p["proof"]: fail(f"inclusion {p['index']} of {p['size']}")
    for p in out["consistency"]:
        expected = [] if p["old"] == p["new"] else subproof(p["old"], d[:p["new"]], True)
        if [h.hex() for h in expected] != p["proof"]: fail(f"consistency {p['old']} -> {p['new']}")
    # The checkpoint: origin, size, base64 root; one signature line by the verifier key's name.
    origin, size, root_b64 = verify_note(out["note"], out["vkey"]).split("\n")[:3]
    if int(size) != out["leaves"] or base64.b64decode(root_b64) != mth(d): fail("checkpoint body")
    print(f"ok: {len(out['roots'])} roots, {len(out['inclusion'])} inclusion and {len(out['consistency'])} "
          "consistency proofs, and the signed checkpoint agree with an independent RFC 6962 / C2SP implementation")

if __name__ == "__main__":
    main()
