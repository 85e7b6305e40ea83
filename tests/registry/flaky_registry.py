#!/usr/bin/env python3
"""A small OCI distribution server for the client's tests, in memory, that misbehaves on purpose:
  - pushes need a token, and a Bearer token is answered 401 "WWW-Authenticate: Basic" (the client
    must retry as Basic cairn:<token>);
  - upload Locations are relative and carry a query (the final PUT must append &digest=);
  - the 2nd PATCH of every upload stores half its chunk and drops the connection (the client must
    ask the session's offset with GET and resume), and the second time it does so it also forgets
    the session (the client must start a new one); the first manifest PUT answers 503 once;
  - the first GET of every blob sends half the bytes and drops the connection (the client must
    start again, keeping nothing of the first try);
  - it has the referrers API, and a transparency log: POST /log/entries appends the body as a leaf
    (RFC 6962, written from the RFC like rfc6962_check.py, whose functions it uses) and answers
    with an Ed25519-signed C2SP checkpoint and the inclusion proof; GET /log/vkey. POST /tamper/<digest> alters a stored blob.
It prints its port on stdout, then serves until killed.
Usage: flaky_registry.py TOKEN"""
import base64, hashlib, http.server, json, os, re, sys, threading, uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rfc6962_check import mth, path  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402

TOKEN = sys.argv[1]
LOG_NAME = "flaky.example/log"
KEY = Ed25519PrivateKey.generate()
PUBLIC = KEY.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
KEY_ID = hashlib.sha256(LOG_NAME.encode() + b"\n\x01" + PUBLIC).digest()[:4]
VKEY = "%s+%s+%s" % (LOG_NAME, KEY_ID.hex(), base64.b64encode(b"\x01" + PUBLIC).decode())

lock = threading.Lock()
blobs, uploads, manifests, tags = {}, {}, {}, {}
leaves = [b"an earlier entry %d" % i for i in range(5)]  # so that proofs are not trivial
patches, blob_gets, manifest_puts = {}, set(), [0]
counters = {"cancelled_sessions": 0, "dropped_patches": 0, "dropped_gets": 0, "basic_retries": 0, "failed_manifest_puts": 0}

