"""The inner ZIP that `dtcost license import` copies out of an outer export
is unlinked as soon as it is created: $TMPDIR stays empty while the import
runs, and after a SIGKILL in the middle of it nothing is left behind."""
import io
import json
import os
import signal
import subprocess
import tempfile
import time
import unittest
import zipfile

from emu import DTCOST, tmpdir
from lichostile import H0, doc, env


class KilledImport(unittest.TestCase):
    def test_tmpdir_stays_empty_while_running_and_after_a_kill(self):
        d = tmpdir()
        # an inner ZIP of 400 hours, each padded with unread hex so that the
        # copy and the parse take a measurable while
        inner = io.BytesIO()
        pad = os.urandom(64 << 10).hex()
        with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as z:
            for h in range(400):
                body = doc([env("env-a")], timeFrameStart=H0 + h * 3600000, timeFrameEnd=H0 + (h + 1) * 3600000,
                           padding=[pad, str(h)])
                z.writestr(f"{H0 + h * 3600000}.json", json.dumps(body))
        outer = os.path.join(d, "export.zip")
        with zipfile.ZipFile(outer, "w", zipfile.ZIP_STORED) as z:
            z.writestr("consumption.zip", inner.getvalue())
            z.writestr("export.log", b"log")
        for kill in (False, True):
            with self.subTest(killed=kill):
                tmp = tempfile.mkdtemp(dir=d)
                env_ = dict(os.environ, TMPDIR=tmp)
                p = subprocess.Popen([DTCOST, "license", "import", outer, "--db", os.path.join(tmp, "..", f"k{kill}.db"),
                                      "--threads", "1"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env_)
                seen, t0 = set(), time.monotonic()
                while p.poll() is None and time.monotonic() - t0 < 60:
                    seen.update(os.listdir(tmp))
                    if kill and time.monotonic() - t0 > 0.15:
                        p.send_signal(signal.SIGKILL)
                        p.wait()
                        break
                    time.sleep(0.001)
                p.wait(timeout=60)
                p.stderr.close()
                if not kill:
                    self.assertEqual(p.returncode, 0)
                self.assertEqual(seen, set(), "a temporary file was visible in TMPDIR")
                self.assertEqual(os.listdir(tmp), [])


if __name__ == "__main__":
    unittest.main()
