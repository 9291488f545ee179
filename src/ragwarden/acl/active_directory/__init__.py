"""Who is asking, according to Active Directory: a user name to every SID in their logon token.

The resolver binds as a service account over LDAPS or StartTLS (plain LDAP only when explicitly
allowed) and reads, for one user: ``objectSid``, ``tokenGroups`` (every nested group, computed by the
domain controller with a BASE-scope read of the user object), the primary group (``primaryGroupID``
appended to the domain SID), ``sIDHistory`` and the well-known SIDs every authenticated account has
(Everyone, Authenticated Users). BUILTIN SIDs (``S-1-5-32-*``) in ``tokenGroups`` are the DC's own local
groups; a file server evaluates BUILTIN against its own, so they are left out unless ``builtin_sids``.
Disabled, locked-out, expired (``accountExpires``), password-expired (``msDS-User-Account-Control-
Computed``), ambiguous and unknown accounts resolve to an empty scope. Anything the resolver cannot read
raises :class:`DirectoryUnavailableError`: a partial group list could miss a deny entry.

The modules: ``config`` (:class:`ADConfig` and opening a bound TLS connection), ``wire`` (binary SIDs,
escaped filters, what a user entry's attributes mean; no I/O), ``resolver`` (:class:`ActiveDirectoryResolver`,
the queries, and ``build_ad_resolver`` that puts it behind the principal cache).
"""
