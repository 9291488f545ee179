"""An on-premises SharePoint Server stand-in for tests and benchmarks: a world model (Windows accounts with
SIDs, nested AD groups, site groups, a web with libraries, folders and files that inherit or hold their own
role assignments, role definitions, a change log), an emulator of the SharePoint REST endpoints behind NTLM
with channel bindings over real HTTPS, and an independent oracle of who may read what.
"""

from ragwarden.testing.microsoft.sharepoint_server.emulator import SharePointServerEmulator
from ragwarden.testing.microsoft.sharepoint_server.oracle import can_read, readers, under_granted
from ragwarden.testing.microsoft.sharepoint_server.world import ALL_AUTHENTICATED, EVERYONE, World

__all__ = ["ALL_AUTHENTICATED", "EVERYONE", "SharePointServerEmulator", "World", "can_read", "readers", "under_granted"]
