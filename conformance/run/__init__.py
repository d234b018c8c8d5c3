"""One run: its settings and options, profiles, the session context, how it stops, the files it leaves."""
