"""A JSON transform in Python: normalises a batch of order records and totals them
per customer, with the standard library only (a requirements.txt beside this file
would bundle pure-Python packages at deploy).

    wasmhost deploy orders examples/python/transform
    wasmhost invoke orders '{"orders": [{"customer": " ada ", "amount": "12.5", "date": "2026-11-02"}]}'
"""
from collections import defaultdict
from datetime import date
from decimal import Decimal, InvalidOperation


def handler(event, context):
    totals = defaultdict(Decimal)
    rejected = []
    for i, order in enumerate(event.get("orders", [])):
        try:
            customer = order["customer"].strip().title()
            amount = Decimal(str(order["amount"])).quantize(Decimal("0.01"))
            day = date.fromisoformat(order["date"])
        except (KeyError, InvalidOperation, ValueError, AttributeError) as e:
            rejected.append({"index": i, "reason": f"{type(e).__name__}: {e}"})
            continue
        totals[customer] += amount
        print(f"{day.isoformat()} {customer} {amount}")
    return {
        "customers": [{"customer": c, "total": str(t)} for c, t in sorted(totals.items())],
        "grand_total": str(sum(totals.values(), Decimal("0.00"))),
        "rejected": rejected,
        "request_id": context.aws_request_id,
    }
