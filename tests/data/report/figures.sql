-- The figures the writers print beside the stored ones, worked out by hand
-- in tests/unit/report.c. The report's today is 2026-04-10 (the last day in
-- cost_day), its window 10 days: 2026-04-01 .. 04-10 against 03-22 .. 03-31.
--
-- Four subscriptions: Europe (EUR, the year 2026, 8,000.00 committed,
-- 2,000.40 used), Americas (USD, April 2026, 300.00 and 150.00), Free
-- (USD, April 2026, nothing committed, 5.00 used) and Band (USD, April
-- 2026, cost 2.00, 4.00 and 6.00 on 04-07 .. 09, nothing on the 10th).
INSERT INTO subscription(uuid, account_uuid, name, status, currency, period_start, period_end,
  days_remaining, budget_total_micro, budget_used_micro) VALUES
  ('sub-eur', 'acc-1', 'Europe', 'ACTIVE', 'EUR', '2026-01-01', '2026-12-31', 265, 8000000000, 2000400000),
  ('sub-usd', 'acc-1', 'Americas', 'ACTIVE', 'USD', '2026-04-01', '2026-04-30', 20, 300000000, 150000000),
  ('sub-free', 'acc-1', 'Free', 'ACTIVE', 'USD', '2026-04-01', '2026-04-30', 20, 0, 5000000),
  ('sub-band', 'acc-1', 'Band', 'ACTIVE', 'USD', '2026-04-01', '2026-04-30', 20, 1000000000, 12000000);
INSERT INTO cost_day(subscription_uuid, day, cost_micro, currency) VALUES
  ('sub-eur', '2026-04-10', 50000000, 'EUR'), ('sub-usd', '2026-04-10', 3000000, 'USD'),
  ('sub-band', '2026-04-07', 2000000, 'USD'), ('sub-band', '2026-04-08', 4000000, 'USD'),
  ('sub-band', '2026-04-09', 6000000, 'USD');
-- Cost allocation: cost centres in EUR (cc-a 30.00 now, 10.00 before; cc-b
-- 10.00 now) and in USD (cc-c 2.00, cc-a 1.00); one product with cost only
-- in the window before; a day before both windows that must not count.
INSERT INTO cost_allocation(subscription_uuid, environment_id, field, alloc_key, capability_key,
  day, cost_micro) VALUES
  ('sub-eur', 'e1', 'COSTCENTER', 'cc-a', 'LOGS', '2026-04-05', 30000000),
  ('sub-eur', 'e1', 'COSTCENTER', 'cc-a', 'LOGS', '2026-03-25', 10000000),
  ('sub-eur', 'e1', 'COSTCENTER', 'cc-a', 'LOGS', '2026-03-01', 99000000),
  ('sub-eur', 'e1', 'COSTCENTER', 'cc-b', 'LOGS', '2026-04-06', 10000000),
  ('sub-usd', 'e2', 'COSTCENTER', 'cc-a', 'LOGS', '2026-04-05', 1000000),
  ('sub-usd', 'e2', 'COSTCENTER', 'cc-c', 'LOGS', '2026-04-05', 2000000),
  ('sub-eur', 'e1', 'PRODUCT', 'p-x', 'LOGS', '2026-03-30', 5000000);
-- One environment's logs, 10.00 a day from 2026-02-01, 50.00 on 04-10: an
-- anomaly against the six Fridays before (all 10.00).
WITH RECURSIVE d(day) AS (SELECT '2026-02-01' UNION ALL
  SELECT date(day, '+1 day') FROM d WHERE day < '2026-04-10')
INSERT INTO env_cost_day(subscription_uuid, environment_id, capability_key, day, cost_micro,
  currency, capability_name)
  SELECT 'sub-eur', 'e1', 'LOGS', day, CASE WHEN day = '2026-04-10' THEN 50000000 ELSE 10000000 END,
    'EUR', 'Log Management' FROM d;
