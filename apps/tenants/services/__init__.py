"""Tenant services, one module per concern: import from the module (``services.provisioning``,
``services.platform``, ``services.usage``…).

Nothing is re-exported here: provisioning and the platform's number assignment call telephony's
plant services, and telephony's plant records usage through ``services.usage``. A package
``__init__`` importing every module would turn that one-way use into an import cycle.
"""
