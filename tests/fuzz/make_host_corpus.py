#!/usr/bin/env python3
"""Writes the seed corpora of the host fuzz targets into tests/fuzz/corpus/<target>/.

The seeds are real inputs made by the real tools of a built tree: manifests from `cairn manifest
dev` and from `manifest init/release/sign/snapshot` with an OpenPGP root, locks from `cairn lock`,
envelopes from `cairn sign --dsse` (with the key the dsse target pins), archives from `cairn
archive create`, images linked by the build and re-linked with the device notes of `cairn image
notes`, and this checkout's own library.json and unikernel.json files. Some are edited the way a
hand or another tool would (pretty-printed, URL-safe base64, an extension field), and hostile
archives are made with Python's tarfile.

Files named seed-* must be accepted by the reader under test (host_corpus_replay_test checks it);
refused-* are inputs it must refuse gracefully. Inputs a fuzzer once broke an invariant with live
beside them as crash-* files and are never touched by this script. Run it after a change to a
format or to a target's input layout:

    python3 tests/fuzz/make_host_corpus.py [BUILD_DIR]      (default: build)

It needs gpg, strip, ninja and the build's C++ compiler (BUILD_DIR must be a Ninja build); it
writes only tests/fuzz/corpus/ and a temporary folder it removes. Keys are made afresh, so every
run writes different bytes: rerun it only when the seeds must change.
"""
import base64
import glob
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.path.join(HERE, "corpus")
TARGETS = ["canonical_json", "metadata", "library_json", "unikernel_json", "lock", "glob", "semver", "dsse",
           "image", "archive", "log", "registry_requests"]

# The seed of the one Ed25519 key the dsse target pins (dsse_fuzz_target.cc): 32 bytes.
PINNED_KEY_SEED = b"cairn-fuzz-dsse-pinned-key-seed!"
# PKCS#8 wrapping of a raw Ed25519 seed (RFC 8410): what `openssl genpkey` writes around it.
PKCS8_ED25519_PREFIX = bytes.fromhex("302e020100300506032b657004220420")


class Tools:
    def __init__(self, build, work):
        self.build = build
        self.cairn = os.path.join(build, "bin", "cairn")
        self.work = work
        self.env = dict(os.environ, XDG_STATE_HOME=os.path.join(work, "state"),
                        XDG_CACHE_HOME=os.path.join(work, "cache"), GNUPGHOME=os.path.join(work, "gnupg"),
                        SOURCE_DATE_EPOCH="0")
        os.makedirs(self.env["GNUPGHOME"], mode=0o700)

    def run(self, *arguments, cwd=None):
        result = subprocess.run(list(arguments), env=self.env, cwd=cwd, check=True, stdout=subprocess.PIPE)
        return result.stdout.decode()

    def cairn_run(self, *arguments):
        return self.run(self.cairn, *arguments)

    def path(self, *parts):
        return os.path.join(self.work, *parts)


def read(path):
    with open(path, "rb") as handle:
        return handle.read()


def write(target, name, data):
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(CORPUS, target, name), "wb") as out:
        out.write(data)


def canonical(value):
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def clear_seeds():
    for target in TARGETS:
        folder = os.path.join(CORPUS, target)
        os.makedirs(folder, exist_ok=True)
        for name in os.listdir(folder):
            if name.startswith(("seed-", "refused-")):
                os.remove(os.path.join(folder, name))


# --- manifests, locks, descriptions -------------------------------------------------------------

