#!/usr/bin/env bash
# The procurement tour: request -> approve -> order -> receive, each step by its own role.
# The admin creates the people (admin is not an approver: nobody approves with admin alone), a
# warehouse, two items, a cost centre with a budget and, on a database without any, the approval
# bands. The buyer records a supplier with price breaks and pack sizes and raises a request;
# the roles its amount's band names approve it; the buyer orders and sends; the storekeeper
# receives in two parts, rejecting 5 crushed bolts in the first.
# Run it against `make run`:  ADMIN_PASSWORD='the password make run printed' bash docs/procurement-tour.sh
# BASE (default http://127.0.0.1:8000) and ADMIN_USER (default admin) say where and who.
# Codes and usernames get a fresh suffix each run, so it runs again on a database that has data.
set -euo pipefail
BASE=${BASE:-http://127.0.0.1:8000}
ADMIN_USER=${ADMIN_USER:-admin}
: "${ADMIN_PASSWORD:?set ADMIN_PASSWORD to the password make run printed}"
RUN=$(python3 -c 'import uuid; print(uuid.uuid4().hex[:8].upper())')
# Dates for the budget's period and the request; from yesterday, as the server may be in UTC.
YESTERDAY=$(python3 -c 'import datetime; print(datetime.date.today() - datetime.timedelta(days=1))')
NEXT_YEAR=$(python3 -c 'import datetime; print(datetime.date.today() + datetime.timedelta(days=365))')
NEEDED_BY=$(python3 -c 'import datetime; print(datetime.date.today() + datetime.timedelta(days=14))')
PASSWORD="tour-$RUN-secret"  # of the people this tour creates

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

ADMIN=$(login "$ADMIN_USER" "$ADMIN_PASSWORD")

# The people: one user per role, each logging in with a password.
for ROLE in purchasing approver finance warehouse; do
  post "$ADMIN" /api/v1/users "{\"username\": \"$ROLE-$RUN\", \"password\": \"$PASSWORD\",
    \"roles\": [\"$ROLE\"]}" >/dev/null
done
BUYER=$(login "purchasing-$RUN" "$PASSWORD")
APPROVER=$(login "approver-$RUN" "$PASSWORD")
FINANCE=$(login "finance-$RUN" "$PASSWORD")
STORE=$(login "warehouse-$RUN" "$PASSWORD")

# Master data (admin): a warehouse, bolts and gloves.
WH=$(post "$ADMIN" /api/v1/warehouses "{\"code\": \"MAIN-$RUN\", \"name\": \"Main store\"}" |
  field 'j["id"]')
BOLTS=$(post "$ADMIN" /api/v1/items "{\"sku\": \"BOLT-M8-$RUN\", \"name\": \"Bolt M8x40\",
  \"unit_of_measure\": \"pcs\", \"category\": \"hardware\"}" | field 'j["id"]')
GLOVES=$(post "$ADMIN" /api/v1/items "{\"sku\": \"GLOVE-L-$RUN\", \"name\": \"Work gloves L\",
  \"unit_of_measure\": \"pair\", \"category\": \"safety\"}" | field 'j["id"]')

# Finance: a cost centre and its budget for the year ahead. A request is charged to the budget
# whose period holds the day it is submitted; "refuse" stops an approval that would overspend.
CENTRE=$(post "$FINANCE" /api/v1/cost-centres "{\"code\": \"OPS-$RUN\", \"name\": \"Operations\"}" |
  field 'j["id"]')
post "$FINANCE" /api/v1/budgets "{\"cost_centre_id\": $CENTRE, \"period\": \"tour $RUN\",
  \"starts_on\": \"$YESTERDAY\", \"ends_on\": \"$NEXT_YEAR\", \"amount\": \"5000.00\",
  \"over_budget_action\": \"refuse\"}"

# Approval bands, unless the database has some already (bands may not overlap): a request's
# total in [min_amount, max_amount) is approved by the roles in steps, in turn.
RULES=$(get "$ADMIN" /api/v1/approval-rules | field 'len(j)')
if [ "$RULES" = 0 ]; then
  post "$ADMIN" /api/v1/approval-rules '{"name": "small", "min_amount": "0",
    "max_amount": "1000", "steps": ["approver"]}'
  post "$ADMIN" /api/v1/approval-rules '{"name": "mid", "min_amount": "1000",
    "max_amount": "10000", "steps": ["approver"]}'
  post "$ADMIN" /api/v1/approval-rules '{"name": "large", "min_amount": "10000",
    "steps": ["approver", "finance"]}'
fi

# Purchasing: a supplier and its offers. Bolts in packs of 50 at 2.50, 2.25 from 100; gloves in
# packs of 12 at 4.00. Ordered quantities are rounded up to whole packs.
SUPPLIER=$(post "$BUYER" /api/v1/suppliers "{\"code\": \"ACME-$RUN\", \"name\": \"Acme\",
  \"currency\": \"EUR\", \"default_lead_time_days\": 5}" | field 'j["id"]')
