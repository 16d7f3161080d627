"""Who may read and who may change customers and tickets (API and pages alike)."""

from apps.accounts.choices import Role

WRITE_ROLES = (Role.TENANT_ADMIN, Role.SUPERVISOR)
READ_ROLES = tuple(Role.values)  # every tenant role

# Tickets (docs/tickets.md "Who may do what"). Managers see and do everything; QA reads every
# ticket (service quality); an agent sees the tickets they created, hold, or that are with a
# department whose team they belong to, and works those; other roles see none.
TICKET_MANAGER_ROLES = (Role.TENANT_ADMIN, Role.SUPERVISOR)
TICKET_ALL_READ_ROLES = (*TICKET_MANAGER_ROLES, Role.QA, Role.QA_LEAD)
TICKET_READ_ROLES = (*TICKET_ALL_READ_ROLES, Role.AGENT)
TICKET_CREATE_ROLES = (*TICKET_MANAGER_ROLES, Role.AGENT)
TICKET_ADMIN_ROLES = (Role.TENANT_ADMIN,)  # categories, SLA targets, departments

# Customers (docs/customers.md "Who may do what"): every role reads customers (custom fields as
# their definitions allow); administrators and supervisors change, import, export and merge them;
# administrators define the custom fields.
CUSTOMER_WRITE_ROLES = WRITE_ROLES
CUSTOMER_FIELD_ADMIN_ROLES = (Role.TENANT_ADMIN,)

# Satisfaction surveys (docs/surveys.md "Who may do what"): managers and QA read every response,
# an agent reads the answers about their own calls; managers close follow-ups and send visits.
SURVEY_ALL_READ_ROLES = (*TICKET_MANAGER_ROLES, Role.QA, Role.QA_LEAD)
SURVEY_READ_ROLES = (*SURVEY_ALL_READ_ROLES, Role.AGENT)
SURVEY_MANAGER_ROLES = TICKET_MANAGER_ROLES
