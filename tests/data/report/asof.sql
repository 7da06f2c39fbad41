-- One subscription, period 2026-03-01 .. 2027-02-28 (an earlier one
-- 2025-03-01 .. 2026-02-28), 1,000.00 committed, 10.00 a day from
-- 2026-02-20 to 2026-10-31, 20.00 a day from 2026-11-01 to 2026-11-30; a forecast
-- created on 2026-11-15 only. Synced on 2026-12-01: used 3,050.00.
INSERT INTO subscription(uuid, account_uuid, name, status, currency, period_start, period_end,
  days_remaining, budget_total_micro, budget_used_micro)
  VALUES('sub-1', 'acc-1', 'Main', 'ACTIVE', 'USD', '2026-03-01', '2027-02-28', 90, 1000000000, 3050000000);
INSERT INTO subscription_period VALUES('sub-1', '2025-03-01T00:00:00Z', '2026-03-01T00:00:00Z');
INSERT INTO subscription_period VALUES('sub-1', '2026-03-01T00:00:00Z', '2027-03-01T00:00:00Z');
INSERT INTO forecast(account_uuid, created_at, median_micro, lower_micro, upper_micro, budget_micro, budget_date)
  VALUES('acc-1', '2026-11-15T06:00:00Z', 3500000000, 3000000000, 4000000000, 1000000000, '2026-04-10T00:00:00Z');
WITH RECURSIVE d(day) AS (SELECT '2026-02-20' UNION ALL
  SELECT date(day, '+1 day') FROM d WHERE day < '2026-11-30')
INSERT INTO cost_day(subscription_uuid, day, cost_micro, currency)
  SELECT 'sub-1', day, CASE WHEN day >= '2026-11-01' THEN 20000000 ELSE 10000000 END, 'USD' FROM d;
