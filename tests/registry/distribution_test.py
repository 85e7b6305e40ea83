#!/usr/bin/env python3
"""`cairn registry serve` against the OCI distribution spec v1.1, end to end over loopback.

Every endpoint the spec defines, driven with Python's own HTTP client (not Cairn's): blobs (HEAD,
GET, Range), uploads (monolithic POST, POST+PUT, chunked PATCH with Content-Range, resume after a
status GET, out-of-order chunk 416, cancel, cross-repository mount), manifests by tag and digest
(PUT, GET, HEAD, DELETE, OCI-Subject), tags with n/last pagination, the referrers API with
artifactType filtering; tokens (none: 401 with a Basic challenge; wrong prefix: 403; Basic and
Bearer accepted; a token added while the server runs works at once); log entries (checked
against storage, added once, proofs verified with rfc6962_check.py's functions); bad requests
(bad digests, digest mismatch, names with '..', oversized manifest, invalid JSON, a manifest
naming a missing blob) all get 4xx and leave storage byte for byte as it was; skopeo copies an
image in and out (skipped when skopeo is missing). SIGKILL during a chunked upload: after restart
no partial blob is visible and the upload resumes.

Usage: distribution_test.py CAIRN
"""

import base64
import hashlib
import http.client
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rfc6962_check as rfc  # noqa: E402

from registry_process import Registry, digest_of, fail  # noqa: E402

WORK = tempfile.mkdtemp(prefix="cairn-distribution-test.")
registry = Registry(sys.argv[1], WORK, "--max-blob-size", str(8 << 20))
CAIRN = registry.cairn
ROOT = registry.root
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
request = registry.request
add_token = registry.add_token
start = registry.start


def ok(message):
    print("ok: " + message)


def refused_before_body(method, path, length, token):
    """Sends only the headers of a request with a large body: the server must answer at once."""
    import socket
    host, port = registry.address.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(f"{method} {path} HTTP/1.1\r\nHost: {registry.address}\r\nAuthorization: Bearer {token}\r\n"
                     f"Content-Type: {OCI_MANIFEST}\r\nContent-Length: {length}\r\n\r\n".encode())
        status = sock.recv(4096).split(b"\r\n")[0].decode()
    return int(status.split(" ")[1])


def expect(status, got, what):
    if got[0] != status:
        fail(f"{what}: want {status}, got {got[0]} {got[2][:300]!r}")
    return got


def error_code(got):
    return json.loads(got[2])["errors"][0]["code"]


def storage_snapshot():
    """Every file under blobs/ and uploads/ with its bytes' digest, and every database row."""
    files = {}
    for folder in ("blobs", "uploads"):
        for directory, _, names in os.walk(os.path.join(ROOT, folder)):
            for name in names:
                path = os.path.join(directory, name)
                files[os.path.relpath(path, ROOT)] = hashlib.sha256(open(path, "rb").read()).hexdigest()
    db = sqlite3.connect(os.path.join(ROOT, "registry.sqlite"))
    rows = {table: sorted(db.execute(f"SELECT * FROM {table}").fetchall())
            for table in ("blobs", "manifests", "tags", "uploads", "tokens")}
    db.close()
    return files, rows


def push_blob(repo, data, token):
    d = digest_of(data)
    expect(201, request("POST", f"/v2/{repo}/blobs/uploads/?digest={d}", data,
                        {"Content-Type": "application/octet-stream"}, token), "monolithic upload")
    return {"mediaType": "application/octet-stream", "digest": d, "size": len(data)}


def manifest_of(config, layers, **extra):
    manifest = {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config, "layers": layers}
    manifest.update(extra)
    return json.dumps(manifest, sort_keys=True).encode()


