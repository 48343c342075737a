#!/usr/bin/env bash
# A short tour: log in, make a warehouse and an item, receive 100 at 0.12, issue 30 at the
# moving-average cost, read the balance, a file export and the item's ledger.
# Run it against `make run`:  ADMIN_PASSWORD='the password make run printed' bash docs/tour.sh
# BASE (default http://127.0.0.1:8000) and ADMIN_USER (default admin) say where and who.
# Codes get a fresh suffix each run, so it runs again on a database that has data.
set -euo pipefail
BASE=${BASE:-http://127.0.0.1:8000}
ADMIN_USER=${ADMIN_USER:-admin}
: "${ADMIN_PASSWORD:?set ADMIN_PASSWORD to the password make run printed}"
RUN=$(python3 -c 'import uuid; print(uuid.uuid4().hex[:8].upper())')

# field EXPR: read JSON on stdin as j, print EXPR (e.g. 'j["id"]'); nothing in, nothing out.
field() { python3 -c 'import json, sys; d = sys.stdin.read(); j = d and json.loads(d); d and print(eval(sys.argv[1]))' "$1"; }
# get TOKEN PATH / post TOKEN PATH JSON [HEADER]: print the answer; any answer but a 2xx is
# shown with what was asked, and stops the tour (set -e).
get() {
  local out
  out=$(curl -sS --fail-with-body "$BASE$2" -H "Authorization: Bearer $1") ||
    { echo "GET $2 failed: $out" >&2; return 1; }
  printf '%s\n' "$out"
}
post() {
  local out
  out=$(curl -sS --fail-with-body -X POST "$BASE$2" -H "Authorization: Bearer $1" \
    -H 'Content-Type: application/json' -d "$3" ${4:+-H "$4"}) ||
    { echo "POST $2 failed: $out" >&2; return 1; }
  printf '%s\n' "$out"
}
# login USER PASSWORD: print a bearer token.
login() {
  local body
  body=$(python3 -c 'import json, sys; u, p = sys.argv[1:]; print(json.dumps({"username": u, "password": p}))' "$1" "$2")
  post "" /api/v1/auth/token "$body" | field 'j["access_token"]'
}

TOKEN=$(login "$ADMIN_USER" "$ADMIN_PASSWORD")
WH=$(post "$TOKEN" /api/v1/warehouses "{\"code\": \"MAIN-$RUN\", \"name\": \"Main store\"}" |
  field 'j["id"]')
ITEM=$(post "$TOKEN" /api/v1/items "{\"sku\": \"BOLT-M8-$RUN\", \"name\": \"Bolt M8x40\",
  \"unit_of_measure\": \"pcs\", \"category\": \"hardware\"}" | field 'j["id"]')
echo "warehouse $WH, item $ITEM"

# Receive 100 at 0.12. The Idempotency-Key makes a retry of this very call post nothing twice.
post "$TOKEN" /api/v1/stock-documents "{\"type\": \"receipt\", \"warehouse_id\": $WH,
  \"lines\": [{\"item_id\": $ITEM, \"quantity\": \"100\", \"unit_cost\": \"0.12\"}]}" \
  "Idempotency-Key: tour-receipt-$RUN"
# Issue 30: they leave at the moving-average cost.
post "$TOKEN" /api/v1/stock-documents "{\"type\": \"issue\", \"warehouse_id\": $WH,
  \"lines\": [{\"item_id\": $ITEM, \"quantity\": \"30\"}]}"

get "$TOKEN" "/api/v1/stock-balances?item_id=$ITEM"             # on hand and value
get "$TOKEN" "/api/v1/stock-balances?item_id=$ITEM&format=csv"  # as a file (or xlsx)
get "$TOKEN" "/api/v1/items/$ITEM/ledger"                       # every movement

ON_HAND=$(get "$TOKEN" "/api/v1/stock-balances?item_id=$ITEM" | field 'j[0]["quantity"]')
test "$ON_HAND" = "70.000" || { echo "expected 70.000 on hand, got $ON_HAND" >&2; exit 1; }
echo "Tour done: item $ITEM (BOLT-M8-$RUN) has $ON_HAND on hand in warehouse $WH."
