#!/usr/bin/env python3
"""The registry under concurrent publishers, and killed in the middle of log appends.

1. 8 clients publish to one repository at once (blobs, an image manifest under a tag of their own
   and under "latest", a signature envelope, the log entry): every push lands, every tag names
   its publisher's manifest, "latest" names one of them, the log holds every entry exactly once,
   and the consistency proofs between all the checkpoints the publishers were given verify
   (rfc6962_check.py's RFC 9162 algorithms, not Cairn's).
2. Five times: 8 threads submit log entries while the server is killed with SIGKILL at a random
   moment. After each restart the log's checkpoint verifies, is consistent with every checkpoint
   handed out before the kill, and every entry a client got a receipt for is in the log.

Usage: concurrency_test.py CAIRN
"""

import base64
import http.client
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rfc6962_check as rfc  # noqa: E402

from registry_process import Registry, digest_of, fail  # noqa: E402

WORK = tempfile.mkdtemp(prefix="cairn-concurrency-test.")
registry = Registry(sys.argv[1], WORK)
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
request = registry.request
start = registry.start


def push_blob(repo, data, token):
    status = request("POST", f"/v2/{repo}/blobs/uploads/?digest={digest_of(data)}", data, {}, token)[0]
    if status != 201:
        fail(f"blob push: {status}")
    return {"mediaType": "application/octet-stream", "digest": digest_of(data), "size": len(data)}


def canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def checkpoint_of(note):
    lines = note.split("\n")
    return int(lines[1]), base64.b64decode(lines[2])


def verify_consistent(older, newer):
    """Both notes verify, and the newer tree contains the older one (proof from the server)."""
    (m, m_root), (n, n_root) = checkpoint_of(older), checkpoint_of(newer)
    if m == 0 or m == n:
        if m == n and m_root != n_root:
            fail(f"two checkpoints of size {m} with different roots: a fork")
        return
    got = request("GET", f"/log/proof/consistency?first={m}&second={n}")
    if got[0] != 200:
        fail(f"consistency {m} -> {n}: {got[0]}")
    proof = [base64.b64decode(p) for p in json.loads(got[2])["proof"]]
    if not rfc.consistency_verifies(m, n, m_root, n_root, proof):
        fail(f"checkpoint {m} is not consistent with checkpoint {n}")


