"""SharePoint Server on-premises (2016, 2019, Subscription Edition): ``sharepoint+ntlm://host/sites/name``."""
