"""A SharePoint Online stand-in for tests and benchmarks: a world model, an emulator of the Graph and
SharePoint REST endpoints the connector uses, and an independent oracle of who may read what.

- ``world``: :class:`World` (with ``directory`` and ``model``): users, Entra groups, site groups, webs,
  drives, the item tree with role assignments, links and invitations, and the change journal;
- ``emulator``: :class:`SharePointEmulator`, Graph plus a SharePoint host over real HTTPS (routes in
  ``graph_api`` and ``rest``, delta in ``delta``, JSON shapes in ``render``), with tokens from ``entra``'s
  ``FakeMicrosoft``; ``publish_directory`` hands the world's directory to that authority's Graph;
- ``oracle``: :func:`can_read` from the model alone, and where ragwarden deliberately grants less.
"""

from ragwarden.testing.microsoft.sharepoint.delta import Defects
from ragwarden.testing.microsoft.sharepoint.emulator import SharePointEmulator, Switches, publish_directory
from ragwarden.testing.microsoft.sharepoint.oracle import TOKEN_MODEL, Policy, can_read, readers, under_granted
from ragwarden.testing.microsoft.sharepoint.world import World

__all__ = ["TOKEN_MODEL", "Defects", "Policy", "SharePointEmulator", "Switches", "World", "can_read",
           "publish_directory", "readers", "under_granted"]
