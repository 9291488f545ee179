"""Local stand-ins for the Microsoft services the product talks to, over real HTTPS (tests and benchmarks).

- ``entra``: ``FakeMicrosoft``, the Entra authority (discovery, authorize, token, JWKS) and its ``graph``;
- ``channel``: ``LocalChannel``, the Bot Framework channel (metadata, signing keys, Bot Connector), with an
  Entra stand-in as the bot's token authority;
- ``teams_world``: the real app with the bot mounted in front of the channel; ``demo_tenant``: the demo
  directory as an Entra tenant;
- ``sharepoint_server``: an on-premises SharePoint Server (REST behind NTLM with channel bindings), its world
  model and oracle;
- the parts they share: ``tls`` (one CA for all of them), ``https`` (the JSON server), ``keys`` (signing
  keys published as a JWKS, rotated, signing JWTs).
"""
