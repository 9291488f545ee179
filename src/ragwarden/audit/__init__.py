"""The audit log: who saw which document through which interface, and on what grounds.

Append-only JSON Lines in daily files (``audit-YYYY-MM-DD.jsonl``), each record carrying the SHA-256 of the
record before it (across days), each closed day ending in a checkpoint, and a head file naming the newest
record, so that an edited, removed, reordered or cut-off record is found by ``ragwarden audit verify``
(:mod:`.verify`). Callers are written as keyed pseudonyms (:mod:`.keys`); the keys live outside the log.
Only ``ragwarden.services`` chooses this adapter; the use cases know the ``AuditSink`` port alone.
"""