NAME = r"(?P<name>[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*)"


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body=b"", headers=None, head=False):
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def body(self):
        return self.rfile.read(int(self.headers.get("Content-Length", "0")))

    def authorized(self):
        expected = "Basic " + base64.b64encode(("cairn:" + TOKEN).encode()).decode()
        given = self.headers.get("Authorization", "")
        if given == expected:
            return True
        if given == "Bearer " + TOKEN:
            with lock:
                counters["basic_retries"] += 1
        self.answer(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}', {"WWW-Authenticate": 'Basic realm="flaky"'})
        return False

    def do_GET(self):
        self.route("GET")

    def do_HEAD(self):
        self.route("HEAD")

    def do_POST(self):
        self.route("POST")

    def do_PATCH(self):
        self.route("PATCH")

    def do_PUT(self):
        self.route("PUT")

    def route(self, method):
        url = self.path.split("?", 1)
        path_part, query = url[0], (url[1] if len(url) > 1 else "")
        if path_part == "/stats":
            return self.answer(200, json.dumps(counters).encode())
        m = re.fullmatch(r"/tamper/(sha256:[0-9a-f]{64})", path_part)
        if m and method == "POST":  # the test alters a stored blob behind the client's back
            with lock:
                data = bytearray(blobs[m.group(1)])
                data[len(data) // 2] ^= 1
                blobs[m.group(1)] = bytes(data)
            return self.answer(200)
        if path_part == "/log/vkey" and method == "GET":
            return self.answer(200, (VKEY + "\n").encode())
        if path_part == "/log/entries" and method == "POST":
            return self.log_entry()
        if method in ("POST", "PATCH", "PUT") or path_part == "/v2/":
            if not self.authorized():
                return
        if path_part == "/v2/":
            return self.answer(200, b"{}")
        m = re.fullmatch(r"/v2/" + NAME + r"/blobs/(?P<digest>sha256:[0-9a-f]{64})", path_part)
        if m and method in ("GET", "HEAD"):
            return self.get_blob(m.group("digest"), method == "HEAD")
        m = re.fullmatch(r"/v2/" + NAME + r"/blobs/uploads/", path_part)
        if m and method == "POST":
            session = uuid.uuid4().hex
            with lock:
                uploads[session] = b""
            return self.answer(202, headers={"Location": "/v2/%s/blobs/uploads/%s?state=1" % (m.group("name"), session)})
        m = re.fullmatch(r"/v2/" + NAME + r"/blobs/uploads/(?P<session>[0-9a-f]+)", path_part)
        if m:
            return self.upload(method, m.group("name"), m.group("session"), query)
        m = re.fullmatch(r"/v2/" + NAME + r"/manifests/(?P<ref>[A-Za-z0-9_.:-]+)", path_part)
        if m:
            return self.manifest(method, m.group("name"), m.group("ref"))
        m = re.fullmatch(r"/v2/" + NAME + r"/referrers/(?P<digest>sha256:[0-9a-f]{64})", path_part)
        if m and method == "GET":
            return self.referrers(m.group("name"), m.group("digest"))
        self.answer(404, b'{"errors":[{"code":"NOT_FOUND"}]}')

    def get_blob(self, digest, head):
        with lock:
            data = blobs.get(digest)
            first = digest not in blob_gets and not head and len(data or b"") > 1
            if not head:
                blob_gets.add(digest)
        if data is None:
            return self.answer(404, b"", head=head)
        if first:
            with lock:
                counters["dropped_gets"] += 1
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self.answer(200, data, {"Docker-Content-Digest": digest}, head=head)

    def upload(self, method, name, session, query):
        with lock:
            if session not in uploads:
                return self.answer(404, b'{"errors":[{"code":"BLOB_UPLOAD_UNKNOWN"}]}')
            stored = len(uploads[session])
        location = "/v2/%s/blobs/uploads/%s?state=%d" % (name, session, stored)
        if method == "GET":
            headers = {"Location": location}
            if stored:
                headers["Range"] = "0-%d" % (stored - 1)
            return self.answer(204, headers=headers)
        if method == "PATCH":
            start, end = map(int, self.headers["Content-Range"].split("-"))
            length = int(self.headers["Content-Length"])
            if start != stored or end - start + 1 != length:
                self.body()
                return self.answer(416, headers={"Location": location, "Range": "0-%d" % (stored - 1)})
            with lock:
                patches[session] = patches.get(session, 0) + 1
                drop = patches[session] == 2 and length > 1
            if drop:
                half = self.rfile.read(length // 2)
                with lock:
                    uploads[session] += half
                    counters["dropped_patches"] += 1
                    # The second time, forget the session, as docker-registry does when a session's
                    # data and state disagree: the client must start a new one.
                    if counters["dropped_patches"] == 2:
                        del uploads[session]
                        counters["cancelled_sessions"] += 1
                self.close_connection = True
                self.connection.shutdown(2)
                return
            data = self.body()
            with lock:
                uploads[session] += data
                stored = len(uploads[session])
            return self.answer(202, headers={"Location": "/v2/%s/blobs/uploads/%s?state=%d" % (name, session, stored),
                                             "Range": "0-%d" % (stored - 1)})
        if method == "PUT":
            digest = dict(p.split("=", 1) for p in query.split("&") if "=" in p).get("digest")
            if self.headers.get("Content-Type") != "application/octet-stream" or "state=" not in query:
                self.body()
                return self.answer(400, b'{"errors":[{"code":"DIGEST_INVALID"}]}')
            data = self.body()
            with lock:
                content = uploads.pop(session) + data
            if digest != sha256(content):
                return self.answer(400, b'{"errors":[{"code":"DIGEST_INVALID"}]}')
            with lock:
                blobs[digest] = content
            return self.answer(201, headers={"Location": "/v2/%s/blobs/%s" % (name, digest), "Docker-Content-Digest": digest})
        self.answer(405)

    def manifest(self, method, name, ref):
        if method == "PUT":
            data = self.body()
            with lock:
                manifest_puts[0] += 1
                if manifest_puts[0] == 1:
                    counters["failed_manifest_puts"] += 1
                    return self.answer(503, b'{"errors":[{"code":"UNAVAILABLE"}]}')
            digest = sha256(data)
            if ref.startswith("sha256:") and ref != digest:
                return self.answer(400, b'{"errors":[{"code":"DIGEST_INVALID"}]}')
            document = json.loads(data)
            for descriptor in [document["config"]] + document["layers"]:
                if descriptor["digest"] not in blobs:
                    return self.answer(400, b'{"errors":[{"code":"MANIFEST_BLOB_UNKNOWN"}]}')
            with lock:
                manifests[(name, digest)] = (self.headers["Content-Type"], data)
                if not ref.startswith("sha256:"):
                    tags[(name, ref)] = digest
            headers = {"Docker-Content-Digest": digest}
            if "subject" in document:
                headers["OCI-Subject"] = document["subject"]["digest"]
            return self.answer(201, headers=headers)
        if method in ("GET", "HEAD"):
            digest = ref if ref.startswith("sha256:") else tags.get((name, ref))
            if (name, digest) not in manifests:
                return self.answer(404, b'{"errors":[{"code":"MANIFEST_UNKNOWN"}]}', head=method == "HEAD")
            media_type, data = manifests[(name, digest)]
            return self.answer(200, data, {"Content-Type": media_type, "Docker-Content-Digest": digest},
                               head=method == "HEAD")
        self.answer(405)

    def referrers(self, name, digest):
        found = []
        for (repository, manifest_digest), (media_type, data) in list(manifests.items()):
            document = json.loads(data)
            if repository == name and document.get("subject", {}).get("digest") == digest:
                found.append({"mediaType": media_type, "digest": manifest_digest, "size": len(data),
                              "artifactType": document.get("artifactType", document["config"]["mediaType"])})
        index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": found}
        self.answer(200, json.dumps(index).encode(), {"Content-Type": "application/vnd.oci.image.index.v1+json"})

    def log_entry(self):
        if not self.authorized():
            return
        if self.headers.get("Content-Type") != "application/json":
            self.body()
            return self.answer(415)
        entry = self.body()
        with lock:
            status = 200 if entry in leaves else 201
            if status == 201:
                leaves.append(entry)
            index = leaves.index(entry)
            tree = list(leaves)
        text = "%s\n%d\n%s\n" % (LOG_NAME, len(tree), base64.b64encode(mth(tree)).decode())
        signature = KEY.sign(text.encode())
        note = text + "\n\u2014 %s %s\n" % (LOG_NAME, base64.b64encode(KEY_ID + signature).decode())
        proof = [base64.b64encode(h).decode() for h in path(index, tree)]
        body = json.dumps({"index": index, "checkpoint": note, "inclusion_proof": proof}).encode()
        self.answer(status, body, {"Content-Type": "application/json"})


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