def publishers(token, vkey):
    repo = "team/app"
    config = push_blob(repo, b"{}", token)
    receipts = [None] * 8
    errors = []

    def publish(i):
        try:
            layer = push_blob(repo, b"image %d " % i + os.urandom(64 * 1024), token)
            manifest = canonical({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config, "layers": [layer]})
            for tag in (f"v{i}", "latest"):
                status = request("PUT", f"/v2/{repo}/manifests/{tag}", manifest, {"Content-Type": OCI_MANIFEST},
                                 token)[0]
                if status != 201:
                    raise RuntimeError(f"manifest {tag}: {status}")
            envelope = canonical({"payload": base64.b64encode(b"statement %d" % i).decode(),
                                  "payloadType": "application/vnd.in-toto+json",
                                  "signatures": [{"keyid": f"key{i}", "sig": "AAAA"}]})
            signature = push_blob(repo, envelope, token)
            entry = canonical({"envelope": signature["digest"], "manifest": digest_of(manifest), "repository": repo,
                               "signers": [f"key{i}"], "tag": f"v{i}"})
            got = request("POST", "/log/entries", entry, {"Content-Type": "application/json"}, token)
            if got[0] != 201:
                raise RuntimeError(f"log entry: {got[0]} {got[2]!r}")
            receipts[i] = (entry, digest_of(manifest), json.loads(got[2]))
        except Exception as error:  # noqa: BLE001 -- reported below
            errors.append(f"publisher {i}: {error}")

    threads = [threading.Thread(target=publish, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        fail("; ".join(errors))
    tags = json.loads(request("GET", f"/v2/{repo}/tags/list")[2])["tags"]
    if sorted(tags) != sorted([f"v{i}" for i in range(8)] + ["latest"]):
        fail(f"tags: {tags}")
    latest = request("GET", f"/v2/{repo}/manifests/latest")[1]["docker-content-digest"]
    for i, (entry, manifest, receipt) in enumerate(receipts):
        got = request("GET", f"/v2/{repo}/manifests/v{i}")
        if got[1]["docker-content-digest"] != manifest:
            fail(f"v{i} names another publisher's manifest")
        size, root = checkpoint_of(receipt["checkpoint"])
        rfc.verify_note(receipt["checkpoint"], vkey)
        proof = [base64.b64decode(p) for p in receipt["inclusion_proof"]]
        if rfc.root_from_inclusion_proof(receipt["index"], size, rfc.leaf_hash(entry), proof) != root:
            fail(f"publisher {i}'s inclusion proof")
    if latest not in [r[1] for r in receipts]:
        fail("latest names no publisher's manifest")
    indexes = sorted(r[2]["index"] for r in receipts)
    if indexes != list(range(8)):
        fail(f"log indexes {indexes}: an entry missing or twice")
    final = request("GET", "/log/checkpoint")[2].decode()
    notes = sorted({r[2]["checkpoint"] for r in receipts}, key=lambda n: checkpoint_of(n)[0]) + [final]
    for a in range(len(notes)):
        for b in range(a, len(notes)):
            verify_consistent(notes[a], notes[b])
    batches = len({checkpoint_of(r[2]["checkpoint"])[0] for r in receipts})
    print(f"ok: 8 concurrent publishers: every push and tag landed, 8 log entries once each in {batches} "
          f"batch(es), {len(notes)} checkpoints pairwise consistent")
    return manifest_for_entries(repo, receipts[0], token)


def manifest_for_entries(repo, receipt, token):
    """Tags t0..t399 on one manifest, so that entries differ only by tag."""
    entry = json.loads(receipt[0])
    manifest = request("GET", f"/v2/{repo}/manifests/v0")[2]
    for t in range(400):
        if request("PUT", f"/v2/{repo}/manifests/t{t}", manifest, {"Content-Type": OCI_MANIFEST}, token)[0] != 201:
            fail("tagging")
    return entry


def kills(token, vkey, template):
    seen = [request("GET", "/log/checkpoint")[2].decode()]
    acknowledged = []
    next_tag = [0]
    lock = threading.Lock()
    for round_number in range(5):
        stop = threading.Event()

        def submit():
            while not stop.is_set():
                with lock:
                    if next_tag[0] >= 400:
                        return
                    tag = f"t{next_tag[0]}"
                    next_tag[0] += 1
                entry = dict(template, tag=tag)
                body = canonical(entry)
                try:
                    got = request("POST", "/log/entries", body, {"Content-Type": "application/json"}, token)
                except (OSError, http.client.HTTPException):
                    return  # the server died under us: no receipt
                if got[0] in (200, 201):
                    receipt = json.loads(got[2])
                    with lock:
                        acknowledged.append(body)
                        seen.append(receipt["checkpoint"])

        threads = [threading.Thread(target=submit) for _ in range(8)]
        for thread in threads:
            thread.start()
        time.sleep(random.uniform(0.05, 0.4))
        registry.stop(signal.SIGKILL)
        stop.set()
        for thread in threads:
            thread.join()
        start()
        now = request("GET", "/log/checkpoint")[2].decode()
        rfc.verify_note(now, vkey)
        for note in seen:
            verify_consistent(note, now)
        size, root = checkpoint_of(now)
        for body in acknowledged:
            got = request("GET", "/log/proof/inclusion?leaf=" +
                          base64.b64encode(rfc.leaf_hash(body)).decode().replace("+", "%2B").replace("/", "%2F") +
                          f"&size={size}")
            if got[0] != 200:
                fail(f"round {round_number}: an acknowledged entry is not in the log after SIGKILL")
            reply = json.loads(got[2])
            proof = [base64.b64decode(p) for p in reply["proof"]]
            if rfc.root_from_inclusion_proof(reply["index"], size, rfc.leaf_hash(body), proof) != root:
                fail("an inclusion proof after restart")
        seen.append(now)
    print(f"ok: SIGKILL during log appends, 5 times: {len(acknowledged)} acknowledged entries all in the log, "
          f"{len(seen)} checkpoints consistent with each restart's")


def main():
    start()
    token = registry.add_token("push", "team")
    vkey = request("GET", "/log/vkey")[2].decode().strip()
    template = publishers(token, vkey)
    kills(token, vkey, template)
    if registry.stop() != 0:
        fail("SIGTERM: exit status")


if __name__ == "__main__":
    try:
        main()
    finally:
        registry.close()
        shutil.rmtree(WORK, ignore_errors=True)
