"""The emulated clock moves by booking runs (02:00 and 14:00 UTC), and recent
days' costs change after the fact: new days appear, the last days grow as
their bookings complete, lastBookingDate / bookingDate move forward, days a
week old stay put, and the sums still reconcile after every run."""
import datetime as dt
import unittest

from emu import ACCOUNT, Emulator, micro

A = f"/sub/v2/accounts/{ACCOUNT}"


def day(s):
    return dt.date.fromisoformat(s[:10])


def ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


class LateBookings(unittest.TestCase):
    def setUp(self):
        self.emu = Emulator("--days", "60")
        self.tok = self.emu.token()
        self.sub = self.emu.subscriptions(self.tok)[0]["uuid"]

    def tearDown(self):
        self.emu.stop()

    def cost(self):
        doc = self.emu.get_json(f"{A}/subscriptions/{self.sub}/cost", self.tok)
        return doc, {day(d["startTime"]): d for d in doc["data"]}

    def test_booking_runs_add_days_and_restate_recent_ones(self):
        doc0, before = self.cost()
        now0 = ts(self.emu.request("GET", "/emu/state").json()["now"])
        state = self.emu.advance(booking_runs=4)
        now1 = ts(state["now"])
        self.assertEqual(now1 - now0, dt.timedelta(days=2))
        doc1, after = self.cost()

        self.assertEqual(sorted(set(after) - set(before)),
                         [max(before) + dt.timedelta(days=1), max(before) + dt.timedelta(days=2)])
        self.assertLessEqual(set(before), set(after), "a booked day disappeared")
        restated = []
        for d, old in before.items():
            new = after[d]
            if micro(new["value"]) != micro(old["value"]):
                restated.append(d)
                self.assertGreater(micro(new["value"]), micro(old["value"]), d)
                self.assertGreater(ts(new["lastBookingDate"]), ts(old["lastBookingDate"]), d)
                self.assertLessEqual(ts(new["lastBookingDate"]), now1, d)
            else:
                self.assertEqual(new["lastBookingDate"], old["lastBookingDate"], d)
        self.assertTrue(restated, "no day changed after four booking runs")
        week_ago = now0.date() - dt.timedelta(days=8)
        self.assertTrue(all(d >= week_ago for d in restated),
                        f"days older than a week changed: {restated}")
        self.assertGreater(ts(doc1["lastModifiedTime"]), ts(doc0["lastModifiedTime"]))

    def test_restated_days_still_reconcile_with_environment_costs(self):
        self.emu.advance(booking_runs=3)
        _, after = self.cost()
        last = max(after)
        window = {"startTime": f"{last - dt.timedelta(days=3)}T00:00:00Z",
                  "endTime": f"{last + dt.timedelta(days=1)}T00:00:00Z"}
        path = f"/sub/v3/accounts/{ACCOUNT}/subscriptions/{self.sub}/environments/cost"
        per_day = {}
        for page in self.emu.pages(path, self.tok, window, page_size=50):
            for env in page["data"]:
                for c in env["cost"]:
                    per_day[day(c["startTime"])] = per_day.get(day(c["startTime"]), 0) + micro(c["value"])
                    self.assertLessEqual(ts(c["bookingDate"]),
                                         ts(self.emu.request("GET", "/emu/state").json()["now"]))
        self.assertEqual(len(per_day), 4)
        for d, total in per_day.items():
            self.assertEqual(total, micro(after[d]["value"]), d)

    def test_clock_moves_by_seconds_too_and_never_backwards(self):
        s0 = self.emu.request("GET", "/emu/state").json()["now"]
        s1 = self.emu.advance(seconds=3600)["now"]
        self.assertEqual(ts(s1) - ts(s0), dt.timedelta(hours=1))
        r = self.emu.request("POST", "/emu/clock", params={"advance": -5})
        self.assertEqual(r.status, 400)
        self.assertEqual(self.emu.request("GET", "/emu/state").json()["now"], s1)


if __name__ == "__main__":
    unittest.main()
