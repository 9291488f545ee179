"""The local directory: users and nested groups from a YAML file (small deployments, the demo, tests).

    users:
      alice: {groups: [hr-leads], display_name: Alice Adler}
      bob:   {groups: [rnd], disabled: false}
    groups:
      hr-leads: {member_of: [hr], display_name: HR-Leitung}
      hr: {}

A user's tokens are ``user:<name>``, every group reached through ``groups``/``member_of`` at any depth
(cycles tolerated) and ``everyone``. Unknown and disabled users resolve to an empty scope: they see nothing.
Names are case-insensitive, as the tokens are. Anything not understood in the file is a
:class:`ConfigurationError` naming the file and the entry, never a silently narrower or wider directory.

The modules: ``file_format`` (the file's rules and its validation), ``closures`` (nested groups made
flat), ``resolver`` (:class:`LocalDirectory`, the resolver built from both).
"""
