"""Stable audit action codes and who can be an actor.

An action code is ``<object>.<verb>`` and is part of the API contract (filters, exports and
integrators' scripts match on it): never rename one, add a new one. Departments that write to
the audit log (QA, workforce, tickets …) add their codes here. The model field holds no
``choices`` on purpose, so a new code needs no migration; ``audit_record`` refuses a code that
is not listed here, so a typo cannot reach the log.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    # people and access
    USER_CREATED = "user.created", _("User created")
    USER_DELETED = "user.deleted", _("User deleted")
    USER_ROLE_CHANGED = "user.role_changed", _("Roles changed")
    USER_PASSWORD_CHANGED = "user.password_changed", _("Password changed")
    USER_ACTIVATED = "user.activated", _("User activated")
    USER_DEACTIVATED = "user.deactivated", _("User deactivated")
    TOKEN_CREATED = "token.created", _("API token created")
    TOKEN_REVOKED = "token.revoked", _("API token revoked")
    USER_TWO_FACTOR_ENABLED = "user.two_factor_enabled", _("Two-factor authentication set up")
    USER_TWO_FACTOR_DISABLED = "user.two_factor_disabled", _("Two-factor authentication removed")
    USER_RECOVERY_CODES_RENEWED = "user.recovery_codes_renewed", _("Recovery codes renewed")
    SECURITY_POLICY_CHANGED = "security.policy_changed", _("Security policy changed")
    # telephony plant
    SEAT_ADDED = "seat.added", _("Seats added")
    SEAT_REMOVED = "seat.removed", _("Seat removed")
    SEAT_SECRET_RESET = "seat.secret_reset", _("Seat SIP secret reset")
    SEAT_CHANGED = "seat.changed", _("Seat changed")
    AGENT_SEATS_CHANGED = "agent.allowed_seats_changed", _("Agent's allowed seats changed")
    TRUNK_CHANGED = "trunk.changed", _("Trunk changed")
    TRUNK_CALLER_ID_CHANGED = "trunk.caller_id_changed", _("Trunk caller ID changed")
    NUMBER_CHANGED = "number.changed", _("Number changed")
    NUMBER_CALLER_ID_CHANGED = "number.caller_id_changed", _("Number caller ID changed")
    CAMPAIGN_CALLER_ID_CHANGED = "campaign.caller_id_changed", _("Campaign caller ID changed")
    # outbound compliance and data leaving the product
    DNC_DELETED = "dnc.deleted", _("Do-not-call entry deleted")
    EXPORT_DOWNLOADED = "export.downloaded", _("Export downloaded")
    RECORDING_PLAYED = "recording.played", _("Recording played")
    RECORDING_DOWNLOADED = "recording.downloaded", _("Recording downloaded")
    # the audit log itself
    AUDIT_RETENTION_CHANGED = "audit.retention_changed", _("Audit retention changed")
    DIALLING_POLICY_CHANGED = "dialling_policy.changed", _("Dialling policy changed")
    # retention (apps/retention)
    RETENTION_CHANGED = "retention.changed", _("Data retention changed")
    RETENTION_HOLD_PLACED = "retention.hold_placed", _("Legal hold placed")
    RETENTION_HOLD_RELEASED = "retention.hold_released", _("Legal hold released")
    RETENTION_PURGED = "retention.purged", _("Data purged by retention")
    # quality assurance (apps/qa)
    SCORECARD_CREATED = "scorecard.created", _("Scorecard created")
    SCORECARD_CHANGED = "scorecard.changed", _("Scorecard changed")
    SCORECARD_PUBLISHED = "scorecard.published", _("Scorecard published")
    SCORECARD_RETIRED = "scorecard.retired", _("Scorecard retired")
    EVALUATION_SUBMITTED = "evaluation.submitted", _("Evaluation submitted")
    EVALUATION_CHANGED = "evaluation.changed", _("Evaluation changed after submission")
    CALIBRATION_CREATED = "calibration.created", _("Calibration session created")
    CALIBRATION_CLOSED = "calibration.closed", _("Calibration session closed")
    EVALUATION_ACKNOWLEDGED = "evaluation.acknowledged", _("Evaluation acknowledged by the agent")
    DISPUTE_RAISED = "dispute.raised", _("Evaluation disputed")
    DISPUTE_ACCEPTED = "dispute.accepted", _("Dispute accepted (re-scored)")
    DISPUTE_REJECTED = "dispute.rejected", _("Dispute rejected")
    COACHING_CREATED = "coaching.created", _("Coaching session created")
    COACHING_CHANGED = "coaching.changed", _("Coaching session changed")
    # teams (apps/accounts)
    TEAM_CREATED = "team.created", _("Team created")
    TEAM_CHANGED = "team.changed", _("Team changed")
    TEAM_DELETED = "team.deleted", _("Team deleted")
    SAMPLING_RULE_CREATED = "sampling_rule.created", _("Sampling rule created")
    SAMPLING_RULE_CHANGED = "sampling_rule.changed", _("Sampling rule changed")
    SAMPLING_RULE_DELETED = "sampling_rule.deleted", _("Sampling rule deleted")
    SAMPLING_RUN = "sampling_rule.run", _("Calls sampled for evaluation")
    ASSIGNMENT_REASSIGNED = "qa_assignment.reassigned", _("Evaluation assignment reassigned")
    ASSIGNMENT_SKIPPED = "qa_assignment.skipped", _("Evaluation assignment skipped")
    # tickets (apps/crm)
    TICKET_CREATED = "ticket.created", _("Ticket created")
    TICKET_ASSIGNED = "ticket.assigned", _("Ticket assigned")
    TICKET_SUPERVISED = "ticket.supervised", _("Ticket supervised")
    TICKET_FOLLOWED_UP = "ticket.followed_up", _("Ticket followed up")
    TICKET_NOTE_ADDED = "ticket.note_added", _("Ticket note added")
    TICKET_ATTACHMENT_ADDED = "ticket.attachment_added", _("File attached to a ticket")
    TICKET_CHANGED = "ticket.changed", _("Ticket changed")
    TICKET_RESOLVED = "ticket.resolved", _("Ticket resolved")
    TICKET_VISITED = "ticket.visited", _("Ticket callback visit recorded")
    TICKET_CLOSED = "ticket.closed", _("Ticket closed")
    TICKET_REOPENED = "ticket.reopened", _("Ticket reopened")
    TICKET_BREACHED = "ticket.breached", _("Ticket missed its target")
    TICKET_ESCALATED = "ticket.escalated", _("Ticket escalated")
    TICKET_CATEGORY_CREATED = "ticket_category.created", _("Ticket category created")
    TICKET_CATEGORY_CHANGED = "ticket_category.changed", _("Ticket category or SLA targets changed")
    TICKET_DEPARTMENT_CREATED = "ticket_department.created", _("Ticket department created")
    TICKET_DEPARTMENT_CHANGED = "ticket_department.changed", _("Ticket department changed")
    # customers (apps/crm)
    CUSTOMER_DELETED = "customer.deleted", _("Customer deleted")
    CUSTOMER_MERGED = "customer.merged", _("Customers merged")
    CUSTOMER_FIELD_CREATED = "customer_field.created", _("Customer field created")
    CUSTOMER_FIELD_CHANGED = "customer_field.changed", _("Customer field changed")
    CUSTOMER_FIELD_DELETED = "customer_field.deleted", _("Customer field deleted")
    CUSTOMER_IMPORT_STARTED = "customer_import.started", _("Customer import started")
    # knowledge base (apps/crm)
    KB_ARTICLE_CREATED = "kb_article.created", _("Knowledge-base article created")
    KB_ARTICLE_CHANGED = "kb_article.changed", _("Knowledge-base article changed")
    KB_CATEGORY_CREATED = "kb_category.created", _("Knowledge-base category created")
    KB_PHRASE_CREATED = "kb_phrase.created", _("Standard phrase created")
    KB_PHRASE_CHANGED = "kb_phrase.changed", _("Standard phrase changed")
    # satisfaction surveys and callback visits (apps/crm)
    SURVEY_FOLLOW_UP_DONE = "survey.follow_up_done", _("Low survey score followed up")
    VISIT_TASK_CREATED = "visit_task.created", _("Callback visit sent to a campaign")
    # workforce (apps/workforce)
    WORKFORCE_POLICY_SAVED = "workforce.policy_saved", _("Attendance policy saved")
    WORKFORCE_ROSTER_PUBLISHED = "workforce.roster_published", _("Roster published")
    WORKFORCE_CLOCK_CORRECTED = "workforce.clock_corrected", _("Clock record added by correction")
    WORKFORCE_CLOCK_VOIDED = "workforce.clock_voided", _("Clock record voided")
    WORKFORCE_HANDOVER_OVERRIDDEN = "workforce.handover_overridden", _("Handover overridden")
    WORKFORCE_SWAP_DECIDED = "workforce.swap_decided", _("Shift swap decided")
    WORKFORCE_LEAVE_DECIDED = "workforce.leave_decided", _("Leave decided")
    WORKFORCE_OVERTIME_DECIDED = "workforce.overtime_decided", _("Overtime decided")
    WORKFORCE_WARNING_ISSUED = "workforce.warning_issued", _("Warning letter issued")
    WORKFORCE_REVIEW_FLAGGED = "workforce.review_flagged", _("Flagged for dismissal review")
    WORKFORCE_REVIEW_DECIDED = "workforce.review_decided", _("Dismissal review decided")
    # the platform operator acting on this tenant
    PLATFORM_TENANT_SUSPENDED = "platform.tenant_suspended", _("Suspended by the platform")
    PLATFORM_TENANT_RESUMED = "platform.tenant_resumed", _("Resumed by the platform")
    PLATFORM_TENANT_DELETION_SCHEDULED = "platform.tenant_deletion_scheduled", _("Deletion scheduled by the platform")
    PLATFORM_TENANT_DELETION_CANCELLED = "platform.tenant_deletion_cancelled", _("Deletion cancelled by the platform")
    PLATFORM_NUMBER_ASSIGNED = "platform.number_assigned", _("Number assigned by the platform")
    PLATFORM_AUDIT_VIEWED = "platform.audit_viewed", _("Audit log read by the platform")
    PLATFORM_CALLER_ID_RULE_CHANGED = "platform.caller_id_rule_changed", _("Caller ID rule changed by the platform")
    PLATFORM_TRUNK_ADDRESS_ADDED = "platform.trunk_address_added", _("Carrier address added by the platform")
    PLATFORM_TRUNK_ADDRESS_REMOVED = "platform.trunk_address_removed", _("Carrier address removed by the platform")
    PLATFORM_INVOICE_ISSUED = "platform.invoice_issued", _("Invoice issued by the platform")


class ActorKind(models.TextChoices):
    USER = "user", _("User")
    PLATFORM = "platform", _("Platform staff")
    SYSTEM = "system", _("System")


def action_label(code: str) -> str:
    """The translated label of an action code (the code itself for one no longer listed)."""
    try:
        return str(AuditAction(code).label)
    except ValueError:
        return code
