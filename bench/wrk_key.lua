-- GET with the key from the environment (never on wrk's command line).
wrk.headers["X-Dexatel-Key"] = os.getenv("AUDIENCE_API_KEY") or ""
