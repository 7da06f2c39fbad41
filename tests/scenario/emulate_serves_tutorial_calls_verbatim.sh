#!/usr/bin/env bash
# The public tutorial's curl commands work against the emulator as written,
# host aside: token request, then subscriptions, cost and usage with the token.
set -euo pipefail
DTCOST="${DTCOST:-build/dtcost}"
mkdir -p "${DTCOST_TEST_TMP:-/tmp}"
tmp="$(mktemp -d "${DTCOST_TEST_TMP:-/tmp}/tutorial.XXXXXX")"
"$DTCOST" emulate --port 0 --now 2026-11-22T06:00:00Z >"$tmp/port" 2>"$tmp/err" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
host="http://127.0.0.1:$(head -1 "$tmp/port")"
ACCOUNT_UUID=2b236438-2a31-4872-8655-bca4fa8af917
CLIENT_ID=dt0s02.EMUCLI00
CLIENT_SECRET="dt0s02.EMUCLI00.emulator-secret-not-for-production"
fail() { echo "FAIL: $*" >&2; exit 1; }

# Step 1 of the tutorial, verbatim but for the host.
curl -s -X POST "$host/sso/oauth2/token" \
  -H "Content-Type: application/x-www-form-urlencoded" \
  -d "grant_type=client_credentials" \
  -d "client_id=$CLIENT_ID" \
  -d "client_secret=$CLIENT_SECRET" \
  -d "resource=urn:dtaccount:$ACCOUNT_UUID" >"$tmp/token.json"
TOKEN="$(jq -r .access_token "$tmp/token.json")"
[ -n "$TOKEN" ] && [ "$TOKEN" != null ] || fail "no access_token in $(cat "$tmp/token.json")"
[ "$(jq -r .token_type "$tmp/token.json")" = Bearer ] || fail "token_type is not Bearer"
[ "$(jq -r .expires_in "$tmp/token.json")" = 300 ] || fail "expires_in is not 300"

# Step 2: list subscriptions.
curl -s -X GET "$host/sub/v2/accounts/$ACCOUNT_UUID/subscriptions" \
  -H "Authorization: Bearer $TOKEN" >"$tmp/subs.json"
SUBSCRIPTION_UUID="$(jq -r '.data[0].uuid' "$tmp/subs.json")"
[ "$(jq '.data | length' "$tmp/subs.json")" -ge 1 ] || fail "no subscriptions"

# Step 3: cost and usage of that subscription.
code=$(curl -s -o "$tmp/cost.json" -w '%{http_code}' -X GET \
  "$host/sub/v2/accounts/$ACCOUNT_UUID/subscriptions/$SUBSCRIPTION_UUID/cost" \
  -H "Authorization: Bearer $TOKEN")
[ "$code" = 200 ] || fail "cost answered $code"
[ "$(jq '.data | length' "$tmp/cost.json")" -gt 100 ] || fail "cost has too few days"
jq -e '.data[0] | has("startTime") and has("endTime") and has("value") and has("currencyCode")' "$tmp/cost.json" >/dev/null \
  || fail "cost item lacks fields"

code=$(curl -s -o "$tmp/usage.json" -w '%{http_code}' -X GET \
  "$host/sub/v2/accounts/$ACCOUNT_UUID/subscriptions/$SUBSCRIPTION_UUID/usage" \
  -H "Authorization: Bearer $TOKEN")
[ "$code" = 200 ] || fail "usage answered $code"
jq -e '.data[0] | has("capabilityKey") and has("unitMeasure") and (.value | type == "number")' "$tmp/usage.json" >/dev/null \
  || fail "usage item lacks fields"
echo "tutorial calls: 1 passed, 0 failed"
