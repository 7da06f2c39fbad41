"""A PostgreSQL role with a password: dtcost reads it from the file
DTCOST_DB_PASSWORD_FILE names, under the rules of every secret file (a
private regular file; group- or world-readable is refused, a FIFO is refused
at once instead of hanging), and the password shows in no output, wrong or
right."""
import os
import subprocess
import unittest

from dtsync import run_sync, sync_env
from emu import DTCOST, Emulator, tmpdir
from pg import Postgres

SECRET = "s3cr3t-PgPass-0042"


class PasswordFile(unittest.TestCase):
    def test_the_password_file_is_read_as_a_secret(self):
        d = tmpdir()
        with Postgres() as pg, Emulator("--days", "5", "--subscriptions", "1", "--environments", "1") as emu:
            pg.createdb("pw")
            pg.sql("pw", f"CREATE ROLE writer LOGIN PASSWORD '{SECRET}'; GRANT ALL ON DATABASE pw TO writer; GRANT ALL ON SCHEMA public TO writer")
            # The socket asks writer for its password; everyone else is trusted.
            hba = os.path.join(pg.data, "pg_hba.conf")
            with open(hba) as f:
                rules = f.read()
            with open(hba, "w") as f:
                f.write("local all writer scram-sha-256\n" + rules)
            pg._as_server(f"{pg.bin}/pg_ctl", "-D", pg.data, "reload")
            db = pg.url("pw", user="writer")
            pwfile = os.path.join(d, "pw")

            def sync(content=None, mode=0o600):
                if content is not None:
                    with open(pwfile, "w") as f:
                        f.write(content)
                    os.chmod(pwfile, mode)
                res = run_sync(emu, db, env=sync_env(emu, DTCOST_DB_PASSWORD_FILE=pwfile), timeout=60)
                self.assertNotIn(SECRET, res.stdout + res.stderr)
                return res

            res = sync(SECRET + "\n")
            self.assertEqual(res.returncode, 0, res.stderr)
            self.assertGreater(int(pg.sql("pw", "SELECT COUNT(*) FROM cost_day")[0][0]), 0)

            res = sync(SECRET + "\n", 0o644)
            self.assertEqual(res.returncode, 78, res.stderr)
            self.assertIn("DTCOST_DB_PASSWORD_FILE: secret file", res.stderr)
            self.assertIn("chmod 600", res.stderr)

            res = sync("wrong-" + SECRET + "\n")
            self.assertNotEqual(res.returncode, 0)
            self.assertIn("password", res.stderr)

            os.unlink(pwfile)
            os.mkfifo(pwfile, 0o600)
            res = sync()  # no writer ever opens it: refused, not waited on
            self.assertEqual(res.returncode, 78, res.stderr)
            self.assertIn("not a regular file", res.stderr)

            res = subprocess.run([DTCOST, "report", "--db", db], capture_output=True, text=True, timeout=60,
                                 env={**os.environ, "DTCOST_DB_PASSWORD_FILE": os.path.join(d, "missing")})
            self.assertEqual(res.returncode, 78, res.stderr)
            self.assertIn("check the path", res.stderr)


if __name__ == "__main__":
    unittest.main()