def make_manifests(tools):
    """A development manifest of this checkout, and a repository with an OpenPGP root whose
    entries carry archives and a yanked version; locks of two apps against them."""
    dev = tools.path("dev-manifest")
    tools.cairn_run("manifest", "dev", "--repo", dev, "--checkout", SOURCE)
    for app in ("hello", "udp-echo"):
        shutil.copytree(os.path.join(SOURCE, "examples", app), tools.path(app))
        tools.cairn_run("lock", tools.path(app), "--manifest", dev, "--sources", SOURCE)

    tools.cairn_run("key", "generate", "--openpgp", "Fuzz Root <root@example.org>", "--no-passphrase")
    fingerprint = json.loads(tools.cairn_run("--json", "key", "list").splitlines()[0])["keyid"]
    tools.cairn_run("key", "export", fingerprint, "-o", tools.path("root.asc"))
    tools.cairn_run("key", "generate", "--ed25519", tools.path("maintainer.key"))
    repo = tools.path("pgp-manifest")
    tools.cairn_run("manifest", "init", "--root-key", tools.path("root.asc"), "--maintainer-key",
                    tools.path("maintainer.key.pub"), "--out", repo)
    tools.cairn_run("manifest", "sign", "--key", fingerprint, os.path.join(repo, "root.json"))
    for library, extra in (("protocols/common", ["--archive"]), ("protocols/icmp", ["--archive"]),
                           ("protocols/udp", ["--yank", "superseded by a fixed release"])):
        tools.cairn_run("manifest", "release", os.path.join(SOURCE, library), "--repo", repo, *extra)
    for entry in glob.glob(os.path.join(repo, "libraries", "*", "*.json")):
        tools.cairn_run("manifest", "sign", "--key", tools.path("maintainer.key"), entry)
    tools.cairn_run("manifest", "snapshot", "--repo", repo, "--key", fingerprint)
    os.makedirs(tools.path("ping"))
    with open(tools.path("ping", "unikernel.json"), "w") as out:
        json.dump({"name": "ping", "version": "1.0.0", "target": "spt", "main": ["main.cc"],
                   "requires": {"icmp": ">=0.1.0, <0.2"}}, out)
    tools.cairn_run("lock", tools.path("ping"), "--manifest", repo, "--root", os.path.join(repo, "root.json"))
    subprocess.run(["gpgconf", "--kill", "all"], env=tools.env, check=False)
    return dev, repo


def entry_path(repo, name):
    return glob.glob(os.path.join(repo, "libraries", name, "*.json"))[0]


def write_metadata_seeds(dev, repo):
    write("metadata", "seed-dev-root", read(os.path.join(dev, "root.json")))
    write("metadata", "seed-dev-snapshot", read(os.path.join(dev, "snapshot.json")))
    write("metadata", "seed-dev-timestamp", read(os.path.join(dev, "timestamp.json")))
    write("metadata", "seed-dev-entry", read(entry_path(dev, "kernel-net")))
    write("metadata", "seed-openpgp-root", read(os.path.join(repo, "root.json")))
    write("metadata", "seed-archive-entry", read(entry_path(repo, "icmp")))
    write("metadata", "seed-yanked-entry", read(entry_path(repo, "udp")))
    write("metadata", "seed-openpgp-timestamp", read(os.path.join(repo, "timestamp.json")))
    # Advisories have no command yet: added by hand to a real entry (its signature no longer holds).
    entry = json.loads(read(entry_path(repo, "icmp")))
    entry["signed"]["advisories"] = [{"id": "CAIRN-2026-0001", "affected": "<0.1.1",
                                      "summary": "echo replies quote too much of the request"}]
    write("metadata", "seed-entry-with-advisory", canonical(entry) + b"\n")
    root = json.loads(read(os.path.join(dev, "root.json")))
    write("metadata", "seed-pretty-root", json.dumps(root, indent=2))
    root["signed"]["spec_version"] = "2.0.0"
    write("metadata", "refused-future-spec", canonical(root) + b"\n")
    root["signed"]["spec_version"] = "1.0.0"
    root["signed"]["roles"]["root"]["threshold"] = 2
    write("metadata", "refused-unmeetable-threshold", canonical(root) + b"\n")


