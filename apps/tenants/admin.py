from django.contrib import admin

from apps.tenants.models import Domain, Plan, PoolNumber, SeatUsageDay, Tenant, UsageEvent


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "plan", "status", "seat_count", "number_pending", "created"]
    list_filter = ["status", "plan"]
    search_fields = ["slug", "name"]


admin.site.register(Domain)
admin.site.register(Plan)
admin.site.register(PoolNumber)
admin.site.register(UsageEvent)
admin.site.register(SeatUsageDay)
