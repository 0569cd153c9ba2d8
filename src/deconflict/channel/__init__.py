"""The duty officers' channel: notices, their delivery, acknowledgement and escalation.

Use cases write notices into the `notices` table (the transactional outbox) and audit
events into `audit_queue`, in the transaction of the change that causes them
(`outbox`). The `sequencer` then, one process at a time, gives each new notice its
stream position, deadline and digest, and merges queued events into the Merkle log
(`deconflict.audit`), signing checkpoints. Notices reach parties over Server-Sent
Events (`stream`) and webhooks (`webhook`); unacknowledged ones move up a ladder
(`escalation`, a pure function of notice, policy, roster and time). Texts are rendered
per recipient language (`render`). Nothing here knows HTTP servers or use cases.
"""