def write_description_seeds(tools):
    seen = set()
    for path in sorted(glob.glob(os.path.join(SOURCE, "**", "library.json"), recursive=True)):
        relative = os.path.relpath(path, SOURCE)
        if relative.startswith(("build", "tests")):
            continue
        content = read(path)
        if content in seen:
            continue
        seen.add(content)
        write("library_json", "seed-" + os.path.dirname(relative).replace("/", "-"), content)
    library = json.loads(read(os.path.join(SOURCE, "protocols", "icmp", "library.json")))
    write("library_json", "refused-partial-version", json.dumps(dict(library, version="0.1")))
    write("library_json", "refused-bad-constraint", json.dumps(dict(library, depends={"protocols-common": "^^0.1"})))
    write("library_json", "refused-path-name", json.dumps(dict(library, name="../icmp")))

    for app in ("hello", "udp-echo"):
        write("unikernel_json", "seed-" + app, read(os.path.join(SOURCE, "examples", app, "unikernel.json")))
    write("unikernel_json", "seed-ping", read(tools.path("ping", "unikernel.json")))
    write("unikernel_json", "refused-bad-requirement", json.dumps({"name": "x", "requires": {"kernel": "> = 1"}}))

    for app in ("hello", "udp-echo", "ping"):
        write("lock", "seed-" + app, read(tools.path(app, "cairn.lock")))
    lock = json.loads(read(tools.path("ping", "cairn.lock")))
    write("lock", "seed-pretty-ping", json.dumps(lock, indent=1))
    lock["spec_version"] = "2.0.0"
    write("lock", "refused-future-spec", canonical(lock))


def write_canonical_json_seeds(dev, tools):
    write("canonical_json", "seed-root", read(os.path.join(dev, "root.json")))
    write("canonical_json", "seed-pretty-lock", json.dumps(json.loads(read(tools.path("udp-echo", "cairn.lock"))),
                                                          indent=2))
    vectors = json.loads(read(os.path.join(SOURCE, "tests", "core", "canonical_json_vectors.json")))
    for number, case in enumerate(vectors["cases"]):
        text = bytes.fromhex(case["input_hex"]) if "input_hex" in case else case["input"].encode()
        kind = "seed" if "canonical" in case else "refused"
        write("canonical_json", f"{kind}-vector-{number:02}", text)
    write("canonical_json", "seed-deepest", "[" * 128 + "]" * 128)
    write("canonical_json", "refused-too-deep", "[" * 129 + "]" * 129)
    write("canonical_json", "seed-utf16-order", '{"\\ue000":1,"\\ud83d\\ude00":2,"\\u00e9":3,"a":[-9223372036854775808,'
                                                '18446744073709551615]}')


def matches_component(pattern, name):
    if not pattern:
        return not name
    if pattern[0] == "*":
        return matches_component(pattern[1:], name) or (bool(name) and matches_component(pattern, name[1:]))
    return bool(name) and (pattern[0] in ("?", name[0])) and matches_component(pattern[1:], name[1:])


def glob_matches(pattern, path):
    def match(globs, parts):
        if not globs:
            return not parts
        if globs[0] == "**":
            return match(globs[1:], parts) or (bool(parts) and match(globs, parts[1:]))
        return bool(parts) and matches_component(globs[0], parts[0]) and match(globs[1:], parts[1:])
    return match(pattern.split("/"), path.split("/"))


def write_glob_seeds():
    """Each source glob of this checkout's library.json files with a file it selects."""
    seen = set()
    for path in sorted(glob.glob(os.path.join(SOURCE, "**", "library.json"), recursive=True)):
        folder = os.path.dirname(path)
        if os.path.relpath(folder, SOURCE).startswith(("build", "tests")):
            continue
        files = sorted(os.path.relpath(os.path.join(directory, name), folder)
                       for directory, _, names in os.walk(folder) for name in names)
        for pattern in json.loads(read(path)).get("sources", []):
            selected = [name for name in files if glob_matches(pattern, name)]
            if pattern in seen or not selected:
                continue
            seen.add(pattern)
            write("glob", "seed-" + pattern.replace("/", "_").replace("*", "S"), f"{pattern}\n{selected[-1]}")
    write("glob", "seed-question-mark", "src/?dp.cc\nsrc/udp.cc")
    write("glob", "seed-nested-stars", "include/**/protocols/**/*.h\ninclude/cairn/protocols/udp/udp.h")
    write("glob", "refused-other-folder", "src/*.cc\ninclude/x.cc")
    write("glob", "refused-star-stops-at-slash", "*.h\ninclude/a.h")


