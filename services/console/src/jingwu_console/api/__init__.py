"""The console's JSON API, one module per service it reads."""
