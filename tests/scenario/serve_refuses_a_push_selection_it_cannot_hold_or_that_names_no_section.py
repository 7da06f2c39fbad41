"""`dtcost serve --push NAME` selects pushes by name. A selection longer
than serve can hold (thousands of bytes of names) is refused with one line
and exit 78, not cut short or written past its buffer (it once corrupted
the heap: exit 134); a name without a [push NAME] section is refused the
same way. Neither starts the server or creates the database."""
import os
import subprocess
import unittest

from emu import DTCOST, tmpdir


class PushSelection(unittest.TestCase):
    def serve(self, *pushes):
        d = tmpdir()
        cfg = os.path.join(d, "c.ini")
        with open(cfg, "w") as f:
            f.write("[push hook]\ntype = webhook\nurl = http://127.0.0.1:9/x\n")
        db = os.path.join(d, "s.db")
        args = [a for p in pushes for a in ("--push", p)]
        res = subprocess.run([DTCOST, "serve", "--no-sync", "--db", db, "--config", cfg, *args],
                             capture_output=True, text=True, timeout=20)
        self.assertFalse(os.path.exists(db), "the database was created")
        return res

    def test_a_selection_too_long_to_hold_is_refused_in_one_line(self):
        res = self.serve("a" * 2000, "b" * 3000, "hook")
        self.assertEqual(res.returncode, 78, res.stderr)
        self.assertEqual(res.stderr.count("\n"), 1, res.stderr)
        self.assertIn("--push: the push names selected are", res.stderr)
        self.assertIn("select fewer", res.stderr)

    def test_a_name_without_a_section_is_refused(self):
        res = self.serve("hook", "nosuch")
        self.assertEqual(res.returncode, 78, res.stderr)
        self.assertEqual(res.stderr.strip(), "dtcost serve: push nosuch: no [push nosuch] section in the config file")


if __name__ == "__main__":
    unittest.main()
