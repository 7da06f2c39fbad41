"""Set-up made once for the test files that only read it: a synced database
(dtsync.synced_copy), the demo's FOCUS export (focusrules.demo_export). Each
is made by the first test file to ask, under an exclusive lock, in a folder
of its own beside the tests' temporary folders; the others wait for it and
read it. It is made again when the dtcost binary changes."""
import fcntl
import hashlib
import json
import os
import shutil
import time

from emu import DTCOST, tmpdir


def made_once(what, make, wait=600, binary=DTCOST):
    """The folder in which make(folder) made what `what` (a JSON-able value:
    the name and arguments of the set-up) names: made now if this dtcost
    binary (`binary`, the binary under test unless a set-up runs another) has
    not made it yet, else made before. Waits at most `wait`
    seconds for another test file that is making it; a make() that raises
    leaves nothing behind for the next one to trust."""
    st = os.stat(binary)
    made_with = [os.path.realpath(binary), st.st_mtime_ns, st.st_size]
    key = hashlib.sha256(json.dumps(what).encode()).hexdigest()[:16]
    cache = os.path.join(os.path.dirname(tmpdir()), "shared")
    os.makedirs(cache, exist_ok=True)
    folder, made_by = os.path.join(cache, key), os.path.join(cache, f"{key}.json")
    with open(os.path.join(cache, f"{key}.lock"), "w") as lock:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise AssertionError(f"no shared set-up of {what} within {wait} s")
                time.sleep(0.1)
        try:
            with open(made_by) as f:
                fresh = json.load(f) == made_with and os.path.isdir(folder)
        except (OSError, ValueError):
            fresh = False
        if not fresh:
            if os.path.exists(made_by):
                os.unlink(made_by)
            shutil.rmtree(folder, ignore_errors=True)
            os.makedirs(folder)
            make(folder)
            with open(made_by, "w") as f:
                json.dump(made_with, f)
    return folder
