from django.contrib import admin

from apps.billing.models import Invoice, InvoiceLine, PriceList, UsageDay


@admin.register(PriceList)
class PriceListAdmin(admin.ModelAdmin):
    """Where the platform sets number rental, storage and the optional inbound rate (docs/billing.md)."""

    list_display = ("effective_from", "number_rental_month", "storage_gb_month", "inbound_per_minute")


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0
    can_delete = False
    readonly_fields = (
        "position",
        "item",
        "ref",
        "description_en",
        "description_zh",
        "quantity",
        "unit",
        "unit_price",
        "amount",
    )

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    """Read-only: invoices are written by the close and the issue action, never by hand."""

    list_display = ("number", "tenant", "month", "status", "total", "issued_at")
    list_filter = ("status", "month")
    inlines = [InvoiceLineInline]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False


admin.site.register(UsageDay)