post "$BUYER" "/api/v1/suppliers/$SUPPLIER/items" "{\"item_id\": $BOLTS, \"unit_price\": \"2.50\",
  \"pack_size\": \"50\", \"lead_time_days\": 5,
  \"price_breaks\": [{\"min_quantity\": \"100\", \"unit_price\": \"2.25\"}]}"
post "$BUYER" "/api/v1/suppliers/$SUPPLIER/items" "{\"item_id\": $GLOVES, \"unit_price\": \"4.00\",
  \"pack_size\": \"12\", \"lead_time_days\": 3, \"price_breaks\": []}"

# The request: 150 bolts estimated at 2.40 and 48 pairs of gloves at 4.20, 561.60 in all.
# A draft can still be changed (PATCH with If-Match); submitting fixes its approval steps.
REQUEST=$(post "$BUYER" /api/v1/purchase-requests "{\"cost_centre_id\": $CENTRE,
  \"note\": \"restock\", \"lines\": [
  {\"item_id\": $BOLTS, \"quantity\": \"150\", \"estimated_price\": \"2.40\", \"needed_by\": \"$NEEDED_BY\"},
  {\"item_id\": $GLOVES, \"quantity\": \"48\", \"estimated_price\": \"4.20\", \"needed_by\": \"$NEEDED_BY\"}
  ]}" | field 'j["id"]')
STEPS=$(post "$BUYER" "/api/v1/purchase-requests/$REQUEST/submit" '{}' | field '" ".join(j["steps"])')
echo "request $REQUEST waits for: ${STEPS:-nobody (its band needs no approval)}"

# Each step by a holder of its role (admin is not one); the last step checks the budget.
get "$APPROVER" /api/v1/approvals/inbox
STEP=0
for ROLE in $STEPS; do
  case $ROLE in
    approver) WHO=$APPROVER ;;
    finance) WHO=$FINANCE ;;
    *) echo "the approval bands ask the $ROLE role; the tour has no such user" >&2; exit 1 ;;
  esac
  post "$WHO" "/api/v1/purchase-requests/$REQUEST/approve" "{\"step\": $STEP, \"reason\": \"ok\"}" |
    field '"step", j["next_step"], "status", j["status"]'
  STEP=$((STEP + 1))
done

# Purchasing: the approved lines become draft orders, one per proposed supplier (here one:
# 150 bolts at the 2.25 break and 48 gloves at 4.00, 529.50), then the order is sent.
LINE_IDS=$(get "$BUYER" "/api/v1/purchase-requests/$REQUEST" | field '[x["id"] for x in j["lines"]]')
ORDER=$(post "$BUYER" /api/v1/purchase-orders/from-requests \
  "{\"request_line_ids\": $LINE_IDS, \"warehouse_id\": $WH}" | field 'j["orders"][0]["id"]')
SENT=$(post "$BUYER" "/api/v1/purchase-orders/$ORDER/send" '{}')
BOLT_LINE=$(echo "$SENT" | field '[x["id"] for x in j["lines"] if x["item_id"] == '"$BOLTS"'][0]')
GLOVE_LINE=$(echo "$SENT" | field '[x["id"] for x in j["lines"] if x["item_id"] == '"$GLOVES"'][0]')
echo "$SENT" | field '"order", j["id"], j["status"], "total", j["total"], j["currency"]'

# The storekeeper receives in two parts: first 60 bolts, 5 of them crushed (rejected: recorded,
# not stocked), and all the gloves; then the other 95 bolts. Accepted goods enter stock at the
# order price.
post "$STORE" "/api/v1/purchase-orders/$ORDER/receipts" "{\"lines\": [
  {\"po_line_id\": $BOLT_LINE, \"received\": \"60\", \"accepted\": \"55\", \"rejected\": \"5\",
   \"reason\": \"crushed cartons\"},
  {\"po_line_id\": $GLOVE_LINE, \"received\": \"48\", \"accepted\": \"48\", \"rejected\": \"0\"}]}"
post "$STORE" "/api/v1/purchase-orders/$ORDER/receipts" "{\"lines\": [
  {\"po_line_id\": $BOLT_LINE, \"received\": \"95\", \"accepted\": \"95\", \"rejected\": \"0\"}]}"

# Where it ended: the order received, the request closed, the goods on hand at the order price.
ORDER_STATUS=$(get "$BUYER" "/api/v1/purchase-orders/$ORDER" | field 'j["status"]')
REQUEST_STATUS=$(get "$BUYER" "/api/v1/purchase-requests/$REQUEST" | field 'j["status"]')
ON_HAND=$(get "$STORE" "/api/v1/stock-balances?warehouse_id=$WH" |
  field '" ".join(x["quantity"] + "@" + x["value"] for x in sorted(j, key=lambda x: x["item_id"]))')
echo "order $ORDER: $ORDER_STATUS; request $REQUEST: $REQUEST_STATUS; on hand: $ON_HAND"
test "$ORDER_STATUS $REQUEST_STATUS $ON_HAND" = "received closed 150.000@337.50 48.000@192.00" ||
  { echo "the tour did not end as expected" >&2; exit 1; }
echo "Procurement tour done: order $ORDER received into warehouse $WH (MAIN-$RUN)."
