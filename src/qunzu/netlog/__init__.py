"""The network and operation log (Art. 13 ¶2): every record is written through `record`.

Today: one table (`operation_log`), written in the caller's transaction and read for the user's data export. The
network-log issue adds the hash chain, retention, archive and export in this package, so callers never change.
"""

from qunzu.netlog.records import NONE, Target, record, records_of, records_of_group

__all__ = ["NONE", "Target", "record", "records_of", "records_of_group"]
