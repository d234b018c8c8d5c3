"""`audience-conformance`: the command line, its runner and commands."""