def write_registry_request_seeds():
    """Request parts as OCI clients send them (the paths and headers distribution_test.py sends)."""
    blob = "sha256:" + hashlib.sha256(b"hello, registry\n").hexdigest()
    write("registry_requests", "seed-path-blob", f"/v2/team/app/blobs/{blob}")
    write("registry_requests", "seed-path-upload", "/v2/team/app/blobs/uploads/" + "0123456789abcdef" * 2)
    write("registry_requests", "seed-path-manifest", "/v2/team/app/manifests/v1.0")
    write("registry_requests", "seed-path-tags", "/v2/a.b/c__d/tags/list")
    write("registry_requests", "seed-path-referrers", f"/v2/team/app/referrers/{blob}")
    write("registry_requests", "seed-path-log", "/log/tile/0/x001/234.p/5")
    write("registry_requests", "seed-name", "team/app.v2")
    write("registry_requests", "seed-tag", "sha256-0123.att")
    write("registry_requests", "seed-digest", blob)
    write("registry_requests", "seed-range", "bytes=7-14")
    write("registry_requests", "seed-range-suffix", "bytes=-4")
    write("registry_requests", "seed-content-range", "1048576-2097151")
    write("registry_requests", "seed-log-entry", canonical(
        {"envelope": blob, "manifest": blob, "repository": "team/app", "signers": ["k1", "k2"], "tag": "v1"}))
    config = {"mediaType": "application/vnd.oci.empty.v1+json", "digest": blob, "size": 2}
    write("registry_requests", "seed-manifest", canonical(
        {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
         "artifactType": "application/vnd.cairn.unikernel.v1", "config": config,
         "layers": [{"mediaType": "application/vnd.cairn.unikernel.image.v1", "digest": blob, "size": 16,
                     "annotations": {"org.opencontainers.image.title": "app.spt"}}],
         "subject": {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": blob, "size": 400},
         "annotations": {"org.opencontainers.image.created": "2026-01-01T00:00:00Z"}}))
    write("registry_requests", "seed-index", canonical(
        {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
         "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": blob, "size": 9}]}))
    write("registry_requests", "refused-path-traversal", "/v3/../etc/passwd")
    write("registry_requests", "refused-range-multi", "bytes 0-1,5-6 of nothing")


def write_semver_seeds():
    versions = set()
    constraints = set()
    for path in glob.glob(os.path.join(SOURCE, "**", "library.json"), recursive=True):
        description = json.loads(read(path))
        versions.add(description["version"])
        constraints.update(description.get("depends", {}).values())
    for path in glob.glob(os.path.join(SOURCE, "examples", "*", "unikernel.json")):
        constraints.update(json.loads(read(path)).get("requires", {}).values())
    write("semver", "seed-checkout", "\n".join(sorted(versions) + sorted(constraints)))
    # The grammar's own examples (semver.h).
    write("semver", "seed-grammar", "1.2.3-rc.1+build.5\n^1.2\n^0.2.3\n^0.0.3\n~1.2.3\n=1.2\n*\n>=1.0.0, <2.0.0 || =3.0.0-rc.1")
    write("semver", "seed-bounds", "18446744073709551615.18446744073709551615.18446744073709551615\n"
                                   ">1.18446744073709551615\n^18446744073709551615.0.0\n<=1.2")
    write("semver", "seed-prereleases", "1.0.0-alpha\n1.0.0-alpha.1\n1.0.0-0.3.7\n1.0.0-x.7.z.92\n>=1.0.0-alpha, <1.0.0")
    write("semver", "refused-leading-zero", "01.2.3\n1.2.3-01")


# --- envelopes ----------------------------------------------------------------------------------

def urlsafe_unpadded(text):
    return text.replace("+", "-").replace("/", "_").rstrip("=")


