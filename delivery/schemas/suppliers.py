from __future__ import annotations

from decimal import Decimal

import marshmallow as ma
from marshmallow import validate

from delivery.schemas.common import Amount, Code, Flag, Id, QueryId, Text, When, sort_field
from inventory.db.purchasing_queries import SUPPLIER_SORTS
from inventory.domain.pricing import MAX_LEAD_TIME_DAYS, MAX_PRICE_BREAKS, SupplierStatus

STATUSES = [s.value for s in SupplierStatus]


def Currency(**kwargs) -> ma.fields.String:  # noqa: N802 - reads as a field type
    return ma.fields.String(
        # "$" also matches before a final newline in Python; the length rules that out.
        validate=[
            validate.Length(3, 3),
            validate.Regexp(r"^[A-Z]{3}$", error="Use an ISO 4217 code such as EUR or USD."),
        ],
        metadata={"description": "ISO 4217 code, e.g. EUR."},
        **kwargs,
    )


def _email(value: str) -> None:
    if value and "@" not in value.strip("@"):
        raise ma.ValidationError("Not an e-mail address.")


def Email(**kwargs) -> ma.fields.String:  # noqa: N802
    field = Text(200, **kwargs)
    field.validators.append(_email)
    return field


def LeadTime(**kwargs) -> ma.fields.Integer:  # noqa: N802
    return ma.fields.Integer(strict=True, validate=validate.Range(0, MAX_LEAD_TIME_DAYS), **kwargs)


class SupplierSchema(ma.Schema):
    class Meta:
        example = {
            "code": "ACME",
            "name": "Acme Fasteners",
            "currency": "EUR",
            "payment_terms": "30 days net",
            "default_lead_time_days": 7,
            "status": "active",
            "contact_name": "Ann Smith",
            "email": "orders@acme.example",
            "phone": "+49 30 1234567",
        }

    id = Id(dump_only=True)
    code = Code(32, required=True)
    name = Text(200, min_length=1, required=True)
    currency = Currency(required=True)
    payment_terms = Text(100, load_default="", metadata={"description": "e.g. 30 days net."})
    default_lead_time_days = LeadTime(load_default=7)
    status = ma.fields.String(
        validate=validate.OneOf(STATUSES),
        load_default=SupplierStatus.ACTIVE.value,
        metadata={
            "description": "active; on_hold (no new orders for now); blocked (no new orders)."
        },
    )
    contact_name = Text(200, load_default="")
    email = Email(load_default="")
    phone = Text(50, load_default="")
    score = Amount(dump_only=True, allow_none=True, metadata={"description": "Latest score."})
    grade = ma.fields.String(dump_only=True, allow_none=True)
    created_at = When(dump_only=True)
    updated_at = When(dump_only=True)


class SupplierUpdateSchema(ma.Schema):
    class Meta:
        example = {"status": "on_hold"}

    code = Code(32)
    name = Text(200, min_length=1)
    currency = Currency()
    payment_terms = Text(100)
    default_lead_time_days = LeadTime()
    status = ma.fields.String(validate=validate.OneOf(STATUSES))
    contact_name = Text(200)
    email = Email()
    phone = Text(50)


class SupplierQuerySchema(ma.Schema):
    q = Text(100, metadata={"description": "Search code and name."})
    status = ma.fields.String(validate=validate.OneOf(STATUSES))
    currency = Currency()
    sort = sort_field(SUPPLIER_SORTS)


class PriceBreakSchema(ma.Schema):
    min_quantity = Amount(
        required=True,
        positive=True,
        metadata={"description": "From this quantity up. 3 decimals."},
    )
    unit_price = Amount(required=True, metadata={"description": "In the supplier's currency."})


def _breaks(note: str = "", **kwargs) -> ma.fields.List:
    return ma.fields.List(
        ma.fields.Nested(PriceBreakSchema),
        validate=validate.Length(max=MAX_PRICE_BREAKS),
        metadata={
            "description": "The highest break at most the ordered quantity sets the price." + note
        },
        **kwargs,
    )


class SupplierItemSchema(ma.Schema):
    class Meta:
        example = {
            "item_id": 1,
            "supplier_sku": "AC-M8-40",
            "unit_price": "0.12",
            "price_breaks": [{"min_quantity": "1000", "unit_price": "0.10"}],
            "min_order_quantity": "100",
            "pack_size": "100",
            "lead_time_days": 5,
            "preferred": True,
            "active": True,
        }

    id = Id(dump_only=True)
    supplier_id = Id(dump_only=True)
    item_id = Id(required=True)
    sku = ma.fields.String(dump_only=True)
    item_name = ma.fields.String(dump_only=True)
    supplier_sku = Text(64, load_default="")
    currency = ma.fields.String(dump_only=True)
    unit_price = Amount(required=True, metadata={"description": "Below every price break."})
    price_breaks = _breaks(load_default=list)
    min_order_quantity = Amount(load_default=Decimal(0))
    pack_size = Amount(
        load_default=Decimal(0), metadata={"description": "Orders round up to it; 0: any."}
    )
    lead_time_days = LeadTime(
        load_default=None,
        allow_none=True,
        metadata={"description": "None: the supplier's default lead time."},
    )
    effective_lead_time_days = ma.fields.Integer(dump_only=True)
    preferred = Flag(load_default=False)
    active = Flag(load_default=True)


class SupplierItemUpdateSchema(ma.Schema):
    class Meta:
        example = {"unit_price": "0.11", "price_breaks": []}

    supplier_sku = Text(64)
    unit_price = Amount()
    price_breaks = _breaks(" Replaces every break.")
    min_order_quantity = Amount()
    pack_size = Amount()
    lead_time_days = LeadTime(allow_none=True)
    preferred = Flag()
    active = Flag()


class SupplierItemQuerySchema(ma.Schema):
    item_id = QueryId()
    active = Flag()


class ExchangeRateSchema(ma.Schema):
    class Meta:
        example = {"currency": "USD", "valid_from": "2026-12-01", "rate": "0.92"}

    id = Id(dump_only=True)
    currency = Currency(required=True)
    valid_from = ma.fields.Date(required=True)
    rate = Amount(
        required=True,
        positive=True,
        metadata={"description": "Base-currency units per 1 unit of the currency, 6 decimals."},
    )


class ExchangeRateQuerySchema(ma.Schema):
    currency = Currency()
    on = ma.fields.Date(metadata={"description": "Only the rate in force on this day."})


class ProposalQuerySchema(ma.Schema):
    item_id = QueryId(required=True)
    quantity = Amount(required=True, positive=True, metadata={"description": "3 decimals at most."})
    needed_by = ma.fields.Date()


class QuoteSchema(ma.Schema):
    supplier_id = Id()
    supplier_code = ma.fields.String()
    supplier_item_id = Id()
    currency = ma.fields.String()
    order_quantity = Amount()
    unit_price = Amount()
    total = Amount()
    total_base = Amount()
    lead_time_days = ma.fields.Integer()
    arrives_on = ma.fields.Date()
    on_time = Flag()
    preferred = Flag()
    score = Amount(allow_none=True)


class ProposalSchema(ma.Schema):
    item_id = Id()
    quantity = Amount()
    needed_by = ma.fields.Date(allow_none=True)
    reason = ma.fields.String(allow_none=True, metadata={"description": "Why the first offer."})
    offers = ma.fields.List(ma.fields.Nested(QuoteSchema), metadata={"description": "Best first."})
    skipped_currencies = ma.fields.List(
        ma.fields.String(), metadata={"description": "Offers left out: no exchange rate."}
    )
