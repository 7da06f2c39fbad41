"""Helpers for scenario tests of secret files: run `dtcost sync` with
DT_CLIENT_SECRET_FILE pointing somewhere, with a bound on how long it may
take, and build the symlink tree a Kubernetes Secret volume mounts."""
import os
import subprocess
import time

from dtsync import run_sync, sync_env
from emu import DTCOST, tmpdir


def sync_with_secret_file(path, emu=None, bound=10):
    """`dtcost sync` whose client secret is read from path; returns
    (CompletedProcess, seconds). Without an emulator, the URLs point at a
    closed loopback port: the file must be refused before any request."""
    d = tmpdir()
    db = os.path.join(d, "dtcost.db")
    if emu:
        env = sync_env(emu, DT_CLIENT_SECRET=None, DT_CLIENT_SECRET_FILE=path)
        t0 = time.monotonic()
        r = run_sync(emu, db, env=env, timeout=bound)
    else:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DT_", "DTCOST_DB", "DTCOST_CONFIG"))}
        env.update({"DT_ACCOUNT_UUID": "2b236438-2a31-4872-8655-bca4fa8af917", "DT_CLIENT_ID": "dt0s02.X",
                    "DT_CLIENT_SECRET_FILE": path, "DT_SSO_URL": "http://127.0.0.1:9/sso",
                    "DT_API_URL": "http://127.0.0.1:9", "XDG_CONFIG_HOME": os.path.join(d, "xdg")})
        t0 = time.monotonic()
        r = subprocess.run([DTCOST, "sync", "--db", db, "--retry-attempts", "1"], env=env, capture_output=True,
                           text=True, timeout=bound)
    return r, time.monotonic() - t0, db


def kubelet_secret_volume(name, text, mode=0o600):
    """The layout kubelet gives a Secret volume: NAME -> ..data/NAME,
    ..data -> ..2026_12_01_10_00_00.123456789 (a timestamped folder that holds
    the real file). Returns the path a pod would be given (the top symlink)."""
    vol = os.path.join(tmpdir(), "secrets")
    stamp = "..2026_12_01_10_00_00.123456789"
    os.makedirs(os.path.join(vol, stamp))
    real = os.path.join(vol, stamp, name)
    with open(real, "w") as f:
        f.write(text + "\n")
    os.chmod(real, mode)
    os.symlink(stamp, os.path.join(vol, "..data"))
    os.symlink(os.path.join("..data", name), os.path.join(vol, name))
    return os.path.join(vol, name)