def write_dsse_seeds(tools):
    der = PKCS8_ED25519_PREFIX + PINNED_KEY_SEED
    pem = "-----BEGIN PRIVATE KEY-----\n" + base64.b64encode(der).decode() + "\n-----END PRIVATE KEY-----\n"
    key = tools.path("pinned.pem")
    with open(os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as out:
        out.write(pem)
    tools.cairn_run("key", "generate", "--ed25519", tools.path("other.key"))

    statement = tools.path("statement.json")
    lock_digest = tools.cairn_run("--json", "hash", "file", tools.path("udp-echo", "cairn.lock"))
    with open(statement, "wb") as out:
        out.write(canonical({"_type": "https://in-toto.io/Statement/v1",
                             "subject": [{"name": "cairn.lock",
                                          "digest": {"sha256": json.loads(lock_digest)["digest"].split(":")[1]}}],
                             "predicateType": "https://cairn.example/lock/v1", "predicate": {}}))
    signed = tools.path("statement.dsse.json")
    tools.cairn_run("sign", "--key", key, "--dsse", "--payload-type", "application/vnd.in-toto+json", "-o", signed,
                    statement)
    write("dsse", "seed-pinned", read(signed))
    cosigned = tools.path("cosigned.dsse.json")
    shutil.copy(signed, cosigned)
    tools.cairn_run("sign", "--key", tools.path("other.key"), "--append", cosigned, statement)
    write("dsse", "seed-pinned-and-other", read(cosigned))
    other = tools.path("other.dsse.json")
    description = tools.path("udp-echo", "unikernel.json")
    tools.cairn_run("sign", "--key", tools.path("other.key"), "--dsse", "--payload-type", "application/json", "-o",
                    other, description)
    write("dsse", "seed-other-key", read(other))

    # The same envelope as other DSSE tools may write it.
    envelope = json.loads(read(signed))
    variant = json.loads(read(signed))
    variant["payload"] = urlsafe_unpadded(variant["payload"])
    variant["signatures"][0]["sig"] = urlsafe_unpadded(variant["signatures"][0]["sig"])
    write("dsse", "seed-url-safe", json.dumps(variant))
    variant = json.loads(read(signed))
    del variant["signatures"][0]["keyid"]
    write("dsse", "seed-no-keyid", json.dumps(variant, indent=2))
    variant = json.loads(read(signed))
    variant["signatures"][0]["cert"] = "-----BEGIN CERTIFICATE-----"
    variant["x-comment"] = "extension fields are read past"
    write("dsse", "seed-extension-fields", canonical(variant))
    envelope["payloadType"] = "text/plain"
    write("dsse", "seed-changed-payload-type", canonical(envelope))
    write("dsse", "refused-no-signatures-field", canonical({"payload": "", "payloadType": "x"}))


# --- images -------------------------------------------------------------------------------------

def strip(source, destination):
    subprocess.run(["strip", "-o", destination, source], check=True)
    return read(destination)


def rebuild_with_devices(tools, image, devices, output):
    """Builds the test image tests/kernel/images/<image> again with `cairn build`, declaring
    `devices` ("net:NAME", "block:NAME") in a copy of its unikernel.json."""
    app = tools.path(os.path.basename(output) + ".app")
    shutil.copytree(os.path.join(SOURCE, "tests", "kernel", "images", image), app)
    description = json.loads(read(os.path.join(app, "unikernel.json")))
    description["devices"] = {kind: [device.split(":", 1)[1] for device in devices if device.startswith(kind + ":")]
                              for kind in ("net", "block")}
    with open(os.path.join(app, "unikernel.json"), "w") as out:
        json.dump(description, out)
    manifest = tools.path("image-dev-manifest")
    tools.cairn_run("manifest", "dev", "--repo", manifest, "--checkout", SOURCE)
    tools.cairn_run("build", app, "--manifest", manifest, "--sources", SOURCE, "--out", os.path.join(app, "out"))
    return strip(os.path.join(app, "out", description["name"] + ".spt"), output + ".stripped")


def write_image_seeds(tools):
    images = os.path.join(tools.build, "images")
    write("image", "seed-exit-status", strip(os.path.join(images, "exit_status.spt"), tools.path("exit.spt")))
    write("image", "seed-hello", strip(os.path.join(images, "hello.spt"), tools.path("hello.spt")))
    write("image", "seed-one-net",
          rebuild_with_devices(tools, "exit_status", ["net:service0"], tools.path("one-net.spt")))
    write("image", "seed-net-and-block",
          rebuild_with_devices(tools, "exit_status", ["net:service0", "block:storage"],
                               tools.path("net-block.spt")))
    write("image", "seed-most-devices",
          rebuild_with_devices(tools, "exit_status", [f"block:disk{i}" for i in range(63)],
                               tools.path("most.spt")))
    solo5 = os.path.join(SOURCE, "..", "shared", "peers", "solo5", "tests", "test_hello", "test_hello.spt")
    if os.path.exists(solo5):  # Solo5's own layout (its ISC-licensed test image, stripped)
        write("image", "seed-solo5-hello", strip(solo5, tools.path("solo5.spt")))
    notes = tools.path("notes.o")
    tools.cairn_run("image", "notes", "--target", "spt", "--device", "net:service0", "-o", notes)
    write("image", "refused-notes-object", read(notes))


# --- archives -----------------------------------------------------------------------------------

def tar_bytes(entries, compress=False, format=tarfile.PAX_FORMAT):
    """A tar (or tar.gz) of (TarInfo fields, content) pairs, with no padding past the end marker."""
    buffer = io.BytesIO()
    record_size = tarfile.RECORDSIZE
    tarfile.RECORDSIZE = tarfile.BLOCKSIZE
    try:
        with tarfile.open(fileobj=buffer, mode="w:gz" if compress else "w", format=format) as archive:
            for fields, content in entries:
                info = tarfile.TarInfo(fields.pop("name"))
                for key, value in fields.items():
                    setattr(info, key, value)
                if content is not None:
                    info.size = len(content)
                archive.addfile(info, io.BytesIO(content) if content is not None else None)
    finally:
        tarfile.RECORDSIZE = record_size
    return buffer.getvalue()


def file(name, content=b"x\n", mode=0o644):
    return {"name": name, "mode": mode}, content


def special(name, kind, **fields):
    return dict({"name": name, "type": kind}, **fields), None


def write_archive_seeds(tools):
    tree = tools.path("tree")
    os.makedirs(os.path.join(tree, "bin"))
    os.makedirs(os.path.join(tree, "src", "net"))
    for name, content in (("README", "A small tree.\n"), ("src/main.c", "int main(void) { return 0; }\n"),
                          ("src/net/udp.c", "/* udp */\n"), ("bin/run", "#!/bin/sh\nexec ./main\n")):
        with open(os.path.join(tree, name), "w") as out:
            out.write(content)
    os.chmod(os.path.join(tree, "bin", "run"), 0o755)
    os.symlink("src/main.c", os.path.join(tree, "main.c"))
    os.symlink("../README", os.path.join(tree, "src", "README"))
    tools.cairn_run("archive", "create", tree, tools.path("tree.tar.gz"))
    write("archive", "seed-cairn-tree", read(tools.path("tree.tar.gz")))
    tools.cairn_run("archive", "create", os.path.join(SOURCE, "protocols", "icmp"), tools.path("icmp.tar.gz"))
    write("archive", "seed-cairn-icmp", read(tools.path("icmp.tar.gz")))

    write("archive", "seed-plain-tar", tar_bytes([
        ({"name": "dir", "type": tarfile.DIRTYPE, "mode": 0o755}, None), file("dir/a"),
        special("dir/b", tarfile.LNKTYPE, linkname="dir/a"), special("dir/c", tarfile.SYMTYPE, linkname="a")]))
    write("archive", "seed-gnu-long-name", tar_bytes([file("d/" + "n" * 120), file("é/ü")], True, tarfile.GNU_FORMAT))
    write("archive", "seed-pax-long-link", tar_bytes([file("a/" + "t" * 110),
                                                      special("l", tarfile.SYMTYPE, linkname="a/" + "t" * 110)], True))
    write("archive", "seed-directory-after-contents", tar_bytes([file("d/x"), special("d", tarfile.DIRTYPE)], True))
    write("archive", "seed-link-to-root", tar_bytes([special("self", tarfile.SYMTYPE, linkname=".")], True))

    hostile = {
        "parent-path": [file("../escaped")],
        "absolute-path": [file("/tmp/escaped")],
        "absolute-symlink": [special("etc", tarfile.SYMTYPE, linkname="/etc")],
        "escaping-symlink": [special("up", tarfile.SYMTYPE, linkname="../../outside")],
        "symlink-chain": [special("here", tarfile.SYMTYPE, linkname="."),
                          special("out", tarfile.SYMTYPE, linkname="here/../sentinel")],
        "write-through-symlink": [special("s", tarfile.SYMTYPE, linkname="."), file("s/x")],
        # Dangling now, but out of the destination as soon as a folder "missing" is made in it.
        "dangling-symlink-escape": [special("s", tarfile.SYMTYPE, linkname="."),
                                    special("t", tarfile.SYMTYPE, linkname="s/missing/../../sentinel")],
        "hardlink-outside": [special("h", tarfile.LNKTYPE, linkname="../sentinel")],
        "hardlink-before-file": [special("h", tarfile.LNKTYPE, linkname="f"), file("f")],
        "hardlink-to-directory": [special("d", tarfile.DIRTYPE), special("h", tarfile.LNKTYPE, linkname="d")],
        "character-device": [special("null", tarfile.CHRTYPE, devmajor=1, devminor=3)],
        "fifo": [special("pipe", tarfile.FIFOTYPE)],
        "duplicate": [file("f"), file("f")],
        "file-under-file": [file("f"), file("f/g")],
        "too-many-entries": [file(f"f{i}") for i in range(65)],
        "too-deep": [file("/".join(["d"] * 257))],
        "file-over-limit": [file("big", bytes(65 << 10))],
        "over-total-limit": [file(f"big{i}", bytes(60 << 10)) for i in range(5)],
    }
    for name, entries in hostile.items():
        write("archive", "refused-" + name, tar_bytes(entries, compress=True))
    write("archive", "refused-truncated", read(tools.path("tree.tar.gz"))[:-20])


# --- the transparency log ----------------------------------------------------------------------

def write_log_seeds(tools):
    """A checkpoint signed by the key log_fuzz_target.cc pins (tests/registry/log_vectors signs with
    it), its text and verifier key, tile and entry-bundle paths, and an entry bundle."""
    out = json.loads(tools.run(os.path.join(tools.build, "tests", "log_vectors"), "9"))
    note = out["note"]
    write("log", "seed-note", note)
    write("log", "seed-checkpoint", note[: note.rindex("\n\n") + 1])
    write("log", "seed-vkey", out["vkey"])
    write("log", "seed-tile-path", "tile/0/x001/x234/067")
    write("log", "seed-tile-partial", "tile/1/000.p/17")
    write("log", "seed-entries-path", "tile/entries/x002/103.p/255")
    write("log", "seed-entry-bundle",
          b"".join(len(e).to_bytes(2, "big") + e for e in [b"", b"a", b'{"manifest":"sha256:00"}']))
    write("log", "refused-note-by-another-key", note.replace("example.org/log ", "example.org/log2 "))
    write("log", "refused-tile-leading-x000", "tile/0/x000/067")


def main(arguments):
    build = os.path.abspath(arguments[0] if arguments else os.path.join(SOURCE, "build"))
    if not os.path.exists(os.path.join(build, "bin", "cairn")):
        sys.exit(f"make_host_corpus.py: no {build}/bin/cairn; build the tree first")
    clear_seeds()
    with tempfile.TemporaryDirectory(prefix="cairn-corpus-") as work:
        tools = Tools(build, work)
        dev, repo = make_manifests(tools)
        write_metadata_seeds(dev, repo)
        write_description_seeds(tools)
        write_canonical_json_seeds(dev, tools)
        write_glob_seeds()
        write_semver_seeds()
        write_registry_request_seeds()
        write_dsse_seeds(tools)
        write_image_seeds(tools)
        write_archive_seeds(tools)
        write_log_seeds(tools)


if __name__ == "__main__":
    main(sys.argv[1:])
