#!/usr/bin/env python3
"""Makes bad bench bundles for tests/blackbox/62-bench-bundle.sh: reads a
bundle that `halobox bench export` wrote and writes OUT, a copy with one
fault (or none: MODE repack is the control, the same members written again
by Python's tarfile, which halobox must accept).

usage: bundle_tamper.py IN OUT MODE
"""
import hashlib
import io
import json
import sys
import tarfile


def members(path):
    with tarfile.open(path, "r:gz") as t:
        return [(m, t.extractfile(m).read() if m.isfile() else b"") for m in t.getmembers()]


def info(name, data=b"", kind=tarfile.REGTYPE, link=""):
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.size = len(data) if kind == tarfile.REGTYPE else 0
    ti.mode = 0o644
    ti.linkname = link
    return ti


def rehash(manifest, path, data):
    for m in manifest["members"]:
        if m["path"] == path:
            m["size"] = len(data)
            m["sha256"] = hashlib.sha256(data).hexdigest()
            return
    manifest["members"].append(
        {"path": path, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()})


def main():
    src, out, mode = sys.argv[1:4]
    entries = members(src)
    top = entries[0][0].name.split("/")[0]
    manifest = json.loads(entries[0][1])
    files = [(m.name, d) for m, d in entries[1:]]
    run_name = next(n for n, _ in files if "/runs/" in n)
    run_rel = run_name[len(top) + 1:]
    extra = []  # (TarInfo, data) after the others
    dirs = []  # directory entries before the manifest
    order = "manifest-first"
    if mode == "repack":
        pass
    elif mode == "edit":  # one byte of a run changed, the manifest not
        files = [(n, d.replace(b'"complete"', b'"failed__"', 1) if n == run_name else d)
                 for n, d in files]
    elif mode == "grow":  # a line added to a run, the manifest not
        files = [(n, d + b"{}\n" if n == run_name else d) for n, d in files]
    elif mode == "dirs":  # directory entries, as tar -c gives: allowed
        dirs = [top, top + "/runs", top + "/logs"]
    elif mode == "bad-dir":
        dirs = [top, top + "/other"]
    elif mode == "edit-rehashed":  # changed and the manifest made to match
        files = [(n, d.replace(b'"complete"', b'"failed"', 1) if n == run_name else d)
                 for n, d in files]
        rehash(manifest, run_rel, dict(files)[run_name])
    elif mode == "extra":
        extra.append((info(top + "/runs/extra.jsonl", b"{}\n"), b"{}\n"))
    elif mode == "traversal":
        data = b"owned\n"
        extra.append((info(top + "/../../evil.jsonl", data), data))
    elif mode == "absolute":
        data = b"owned\n"
        extra.append((info("/tmp/halobox-evil.jsonl", data), data))
    elif mode == "symlink":
        files = [(n, d) for n, d in files if n != run_name]
        extra.append((info(run_name, kind=tarfile.SYMTYPE, link="/etc/passwd"), b""))
    elif mode == "hardlink":
        files = [(n, d) for n, d in files if n != run_name]
        extra.append((info(run_name, kind=tarfile.LNKTYPE, link=top + "/facts.json"), b""))
    elif mode == "device":
        files = [(n, d) for n, d in files if n != run_name]
        ti = info(run_name, kind=tarfile.CHRTYPE)
        ti.devmajor, ti.devminor = 1, 3
        extra.append((ti, b""))
    elif mode == "no-manifest":
        order = "none"
    elif mode == "manifest-last":
        order = "manifest-last"
    elif mode == "bad-schema":
        manifest["schema"] = "halobox.bundle/99"
    elif mode == "oversized":  # listed with its true size and sum: over the cap
        data = b"\n" * (17 * 1024 * 1024)
        rehash(manifest, "logs/" + run_rel[5:-6] + ".log", data)
        files.append((top + "/logs/" + run_rel[5:-6] + ".log", data))
    elif mode == "oversized-lying":  # the manifest says 100 bytes
        data = b"\n" * (17 * 1024 * 1024)
        rehash(manifest, "logs/" + run_rel[5:-6] + ".log", data[:100])
        files.append((top + "/logs/" + run_rel[5:-6] + ".log", data))
    elif mode == "bad-run":  # sums right, but not a run
        data = b"this is not a run\n"
        files = [(n, data if n == run_name else d) for n, d in files]
        rehash(manifest, run_rel, data)
    else:
        sys.exit("unknown mode " + mode)
    mtext = json.dumps(manifest, indent=1).encode() + b"\n"
    with tarfile.open(out, "w:gz", format=tarfile.PAX_FORMAT) as t:
        for d in dirs:
            ti = info(d, kind=tarfile.DIRTYPE)
            ti.mode = 0o755
            t.addfile(ti)
        if order == "manifest-first":
            t.addfile(info(top + "/manifest.json", mtext), io.BytesIO(mtext))
        for name, data in files:
            t.addfile(info(name, data), io.BytesIO(data))
        for ti, data in extra:
            t.addfile(ti, io.BytesIO(data) if ti.type == tarfile.REGTYPE else None)
        if order == "manifest-last":
            t.addfile(info(top + "/manifest.json", mtext), io.BytesIO(mtext))


main()