def main():
    start()
    ok("listening on " + registry.address)
    expect(401, request("GET", "/v2/"), "/v2/ without a token (the auth probe)")

    # ---- tokens ----
    got = expect(401, request("POST", "/v2/team/app/blobs/uploads/"), "a push without a token")
    if not got[1].get("www-authenticate", "").startswith("Basic "):
        fail("no Basic challenge on 401")
    token = add_token("push", "team")  # added while the server runs
    other = add_token("push", "elsewhere")
    expect(200, request("GET", "/v2/", token=token), "/v2/ with a token")
    expect(403, request("POST", "/v2/team/app/blobs/uploads/", token=other), "a token for another prefix")
    expect(403, request("POST", "/v2/teamster/blobs/uploads/", token=token), "a prefix is a path, not a string")
    expect(401, request("POST", "/v2/team/app/blobs/uploads/", token="cairn_" + "0" * 64), "an unknown token")
    basic = base64.b64encode(b"anyone:" + token.encode()).decode()
    got = expect(202, request("POST", "/v2/team/app/blobs/uploads/", headers={"Authorization": "Basic " + basic}),
                 "a token as the Basic password")
    expect(204, request("DELETE", got[1]["location"], token=token), "cancel an upload")
    ok("tokens: 401 with a Basic challenge, 403 outside the prefix, Bearer and Basic, new tokens seen at once")

    # ---- uploads ----
    repo = "team/app"
    small = b"hello, registry\n"
    layer = push_blob(repo, small, token)
    got = expect(200, request("GET", f"/v2/{repo}/blobs/{layer['digest']}"), "GET a blob")
    if got[2] != small or got[1].get("docker-content-digest") != layer["digest"]:
        fail("the blob's bytes or digest header")
    got = expect(200, request("HEAD", f"/v2/{repo}/blobs/{layer['digest']}"), "HEAD a blob")
    if got[1].get("content-length") != str(len(small)) or got[2]:
        fail("HEAD: length or a body")
    got = expect(206, request("GET", f"/v2/{repo}/blobs/{layer['digest']}", headers={"Range": "bytes=7-14"}), "range")
    if got[2] != small[7:15] or got[1]["content-range"] != f"bytes 7-14/{len(small)}":
        fail("range bytes")
    got = expect(206, request("GET", f"/v2/{repo}/blobs/{layer['digest']}", headers={"Range": "bytes=-4"}), "suffix")
    if got[2] != small[-4:]:
        fail("suffix range bytes")
    expect(416, request("GET", f"/v2/{repo}/blobs/{layer['digest']}", headers={"Range": "bytes=99-"}), "bad range")
    expect(404, request("GET", f"/v2/other/blobs/{layer['digest']}"), "a blob of another repository")

    # Chunked, with a status check in the middle (as a client resuming would).
    big = os.urandom(3 * 1024 * 1024 + 17)
    got = expect(202, request("POST", f"/v2/{repo}/blobs/uploads/", token=token), "start a session")
    location = got[1]["location"]
    chunk = 1024 * 1024
    offset = 0
    while offset < len(big):
        piece = big[offset:offset + chunk]
        got = expect(202, request("PATCH", location, piece,
                                  {"Content-Range": f"{offset}-{offset + len(piece) - 1}",
                                   "Content-Type": "application/octet-stream"}, token), "PATCH a chunk")
        offset += len(piece)
        if got[1]["range"] != f"0-{offset - 1}":
            fail(f"Range after a chunk: {got[1]['range']}")
        status = expect(204, request("GET", location, token=token), "upload status")
        if status[1]["range"] != f"0-{offset - 1}":
            fail("upload status Range")
    got = expect(416, request("PATCH", location, b"x", {"Content-Range": "5-5"}, token), "a chunk out of order")
    expect(400, request("PUT", location + "?digest=" + digest_of(b"not it"), None, {"Content-Length": "0"}, token),
           "a wrong digest at the end")
    expect(201, request("PUT", location + "?digest=" + digest_of(big), b"", {}, token), "finish a chunked upload")
    got = expect(200, request("GET", f"/v2/{repo}/blobs/{digest_of(big)}"), "GET the chunked blob")
    if got[2] != big:
        fail("the chunked blob's bytes")
    # POST, then one PUT holding the whole body.
    got = expect(202, request("POST", f"/v2/{repo}/blobs/uploads/", token=token), "start a session")
    expect(201, request("PUT", got[1]["location"] + "?digest=" + digest_of(b"in one put"), b"in one put",
                        {"Content-Type": "application/octet-stream"}, token), "POST then PUT with the body")
    # Cross-repository mount.
    got = expect(201, request("POST", f"/v2/team/copy/blobs/uploads/?mount={digest_of(big)}&from={repo}",
                              token=token), "mount")
    expect(200, request("HEAD", f"/v2/team/copy/blobs/{digest_of(big)}"), "the mounted blob")
    got = expect(202, request("POST", f"/v2/team/copy/blobs/uploads/?mount={digest_of(b'nope')}&from={repo}",
                              token=token), "a mount of a missing blob opens a session")
    expect(204, request("DELETE", got[1]["location"], token=token), "cancel")
    ok("blobs: monolithic, POST+PUT, chunked with Content-Range and status, 416, digest mismatch, mount, Range")

    # ---- manifests, tags, referrers ----
    config = push_blob(repo, b"{}", token)
    config["mediaType"] = "application/vnd.oci.empty.v1+json"
    layer["mediaType"] = "application/vnd.cairn.unikernel.image.v1"
    image = manifest_of(config, [layer], artifactType="application/vnd.cairn.unikernel.v1")
    got = expect(201, request("PUT", f"/v2/{repo}/manifests/v1", image, {"Content-Type": OCI_MANIFEST}, token),
                 "PUT a manifest by tag")
    image_digest = digest_of(image)
    if got[1]["docker-content-digest"] != image_digest:
        fail("the manifest's digest header")
    got = expect(200, request("GET", f"/v2/{repo}/manifests/v1", headers={"Accept": OCI_MANIFEST}), "GET by tag")
    if got[2] != image or got[1]["content-type"] != OCI_MANIFEST:
        fail("the manifest's bytes or type")
    expect(200, request("GET", f"/v2/{repo}/manifests/{image_digest}"), "GET by digest")
    expect(200, request("HEAD", f"/v2/{repo}/manifests/v1"), "HEAD")
    for tag in ["v2", "v3", "a", "b", "latest"]:
        expect(201, request("PUT", f"/v2/{repo}/manifests/{tag}", image, {"Content-Type": OCI_MANIFEST}, token), tag)
    got = expect(200, request("GET", f"/v2/{repo}/tags/list?n=2"), "tags page 1")
    if json.loads(got[2])["tags"] != ["a", "b"] or 'rel="next"' not in got[1].get("link", ""):
        fail(f"tags page 1: {got[2]!r} {got[1].get('link')}")
    got = expect(200, request("GET", f"/v2/{repo}/tags/list?n=10&last=b"), "tags page 2")
    if json.loads(got[2])["tags"] != ["latest", "v1", "v2", "v3"] or "link" in got[1]:
        fail(f"tags page 2: {got[2]!r}")
    # A signature as a referrer.
    envelope = json.dumps({"payload": base64.b64encode(b"{}").decode(), "payloadType": "application/vnd.in-toto+json",
                           "signatures": [{"keyid": "k2", "sig": "AAAA"}, {"keyid": "k1", "sig": "AAAA"}]}).encode()
    envelope_layer = push_blob(repo, envelope, token)
    envelope_layer["mediaType"] = "application/vnd.dsse.envelope.v1+json"
    signature = manifest_of(config, [envelope_layer], artifactType="application/vnd.dsse.envelope.v1+json",
                            subject={"mediaType": OCI_MANIFEST, "digest": image_digest, "size": len(image)},
                            annotations={"dev.cairn.kind": "provenance"})
    got = expect(201, request("PUT", f"/v2/{repo}/manifests/{digest_of(signature)}", signature,
                              {"Content-Type": OCI_MANIFEST}, token), "PUT a referrer by digest")
    if got[1].get("oci-subject") != image_digest:
        fail("no OCI-Subject header")
    other_referrer = manifest_of(config, [layer], artifactType="application/example",
                                 subject={"mediaType": OCI_MANIFEST, "digest": image_digest, "size": len(image)})
    expect(201, request("PUT", f"/v2/{repo}/manifests/{digest_of(other_referrer)}", other_referrer,
                        {"Content-Type": OCI_MANIFEST}, token), "a second referrer")
    got = expect(200, request("GET", f"/v2/{repo}/referrers/{image_digest}"), "referrers")
    index = json.loads(got[2])
    if got[1]["content-type"] != OCI_INDEX or len(index["manifests"]) != 2:
        fail(f"referrers: {got[2]!r}")
    got = expect(200, request("GET", f"/v2/{repo}/referrers/{image_digest}?artifactType="
                              "application/vnd.dsse.envelope.v1%2Bjson"), "referrers, filtered")
    index = json.loads(got[2])
    if (got[1].get("oci-filters-applied") != "artifactType" or len(index["manifests"]) != 1
            or index["manifests"][0]["digest"] != digest_of(signature)
            or index["manifests"][0]["annotations"] != {"dev.cairn.kind": "provenance"}):
        fail(f"filtered referrers: {got[2]!r}")
    ok("manifests by tag and digest, tags with n/last and Link, referrers with OCI-Subject and artifactType")

    # ---- the log ----
    entry = json.dumps({"envelope": envelope_layer["digest"], "manifest": image_digest, "repository": repo,
                        "signers": ["k1", "k2"], "tag": "v1"}, sort_keys=True, separators=(",", ":")).encode()
    vkey = request("GET", "/log/vkey")[2].decode().strip()
    expect(401, request("POST", "/log/entries", entry, {"Content-Type": "application/json"}), "an entry, no token")
    got = expect(201, request("POST", "/log/entries", entry, {"Content-Type": "application/json"}, token), "an entry")
    receipt = json.loads(got[2])
    size = check_receipt(receipt, entry, vkey)
    got = expect(200, request("POST", "/log/entries", entry, {"Content-Type": "application/json"}, token), "again")
    if json.loads(got[2])["index"] != receipt["index"]:
        fail("the same entry got a new index")
    if int(request("GET", "/log/checkpoint")[2].decode().split("\n")[1]) != size:
        fail("an entry sent twice was added twice")
    got = expect(200, request("GET", f"/log/lookup?manifest={image_digest}"), "look up the manifest")
    found = json.loads(got[2])["entries"]
    if [e["index"] for e in found] != [receipt["index"]] or found[0]["entry"].encode() != entry:
        fail(f"lookup: {got[2]!r}")
    check_receipt(found[0], entry, vkey)
    expect(404, request("GET", f"/log/lookup?manifest={digest_of(b'none')}"), "look up an unlogged manifest")
    expect(400, request("GET", "/log/lookup?manifest=sha256:12"), "look up a malformed digest")
    bad_entries = [
        ("not canonical", entry.replace(b",", b", ", 1)),
        ("unknown envelope", entry.replace(envelope_layer["digest"].encode(), digest_of(b"x").encode())),
        ("the tag names another manifest", entry.replace(b'"v1"', b'"v9"')),
        ("signers not the envelope's", entry.replace(b'"k1","k2"', b'"k1"')),
        ("not JSON", b"{"),
    ]
    for what, body in bad_entries:
        got = request("POST", "/log/entries", body, {"Content-Type": "application/json"}, token)
        if got[0] // 100 != 4:
            fail(f"log entry ({what}): {got[0]}")
    ok("log entries: checked against storage, added once, inclusion proof and checkpoint verify independently; "
       "found again by manifest digest")

    # ---- bad requests leave storage as it was ----
    before = storage_snapshot()
    bad = [
        ("POST", f"/v2/{repo}/blobs/uploads/?digest=sha256:1234", b"x", {}),
        ("POST", f"/v2/{repo}/blobs/uploads/?digest={digest_of(b'other bytes')}", b"x", {}),
        ("POST", f"/v2/{repo}/blobs/uploads/?digest=md5:{'0' * 32}", b"x", {}),
        ("PUT", f"/v2/{repo}/manifests/v9", b"{not json", {"Content-Type": OCI_MANIFEST}),
        ("PUT", f"/v2/{repo}/manifests/v9", manifest_of(config, [push_desc(b"missing")]),
         {"Content-Type": OCI_MANIFEST}),
        ("PUT", f"/v2/{repo}/manifests/v9", image, {"Content-Type": OCI_INDEX}),
        ("PUT", f"/v2/{repo}/manifests/{digest_of(b'other')}", image, {"Content-Type": OCI_MANIFEST}),
        ("PUT", f"/v2/{repo}/manifests/bad..tag!", image, {"Content-Type": OCI_MANIFEST}),
        ("PUT", "/v2/team/../etc/manifests/v1", image, {"Content-Type": OCI_MANIFEST}),
        ("PUT", "/v2/team/UPPER/manifests/v1", image, {"Content-Type": OCI_MANIFEST}),
        ("GET", f"/v2/{repo}/blobs/sha256:zz", None, {}),
        ("PATCH", f"/v2/{repo}/blobs/uploads/{'0' * 32}", b"x", {}),
        ("PUT", f"/v2/{repo}/blobs/uploads/../../x?digest={digest_of(b'x')}", b"x", {}),
        ("DELETE", f"/v2/{repo}/blobs/{layer['digest']}", None, {}),
    ]
    for method, path, body, headers in bad:
        got = request(method, path, body, headers, token)
        if got[0] // 100 != 4:
            fail(f"{method} {path[:80]}: want a 4xx, got {got[0]} {got[2][:200]!r}")
    # Headers past the connection's 64 KiB are refused (by libmicrohttpd, 431).
    got = request("GET", f"/v2/{repo}/manifests/v1", headers={"X-Padding": "p" * 100_000})
    if got[0] // 100 != 4:
        fail(f"a 100 kB header: {got[0]}")
    # Bodies over a limit are refused from their Content-Length, before they are read.
    if refused_before_body("PUT", f"/v2/{repo}/manifests/v9", 4 * 1024 * 1024 + 1, token) != 413:
        fail("an oversized manifest is not a 413")
    if refused_before_body("POST", f"/v2/{repo}/blobs/uploads/?digest={digest_of(b'big')}", 8 << 20 | 1, token) != 413:
        fail("an oversized blob is not a 413")
    if storage_snapshot() != before:
        fail("a bad request changed storage")
    ok(f"{len(bad) + 3} malformed requests: each a 4xx, storage untouched")

    # ---- SIGKILL in the middle of a chunked upload ----
    got = expect(202, request("POST", f"/v2/{repo}/blobs/uploads/", token=token), "start a session")
    location = got[1]["location"]
    payload = os.urandom(2 * 1024 * 1024)
    expect(202, request("PATCH", location, payload[:1024 * 1024], {"Content-Range": f"0-{1024 * 1024 - 1}"}, token),
           "first chunk")
    # Half of the second chunk, then the server dies.
    connection = http.client.HTTPConnection(registry.address, timeout=30)
    connection.putrequest("PATCH", location)
    connection.putheader("Authorization", "Bearer " + token)
    connection.putheader("Content-Length", str(1024 * 1024))
    connection.endheaders()
    connection.send(payload[1024 * 1024:1024 * 1024 + 300000])
    time.sleep(0.3)
    registry.stop(signal.SIGKILL)
    connection.close()
    start()
    expect(404, request("GET", f"/v2/{repo}/blobs/{digest_of(payload)}"), "no partial blob after SIGKILL")
    got = expect(204, request("GET", location, token=token), "the session after restart")
    resumed = int(got[1]["range"].split("-")[1]) + 1
    if resumed < 1024 * 1024:
        fail(f"the session lost its first chunk: {got[1]['range']}")
    expect(202, request("PATCH", location, payload[resumed:], {"Content-Range": f"{resumed}-{len(payload) - 1}"},
                        token), "resume")
    expect(201, request("PUT", location + "?digest=" + digest_of(payload), b"", {}, token), "finish after restart")
    if expect(200, request("GET", f"/v2/{repo}/blobs/{digest_of(payload)}"), "resumed blob")[2] != payload:
        fail("the resumed blob's bytes")
    ok(f"SIGKILL mid-chunk: no partial blob, the session resumed at byte {resumed}, the blob is whole")

    skopeo(token)

    # ---- deleting, then gc ----
    expect(202, request("DELETE", f"/v2/{repo}/manifests/latest", token=token), "delete a tag")
    expect(404, request("GET", f"/v2/{repo}/manifests/latest"), "the deleted tag")
    expect(202, request("DELETE", f"/v2/{repo}/manifests/{digest_of(other_referrer)}", token=token), "delete")
    expect(404, request("GET", f"/v2/{repo}/manifests/{digest_of(other_referrer)}"), "the deleted manifest")
    gc = subprocess.run([CAIRN, "registry", "gc", "--root", ROOT], capture_output=True, text=True)
    if gc.returncode == 0:
        fail("gc ran beside a server")
    registry.stop()
    gc = subprocess.run([CAIRN, "--json", "registry", "gc", "--root", ROOT], capture_output=True, text=True,
                        check=True)
    report = json.loads(gc.stdout)
    if report["blobs_removed"] < 3:  # the chunked blobs no manifest names
        fail(f"gc: {gc.stdout}")
    start()
    expect(200, request("GET", f"/v2/{repo}/manifests/v1"), "the image after gc")
    expect(200, request("GET", f"/v2/{repo}/blobs/{layer['digest']}"), "its layer after gc")
    expect(404, request("GET", f"/v2/{repo}/blobs/{digest_of(big)}"), "an unreferenced blob after gc")
    ok(f"delete by tag and digest; gc refused beside a server, then removed {report['blobs_removed']} blobs")
    status = registry.stop()
    if status != 0:
        fail(f"SIGTERM: exit status {status}")


