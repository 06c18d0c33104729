"""The web kit every app's pages share: the request type, htmx regions, safe redirects, flash
messages and form widgets. It knows no domain: it sits just above accounts, below every app."""
