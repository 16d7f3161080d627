"""Password hashing parameters.

Django's Argon2 defaults (100 MiB, 8 lanes) cost ~270 ms of CPU per hash here, which would
be a third of a sign-up and of every login. OWASP's password storage guidance lists
Argon2id with m=19 MiB, t=2, p=1 as a sound minimum; we use m=19 MiB, t=3 — still
memory-hard, a fraction of the cost. Hashes record their parameters, so existing hashes keep
verifying and are upgraded on the next login.
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class ContactCenterArgon2Hasher(Argon2PasswordHasher):
    time_cost = 3
    memory_cost = 19456  # KiB
    parallelism = 1