def push_desc(data):
    return {"mediaType": "application/octet-stream", "digest": digest_of(data), "size": len(data)}


def check_receipt(receipt, entry, vkey):
    """Verifies a log receipt with rfc6962_check.py's own algorithms and the vkey's Ed25519 key."""
    note = receipt["checkpoint"]
    lines = note.split("\n")
    size = int(lines[1])
    root = base64.b64decode(lines[2])
    proof = [base64.b64decode(p) for p in receipt["inclusion_proof"]]
    leaf = rfc.leaf_hash(entry)
    if rfc.root_from_inclusion_proof(receipt["index"], size, leaf, proof) != root:
        fail("the inclusion proof does not lead to the checkpoint's root")
    rfc.verify_note(note, vkey)
    return size


def skopeo(token):
    if shutil.which("skopeo") is None:
        print("skipped: skopeo interop (no skopeo)")
        return
    # An OCI image layout of a small image, made here, copied in and out.
    layout = os.path.join(WORK, "layout")
    os.makedirs(os.path.join(layout, "blobs", "sha256"))

    def put(data):
        open(os.path.join(layout, "blobs", "sha256", hashlib.sha256(data).hexdigest()), "wb").write(data)
        return digest_of(data)

    import gzip
    import io
    import tarfile
    tar_bytes = io.BytesIO()
    with tarfile.open(fileobj=tar_bytes, mode="w") as tar:
        info = tarfile.TarInfo("hello.txt")
        info.size = 6
        tar.addfile(info, io.BytesIO(b"hello\n"))
    layer = gzip.compress(tar_bytes.getvalue(), mtime=0)
    diff_id = digest_of(tar_bytes.getvalue())
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "rootfs": {"type": "layers", "diff_ids": [diff_id]}}).encode()
    manifest = manifest_of({"mediaType": "application/vnd.oci.image.config.v1+json", "digest": put(config),
                            "size": len(config)},
                           [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": put(layer),
                             "size": len(layer)}])
    put(manifest)
    open(os.path.join(layout, "oci-layout"), "w").write('{"imageLayoutVersion":"1.0.0"}')
    json.dump({"schemaVersion": 2, "manifests": [{"mediaType": OCI_MANIFEST, "digest": digest_of(manifest),
                                                  "size": len(manifest),
                                                  "annotations": {"org.opencontainers.image.ref.name": "v1"}}]},
              open(os.path.join(layout, "index.json"), "w"))
    run = lambda *args: subprocess.run(["skopeo", *args], capture_output=True, text=True, timeout=120)
    copied = run("copy", "--dest-tls-verify=false", "--dest-creds", "cairn:" + token, f"oci:{layout}:v1",
                 f"docker://{registry.address}/team/skopeo:v1")
    if copied.returncode != 0:
        fail("skopeo copy into the registry: " + copied.stderr)
    got = expect(200, request("GET", "/v2/team/skopeo/manifests/v1", headers={"Accept": OCI_MANIFEST}), "copied")
    if digest_of(got[2]) != digest_of(manifest):
        fail("skopeo's copy changed the manifest")
    raw = run("inspect", "--raw", "--tls-verify=false", f"docker://{registry.address}/team/skopeo:v1")
    if raw.returncode != 0 or raw.stdout.encode() != manifest:
        fail("skopeo inspect --raw: " + raw.stderr)
    out = os.path.join(WORK, "out")
    copied = run("copy", "--src-tls-verify=false", f"docker://{registry.address}/team/skopeo:v1", f"oci:{out}:v1")
    if copied.returncode != 0:
        fail("skopeo copy out of the registry: " + copied.stderr)
    for data in (config, layer, manifest):
        if open(os.path.join(out, "blobs", "sha256", hashlib.sha256(data).hexdigest()), "rb").read() != data:
            fail("skopeo's copy out differs")
    ok("skopeo copies an OCI layout in (Basic credentials) and out again; inspect --raw gives the same bytes")


if __name__ == "__main__":
    try:
        main()
    finally:
        registry.close()
        shutil.rmtree(WORK, ignore_errors=True)
