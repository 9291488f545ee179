"""SharePoint Online through Microsoft Graph: sites, document libraries, their permissions and site groups."""
